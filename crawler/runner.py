"""Run many site crawls in one Scrapy process, and report on them as they go.

Each site gets its own Crawler (own stats, own limits, own WARC files) in
one CrawlerProcess, so politeness is per host while the sites progress
together, ``DNA_SITES_AT_ONCE`` at a time.  Progress is read from each
crawler's stats on a timer.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from archive.database import StoreError
from crawler.cutoffs import cut_off
from crawler.frontier.redis import FrontierError
from crawler.pipelines import FORCED_SHUTDOWN, RUN_STOPS, crawl_status
from crawler.progress import NOT_STARTED, WAITING, SiteProgress
from crawler.sites import SiteConfig
from crawler.sitework import longest_first
from crawler.spiders.portal import PortalSpider

logger = logging.getLogger(__name__)

#: What a crawl that cannot start raises when a server every crawl needs is
#: gone: the run stops there, rather than every waiting site failing alike
#: (each after the frontier's 30-second timeout, the reactor held all along).
SERVER_GONE = (FrontierError, StoreError)


class _SitesProcess(CrawlerProcess):
    """A CrawlerProcess that remembers being told to stop (Ctrl-C, SIGTERM)."""

    stopping = False

    def stop(self) -> Deferred[Any]:
        # Scrapy also calls stop() as the reactor shuts down after the last
        # crawl: with nothing crawling, that is the run's end, not a stop.
        if self.crawlers:
            self.stopping = True
        return super().stop()


def _stats_of(crawler: Crawler) -> dict[str, Any]:
    """The crawler's stats; none when its crawl failed before they were made."""
    try:
        return crawler.stats.get_stats()
    except RuntimeError:
        return {}


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
    last_pages: Mapping[str, int] | None = None,
) -> list[SiteProgress]:
    """Crawl ``sites`` concurrently in this process; blocks until all end.

    At most ``DNA_SITES_AT_ONCE`` crawls run at once, the longest expected
    first (by ``last_pages``, their last finished crawls' pages); each that ends lets
    the next waiting one start.  An open crawl holds its portal's queue,
    caches and WARC file, about 14 MB, and politeness keeps each portal
    slow: a few dozen at once keep a core busy, and thousands would fill
    the memory.  Once a crawl is stopped for the whole run (Ctrl-C,
    SIGTERM, a full disk, a database gone), no waiting one starts: those
    end :data:`~crawler.progress.NOT_STARTED`.

    :param spider_args: per site name, arguments for its spider (``mode``, ``resumes``).
    :param on_progress: called every ``interval`` seconds with each site's progress.
    :returns: each site's final progress, in the order given.
    """
    process = _SitesProcess(settings)
    running: dict[str, Crawler] = {}
    #: each ended crawl's last progress: its Crawler, spider and engine are let go.
    ended: dict[str, SiteProgress] = {}
    reasons: dict[str, str] = {}
    waiting = longest_first(sites, last_pages)
    #: whether a crawl ended for a reason that stops the whole run (a full disk).
    run_stopped = False
    at_once = settings.getint("DNA_SITES_AT_ONCE")
    filling = False

    def fill() -> None:
        """Start waiting sites while there is room, unless the run is stopping.

        A crawl that fails before it yields (its spider cannot be made) ends
        inside ``process.crawl``, and its end calls this again: that call
        leaves the starting to the loop already running, which would
        otherwise recurse once a site, past Python's limit in a few hundred.
        """
        nonlocal filling
        if filling:
            return
        filling = True
        try:
            while waiting and len(running) < at_once and not run_stopped and not process.stopping:
                start_next()
        finally:
            filling = False

    def start_next() -> None:
        site = waiting.pop(0)
        crawler = running[site.name] = process.create_crawler(PortalSpider)
        crawler.signals.connect(
            lambda reason, name=site.name: reasons.__setitem__(name, reason),
            signal=signals.spider_closed,
            weak=False,  # the dispatcher would otherwise drop this lambda at once
        )
        done = process.crawl(crawler, site=site, **(spider_args or {}).get(site.name, {}))
        done.addBoth(lambda outcome, name=site.name: end(name, outcome))

    def end(name: str, outcome: object = None) -> None:
        nonlocal run_stopped
        crawler = running.pop(name)
        # A crawler that never opened its spider has no close reason: it failed.
        row = ended[name] = _progress(name, _stats_of(crawler), reasons.get(name, "failed"))
        if isinstance(outcome, Failure):  # said here, once, not as an unhandled Deferred
            logger.error(
                "%s: the crawl failed: %s",
                name,
                outcome.getErrorMessage(),
                exc_info=(outcome.type, outcome.value, outcome.getTracebackObject()),
            )
            if outcome.check(*SERVER_GONE) and not row.fatal:
                row.fatal = outcome.getErrorMessage()
        run_stopped = run_stopped or row.reason in RUN_STOPS or bool(row.fatal)
        fill()

    def progress() -> list[SiteProgress]:
        return [
            ended.get(site.name)
            or (
                _progress(site.name, _stats_of(crawler), None)
                if (crawler := running.get(site.name))
                else SiteProgress(site.name, status=WAITING)
            )
            for site in sites
        ]

    fill()
    if on_progress is not None:
        from twisted.internet import task

        ticker = task.LoopingCall(lambda: on_progress(progress()))
        ticker.start(interval, now=True)
    process.start(stop_after_crawl=True)
    if process.stopping:
        # A second Ctrl-C or SIGTERM stops the reactor with coroutines of the
        # crawls suspended; collecting them crashed CPython 3.11 at exit, half
        # the time (a segfault in asyncio's queues).  The process is ending:
        # what it holds now is never collected.
        gc.freeze()
    waiting.clear()  # the reactor is gone: what waits is not started
    # The reactor stopped under these at a second Ctrl-C or SIGTERM.
    for name, crawler in list(running.items()):
        if name not in reasons and crawler.spider is not None:
            _close_after_forced_stop(crawler)
        end(name)
    return [
        row if row.status != WAITING else SiteProgress(row.site, status=NOT_STARTED)
        for row in progress()
    ]


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
