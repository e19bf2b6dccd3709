"""Finding the article a user means: by the id search printed, or by a URL as they copied it.

A URL is tried as typed, then in the spellings the crawler writes, then
through a redirect captured at it, then without one of its parameters (a
session or token the crawl learnt to leave out, under a name nobody
lists): what a browser, a citation or a listing's link gives is seldom the
canonical URL the archive holds.
"""

from __future__ import annotations

from archive.archived import ArchivedArticle
from archive.layout import DataDir
from archive.store import Store
from archive.warcreader import WarcReadError, read_response
from extract.urls import (
    absolute,
    canonical_or_none,
    query_pairs,
    with_lowercase_path,
    without_params,
    without_trailing_slash,
)

#: An id has at most 18 digits (a SQL BIGINT): 'dna show 9999…9' was an OverflowError.
_MOST_ID_DIGITS = 18


def find_article(store: Store, data: DataDir, key: str) -> ArchivedArticle | None:
    """The article ``key`` names: an id, or any URL it was found under or led from."""
    if key.isascii() and key.isdigit() and len(key) <= _MOST_ID_DIGITS:
        return store.article(int(key))
    spellings = _spellings_of(key)
    return (
        _first_found(store, spellings)
        or _redirected_to(store, data, spellings)
        or _less_a_parameter(store, key)
    )


def _first_found(store: Store, spellings: list[str]) -> ArchivedArticle | None:
    """The article at the first of ``spellings`` the archive holds one at."""
    return next(filter(None, map(store.article, spellings)), None)


#: Parameters tried one by one for a token the crawl left out; a URL has a few.
_MOST_PARAMETERS = 8


def _less_a_parameter(store: Store, url: str) -> ArchivedArticle | None:
    """The article at ``url`` without one of its query parameters, if any."""
    canonical = canonical_or_none(url)
    if canonical is None or "?" not in canonical:
        return None
    names = [name.lower() for name, _ in query_pairs(canonical.partition("?")[2])]
    for name in dict.fromkeys(names[:_MOST_PARAMETERS]):
        less = without_params(canonical, frozenset({name}))
        if article := _first_found(store, _spellings_of(less)):
            return article
    return None


#: Redirects followed from a URL to the article it leads to: as many as a crawl follows.
_MOST_REDIRECTS = 5
#: What of a redirect's body is read to get at its headers (a "Moved" page).
_REDIRECT_BODY = 1 << 16


def _redirected_to(store: Store, data: DataDir, spellings: list[str]) -> ArchivedArticle | None:
    """The article a captured redirect at one of ``spellings`` led to, if any.

    A listing links to ``/tin-tuc/duong-truc-xa``, which redirects to the
    article's own URL: the link is the URL a researcher copies.  The
    ``Location`` is read from the redirect's WARC record.
    """
    for _ in range(_MOST_REDIRECTS):
        redirect = store.redirect_at(spellings)
        path = redirect and data.find_warc(redirect.warc_file)
        if redirect is None or path is None:
            return None
        try:
            headers = read_response(path, redirect.warc_offset, limit=_REDIRECT_BODY).http_headers
        except WarcReadError:
            return None
        location = headers.get_header("Location") if headers else None
        target = location and absolute(redirect.url, location.strip())
        if not target:
            return None
        spellings = _spellings_of(target)
        if article := _first_found(store, spellings):
            return article
    return None


def _spellings_of(url: str) -> list[str]:
    """``url`` as typed, then as the crawler writes it (canonical: host in lower
    case, no default port or tracking parameters), without and with a final
    slash, and with its path in lower case (a case-insensitive server's)."""
    canonical = canonical_or_none(url)
    if canonical is None:
        return [url]
    bare = without_trailing_slash(canonical)
    spellings = [url, canonical, bare, bare + "/", with_lowercase_path(bare)]
    return list(dict.fromkeys(spellings))
