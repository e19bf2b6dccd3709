"""The site registry: ``sites.toml``, where archivists describe their portals.

Each ``[[site]]`` block is parsed and validated on its own, so one bad entry
is reported with its line and skipped while every other site still crawls.
An optional ``[crawler]`` table at the top holds crawl-wide options, and an
optional ``[search]`` table which search backend ``dna search`` uses.

A site's ``schedule`` is a cron string (a ``new`` crawl), a table
``{ cron = "0 3 * * 0", mode = "full" }``, or a list of either, so one portal
can have a daily ``new`` crawl and a weekly ``full`` one.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.tz import tzlocal
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from archive.layout import DataDir
from archive.records import VIETNAM_TZ
from crawler.schedule.rules import Schedule, parse_schedule
from extract.urls import (
    ascii_domain,
    host_of,
    origin_entry,
    split_domain,
    url_host,
    within_site,
)
from places.gazetteer import PlaceError, gazetteer

#: How a problem of TOML syntax (as opposed to a value) starts its message.
TOML_SYNTAX = "TOML syntax"
FAMILIES = ("liferay", "tandan", "vnportal", "nukeviet", "auto")
#: Where a portal sits, by its old (pre-2025) units, most general first.
PLACE_KEYS = ("province", "district", "commune")
SELECTOR_FIELDS = ("title", "published", "author", "summary", "body", "views", "category", "tags")
SITE_KEYS = frozenset(
    {
        "name",
        "title",
        "start_urls",
        "allowed_domains",
        "family",
        "article_pattern",
        "listing_pattern",
        "selectors",
        "max_pages",
        "max_minutes",
        "max_depth",
        "since",
        "schedule",
        *PLACE_KEYS,
    }
)
CRAWLER_KEYS = {
    "contact": ("DNA_CONTACT", str),
    "operator": ("DNA_OPERATOR", str),
    "download_delay": ("DOWNLOAD_DELAY", float),
    "concurrency_per_host": ("CONCURRENT_REQUESTS_PER_DOMAIN", int),
    "autothrottle": ("AUTOTHROTTLE_ENABLED", bool),
    "obey_robots": ("ROBOTSTXT_OBEY", bool),
    "timeout": ("DOWNLOAD_TIMEOUT", float),
    "retry_times": ("RETRY_TIMES", int),
    # The longest a retry or a host's pause waits, whatever a portal asks.
    "retry_wait_max": ("DNA_RETRY_BACKOFF_MAX", float),
    "max_page_size": ("DOWNLOAD_MAXSIZE", int),
    "warc_max_size": ("DNA_WARC_MAX_SIZE", int),
    "fetch_media": ("DNA_FETCH_MEDIA", bool),
    "dedup": ("DNA_DEDUP", bool),
    "conditional_get": ("DNA_CONDITIONAL_GET", bool),
    "new_stop_after": ("DNA_NEW_STOP_AFTER", int),
    "recheck_archived": ("DNA_RECHECK_ARCHIVED", bool),
    "min_free_mb": ("DNA_MIN_FREE_MB", int),
    "sites_at_once": ("DNA_SITES_AT_ONCE", int),
    # Every site's budgets, unless its own block sets them.
    "max_pages": ("DNA_MAX_PAGES", int),
    "max_minutes": ("DNA_MAX_MINUTES", float),
    "trap_pages": ("DNA_TRAP_PAGES", int),
    "max_queued_per_shape": ("DNA_MAX_QUEUED_PER_SHAPE", int),
    "max_links_per_page": ("DNA_MAX_LINKS_PER_PAGE", int),
    # The zone schedules' cron times are in (IANA name); the machine's own by default.
    "timezone": ("DNA_TIMEZONE", str),
}
#: ``[crawler]`` keys that must be above zero: at 0 a crawl would never send a
#: request (``concurrency_per_host``), time out every one, or read pages of
#: any size (Scrapy takes a size limit of 0 as none).
POSITIVE_CRAWLER_KEYS = frozenset(
    {
        "max_pages",
        "max_minutes",
        "trap_pages",
        "max_queued_per_shape",
        "max_links_per_page",
        "concurrency_per_host",
        "timeout",
        "max_page_size",
        "warc_max_size",
        "new_stop_after",
        "retry_wait_max",
        "sites_at_once",
    }
)
#: ``[crawler]`` keys where 0 means none (no delay, no retries, no disk guard), but
#: below zero means nothing.
NON_NEGATIVE_CRAWLER_KEYS = frozenset({"download_delay", "retry_times", "min_free_mb"})
MIN_DOWNLOAD_DELAY = 0.001
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")
#: A site's table header, or one mistyped (``[[site]``, ``[site]``): the
#: entry starts there either way, so that a typo costs its own entry, not
#: the entry above it too.
SITE_HEADER = re.compile(r"^\s*\[\[?\s*site\s*\]?\]?\s*(?:#.*)?$")
_NAME_LINE = re.compile(r"^\s*name\s*=\s*[\"']([^\"'\n]+)[\"']", re.MULTILINE)
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_SCHEDULE_START = re.compile(r"^\s*(?:schedule\s*=|\[\[\s*site\.schedule\s*\]\])", re.MULTILINE)
_CSS = HTMLTranslator()


class SitesFileError(Exception):
    """The sites file as a whole cannot be used (missing, unreadable)."""


@dataclass(frozen=True, slots=True)
class SiteProblem:
    """A validation error, with where it is."""

    path: Path
    line: int
    message: str
    name: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return (
            f"{where}: site {self.name!r}: {self.message}"
            if self.name
            else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class SiteConfig:
    """One portal to crawl, validated.

    :param name: slug, also the WARC directory and file prefix.
    :param family: a CMS family name, or ``auto`` to detect from the pages.
    :param article_pattern: regex on URLs that marks article pages.
    :param listing_pattern: regex on URLs that marks listing pages.
    :param selectors: CSS or XPath overrides per extracted field.
    :param max_pages: the crawl's page budget (``[crawler] max_pages`` if unset).
    :param max_minutes: the crawl's time budget (``[crawler] max_minutes`` if unset).
    :param since: skip articles published before this day.
    :param schedules: when ``dna schedule run`` crawls it, and in which mode.
    :param province: the old province the portal serves, as written.
    :param district: its old district, as written.
    :param commune: its old commune or ward, for commune portals.
    :param place: the gazetteer code of the most precise of those units.
    :param line: where the block starts in ``sites.toml``.
    """

    name: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    title: str | None = None
    family: str = "auto"
    article_pattern: re.Pattern[str] | None = None
    listing_pattern: re.Pattern[str] | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    max_pages: int | None = None
    max_minutes: float | None = None
    max_depth: int | None = None
    since: date | None = None
    schedules: tuple[Schedule, ...] = ()
    province: str | None = None
    district: str | None = None
    commune: str | None = None
    place: str | None = None
    line: int = 0


@dataclass
class SitesFile:
    """A parsed ``sites.toml``: the valid sites, the problems, crawl-wide options."""

    path: Path
    sites: list[SiteConfig]
    problems: list[SiteProblem]
    crawler: dict[str, Any]
    #: ``[search]`` options (``backend``), checked by the search package.
    search: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> SiteConfig | None:
        """The valid site called ``name``."""
        return next((site for site in self.sites if site.name == name), None)

    def scrapy_settings(self) -> dict[str, Any]:
        """``[crawler]`` options as Scrapy settings."""
        settings = {CRAWLER_KEYS[key][0]: value for key, value in self.crawler.items()}
        # Scrapy 2.14 to 2.19 stop enforcing the per-host concurrency limit
        # when the delay is exactly 0 (each queued request is sent at once);
        # a millisecond keeps the limit and costs nothing.
        if "DOWNLOAD_DELAY" in settings:
            settings["DOWNLOAD_DELAY"] = max(settings["DOWNLOAD_DELAY"], MIN_DOWNLOAD_DELAY)
        if "DNA_CONTACT" in settings:
            settings["USER_AGENT"] = f"dna/0.1 (District News Archive; +{settings['DNA_CONTACT']})"
        return settings

    @property
    def timezone(self) -> tzinfo:
        """The zone of schedules' cron times: ``[crawler] timezone``, else the machine's."""
        name = self.crawler.get("timezone")
        return ZoneInfo(name) if name else tzlocal()


def sites_path(data: str | os.PathLike[str] | None, sites: str | os.PathLike[str] | None) -> Path:
    """``--sites``, else ``$DNA_SITES``, else ``sites.toml`` in the data directory."""
    chosen = sites or os.environ.get("DNA_SITES")
    return Path(chosen) if chosen else DataDir.resolve(data).sites_file


def load_sites(path: Path) -> SitesFile:
    """Parse and validate ``path``; a missing file is an empty registry."""
    if not path.exists():
        return SitesFile(path, [], [], {})
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SitesFileError(f"cannot read {path}: {exc}") from None
    lines = text.splitlines(keepends=True)
    starts = [number for number, line in enumerate(lines) if SITE_HEADER.match(line)]
    problems: list[SiteProblem] = []
    preamble = "".join(lines[: starts[0] if starts else len(lines)])
    crawler = _parse_preamble(path, preamble, problems)
    search = _parse_search(path, preamble, problems)
    sites: list[SiteConfig] = []
    seen: set[str] = set()
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        site = _parse_block(path, lines[start:end], start + 1, problems)
        if site is None:
            continue
        if site.name in seen:
            problems.append(SiteProblem(path, site.line, "duplicate name, skipped", site.name))
            continue
        seen.add(site.name)
        sites.append(site)
    return SitesFile(path, sites, problems, crawler, search)


def _toml_error(
    path: Path, exc: tomllib.TOMLDecodeError, first_line: int, name: str | None = None
) -> SiteProblem:
    match = _TOML_LINE.search(str(exc))
    line = first_line + int(match.group(1)) - 1 if match else first_line
    message = _TOML_LINE.sub("", str(exc)).strip()
    return SiteProblem(path, line, f"{TOML_SYNTAX}: {message}", name)


def _parse_preamble(path: Path, text: str, problems: list[SiteProblem]) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(_toml_error(path, exc, 1))
        return {}
    for key in data:
        if key not in ("crawler", "search"):
            problems.append(SiteProblem(path, _key_line(text, key, 1), f"unknown key {key!r}"))
    options = data.get("crawler", {})
    valid: dict[str, Any] = {}
    for key, value in options.items():
        line = _key_line(text, key, 1)
        if key not in CRAWLER_KEYS:
            known = ", ".join(sorted(CRAWLER_KEYS))
            problems.append(
                SiteProblem(path, line, f"unknown [crawler] key {key!r} (known: {known})")
            )
            continue
        kind = CRAWLER_KEYS[key][1]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if why := _crawler_value_problem(key, value, kind):
            # Said, or a mistyped time zone moved every schedule unseen.
            problems.append(SiteProblem(path, line, f"{why}; its default is used"))
            continue
        valid[key] = value
    return valid


def _crawler_value_problem(key: str, value: object, kind: type) -> str | None:
    """Why ``value`` cannot be ``[crawler]``'s ``key``, or ``None``."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return f"[crawler] {key} must be {kind.__name__}"
    if kind is float and not math.isfinite(value):  # type: ignore[arg-type]  # TOML reads nan and inf
        return f"[crawler] {key} must be a finite number"
    if key in POSITIVE_CRAWLER_KEYS and not value > 0:  # type: ignore[operator]
        return f"[crawler] {key} must be a positive number"
    if key in NON_NEGATIVE_CRAWLER_KEYS and value < 0:  # type: ignore[operator]
        return f"[crawler] {key} must be 0 or more"
    if key == "timezone" and not _is_zone(value):  # type: ignore[arg-type]
        return f"unknown time zone {value!r} (e.g. 'Asia/Ho_Chi_Minh')"
    return None


