"""Read dates the way Vietnamese portals print them.

Day comes before month, times are local (UTC+07:00), and the time may stand
before or after the date: "12/04/2017 | 3:39 PM", "Đăng ngày 17 - 05 - 2024",
"11:16 | 18/01/2022 | 1.026 lượt xem", "Vinh, ngày 27 tháng 11 năm 2008".
Every result is timezone-aware and in Vietnam time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import NamedTuple

from archive.records import VIETNAM_TZ

#: Nothing on these portals predates them.
EARLIEST = datetime(1995, 1, 1, tzinfo=VIETNAM_TZ)
#: Clock skew and time zones allowed past the fetch time.
_FUTURE_SLACK = timedelta(days=1)

_YEAR = r"((?:19|20)\d{2})"
_DAY_FIRST = re.compile(r"(?<![\d/.-])(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*" + _YEAR + r"(?!\d)")
_YEAR_FIRST = re.compile(r"(?<!\d)" + _YEAR + r"([/.-])(\d{1,2})\2(\d{1,2})(?![\d/.-])")
_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+" + _YEAR, re.IGNORECASE)
_TIME = (
    r"(\d{1,2})\s*[:hH]\s*(\d{2})(?:\s*:\s*(\d{2}))?"
    r"(?:\s*(?:([AaPp])\.?[Mm]\.?|(SA|CH))(?![^\W\d_]))?"
)
_TIME_AFTER = re.compile(r"[\s|,\-–—(]*(?:lúc\s*)?" + _TIME + r"(?![\d:])")
_TIME_BEFORE = re.compile(r"(?<![\d:])" + _TIME + r"[\s|,\-–—)]*(?:ngày\s*)?$", re.IGNORECASE)
#: How far before a date a leading time ("11:16 | 18/01/2022") may start.
_TIME_BEFORE_WINDOW = 24
_URL_DATES = (
    re.compile(r"/" + _YEAR + r"-(\d{1,2})-(\d{1,2})(?=/)"),
    re.compile(r"/" + _YEAR + r"/(\d{1,2})/(\d{1,2})(?=/)"),
)
#: What a line may hold besides a date and still be only a date line.
_DATELINE_WORDS = 4
#: How long a line holding a date and other facts of the article may be.
_SHORT_LINE = 80


class DateMatch(NamedTuple):
    """A date found in text, with where its printed form starts and ends."""

    value: datetime
    start: int
    end: int


_Clock = tuple[int, int, int]


def _make(year: int, month: int, day: int, clock: _Clock = (0, 0, 0)) -> datetime | None:
    try:
        return datetime(year, month, day, *clock, tzinfo=VIETNAM_TZ)
    except ValueError:
        return None


def _clock(match: re.Match[str]) -> _Clock | None:
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    meridiem = (match[4] or "").lower() or {"SA": "a", "CH": "p"}.get(match[5] or "", "")
    if meridiem and not 1 <= hour <= 12:
        return None
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _time_near(text: str, start: int, end: int) -> tuple[_Clock | None, int, int]:
    after = _TIME_AFTER.match(text, end)
    if after and (clock := _clock(after)):
        return clock, start, after.end()
    window = max(0, start - _TIME_BEFORE_WINDOW)
    before = _TIME_BEFORE.search(text[window:start])
    if before and (clock := _clock(before)):
        return clock, window + before.start(), end
    return None, start, end


def _day_month(first: int, second: int) -> tuple[int, int]:
    """Day-first, unless only month-first makes sense (en-US "5/17/2024")."""
    if first <= 12 < second:
        return second, first
    return first, second


def _candidates(text: str) -> list[tuple[int, int, int, int, int]]:
    """(start, end, year, month, day) for every date-shaped match."""
    found = []
    for match in _DAY_FIRST.finditer(text):
        day, month = _day_month(int(match[1]), int(match[3]))
        found.append((match.start(), match.end(), int(match[4]), month, day))
    for match in _YEAR_FIRST.finditer(text):
        found.append((match.start(), match.end(), int(match[1]), int(match[3]), int(match[4])))
    for match in _WORDS.finditer(text):
        found.append((match.start(), match.end(), int(match[3]), int(match[2]), int(match[1])))
    return sorted(found)


def find_date(text: str) -> DateMatch | None:
    """The first printed date in ``text``, with its time when one stands next to it.

    >>> find_date("Thứ tư - 28/04/2021 05:21").value.isoformat()
    '2021-04-28T05:21:00+07:00'
    >>> find_date("11:16 | 18/01/2022 | 1.026 lượt xem").value.isoformat()
    '2022-01-18T11:16:00+07:00'
    """
    for start, end, year, month, day in _candidates(text):
        if _make(year, month, day) is None:
            continue
        clock, start, end = _time_near(text, start, end)
        value = _make(year, month, day, clock or (0, 0, 0))
        if value is not None:
            return DateMatch(value, start, end)
    return None


def parse_iso(value: str) -> datetime | None:
    """An ISO 8601 value from a meta tag or JSON-LD; naive times are Vietnam time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM_TZ)
    return parsed.astimezone(VIETNAM_TZ)


def parse_http_date(value: str) -> datetime | None:
    """An HTTP date (``Last-Modified``) in Vietnam time."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(VIETNAM_TZ)


def parse_feed_date(value: str | None) -> datetime | None:
    """A sitemap's ``lastmod`` (ISO 8601, Vietnam time where it names no
    zone) or a feed's ``pubDate`` (RFC 822), in Vietnam time."""
    if not value:
        return None
    return parse_iso(value) or parse_http_date(value.strip())


def date_from_url(url: str) -> datetime | None:
    """A date in the URL path: ``/Pages/2024-5-17/…`` or ``/2021/04/28/…``."""
    for pattern in _URL_DATES:
        match = pattern.search(url)
        if match:
            return _make(int(match[1]), int(match[2]), int(match[3]))
    return None


def is_plausible(value: datetime, fetched_at: datetime) -> bool:
    """Not before the portals existed, not (much) after the page was fetched."""
    return EARLIEST <= value <= fetched_at + _FUTURE_SLACK


def same_day(value: datetime, fetched_at: datetime) -> bool:
    """Whether ``value`` falls on the fetch day, in Vietnam."""
    return value.astimezone(VIETNAM_TZ).date() == fetched_at.astimezone(VIETNAM_TZ).date()


def is_short_date_line(text: str) -> bool:
    """Whether a short line holds a date, whatever else it says
    ("Đăng lúc: 11:00 ngày 28/08/2025 | Số lượt xem: 107")."""
    return len(text) <= _SHORT_LINE and find_date(text) is not None


def is_dateline(text: str) -> bool:
    """Whether a line holds a date and little else ("Ngày đăng: 12/04/2017 | 3:39 PM")."""
    match = find_date(text)
    if match is None:
        return False
    rest = text[: match.start] + " " + text[match.end :]
    return len(re.findall(r"[^\W\d_]+", rest)) <= _DATELINE_WORDS
