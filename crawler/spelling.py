"""How one site spells its URLs: parameters that change on every visit, and case.

Canonical URLs (extract.urls) remove what any portal's URLs may carry; this
learns what only this portal does, while crawling it:

- a parameter with a token-like value (``sid=8F3A2C91``, ``tk=s1A2B3C4D``)
  or a number standing alone (``/bai-viet-12.html?17747114``) leaves the
  site's URLs once two URLs differing only in it gave the same page: the
  same article text, or for other pages the same links (that parameter
  aside).  Made anew for each page shown, it made every listing a new set
  of URLs.  Never from URLs alone: a slug carries digits as a token does
  (``chi-tiet.php?alias=hoi-nghi-2024``), and each article's print link
  names its own, one value a page as a session's would be; learnt from
  links, it made every article one URL.  Two URLs differing only in it
  that gave different pages prove it names pages, and so do two of its
  values in links otherwise alike on one page: it is never learnt;
- so does a cache-buster, a value made anew for every visit that made every
  link a URL never seen: the time now, in seconds or finer
  (``?t=1764746400``, ``?_=1764746400123``), or a random fraction
  (``?rnd=0.8273645190``, JavaScript's ``Math.random()``), once one link
  came with two of them.  Never on sight: an id that is the time an article
  was created reads as "now" for the hour after, and a name learnt leaves
  every URL of the site;
- a parameter whose value is the address of the page its links are on
  (Liferay's ``redirect=<the current URL>``, a ``returnUrl``) is where a
  "back" link returns to, never what the link leads to, and leaves the
  site's URLs.  Kept, it gives an article a new URL on every page that
  links to it, and nests: each page's links carry its own URL, return
  address included, so URLs grow without end.  Learnt from one page, once
  two of its links carry it;
- a server that answers a case-flipped path with the same page is
  case-insensitive (IIS), and the site's paths are lowercased.  This is
  asked of the server once per crawl, never assumed from the family;
- a server that gave one article's text with and without a slash ending
  its path answers both alike there: the slash leaves the paths of that
  directory (numbers abstracted: ``/2024/07/*``), not the site's.  A
  section beside it (``/tin-tuc/``, ``/tag/kinh-te/``) may exist only with
  the slash, and redirect or answer 404 without it: stripped site-wide,
  its pages were never fetched, and the articles only they listed lost;
- a server that redirects two paths from one origin to the same paths on
  another (``http://`` to ``https://``, a bare host to ``www.``) has moved
  that origin: links still written the old way (pasted into articles,
  hard-coded in templates) go to the new one at once, rather than costing
  a request and a redirect each.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from extract.text import whole_number
from extract.urls import (
    BARE_NUMBER,
    canonicalize,
    is_bare_number,
    query_pairs,
    query_string,
    with_lowercase_path,
    without_params,
    without_trailing_slash,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from archive.records import ArticleRecord

#: A value that looks like a token rather than a number or a word.
_TOKEN = re.compile(r"^(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{8,}$")
#: (URL without the parameter, parameter) pairs remembered; enough to learn from.
_MAX_REMEMBERED = 20_000
#: Parameter names remembered as naming pages; real portals use a handful.
_MAX_NAMES = 1_000
#: Digits of a Unix time now in seconds, milliseconds, microseconds and nanoseconds.
_CLOCK_DIGITS = frozenset({10, 13, 16, 19})
#: How far from this machine's clock a value may be and still read as "now".
_CLOCK_SLACK = 3600
#: Paths a server must redirect alike before its origin is taken as moved.
_MOVES_TO_LEARN = 2
#: Origins followed in turn at most (``http://a`` to ``https://a`` to ``https://www.a``).
_MAX_MOVES = 3
#: Links of one page that must carry its address under one name to teach it.
_RETURNS_TO_LEARN = 2
#: A run of digits in a path, abstracted in the directories slashes are learnt for.
_NUMBERS = re.compile(r"\d+")
#: A random draw in [0, 1) as JavaScript and most languages print one.
_RANDOM_FRACTION = re.compile(r"^0\.\d{8,}$")


def made_per_visit(value: str, now: float) -> bool:
    """Whether ``value`` is made anew for every visit: the time now, or a random fraction."""
    return reads_as_now(value, now) or bool(_RANDOM_FRACTION.match(value))


def reads_as_now(value: str, now: float) -> bool:
    """Whether ``value`` is the Unix time ``now``, in seconds or finer, give or take an hour.

    An article id that is a Unix time (``/bai-viet-1534257436.html``) is the
    time it was published, not the moment the page was served.

    >>> reads_as_now("1764746400123", 1764746401.0), reads_as_now("1534257436", 1764746401.0)
    (True, False)
    """
    if len(value) not in _CLOCK_DIGITS or (number := whole_number(value, 19)) is None:
        return False
    return abs(number / 10 ** (len(value) - 10) - now) <= _CLOCK_SLACK


class UrlSpelling:
    """One site's learnt URL spelling; :meth:`normal` applies it."""

    def __init__(self) -> None:
        self.volatile: frozenset[str] = frozenset()
        #: ``None`` until the server answered.
        self.case_insensitive: bool | None = None
        #: whether the server was asked (:mod:`crawler.caseprobe`).
        self.case_asked = False
        #: origin (``scheme://host[:port]``) → the origin the server moved it to.
        self.moved: dict[str, str] = {}
        self._values: dict[tuple[str, str], str] = {}
        self._moves: dict[tuple[str, str], set[str]] = {}
        #: names whose value was seen to tell pages apart: never learnt.
        self.ids: set[str] = set()
        #: URL without its token-like values → (those values, what the page held).
        self._compared: dict[str, tuple[dict[str, str], object]] = {}
        #: directories (see :func:`_slash_scope`) where an article was met with
        #: and without a slash ending its path: it does not matter there (True).
        self.slash_scopes: dict[str, bool] = {}
        #: URL without a slash ending its path → (whether it had one, the article's digest).
        self._slashes: dict[str, tuple[bool, str]] = {}

    def learnt(self) -> tuple[object, ...]:
        """What has been learnt so far: equal while the spelling is unchanged."""
        return (
            self.volatile,
            self.case_insensitive,
            tuple(self.moved.items()),
            tuple(self.slash_scopes.items()),
        )

    def normal(self, url: str) -> str:
        """``url`` as this site spells it once learnt."""
        if self.moved:
            url = self._moved(url)
        url = without_params(url, self.volatile)
        if self.slash_scopes and (bare := without_trailing_slash(url)) != url:
            url = bare if self.slash_scopes.get(_slash_scope(bare)) else url
        return with_lowercase_path(url) if self.case_insensitive else url

    def respell(self, article: ArticleRecord) -> None:
        """``article``'s URLs as this site spells them: the URL it was
        fetched at stays another URL of it only if it still is another."""
        article.url = self.normal(article.url)
        if article.also_at is not None:
            also_at = self.normal(article.also_at)
            article.also_at = also_at if also_at != article.url else None

    def learn_case(self, insensitive: bool) -> None:
        """The server told whether it ignores case in paths.  Pages compared
        before (see :meth:`_compare`) were keyed as written; keyed now as
        they will be looked up, a page met first in capitals still settles
        its copies met after in lower case."""
        self.case_insensitive = insensitive
        if insensitive:
            compared: dict[str, tuple[dict[str, str], object]] = {}
            for key, seen in self._compared.items():
                compared.setdefault(with_lowercase_path(key), seen)
            self._compared = compared

    def may_respell(self, url: str) -> bool:
        """Whether learning more may change ``url``'s spelling: a parameter
        may turn out to change from visit to visit, or the path's capitals
        not to matter.  (A moved origin is met as a redirect, whose target
        the duplicate filter has seen.)"""
        if "?" in url:
            return True
        if (bare := without_trailing_slash(url)) != url and _slash_scope(bare) not in (
            self.slash_scopes
        ):
            return True
        return self.case_insensitive is None and with_lowercase_path(url) != url

    def _moved(self, url: str) -> str:
        for _ in range(_MAX_MOVES):
            origin = _origin(url)
            target = self.moved.get(origin)
            if target is None:
                break
            url = target + url[len(origin) :]
        return url

    def learn_from_redirect(self, source: str, target: str) -> None:
        """Note a redirect from ``source`` to ``target`` if it kept path and
        query but changed the origin; or if it added a slash ending the path,
        which then matters in its directory, whatever an article there said."""
        old, new = canonicalize(source), canonicalize(target)
        if without_trailing_slash(new) == old != new:
            self.slash_scopes[_slash_scope(old)] = False
        old_origin, new_origin = _origin(old), _origin(new)
        path = old[len(old_origin) :]
        if old_origin == new_origin or path != new[len(new_origin) :]:
            return
        if old_origin in self.moved or self._moved(new) == old:
            return  # learnt, or a loop back
        paths = self._moves.get((old_origin, new_origin))
        if paths is None:
            if len(self._moves) >= _MAX_REMEMBERED:
                return
            paths = self._moves[old_origin, new_origin] = set()
        paths.add(path)
        if len(paths) >= _MOVES_TO_LEARN:
            self.moved[old_origin] = new_origin

    def learn_from_links(
        self, links: list[str], page_url: str | None = None, *, compare: bool = False
    ) -> None:
        """Look for ``page_url``, the page the links are on, among their
        values, then compare their per-visit values with earlier pages', and
        tell tokens that name pages.  With ``compare``, the page is compared
        by its links as well (see :meth:`_compare`)."""
        if compare and page_url is not None:

            def offered(names: frozenset[str]) -> int:
                return hash(frozenset(without_params(url, names) for url in links))

            self._compare(page_url, offered)
        urls = [self._moved(url) if self.moved else url for url in links if "?" in url]
        if page_url is not None:
            # First: links differing only in where they return to are one link.
            self._learn_return_addresses(urls, page_url)
        on_page: dict[tuple[str, str], set[str]] = {}
        tokens: dict[tuple[str, str], set[str]] = {}
        now = time.time()
        for url in urls:
            parts = urlsplit(url)
            pairs = query_pairs(parts.query)
            per_visit = [made_per_visit(value, now) for _, value in pairs]
            token = [
                not fresh and bool(_TOKEN.match(value))
                for (_, value), fresh in zip(pairs, per_visit, strict=True)
            ]
            if not any(per_visit) and not any(token):
                continue
            # The link without what changes from visit to visit, learnt or
            # plain, or may (a token, a number alone: see _compare).
            steady = [
                pair
                for pair, fresh, tokenish in zip(pairs, per_visit, token, strict=True)
                if pair[0].lower() not in self.volatile
                and not (fresh or tokenish or is_bare_number(*pair))
            ]
            base = urlunsplit((parts.scheme, parts.netloc, parts.path, query_string(steady), ""))
            for (name, value), fresh, tokenish in zip(pairs, per_visit, token, strict=True):
                if (fresh or tokenish) and name.lower() not in self.volatile:
                    seen = on_page if fresh else tokens
                    seen.setdefault((base, name.lower()), set()).add(value)
        # Two tokens under one name in links otherwise alike, on one page, name
        # what the links lead to (``chi-tiet.php?alias=…-2024``): a session
        # has one value a page.
        self._name_pages({name for (_, name), values in tokens.items() if len(values) > 1})
        learnt = set()
        for key, values in on_page.items():
            if len(values) != 1:
                continue  # several values on one page: ids, not a visit's
            (value,) = values
            before = self._values.get(key)
            if before is not None and before != value:
                learnt.add(key[1])
            elif before is None and len(self._values) < _MAX_REMEMBERED:
                self._values[key] = value
        self._learn(learnt)

    def learn_from_article(self, url: str, text_hash: Callable[[], str]) -> None:
        """Compare the article fetched from ``url`` by its text (see :meth:`_compare`
        and :meth:`_compare_slash`)."""
        self._compare(url, lambda _names: text_hash())
        self._compare_slash(url, text_hash)

    def _compare_slash(self, url: str, text_hash: Callable[[], str]) -> None:
        """Learn whether a slash ending a path matters in its directory, from
        the first article there met both with and without one: the same text,
        and it does not.

        Links to one article written both ways made its second spelling a
        copy, a dead end; two such stopped their shape, and an article linked
        only with the slash was lost.
        """
        if len(urlsplit(url).path) <= 1:
            return
        key = without_trailing_slash(url)
        if _slash_scope(key) in self.slash_scopes:
            return
        slashed = key != url
        seen = self._slashes.get(key)
        if seen is None:
            if len(self._slashes) < _MAX_REMEMBERED:
                self._slashes[key] = (slashed, text_hash())
            return
        if seen[0] != slashed and len(self.slash_scopes) < _MAX_NAMES:
            self.slash_scopes[_slash_scope(key)] = seen[1] == text_hash()
            del self._slashes[key]

    def settles(self, url: str) -> bool:
        """Whether ``url`` differs from a page fetched already only in values
        that may change from visit to visit: fetched soon, it settles them
        (see :meth:`_compare`), and the copies queued under them are spared."""
        if "?" not in url:
            return False
        values = _token_values(url, self.volatile | self.ids)
        if not values:
            return False
        seen = self._compared.get(without_params(url, frozenset(values)))
        return seen is not None and seen[0] != values

    def _compare(self, url: str, content: Callable[[frozenset[str]], object]) -> None:
        """Compare the page fetched from ``url`` with the one met first under a
        URL differing from it only in values that may change from visit to
        visit (see :func:`_token_values`).

        ``content(names)`` is what the page holds, parameters ``names`` aside:
        an article's text digest, another page's links without them.  The
        same content: the parameters that differ are spelling, and leave the
        site's URLs.  Other content where one parameter alone differs: it
        names pages, and is never learnt.  Only pages that came back (an
        error page is shared by many ids): the caller sees to that.
        """
        if "?" not in url:
            return
        url = self.normal(url)
        values = _token_values(url, self.volatile | self.ids)
        if not values:
            return
        names = frozenset(values)
        key = without_params(url, names)
        seen = self._compared.get(key)
        if seen is None:
            if len(self._compared) < _MAX_REMEMBERED:
                self._compared[key] = (values, content(names))
            return
        before, held = seen
        differ = {name for name in names | before.keys() if values.get(name) != before.get(name)}
        if not differ or differ & self.ids:
            return
        if content(names) == held:
            self._learn(differ)
        elif len(differ) == 1:
            self._name_pages(differ)

    def _learn_return_addresses(self, urls: list[str], page_url: str) -> None:
        here = _address(page_url)
        returning: dict[str, set[str]] = {}
        for url in urls:
            if not _ADDRESS_VALUE.search(url):  # most links: no address in them
                continue
            for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
                name = name.lower()
                if (
                    name not in self.volatile
                    and value.lower().startswith(_ADDRESS_STARTS)
                    and _address(value, here[0]) == here
                ):
                    returning.setdefault(name, set()).add(url)
        self._learn({name for name, links in returning.items() if len(links) >= _RETURNS_TO_LEARN})

    def _name_pages(self, names: set[str]) -> None:
        """Parameters ``names`` tell pages apart: never learnt (a link farm
        inventing names fills no more than :data:`_MAX_NAMES`)."""
        if len(self.ids) < _MAX_NAMES:
            self.ids |= names

    def _learn(self, names: set[str]) -> None:
        """Parameters ``names`` leave the site's URLs."""
        if names:
            self.volatile = self.volatile | names
            self._values = {k: v for k, v in self._values.items() if k[1] not in names}


