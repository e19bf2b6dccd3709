"""What a crawl left out on purpose: trap shapes stopped, budgets reached.

A crawl that stops a trap or reaches its page or time budget has done its
job and is not a failed crawl, but the archivist must see what was cut off:
the crawl summary, the log and ``dna crawls`` all show these lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.sites import SiteConfig

#: Scrapy's close reasons for the two budgets (CloseSpider extension).
PAGE_BUDGET = "closespider_pagecount"
TIME_BUDGET = "closespider_timeout"


def site_budgets(site: SiteConfig, settings: Settings) -> tuple[int, float]:
    """The page and time (minutes) budgets of ``site``'s crawl: its own, else the defaults."""
    pages = site.max_pages or settings.getint("DNA_MAX_PAGES")
    minutes = site.max_minutes or settings.getfloat("DNA_MAX_MINUTES")
    return pages, minutes


def cut_off(reason: str | None, stats: Mapping[str, Any]) -> list[str]:
    """One line per part of the crawl cut off, e.g.
    ``trap: /lich-cong-tac?_8_month=*&_8_year=* stopped after 12 pages`` or
    ``page budget: stopped at 100000 pages (max_pages)``."""
    lines = list(stats.get("dna/cut_off") or [])
    if reason == PAGE_BUDGET:
        lines.append(f"page budget: stopped at {stats.get('dna/budget_pages')} pages (max_pages)")
    elif reason == TIME_BUDGET:
        minutes = stats.get("dna/budget_minutes") or 0
        lines.append(f"time budget: stopped after {minutes:g} minutes (max_minutes)")
    return lines
