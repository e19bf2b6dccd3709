"""URL canonicalisation and address safety.

The same article is reachable under many URLs: tracking parameters, a
``?pageindex=0`` duplicate, fragments, print views.  Canonical URLs make it
one article.  Addresses are checked so a crawl never wanders into private
networks unless the archivist configured a site there.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
from collections.abc import Iterable
from datetime import date, timedelta
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from extract.caches import short_strings_cache
from extract.text import whole_number

#: Query parameters that identify a visitor or campaign, never content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "zarsrc",
        "zalo_source",
        "mc_cid",
        "mc_eid",
        "_ga",
        "ref",
        "share",
    }
)
_TRACKING_PREFIXES = ("utm_",)

#: Query parameters that carry a visitor's session, never content.  ASP
#: names its cookie-less session ``ASPSESSIONID`` plus a random suffix.
SESSION_PARAMS = frozenset(
    {"sid", "sessionid", "session_id", "sessid", "phpsessid", "jsessionid", "cfid", "cftoken"}
)
_SESSION_PREFIXES = ("aspsessionid", "p_p_auth")
#: ``;jsessionid=…`` in the path (Java servlet containers without cookies),
#: and ASP.NET's cookie-less session, anonymous id or forms ticket, a path
#: segment of its own: ``/(S(lit3py55t21z5v55vlm25s55))/``, ``/(A(…)S(…))/``.
_PATH_SESSION = re.compile(
    r";(?:jsessionid|sessionid|sid)=[^/?#]*|/\((?:[A-Za-z]\([^()/?#]*\))+\)(?=/|$)",
    re.IGNORECASE,
)

#: Query parameters that only select a print or export view of the same page.
PRINT_PARAMS = frozenset({"print", "printable", "view=print", "isprint", "inan", "printview"})
#: Print views with their own path; the article's own URL cannot be derived
#: from them, so they are not followed at all.
_PRINT_PATH = re.compile(r"/(?:print|in-bai-viet|inbai|print-view)(?=/|$)", re.IGNORECASE)

#: Parameters numbering a listing's pages.  Their value ``0`` (or none) is
#: the first page whichever number a pager starts at; ``1`` is the first page
#: too where pages count from one, as most do, and dropped as that: see
#: :func:`with_page_one` for those counting from zero.
PAGE_PARAMS = frozenset({"pageindex", "page", "p", "trang", "pagenumber", "pageno"})
#: Parameters counting a listing's items from its first (Joomla's
#: ``?limitstart=20``): their value ``0`` (or none) is the first page.
_OFFSET_PARAMS = frozenset({"start", "limitstart", "offset"})


def _keep_param(name: str, value: str) -> bool:
    lowered = name.lower()
    if lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES):
        return False
    if lowered in SESSION_PARAMS or lowered.startswith(_SESSION_PREFIXES):
        return False
    if lowered in PRINT_PARAMS or f"{lowered}={value.lower()}" in PRINT_PARAMS:
        return False
    if lowered in _OFFSET_PARAMS:
        return value not in ("", "0")
    return not (lowered in PAGE_PARAMS and value in ("", "0", "1"))


#: What an ``&`` escaped twice in HTML leaves before a parameter's name.
_AMP = re.compile(r"^(?:amp;)+", re.IGNORECASE)


#: A percent-escape, whose hex digits may come in either case.
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _upper(escape: re.Match[str]) -> str:
    return escape.group().upper()


def query_pairs(query: str) -> list[tuple[str, str]]:
    """A query's name/value pairs, each byte of a percent-escape one character.

    Not decoded as UTF-8: older portals escape Vietnamese in windows-1258 or
    TCVN3 (``?q=%E1``), which UTF-8 would turn into U+FFFD, and the URL
    rebuilt from it would ask the server for another page.
    :func:`query_string` writes the pairs back byte for byte.
    """
    return parse_qsl(query, keep_blank_values=True, encoding="latin-1")


def query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """``pairs`` from :func:`query_pairs` as a query again, escaped as they were.

    A character past one byte was written as is in an href, not escaped
    (``?q=xã``): it goes out in UTF-8, as a browser sends it.
    """
    return urlencode(list(pairs), encoding="latin-1", errors=_UTF8_BEYOND_LATIN1)


def _utf8_beyond_latin1(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return error.object[error.start : error.end].encode("utf-8"), error.end


_UTF8_BEYOND_LATIN1 = "dna-utf8-beyond-latin1"
codecs.register_error(_UTF8_BEYOND_LATIN1, _utf8_beyond_latin1)


def _parts(url: str) -> SplitResult:
    """``urlsplit(url)``, or nothing for a URL no parser reads.

    Pages carry links like ``http://[domain]/`` (a template's placeholder)
    or a port of letters, on which ``urlsplit`` raises: one such link must
    cost nothing but itself.
    """
    try:
        return urlsplit(url)
    except ValueError:
        return _NO_URL


_NO_URL = urlsplit("")


#: URLs longer than this are answered uncached (real ones are under 300
#: characters; Scrapy drops requests past 1,024).
CACHED_URL_LENGTH = 2048


@short_strings_cache(maxsize=256, longest=CACHED_URL_LENGTH)
def _origin(base: str) -> str | None:
    """``scheme://host/`` of an HTTP(S) URL (its port kept), or ``None``."""
    if not base.startswith(("http://", "https://")):
        return None
    parts = _parts(base)
    return f"{parts.scheme}://{parts.netloc}/" if parts.netloc else None


