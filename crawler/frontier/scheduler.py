"""The scheduler of a shared frontier: scrapy-redis's, with per-site keys and a fleet-wide end.

See :mod:`crawler.frontier.redis` for the keys and how workers agree that a crawl is over.
Only imported when ``--frontier`` is given (scrapy-redis is an optional dependency).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from redis import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from archive.messages import one_line
from crawler.failures import stop_crawl
from crawler.frontier import OWN_WORKER
from crawler.frontier.redis import safe_redis_url, site_key, worker_name

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds a worker's key lives unless renewed; a dead worker is forgotten after this.
WORKER_TTL = 60
#: Seconds between renewals.
HEARTBEAT = 5.0
#: Seconds between looks at the queue while idle.
IDLE_POLL = 0.1
#: Close reasons after which the run can resume (Ctrl-C); any other ends it.
_RESUMABLE = frozenset({"shutdown"})


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler with per-site keys and a fleet-wide end of crawl.

    An idle worker polls the queue every :data:`IDLE_POLL` seconds (Scrapy
    itself looks only every 5 s) and hands what it pops to the engine
    through ``engine.crawl``: requests another worker queued are taken up
    at once, and the worker ends as soon as the fleet has nothing left.

    A request marked :data:`~crawler.frontier.OWN_WORKER` stays in this
    worker.  A case probe taken by another worker taught that one, and the
    requests here waiting for the answer waited their 30 s each.

    If Redis goes away the crawl stops with a one-line error (see
    :func:`crawler.failures.stop_crawl`) rather than failing on every call.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.worker = worker_name()
        scheduler.lost = False
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        site = spider.site.name  # type: ignore[attr-defined]
        self.site = site
        self.queue_key = site_key(site, "requests")
        self.df = RFPDupeFilter(self.server, key=site_key(site, "dupefilter"))
        self.worker_key = site_key(site, f"worker:{self.worker}")
        #: Requests this worker keeps: those popped while idle, on their way back
        #: in through engine.crawl, and its own (OWN_WORKER).
        self._handoff: list[Request] = []
        self._busy: bool | None = None
        self._poll = task.LoopingCall(lambda: self._guarded(self._take_up, None))
        self._heartbeat = task.LoopingCall(
            lambda: self._guarded(lambda: self.server.expire(self.worker_key, WORKER_TTL), None)
        )
        self._heartbeat.start(HEARTBEAT, now=False)
        self._guarded(lambda: self._mark(busy=True), None)
        self._guarded(lambda: super(SharedScheduler, self).open(spider), None)
        if self.lost:
            raise CloseSpider("frontier_unreachable")  # Scrapy closes it cleanly
        self.crawler.stats.set_value("dna/frontier_worker", self.worker)

    def _guarded(self, call: Callable[[], T], default: T) -> T:
        """``call()``, or ``default`` once Redis is gone (then the crawl stops)."""
        if self.lost:
            return default
        try:
            return call()
        except RedisError as exc:
            self.lost = True
            self._stop_loops()
            url = safe_redis_url(self.crawler.settings.get("DNA_FRONTIER_URL", ""))
            message = f"frontier {url} is unreachable: {one_line(exc)}"
            stop_crawl(self.crawler, message)
            return default

    def _stop_loops(self) -> None:
        for loop in (self._heartbeat, self._poll):
            if loop.running:
                loop.stop()

    def _mark(self, *, busy: bool) -> None:
        if busy != self._busy:
            self.server.set(self.worker_key, "busy" if busy else "idle", ex=WORKER_TTL)
            self._busy = busy
        if busy and self._poll.running:
            self._poll.stop()
        elif not busy and not self._poll.running:
            self._poll.start(IDLE_POLL, now=False)

    def _take_up(self) -> None:
        request = super().next_request()
        if request is not None:
            self._mark(busy=True)
            self._handoff.append(request)
            self.crawler.engine.crawl(request)
        elif not self._others_busy():
            # The fleet is done: end now rather than at Scrapy's next idle check.
            self._poll.stop()
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="finished"))

    def enqueue_request(self, request: Request) -> bool:
        if any(request is waiting for waiting in self._handoff):
            return True  # popped by _take_up: seen already, and queued here
        if request.meta.get(OWN_WORKER):
            self._handoff.append(request)
            return True
        return self._guarded(lambda: super(SharedScheduler, self).enqueue_request(request), False)

    def next_request(self) -> Request | None:
        if self._handoff:
            return self._handoff.pop(0)

        def pop() -> Request | None:
            request = super(SharedScheduler, self).next_request()
            if request is not None:
                self._mark(busy=True)
            return request

        return self._guarded(pop, None)

    def has_pending_requests(self) -> bool:
        return bool(self._handoff) or self._guarded(super().has_pending_requests, False)

    def _others_busy(self) -> bool:
        pattern = site_key(self.site, "worker:*")
        others = [key for key in self.server.scan_iter(pattern) if key.decode() != self.worker_key]
        return any(state == b"busy" for state in self.server.mget(others)) if others else False

    def spider_idle(self) -> None:
        """Keep this worker while the queue has requests or another worker may add some."""

        def keep() -> bool:
            self._mark(busy=False)
            return bool(len(self.queue)) or self._others_busy()

        if self._guarded(keep, False):
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        """Leave the fleet; the last worker out ends the run (unless it was interrupted)."""
        self._stop_loops()
        self._guarded(lambda: self._leave(reason), None)

    def _leave(self, reason: str) -> None:
        self.server.delete(self.worker_key)
        if any(self.server.scan_iter(site_key(self.site, "worker:*"))):
            return
        if reason in _RESUMABLE and len(self.queue):
            logger.info(
                "%s: %d requests stay queued in the frontier; the next crawl resumes them",
                self.site,
                len(self.queue),
            )
            return
        self.server.delete(self.queue_key, self.df.key, site_key(self.site, "articles"))
