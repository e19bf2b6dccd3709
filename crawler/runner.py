"""Run many site crawls in one Scrapy process, and report on them as they go.

Each site gets its own Crawler (own stats, own limits, own WARC files) in
one CrawlerProcess, so politeness is per host while all sites progress
together.  Progress is read from each crawler's stats on a timer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler.cutoffs import cut_off
from crawler.pipelines import FORCED_SHUTDOWN, crawl_status
from crawler.progress import SiteProgress
from crawler.sites import SiteConfig
from crawler.spiders.portal import PortalSpider


def _progress(site: str, stats: dict[str, Any], reason: str | None) -> SiteProgress:
    """``site``'s progress as its crawler's stats tell it."""
    return SiteProgress(
        site=site,
        pages=stats.get("dna/pages", 0),
        articles_new=stats.get("dna/articles_new", 0),
        articles_updated=stats.get("dna/articles_updated", 0),
        errors=stats.get("dna/errors", 0),
        warc_bytes=stats.get("dna/warc_bytes", 0),
        status=crawl_status(reason, stats) if reason else "running",
        reason=reason,
        message=stats.get("dna/stop_message"),
        replayed=stats.get("dna/replayed", 0),
        failures=list(stats.get("dna/failures") or []),
        fatal=stats.get("dna/fatal"),
        cut_off=cut_off(reason, stats),
    )


def crawl_settings(data: Path, sites_file: Path, overrides: dict[str, Any]) -> Settings:
    """Project settings, then ``[crawler]`` options and command-line overrides."""
    # Not get_project_settings(): that finds crawler.settings only through a
    # scrapy.cfg in the working directory, and `dna` runs from anywhere.
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if "DNA_HOME" not in overrides:
        settings.set("DNA_HOME", str(data), priority="cmdline")
    settings.set("DNA_SITES", str(sites_file), priority="cmdline")
    settings.setdict(overrides, priority="cmdline")
    return settings


def run_crawls(
    sites: list[SiteConfig],
    settings: Settings,
    *,
    spider_args: dict[str, dict[str, Any]] | None = None,
    on_progress: Callable[[list[SiteProgress]], None] | None = None,
    interval: float = 0.5,
) -> list[SiteProgress]:
    """Crawl ``sites`` concurrently in this process; blocks until all end.

    :param spider_args: per site name, arguments for its spider (``mode``, ``resumes``).
    :param on_progress: called every ``interval`` seconds with each site's progress.
    :returns: each site's final progress, in the order given.
    """
    process = CrawlerProcess(settings)
    crawlers: list[tuple[SiteConfig, Crawler]] = []
    reasons: dict[str, str] = {}
    for site in sites:
        crawler = process.create_crawler(PortalSpider)
        crawler.signals.connect(
            lambda reason, name=site.name: reasons.__setitem__(name, reason),
            signal=signals.spider_closed,
            weak=False,  # the dispatcher would otherwise drop this lambda at once
        )
        crawlers.append((site, crawler))
        process.crawl(crawler, site=site, **(spider_args or {}).get(site.name, {}))

    def progress(default_reason: str | None = None) -> list[SiteProgress]:
        return [
            _progress(site.name, crawler.stats.get_stats(), reasons.get(site.name, default_reason))
            for site, crawler in crawlers
        ]

    if on_progress is not None:
        from twisted.internet import task

        ticker = task.LoopingCall(lambda: on_progress(progress()))
        ticker.start(interval, now=True)
    process.start(stop_after_crawl=True)
    for site, crawler in crawlers:
        if site.name not in reasons and crawler.spider is not None:
            _close_after_forced_stop(crawler)
    # A crawler that never opened its spider has no close reason: it failed.
    return progress(default_reason="failed")


def _close_after_forced_stop(crawler: Crawler) -> None:
    """End a crawl whose spider the reactor stopped under: a second Ctrl-C or SIGTERM.

    Scrapy's second signal stops the reactor at once, without waiting for
    requests in flight and without closing the spiders, which would leave WARC
    files ``.open`` and crawl rows ``running``.  What was received is fully
    written (records are written whole, between reactor callbacks), so the
    close handlers run now, as at any interruption: the recorder closes and
    indexes its WARC file, the pipeline commits and marks the crawl
    interrupted, and ``dna crawl --resume`` refetches only what was in flight.
    """
    crawler.signals.send_catch_log(
        signal=signals.spider_closed, spider=crawler.spider, reason=FORCED_SHUTDOWN
    )