def spelling_of(crawler: Crawler) -> UrlSpelling | None:
    """The learnt spelling of the site ``crawler`` crawls (its spider's), if any."""
    return getattr(crawler.spider, "spelling", None)


def spelt(crawler: Crawler, url: str) -> str:
    """``url`` as the site ``crawler`` crawls is now known to spell it."""
    spelling = spelling_of(crawler)
    return url if spelling is None else spelling.normal(url)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL, as written."""
    scheme_end = url.find("://") + 3
    path_start = url.find("/", scheme_end)
    return url if path_start < 0 else url[:path_start]


def _token_values(url: str, skip: frozenset[str] | set[str]) -> dict[str, str]:
    """The values in ``url``'s query that may change from visit to visit, by
    lowercase name (:data:`BARE_NUMBER` for a number alone), less ``skip``:
    token-like ones, and those :func:`made_per_visit`."""
    values = {}
    now = time.time()
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if is_bare_number(name, value):
            name, value = BARE_NUMBER, name
        elif _TOKEN.match(value) or made_per_visit(value, now):
            name = name.lower()
        else:
            continue
        if name not in skip:
            values[name] = value
    return values


#: How a value that is an address (a path, or a URL) starts.
_ADDRESS_STARTS = ("/", "http://", "https://")
#: A parameter value in a raw query that may be an address, encoded or not.
_ADDRESS_VALUE = re.compile(r"=(?:/|%2f|https?(?::|%3a))", re.IGNORECASE)


def _address(url: str, host: str = "") -> tuple[str, str]:
    """The host (``host`` for a bare path) and decoded path ``url`` points at."""
    parts = urlsplit(url)
    return (parts.hostname or host).lower(), unquote(parts.path)


def case_flipped(url: str) -> str | None:
    """``url`` with its path's letters in the other case, or ``None`` if it has none."""
    parts = urlsplit(url)
    flipped = parts.path.swapcase()
    if flipped == parts.path:
        return None
    return urlunsplit((parts.scheme, parts.netloc, flipped, parts.query, ""))


def _slash_scope(bare: str) -> str:
    """The directory of ``bare`` (a URL whose path ends in no slash), its
    numbers abstracted: where whether a slash ending a path matters is learnt
    and applied (``/tin-tuc/`` for ``/tin-tuc/bai-7``, ``/*/*/`` for
    ``/2024/07/hoi-nghi``)."""
    parts = urlsplit(bare)
    return _NUMBERS.sub("*", parts.path.rsplit("/", 1)[0].lower()) + "/"