def _parse_search(path: Path, text: str, problems: list[SiteProblem]) -> dict[str, Any]:
    """The ``[search]`` table: ``backend``, a string (its value is checked where it is used)."""
    try:
        options = tomllib.loads(text).get("search", {})
    except tomllib.TOMLDecodeError:
        return {}  # reported by _parse_preamble
    valid: dict[str, Any] = {}
    for key, value in options.items():
        line = _key_line(text, key, 1)
        if key != "backend":
            message = f"unknown [search] key {key!r} (known: backend)"
            problems.append(SiteProblem(path, line, message))
        elif not isinstance(value, str):
            problems.append(SiteProblem(path, line, "[search] backend must be str"))
        else:
            valid[key] = value
    return valid


def _key_line(text: str, key: str, first_line: int) -> int:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=", re.MULTILINE)
    match = pattern.search(text)
    return first_line + text.count("\n", 0, match.start()) if match else first_line


def _parse_block(
    path: Path, lines: list[str], first_line: int, problems: list[SiteProblem]
) -> SiteConfig | None:
    text = "".join(lines)
    # Named if its name can be read: `dna crawl NAME` then shows the problem.
    named = _NAME_LINE.search(text)
    try:
        entries = tomllib.loads(text)["site"]
    except tomllib.TOMLDecodeError as exc:
        problems.append(_toml_error(path, exc, first_line, named and named.group(1)))
        return None
    if not isinstance(entries, list):  # [site], a table: valid TOML, not an entry
        message = "a site's entry starts with [[site]], in double brackets"
        problems.append(SiteProblem(path, first_line, message, named and named.group(1)))
        return None
    entry = entries[0]
    name = entry.get("name") if isinstance(entry.get("name"), str) else None

    def problem(message: str, key: str | None = None) -> None:
        line = _key_line(text, key, first_line) if key else first_line
        problems.append(SiteProblem(path, line, message, name))

    before = len(problems)
    for key in entry:
        if key not in SITE_KEYS:
            problem(f"unknown key {key!r} (known: {', '.join(sorted(SITE_KEYS))})", key)
    if name is None:
        problem("missing 'name'")
    elif not _NAME.match(name):
        problem("unsafe name: use lowercase letters, digits and '-' (it names files)", "name")

    start_urls = entry.get("start_urls")
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not start_urls or not isinstance(start_urls, list):
        problem('missing start URL: give start_urls = ["https://…"]', "start_urls")
        start_urls = []
    # A bad start URL is its own problem, not also a bad domain: good ones alone go on.
    good_urls = []
    for url in start_urls:
        if not isinstance(url, str):
            problem(f"start URL {url!r} is not an http(s) URL", "start_urls")
        elif why := web_url_problem(url):
            problem(f"start URL {why}", "start_urls")
        else:
            good_urls.append(url)

    allowed = entry.get("allowed_domains") or sorted({url_host(host_of(u)) for u in good_urls})
    if not isinstance(allowed, list) or not all(isinstance(d, str) and d for d in allowed):
        problem("allowed_domains must be a list of host names", "allowed_domains")
        allowed = []
    allowed = [ascii_domain(d) for d in allowed]
    for domain in allowed:
        bracketed = domain.startswith("[") and domain.endswith("]")  # an IPv6 address
        if "/" in domain or (":" in domain and split_domain(domain)[1] is None and not bracketed):
            problem(
                f"allowed domain {domain!r} must be a host name, or host:port for another port",
                "allowed_domains",
            )
    # A start URL's own origin (with its port) is always the site's.
    allowed += [origin_entry(u) for u in good_urls if not within_site(u, allowed)]

    title = entry.get("title")
    if title is not None and not isinstance(title, str):
        problem('title must be a string such as "Xã Thanh Liên"', "title")

    family = entry.get("family", "auto")
    if family not in FAMILIES:
        problem(f"unknown family {family!r} (one of {', '.join(FAMILIES)})", "family")

    patterns = {}
    for key in ("article_pattern", "listing_pattern"):
        if key in entry:
            try:
                # Case aside: IIS portals link /ArticleID/ and /articleid/ alike.
                patterns[key] = re.compile(entry[key], re.IGNORECASE)
            except (re.error, TypeError) as exc:
                problem(f"invalid regex in {key}: {exc}", key)

    selectors = entry.get("selectors", {})
    if not isinstance(selectors, dict):
        problem("selectors must be a table of field = selector", "selectors")
        selectors = {}
    for fieldname, selector in selectors.items():
        if fieldname not in SELECTOR_FIELDS:
            problem(
                f"unknown selector field {fieldname!r} (one of {', '.join(SELECTOR_FIELDS)})",
                fieldname,
            )
        elif not isinstance(selector, str):
            problem(f"selector for {fieldname} must be a string", fieldname)
        elif error := _selector_error(selector):
            problem(f"invalid selector for {fieldname}: {error}", fieldname)

    limits = {}
    for key in ("max_pages", "max_depth"):
        if key in entry:
            value = entry[key]
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < (key == "max_pages")
            ):
                problem(
                    f"{key} must be a whole number{' of at least 1' if key == 'max_pages' else ''}",
                    key,
                )
            else:
                limits[key] = value
    if "max_minutes" in entry:
        value = entry["max_minutes"]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 < value < math.inf
        ):
            problem("max_minutes must be a positive number of minutes", "max_minutes")
        else:
            limits["max_minutes"] = float(value)
    since = entry.get("since")
    if since is not None:
        since = _as_date(since)
        if since is None:
            problem("since must be a date such as 2020-01-31", "since")
        elif why := future_since(since):
            problem(why, "since")

    schedules = []
    for value in _schedule_entries(entry.get("schedule")):
        line = _schedule_line(text, first_line, value)
        schedule = parse_schedule(value, line)
        if isinstance(schedule, str):
            problems.append(SiteProblem(path, line, schedule, name))
        else:
            schedules.append(schedule)
    names = {key: entry[key] for key in PLACE_KEYS if key in entry}
    place = None
    if bad := next((key for key, value in names.items() if not isinstance(value, str)), None):
        problem(f'{bad} must be a name such as "Nghệ An"', bad)
    elif names:
        try:
            place = gazetteer().locate(**names).code
        except PlaceError as exc:
            problem(str(exc), next(reversed(names)))

    if len(problems) > before:
        return None
    return SiteConfig(
        name=name,  # type: ignore[arg-type]
        start_urls=tuple(start_urls),
        allowed_domains=tuple(allowed),
        title=title,
        family=family,
        article_pattern=patterns.get("article_pattern"),
        listing_pattern=patterns.get("listing_pattern"),
        selectors=dict(selectors),
        max_pages=limits.get("max_pages"),
        max_minutes=limits.get("max_minutes"),
        max_depth=limits.get("max_depth"),
        since=since,
        schedules=tuple(schedules),
        **names,
        place=place,
        line=first_line,
    )


