"""Find the date a page says its article was published.

The trap is page chrome: many portal headers print *today's* date.  A date
inside page chrome never counts; a date outside the article area, or above
the headline, does not count when it is the fetch day; and implausible dates
(before 1995, after the fetch) never count.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml.etree import _Element as Element

from extract.blocks import TextBlock, is_within
from extract.boilerplate import in_chrome
from extract.dates import find_date, is_plausible, parse_iso, same_day
from extract.families import GENERIC
from extract.memo import document_order
from extract.scope import Scope, value_text
from extract.select import nodes

_META_DATES = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//meta[@name='pubdate' or @name='publishdate' or @name='dc.date.issued']/@content",
)
_JSON_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')


def _value(text: str) -> datetime | None:
    found = find_date(text)
    return parse_iso(text) or (found.value if found else None)


class _Judge:
    """Applies the chrome and fetch-day rules to candidates."""

    def __init__(self, area: Element, title: Element | None, fetched_at: datetime) -> None:
        self.area = area
        self.fetched_at = fetched_at
        self.order = document_order(area.getroottree().getroot())
        self.title_at = self.order.get(title, -1) if title is not None else -1

    def inside(self, element: Element) -> bool:
        return is_within(element, self.area)

    def accept(self, value: datetime | None, element: Element | None) -> bool:
        if value is None or not is_plausible(value, self.fetched_at):
            return False
        if element is None:
            return True
        if in_chrome(element, self.area):
            return False
        return self.owned(element) or not same_day(value, self.fetched_at)

    def owned(self, element: Element) -> bool:
        """Whether ``element`` is in the article area, below its headline."""
        return self.inside(element) and self.order.get(element, 0) >= self.title_at


def _from_selectors(
    scope: Scope, judge: _Judge, queries: tuple[str, ...], *, owned: bool | None = None
) -> datetime | None:
    """The first date the ``queries`` find; with ``owned``, only in (``True``)
    or only out of (``False``) the article area below its headline."""
    for query in queries:
        for match in scope.outside_chrome(query):
            element = None if isinstance(match, str) else match
            if owned is not None and (element is not None and judge.owned(element)) != owned:
                continue
            attribute = None
            if element is not None:
                attribute = element.get("datetime") or element.get("content")
            value = _value(attribute or value_text(match))
            if judge.accept(value, element):
                return value
    return None


def _from_meta(scope: Scope, judge: _Judge) -> datetime | None:
    root = scope.selector.root
    values = [value for query in _META_DATES for value in nodes(root, query)]
    scripts = nodes(root, "//script[@type='application/ld+json']/text()")
    values += _JSON_LD_DATE.findall(" ".join(scripts))
    for text in values:
        value = _value(text)
        if judge.accept(value, None):
            return value
    return None


def _from_lines(judge: _Judge, lines: list[TextBlock], title: Element | None) -> datetime | None:
    headline = " ".join(title.xpath("string()").split()) if title is not None else None
    for line in lines:
        if headline and " ".join(line.text.split()) == headline:
            continue  # "Thông báo lịch cắt điện ngày 28/11/2024": the event's day
        found = find_date(line.text)
        if found and judge.accept(found.value, line.element):
            return found.value
    return None


def page_date(
    scope: Scope,
    *,
    area: Element,
    lines: list[TextBlock],
    title: Element | None,
    fetched_at: datetime,
) -> datetime | None:
    """The publication date printed on the page, or ``None``.

    Looked for in the preset's date selectors, then meta tags and JSON-LD,
    then the generic date selectors in the article area, then ``lines``: the
    short lines of the article area outside its body, chrome and related
    lists; last the generic selectors elsewhere.  A header's "Thứ 3, Ngày
    16/07/2024" in a ``class="date"`` was taken over the article's own
    "02/02/2023 08:07" under its headline whenever the header's day was not
    the fetch day (a page cached, or restored from an old capture).
    """
    judge = _Judge(area, title, fetched_at)
    own: tuple[str, ...] = ()
    if scope.family is not GENERIC or scope.overrides.get("published"):
        own = scope.family.queries("published", scope.overrides)
    generic = tuple(query for query in scope.queries("published") if query not in own)
    return (
        _from_selectors(scope, judge, own)
        or _from_meta(scope, judge)
        or _from_selectors(scope, judge, generic, owned=True)
        or _from_lines(judge, lines, title)
        or _from_selectors(scope, judge, generic, owned=False)
    )
