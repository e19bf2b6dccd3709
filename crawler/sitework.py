"""How much crawling each site is expected to take, to share it out and to start the longest first.

The measure is the pages of the site's last finished crawl: a district portal
of 3,000 pages and a commune's of 100 differ thirty-fold, and both change
slowly.  (A crawl interrupted early counted what it got: on --resume, a big
portal stopped at 15 pages started last.)
"""

from __future__ import annotations

from collections.abc import Mapping

from crawler.sites import SiteConfig


def expected_work(
    sites: list[SiteConfig], last_pages: Mapping[str, int] | None
) -> dict[str, float]:
    """Each site's expected work: its last finished crawl's pages, at least 1.

    A site not crawled yet counts as the average of the others; with nothing
    known, all count alike.
    """
    last_pages = last_pages or {}
    known = [last_pages[site.name] for site in sites if site.name in last_pages]
    unknown = sum(known) / len(known) if known else 1
    return {site.name: max(last_pages.get(site.name, unknown), 1) for site in sites}


def longest_first(
    sites: list[SiteConfig], last_pages: Mapping[str, int] | None
) -> list[SiteConfig]:
    """``sites`` by expected work, the most first; alike ones keep their order.

    Started in this order, a run whose sites wait their turn does not end with
    one district portal crawling alone after every commune is done.
    """
    work = expected_work(sites, last_pages)
    return sorted(sites, key=lambda site: -work[site.name])
