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
        #: digests of dated pages' texts, numbers left out.
        self.templates: set[bytes] = set()

    def met_before(self, record: ArticleRecord, url: str) -> str | None:
        """The page ``record``'s text was met on before, if any (noted as met
        on ``url`` otherwise)."""
        digest = record.text_hash()
        first = self.first.get(digest)
        if first is None:
            self.first[digest] = url
        return first

    def dated_template(self, record: ArticleRecord, url: str) -> bool:
        """Whether ``url`` carries a date and ``record``'s text, numbers left
        out, was met before on such a page (noted otherwise)."""
        if not url_dates(url):
            return False
        text = "\n".join((record.title or "", *record.body))
        digest = hashlib.blake2b(_NUMBERS.sub("", text).encode(), digest_size=16).digest()
        if digest in self.templates:
            return True
        self.templates.add(digest)
        return False