def shared_base(base: str, href: str) -> str:
    """What ``href`` (stripped) on a page at ``base`` resolves against, shared
    by every page of the host where it can be.

    Root-relative and absolute links resolve the same from every page of a
    host (``urljoin`` reads only the base's scheme and host for them): they
    are joined to the host's root, so that answers kept for one page serve
    the menus and pagers every page repeats.
    """
    if href[:1] == "/" or href.startswith(("http://", "https://")):
        return _origin(base) or base
    return base


def joined(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; ``None`` if no parser reads it."""
    href = href.strip()
    return _joined(shared_base(base, href), href)


@short_strings_cache(maxsize=65536, longest=CACHED_URL_LENGTH)
def _joined(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def absolute(base: str, href: str) -> str | None:
    """``href`` from a page at ``base`` as a canonical URL; ``None`` if no parser reads it."""
    url = joined(base, href)
    return canonical_or_none(url) if url is not None else None


def canonical_or_none(url: str) -> str | None:
    """:func:`canonicalize`, or ``None`` for a URL no parser reads (a port of letters)."""
    try:
        return canonicalize(url)
    except ValueError:
        return None


@short_strings_cache(maxsize=65536, longest=CACHED_URL_LENGTH)
def canonicalize(url: str) -> str:
    """The canonical form of ``url``.

    Lowercases scheme and host, drops the default port, fragment, tracking,
    session and print-view parameters and first-page ``pageindex``, mends
    names escaped twice (``amp;print``), sorts what is left,
    and percent-encodes non-ASCII paths, in uppercase hex.  Cached: every page links to the
    same menus, so most calls repeat.

    >>> canonicalize("HTTPS://Xa.Gov.VN:443/tin-tuc/bai-1?utm_source=fb&pageindex=0#top")
    'https://xa.gov.vn/tin-tuc/bai-1'
    >>> canonicalize("http://xa.gov.vn/tin-tuc/bai-1?b=2&a=1&print=1")
    'http://xa.gov.vn/tin-tuc/bai-1?a=1&b=2'
    >>> canonicalize("http://xa.gov.vn/(S(lit3py55t21z5v55vlm25s55))/tin-tuc/bai-1.aspx")
    'http://xa.gov.vn/tin-tuc/bai-1.aspx'
    """
    parts = urlsplit(safe_url_string(url.strip()))
    scheme = parts.scheme.lower()
    host = url_host((parts.hostname or "").lower().rstrip("."))
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    if "%" in path:
        # RFC 3986 6.2.2.1: ``%e1`` is ``%E1``.  Portals percent-encode
        # Vietnamese in paths with either case, for one page.
        path = _ESCAPE.sub(_upper, path)
    # A link escaped twice in its HTML (``?id=5&amp;amp;print=1``) reads
    # ``amp;print``: the parameter meant is ``print``.
    named = ((_AMP.sub("", name), value) for name, value in query_pairs(parts.query))
    query = sorted((name, value) for name, value in named if _keep_param(name, value))
    return urlunsplit((scheme, host, path, query_string(query), ""))


def page_one_params(url: str) -> list[str]:
    """The names of ``url``'s page parameters set to ``1`` (``?page=1``), as written."""
    if "=1" not in url:  # most links: answered before any parsing
        return []
    return [
        name
        for name, value in parse_qsl(_parts(url).query, keep_blank_values=True)
        if value == "1" and _AMP.sub("", name).lower() in PAGE_PARAMS
    ]


def with_page_one(written: str, canonical: str) -> str:
    """``canonical`` with the ``?page=1`` of ``written`` put back.

    :func:`canonicalize` drops ``page=1`` as the first page, which it is
    where pages count from one.  Pagers counting from zero (Drupal's
    ``?page=1`` is the second page) link their second page so, and a pager of
    "next" links alone reached no page past the first.  For a pager's links
    whose numbers do not show them counting from one.
    """
    kept = page_one_params(written)
    if not kept:
        return canonical
    parts = _parts(canonical)
    pairs = query_pairs(parts.query)
    query = sorted([*pairs, *((_AMP.sub("", name), "1") for name in kept)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query_string(query), ""))


#: Among :func:`without_params`' names: a number standing alone as a parameter.
BARE_NUMBER = "<number>"


def is_bare_number(name: str, value: str) -> bool:
    """Whether a parsed query pair is a number standing alone (``?17747114``)."""
    return not value and name.isdigit()


def without_params(url: str, names: frozenset[str]) -> str:
    """``url`` without the query parameters called ``names`` (lowercase), still canonical.

    For the parameters a site turns out to change on every visit (a session
    token under a name nobody listed), learnt while crawling it.
    :data:`BARE_NUMBER` stands for a number with no name (``?17747114``).
    """
    if not names:  # most sites: asked of every link, so answered before any parsing
        return url
    parts = _parts(url)
    if not parts.query:
        return url
    bare = BARE_NUMBER in names
    query = [
        (name, value)
        for name, value in query_pairs(parts.query)
        if name.lower() not in names and not (bare and is_bare_number(name, value))
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query_string(query), ""))


