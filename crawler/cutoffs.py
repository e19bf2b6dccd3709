"""What a crawl left out: trap shapes stopped, budgets reached, what robots.txt
disallows, a site it could not enter, pages whose URL reads as an article's
that held none.

A crawl that stops a trap or reaches its page or time budget has done its
job and is not a failed crawl, but the archivist must see what was cut off:
the crawl summary, the log and ``dna crawls`` all show these lines.  So does
a crawl whose pages answered but link to nothing on the site (a portal built
in the browser by JavaScript, or a bot check that sets a cookie by script and
reloads): it ends "finished" with nothing archived, and would pass unseen
among a fleet's crawls; and a crawl in which archived articles' URLs came to
show other texts (a portal taken over, or closed with one notice at every
address), which would pass as ordinary updates; a full crawl fetching
under a third of the pages the last whole one did (every URL redirected
to one "this portal has moved" page); and archived articles it found
deleted from the portal (:mod:`crawler.extensions.recheck`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crawler.sitemaps import BARREN_IN_A_ROW

if TYPE_CHECKING:
    from scrapy.settings import Settings
    from scrapy.statscollectors import StatsCollector

    from crawler.sites import SiteConfig

#: Pages of the last whole crawl from which a full crawl fetching under a third
#: as many is said: a small portal's count moves more by chance.
FEWER_PAGES_FROM = 8
#: Scrapy's close reasons for the two budgets (CloseSpider extension).
PAGE_BUDGET = "closespider_pagecount"
TIME_BUDGET = "closespider_timeout"


def site_budgets(site: SiteConfig, settings: Settings) -> tuple[int, float]:
    """The page and time (minutes) budgets of ``site``'s crawl: its own, else the defaults."""
    pages = site.max_pages or settings.getint("DNA_MAX_PAGES")
    minutes = site.max_minutes or settings.getfloat("DNA_MAX_MINUTES")
    return pages, minutes


def note_links_cut(stats: StatsCollector, url: str, most: int) -> None:
    """The page at ``url`` had links to more than ``most`` URLs: only its first were read."""
    stats.inc_value("dna/links_cut")
    if stats.get_value("dna/links_cut_example") is None:
        stats.set_value("dna/links_cut_example", url)
        stats.set_value("dna/max_links_per_page", most)


def note_sitemaps_left(stats: StatsCollector, count: int, example: str) -> None:
    """``count`` child sitemaps (``example`` among them) were left unfetched."""
    stats.inc_value("dna/sitemaps_left", count)
    if stats.get_value("dna/sitemaps_left_example") is None:
        stats.set_value("dna/sitemaps_left_example", example)


def note_unextracted(stats: StatsCollector, url: str) -> None:
    """The page at ``url``, an article's by its URL, held no article text."""
    if stats.get_value("dna/unextracted_example") is None:
        stats.set_value("dna/unextracted_example", url)


def cut_off(reason: str | None, stats: Mapping[str, Any]) -> list[str]:
    """One line per part of the crawl cut off, e.g.
    ``trap: /lich-cong-tac?_8_month=*&_8_year=* stopped after 12 pages``,
    ``page budget: stopped at 100000 requests sent (max_pages)``, ``robots.txt: …`` or
    ``whole site: …``."""
    lines = list(stats.get("dna/cut_off") or [])
    before, pages = stats.get("dna/pages_before") or 0, stats.get("dna/pages") or 0
    fewer = before >= FEWER_PAGES_FROM and pages * 3 < before
    if stats.get("dna/pages_ok") and not stats.get("dna/site_links"):
        # Finished, with nothing archived but the first page or two: say why.
        lines.append(
            f"whole site: its pages link to nothing on the site, where the last whole "
            f"crawl fetched {before} pages: has the portal moved, closed or been parked?"
            if fewer
            else "whole site: its pages link to nothing on the site"
            " (built by JavaScript, or a bot check?)"
        )
    elif fewer and reason == "finished":
        # Every URL redirected to one "this site has moved" page: 'finished', 0 errors.
        lines.append(
            f"fewer pages: {pages} fetched, where the last whole crawl fetched {before}: "
            "has the portal moved, closed or changed its links?"
        )
    if moved := stats.get("dna/moved_to"):
        lines.append(
            f"moved: a start page redirects off the site, to {moved}: has the portal moved? "
            "Add the new address (dna sites add), or put it in the site's start_urls"
        )
    if forbidden := stats.get("dna/robots_forbidden"):
        # Else a portal closed to crawlers by its robots.txt ends "failed"
        # with no reason given anywhere.
        lines.append(f"robots.txt: {forbidden} request(s) disallowed, not sent (obey_robots)")
    if unreachable := stats.get("dna/robots_unreachable"):
        lines.append(
            f"robots.txt unreachable: {unreachable} request(s) not sent "
            "(RFC 9309: a robots.txt that cannot be read disallows all)"
        )
    if pages := stats.get("dna/links_cut"):
        lines.append(
            f"link cap: {pages} page(s) linked to more than "
            f"{stats.get('dna/max_links_per_page')} URLs; the rest of their links not "
            f"followed (max_links_per_page; e.g. {stats.get('dna/links_cut_example')})"
        )
    if left := stats.get("dna/sitemaps_left"):
        lines.append(
            f"sitemaps: {left} child sitemap(s) not fetched, the last {BARREN_IN_A_ROW} "
            f"in a row listed nothing new (e.g. {stats.get('dna/sitemaps_left_example')})"
        )
    if replaced := stats.get("dna/articles_replaced"):
        # 'updated 5, finished' was all a portal taken over by others said.
        lines.append(
            f"replaced: {replaced} archived article(s) now show a text unlike theirs, under "
            f"another title (e.g. {stats.get('dna/articles_replaced_example')}): the portal "
            "taken over or closed? What they showed before is kept (dna show ID --versions)"
        )
    if gone := stats.get("dna/gone"):
        rechecked = stats.get("dna/rechecked")
        asked = f"; {rechecked} no link led to were asked again" if rechecked else ""
        lines.append(
            f"gone: {gone} archived article(s) answer 404 or 410 (e.g. "
            f"{stats.get('dna/gone_example')}): deleted from the portal, kept in the "
            f"archive (dna export --gone lists them){asked}"
        )
    if left := stats.get("dna/rechecks_left"):
        lines.append(
            f"rechecks: the portal stopped answering; {left} URL(s) of archived articles "
            "no link led to were not asked again (the next full crawl asks them)"
        )
    if pages := stats.get("dna/articles_unextracted"):
        # An article too short, or on a template no rule reads, is otherwise
        # lost with "errors 0": the archivist can give the site selectors.
        lines.append(
            f"not articles: {pages} page(s) whose URL reads as an article's held no "
            f"article text (e.g. {stats.get('dna/unextracted_example')}); kept in the "
            "WARC, see selectors in configuration.md"
        )
    if reason == PAGE_BUDGET:
        lines.append(
            f"page budget: stopped at {stats.get('dna/budget_pages')} requests sent (max_pages)"
        )
    elif reason == TIME_BUDGET:
        minutes = stats.get("dna/budget_minutes") or 0
        lines.append(f"time budget: stopped after {minutes:g} minutes (max_minutes)")
    return lines
