"""Slow a whole host down when it asks: HTTP 429, or 503 with ``Retry-After``.

Retrying the one request that was refused is not enough.  A portal limiting
each client to 20 or 25 requests a minute (a NukeViet host does, with a
``Retry-After`` of 30 s) refuses most of what a crawl sends at its default
pace, and every request refused four times is a page lost.  So a host that
answers 429 (too many requests, RFC 6585) gets nothing more sent for as long
as it asks, and for the rest of the crawl at least twice the delay it had:
the delay doubles at each refusal until the host stops refusing, and stays
there (AutoThrottle may raise it further, never below).  A 503 with
``Retry-After`` speaks of the server, not of our pace: the host is paused as
long as it asks (if it has a delay at all), and keeps its delay.  Pauses and
delays are capped by ``DNA_RETRY_BACKOFF_MAX``; the refused request itself
is retried by :mod:`crawler.middlewares.retry`.

Each slowdown is said in the log, with the delay the host now gets.

A portal that keeps asking for more than that cap (``Retry-After: 3600``:
come back in an hour) would hold the crawl for its whole time budget while
every request is refused.  After :data:`REFUSALS_TO_STOP` such refusals of
the site's own host in a row, with nothing answered between them, the crawl
stops as ``rate_limited``: resumable, like a full disk, and said so.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from crawler.failures import Skipped, is_closing
from crawler.middlewares.retry import retry_after_seconds

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

#: The least delay between requests to a host that asked to slow down.
_LEAST_DELAY = 0.25
#: The close reason of a crawl whose portal asks to wait longer than dna does.
RATE_LIMITED = "rate_limited"
#: Refusals in a row, each asking for longer than the cap, that stop the crawl.
REFUSALS_TO_STOP = 3
#: Seconds between looks at whether the crawl is closing.
_CLOSING_CHECK = 0.5


def asks_to_slow_down(response: Response) -> bool:
    """Whether a response refuses for load: 429, or 503 that says when to come back."""
    return response.status == 429 or (response.status == 503 and b"Retry-After" in response.headers)


class HostSlowdown:
    """Pause and slow the downloader slot of a host that answers "too many requests"."""

    def __init__(self, crawler: Crawler, most: float) -> None:
        self.crawler = crawler
        self.most = most
        #: slot key -> the least delay the host gets from now on.
        self.floors: dict[str, float] = {}
        #: slot key -> when its floor was last raised (``monotonic``).
        self.raised: dict[str, float] = {}
        #: slot key -> refusals in a row asking for longer than ``most``, and
        #: when the last of them was counted (``monotonic``).
        self.refused_long: dict[str, tuple[int, float]] = {}
        self.watch: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostSlowdown:
        extension = cls(crawler, crawler.settings.getfloat("DNA_RETRY_BACKOFF_MAX"))
        # Connected after AutoThrottle (an extension of order 0 in
        # EXTENSIONS_BASE, built first), so its adjustment comes first and
        # the floor is applied to it.
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        from twisted.internet import task  # the reactor Scrapy installed, not Twisted's default

        self.watch = task.LoopingCall(self._drop_queued_when_closing)
        self.watch.start(_CLOSING_CHECK, now=False)

    def spider_closed(self) -> None:
        if self.watch is not None and self.watch.running:
            self.watch.stop()

    def _drop_queued_when_closing(self) -> None:
        """Once the crawl is closing (a budget, Ctrl-C, SIGTERM), drop what waits
        in the downloader's queues: Scrapy sends it all first, and behind a host
        paused and slowed to one request every few seconds that took minutes
        past the budget or the signal."""
        engine = self.crawler.engine
        if engine is None or not is_closing(self.crawler):
            return
        for downloader_slot in engine.downloader.slots.values():
            while downloader_slot.queue:
                request, waiting = downloader_slot.queue.popleft()
                waiting.errback(Failure(Skipped(f"crawl closing: {request.url} not sent")))

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Runs before the slot sends its next request (Scrapy's downloader order)."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if downloader and key is not None else None
        if slot is None:
            return
        if asks_to_slow_down(response):
            sent = monotonic() - request.meta.get("download_latency", 0.0)
            self._slow_down(key, slot, response, again=sent < self.raised.get(key, 0.0))
            self._count_long_refusal(key, response, request, sent)
        else:
            self.refused_long.pop(key, None)
        floor = self.floors.get(key)
        if floor is not None and slot.delay < floor:
            slot.delay = floor

    def _slow_down(self, key: str, slot: Slot, response: Response, *, again: bool) -> None:
        """Pause the slot, and double its floor unless the refused request was sent
        before the last doubling (requests in flight together are refused together)."""
        floor = self.floors.get(key, slot.delay)
        if response.status == 429 and not again:
            floor = min(self.most, max(_LEAST_DELAY, 2 * floor))
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        pause = min(self.most, max(floor, asked or 0.0))
        # The slot sends its next request ``delay`` after ``lastseen``.
        slot.lastseen = max(slot.lastseen, monotonic() + pause - floor)
        self.crawler.stats.inc_value("dna/slowed_down")
        if floor != self.floors.get(key, slot.delay):
            self.floors[key] = floor
            self.raised[key] = monotonic()
            logger.warning(
                "%s asked to slow down (HTTP %d): paused %.0f s, then one request every %.1f s",
                key,
                response.status,
                pause,
                floor,
            )

    def _count_long_refusal(
        self, key: str, response: Response, request: Request, sent: float
    ) -> None:
        """Stop the crawl at the site's own host's :data:`REFUSALS_TO_STOP`-th refusal
        in a row asking for longer than ``most``; requests refused together count once."""
        asked = retry_after_seconds(response.headers.get("Retry-After")) or 0.0
        spider = self.crawler.spider
        if asked <= self.most or urlparse_cached(request).hostname not in _site_hosts(spider):
            return
        count, last = self.refused_long.get(key, (0, 0.0))
        if sent < last:
            return
        self.refused_long[key] = (count + 1, monotonic())
        if count + 1 < REFUSALS_TO_STOP or self.crawler.stats.get_value("dna/stop_message"):
            return
        message = (
            f"{key} asked to wait {_duration(asked)} before more requests (Retry-After), "
            f"longer than dna waits ({_duration(self.most)}, [crawler] retry_wait_max): "
            f"stopped; resume later with: dna crawl {spider.site.name} --resume"  # type: ignore[union-attr]
        )
        self.crawler.stats.set_value("dna/stop_message", message)
        logger.error(message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=RATE_LIMITED))  # type: ignore[union-attr]


def _site_hosts(spider: object) -> frozenset[str]:
    """The hosts of the site's start URLs: a media host's limits do not stop the crawl."""
    site = getattr(spider, "site", None)
    urls = site.start_urls if site is not None else ()
    return frozenset(filter(None, (urlsplit(url).hostname for url in urls)))


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:g} s"