def with_lowercase_path(url: str) -> str:
    """``url`` with its path lowercased: one spelling on a case-insensitive server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.lower(), parts.query, ""))


def without_trailing_slash(url: str) -> str:
    """``url`` with no slash ending its path (the root's kept): one spelling
    on a server that answers ``/bai-viet/`` and ``/bai-viet`` alike."""
    parts = urlsplit(url)
    if len(parts.path) <= 1 or not parts.path.endswith("/"):
        return url
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


#: A run of digits, abstracted away in URL shapes.
_DIGITS = re.compile(r"\d+")


@short_strings_cache(maxsize=65536, longest=CACHED_URL_LENGTH)
def url_shape(url: str) -> str:
    """The shape of ``url``: its path with every segment holding a digit abstracted
    (its extension kept), and its sorted parameter names with values abstracted.

    Pages of one shape are made by one template from one kind of id: the
    months of a calendar, the pages of a pager, the articles of a category.

    >>> url_shape("http://xa.gov.vn/lich-cong-tac?_8_year=2014&_8_month=7")
    '/lich-cong-tac?_8_month=*&_8_year=*'
    >>> url_shape("http://xa.gov.vn/portal/Pages/2024-5-17/Quang-Nham-12.aspx")
    '/portal/Pages/*/*.aspx'
    """
    parts = _parts(url)
    segments = []
    for segment in parts.path.split("/"):
        if _DIGITS.search(segment):
            dot = segment.rfind(".")
            extension = segment[dot:] if dot > 0 and not _DIGITS.search(segment[dot:]) else ""
            segment = "*" + extension
        segments.append(segment)
    # Names as written (not decoded): a shape is shown to the archivist as is.
    # A name of digits alone (a stray ``?17747114``) is a value, not a name.
    names = sorted(
        {
            "*" if name.isdigit() else name
            for pair in parts.query.split("&")
            if (name := pair.split("=", 1)[0])
        }
    )
    query = "&".join(f"{name}=*" for name in names)
    return "/".join(segments) + (f"?{query}" if query else "")


def directory_shape(shape: str) -> str:
    """A coarser shape: the last path segment abstracted too (``/tag/*``), for
    families of pages named by words rather than ids (tag clouds, link farms)."""
    path, _, query = shape.partition("?")
    directory = path.rsplit("/", 1)[0]
    return f"{directory}/*" + (f"?{query}" if query else "")


#: A date in a URL value, year first (``2038``, ``2038-01``, ``2038-01-31``) or
#: day first, as Vietnamese writes it (``31/01/2038``).
_YEAR_FIRST = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_DATE_IN_PATH = re.compile(r"(?<!\d)((?:19|20|21)\d{2})[-/](0?[1-9]|1[0-2])[-/](\d{1,2})(?!\d)")
#: Government news portals in Vietnam are younger than this.
OLDEST_PLAUSIBLE_YEAR = 1995
#: Days past today a date may run and still be news (time zones, a post
#: scheduled ahead, next week's work schedule).
_DAYS_AHEAD = 7


def url_dates(url: str) -> list[tuple[str, int, int | None, int | None]]:
    """The dates in ``url``'s query values and path: (as written, year,
    month, day), month and day ``None`` where the value has none."""
    parts = urlsplit(url)
    found = []
    for _, value in parse_qsl(parts.query, keep_blank_values=True):
        value = value.strip()
        if match := _YEAR_FIRST.match(value):
            year, month, day = match.groups()
        elif match := _DAY_FIRST.match(value):
            day, month, year = match.groups()
        else:
            continue
        if 1970 <= int(year) <= 2199:  # else a number, not a year
            found.append((value, int(year), _number(month), _number(day)))
    for match in _DATE_IN_PATH.finditer(parts.path):
        year, month, day = match.groups()
        found.append((match.group(0), int(year), int(month), int(day)))
    return found


def _number(digits: str | None) -> int | None:
    return None if digits is None else int(digits)


#: A path repeating a run of its segments this many times in a row loops.
_LOOPING_REPEATS = 3
#: Path segments past any portal's depth.
_MOST_SEGMENTS = 20


def looping_path(url: str) -> bool:
    """Whether ``url``'s path repeats a run of segments three times in a row
    (``/tag/gioi-thieu/gioi-thieu/gioi-thieu/``) or is deeper than any portal.

    A relative link on a page that a router answers at any depth resolves one
    level deeper on every visit; the path then loops, whatever its words
    (Heritrix's pathological-path and path-segment rules).
    """
    segments = [part for part in urlsplit(url).path.split("/") if part]
    if len(segments) > _MOST_SEGMENTS:
        return True
    for run in range(1, len(segments) // _LOOPING_REPEATS + 1):
        for start in range(len(segments) - run * _LOOPING_REPEATS + 1):
            first = segments[start : start + run]
            if all(
                segments[start + run * k : start + run * (k + 1)] == first
                for k in range(1, _LOOPING_REPEATS)
            ):
                return True
    return False


def implausible_date(url: str, today: date, *, whole_days: bool = False) -> str | None:
    """A date in ``url``'s query or path that no news can carry, as written:
    past today (a year: past next year), before the web, or no date at all
    (``2024-05-32``, a calendar's arithmetic running on).  A calendar or date
    archive running on, never an article.  ``whole_days``: only dates with a
    day (a year alone, ``?id=1990``, may be an id).

    >>> [implausible_date(f"/lich?ngay={d}", date(2026, 12, 3)) for d in
    ...  ("2026-12-05", "2027-01-15", "15/01/2027", "2027", "2028", "2024-05-32", "1990-01")]
    [None, '2027-01-15', '15/01/2027', None, '2028', '2024-05-32', '1990-01']
    """
    for value, year, month, day in url_dates(url):
        if whole_days and day is None:
            continue
        if not OLDEST_PLAUSIBLE_YEAR <= year <= today.year + 1:
            return value
        if month is None:
            continue  # a year alone: next year's plans are no trap
        try:
            first = date(year, month, day or 1)
        except ValueError:
            return value
        if first > today + timedelta(days=_DAYS_AHEAD):
            return value
    return None


#: Suffixes of the documents a portal attaches to its notices.
DOCUMENT_EXTENSIONS = frozenset(
    {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".zip", ".rar"}
)


def extension(url: str) -> str:
    """The URL path's suffix, lowercase with its dot (``.pdf``), or ``""``."""
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return path[dot:] if dot > path.rfind("/") else ""


def is_print_view(url: str) -> bool:
    """Whether ``url`` is a print view with a path of its own (``/news/print/…``)."""
    return bool(_PRINT_PATH.search(_parts(url).path))


def host_of(url: str) -> str:
    """The lowercase hostname of ``url`` (no port; an IPv6 address without brackets).

    An internationalised name (``xã.vn``) comes in its ASCII form
    (``xn--x-yfa.vn``), the one Scrapy sends and records: compared with the
    Unicode form, every link of such a portal looked off-site.
    """
    host = (_parts(url).hostname or "").lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return (_parts(safe_url_string(url)).hostname or "").lower().rstrip(".")
    except ValueError:  # a name IDNA cannot encode: it matches no domain either way
        return host


def ascii_domain(domain: str) -> str:
    """An ``allowed_domains`` entry (``host`` or ``host:port``), lowercase, its name in ASCII."""
    domain = domain.lower().strip(".")
    if domain.isascii() or "/" in domain:  # a path is no domain: left for the caller to report
        return domain
    try:
        return _parts(safe_url_string(f"http://{domain}/")).netloc.lower() or domain
    except ValueError:
        return domain


def url_host(host: str) -> str:
    """``host`` as a URL, a message or ``allowed_domains`` writes it: IPv6 in brackets.

    ``urlsplit(...).hostname`` drops them, and ``::1:8080`` is no address.
    """
    return f"[{host}]" if ":" in host else host


def is_private_address(host: str) -> bool:
    """Whether ``host`` is an IP literal (or ``localhost``) outside the public internet."""
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def resolves_to_private(host: str) -> bool:
    """Whether DNS maps ``host`` to any private or loopback address.

    A public-looking name can point inside the operator's network; checking
    the literal host alone would let such a link through.
    """
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False  # unresolvable: the download fails on its own
    return any(is_private_address(str(info[4][0])) for info in infos)


def within_domains(host: str, domains: list[str] | tuple[str, ...]) -> bool:
    """Whether ``host`` is one of ``domains`` (ports aside) or a subdomain of one."""
    names = (split_domain(domain)[0] for domain in domains)
    return any(host == name or host.endswith("." + name) for name in names)


#: The ports a bare domain covers: the web's defaults.
DEFAULT_PORTS = frozenset({80, 443})


def split_domain(domain: str) -> tuple[str, int | None]:
    """An ``allowed_domains`` entry as host and port: ``a.vn``, ``a.vn:8080``, ``[::1]:8080``."""
    if domain.startswith("["):
        host, _, rest = domain[1:].partition("]")
        port = rest.removeprefix(":")
    elif domain.count(":") == 1:
        host, _, port = domain.partition(":")
    else:
        host, port = domain, ""
    return host, whole_number(port, 5)


def port_of(url: str) -> int | None:
    """The port ``url`` reaches: the one written, else its scheme's default."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    return port or {"http": 80, "https": 443}.get(parts.scheme)


def origin_entry(url: str) -> str:
    """The ``allowed_domains`` entry covering ``url``'s origin: its host, with a port not 80/443."""
    host = url_host(host_of(url))
    port = port_of(url)
    if port is None or port in DEFAULT_PORTS:
        return host
    return f"{host}:{port}"


def within_site(url: str, domains: list[str] | tuple[str, ...]) -> bool:
    """Whether ``url``'s origin belongs to a site allowed ``domains``.

    The origin is scheme, host *and port*: a portal on ``10.0.0.5`` must not
    lead the crawl to Redis on ``10.0.0.5:6379``.  A bare domain covers its
    subdomains on the default ports; ``host:port`` adds that one port.  A
    ``www.`` host also covers its name without ``www.`` (a portal answers
    under both, and its templates write either), not that name's subdomains:
    ``www.nghean.gov.vn`` is not every district portal of Nghệ An.
    """
    host, port = host_of(url), port_of(url)
    for domain in domains:
        name, allowed_port = split_domain(domain)
        on_host = host == name or host.endswith("." + name) or name == "www." + host
        if on_host and (port == allowed_port or (allowed_port is None and port in DEFAULT_PORTS)):
            return True
    return False
