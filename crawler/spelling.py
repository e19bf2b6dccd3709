"""How one site spells its URLs: parameters that change on every visit, and case.

Canonical URLs (extract.urls) remove what any portal's URLs may carry; this
learns what only this portal does, while crawling it:

- a parameter whose token-like value (``sid=8F3A2C91``) is the same in
  every link of a page but differs from page to page is a session id
  under a name nobody listed, and leaves the site's URLs;
- a server that answers a case-flipped path with the same page is
  case-insensitive (IIS), and the site's paths are lowercased.  This is
  asked of the server once per crawl, never assumed from the family.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from extract.urls import with_lowercase_path, without_params

#: A value that looks like a token rather than a number or a word.
_TOKEN = re.compile(r"^(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{8,}$")
#: (URL without the parameter, parameter) pairs remembered; enough to learn from.
_MAX_REMEMBERED = 20_000


class UrlSpelling:
    """One site's learnt URL spelling; :meth:`normal` applies it."""

    def __init__(self) -> None:
        self.volatile: frozenset[str] = frozenset()
        #: ``None`` until the server was asked.
        self.case_insensitive: bool | None = None
        self._values: dict[tuple[str, str], str] = {}

    def normal(self, url: str) -> str:
        """``url`` as this site spells it once learnt."""
        url = without_params(url, self.volatile)
        return with_lowercase_path(url) if self.case_insensitive else url

    def learn_from_links(self, urls: Iterable[str]) -> None:
        """Compare the token-like parameter values of one page's links with earlier pages'."""
        on_page: dict[tuple[str, str], set[str]] = {}
        for url in urls:
            if "?" not in url:  # most links: no parameters to learn from
                continue
            parts = urlsplit(url)
            if not parts.query:
                continue
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            for name, value in pairs:
                if name.lower() in self.volatile or not _TOKEN.match(value):
                    continue
                rest = urlencode([pair for pair in pairs if pair[0] != name])
                base = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, ""))
                on_page.setdefault((base, name.lower()), set()).add(value)
        learnt = set()
        for key, values in on_page.items():
            if len(values) != 1:
                continue  # several values on one page: ids, not a session
            (value,) = values
            before = self._values.get(key)
            if before is not None and before != value:
                learnt.add(key[1])
            elif before is None and len(self._values) < _MAX_REMEMBERED:
                self._values[key] = value
        if learnt:
            self.volatile = self.volatile | learnt
            self._values = {k: v for k, v in self._values.items() if k[1] not in learnt}


def case_flipped(url: str) -> str | None:
    """``url`` with its path's letters in the other case, or ``None`` if it has none."""
    parts = urlsplit(url)
    flipped = parts.path.swapcase()
    if flipped == parts.path:
        return None
    return urlunsplit((parts.scheme, parts.netloc, flipped, parts.query, ""))
