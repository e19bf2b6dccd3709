"""The article texts one crawl met: what makes an article page nothing new.

The same text again (a print view, an alias under another path) is nothing
new.  Nor is a page whose URL carries a date and whose text differs from one
met before only in its numbers: a work calendar whose weeks each read as a
notice ("Lịch công tác tuần 31 năm 2024", a table of the same meetings)
made every week an article with new text, so its shape was productive and
it was walked without end, from 1979 to 2069.  Both are still archived and
stored; only the trap guard counts them as nothing new.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from extract.urls import url_dates

if TYPE_CHECKING:
    from archive.records import ArticleRecord

_NUMBERS = re.compile(r"\d+")


class TextsMet:
    """The digests of the article texts met so far, and where each was met first."""

    def __init__(self) -> None:
        #: text digest → the URL of the page it was met on first.
        self.first: dict[str, str] = {}
        #: digests of dated pages' texts, numbers left out → the first page
        #: met with it, until a second is met.
        self.templates: dict[bytes, str | None] = {}

    def met_before(self, record: ArticleRecord, url: str) -> str | None:
        """The page ``record``'s text was met on before, if any (noted as met
        on ``url`` otherwise)."""
        digest = record.text_hash()
        first = self.first.get(digest)
        if first is None:
            self.first[digest] = url
        return first

    def dated_template(self, record: ArticleRecord, url: str) -> tuple[bool, str | None]:
        """Whether ``url`` carries a date and ``record``'s text, numbers left
        out, was met before on such a page (noted otherwise); and, the first
        time it is met again, the page it was met on first, which was counted
        as new and was not."""
        if not url_dates(url):
            return False, None
        text = "\n".join((record.title or "", *record.body))
        digest = hashlib.blake2b(_NUMBERS.sub("", text).encode(), digest_size=16).digest()
        if digest in self.templates:
            first, self.templates[digest] = self.templates[digest], None
            return True, first
        self.templates[digest] = url
        return False, None