def _schedule_entries(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _schedule_line(text: str, first_line: int, value: object) -> int:
    """The line of a schedule entry: where its cron is written, else the schedule key."""
    start = _SCHEDULE_START.search(text)
    offset = start.start() if start else 0
    cron = value.get("cron") if isinstance(value, dict) else value
    if isinstance(cron, str) and cron and (found := text.find(cron, offset)) >= 0:
        offset = found
    return first_line + text.count("\n", 0, offset)


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def future_since(since: date) -> str | None:
    """Why ``since`` keeps every article out (a day after today in Vietnam), or ``None``."""
    today = datetime.now(VIETNAM_TZ).date()
    if since <= today:
        return None
    return f"since {since:%Y-%m-%d} is after today ({today:%Y-%m-%d}): no article could be kept"


def web_url_problem(url: str) -> str | None:
    """What keeps ``url`` from being a portal's address, or ``None`` for an http(s) URL.

    Said so that the fix is plain: a host typed without ``https://``, a
    port that is no port.  A user name or password is refused: dna fetches
    public pages, and would write them into every WARC record it keeps.
    """
    shown = repr(url)
    if CONTROL_OR_SPACE.search(url):
        return f"{shown} has a space or control character in it"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return f"{shown} is not a URL that can be read (check the host and port)"
    if parts.scheme not in ("http", "https"):
        if "://" not in url:
            return f"{shown} has no http:// or https:// (did you mean 'https://{url}'?)"
        return f"{shown} is not an http(s) URL"
    if not parts.hostname:
        return f"{shown} has no host"
    if parts.username is not None or parts.password is not None:
        return (
            f"{parts.scheme}://…@{parts.netloc.rpartition('@')[2]}{parts.path} carries a user "
            "name or password: dna archives public pages, and would write them into its WARC "
            "files; remove them"
        )
    return None


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _selector_error(selector: str) -> str | None:
    try:
        if selector.startswith(("/", "(")):
            etree.XPath(selector)
        else:
            _CSS.css_to_xpath(selector)
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return None


def validate_name(name: str) -> str | None:
    """Why ``name`` cannot name a site, or ``None`` if it can."""
    if not _NAME.match(name):
        return f"unsafe name {name!r}: use lowercase letters, digits and '-' (it names files)"
    return None
