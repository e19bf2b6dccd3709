"""Conditional GETs on recrawl: ask for a page again only if it changed.

For a URL archived before, this downloader middleware sends the ETag and
Last-Modified of its latest 200 capture as If-None-Match and If-Modified-Since.
It sits at 940, just inside the WARC recorder (950): the recorded request shows
the validators, and a ``304 Not Modified`` is recorded (as a server-not-modified
revisit) before it comes back here.

On a 304 the archived original's body is handed on as a 200 response, so the
rest of the chain and the spider see the page as if fetched in full: listings
still yield their links, and articles are re-seen (unchanged, so no new
version).  Skipping conditional GETs for listings instead would save nothing
on portals whose listings change every minute, and would leave a 304 article
page's outlinks undiscovered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.warcreader import WarcReadError
from crawler import signals as dna_signals
from crawler.history import ArchiveHistory, database_url
from crawler.middlewares.replay import archived_response

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from archive.records import CaptureRecord

#: ``request.meta`` key of the original capture a 304 would refer to.
ORIGINAL = "dna_original"
#: ``request.meta`` key asking for an unconditional fetch.
UNCONDITIONAL = "dna_unconditional"
_VALIDATORS = (b"If-None-Match", b"If-Modified-Since")


class ConditionalGetMiddleware:
    """Adds validators to recrawled URLs and turns 304 answers into the archived page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.history: ArchiveHistory | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        settings = crawler.settings
        if not settings.getbool("DNA_CONDITIONAL_GET") or database_url(settings) is None:
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: object) -> None:
        site = spider.site.name  # type: ignore[attr-defined]
        self.history = ArchiveHistory.of_crawl(self.crawler, site)
        self.crawler.signals.connect(self.capture_recorded, signal=dna_signals.capture_recorded)

    def capture_recorded(self, capture: CaptureRecord) -> None:
        if self.history is not None:
            self.history.recorded(capture)

    def process_request(self, request: Request) -> None:
        earlier: CaptureRecord | None = request.meta.get(ORIGINAL)
        if earlier is not None:
            if earlier.url == request.url:
                return  # a retry: the validators are in place
            # A redirect copied another URL's validators; they say nothing of this one.
            _drop_validators(request)
        if (
            self.history is None
            or request.method != "GET"
            or request.meta.get(UNCONDITIONAL)
            or any(name in request.headers for name in _VALIDATORS)
        ):
            return
        found = self.history.previous(request.url)
        if found is None:
            return
        latest, original = found
        if latest.etag:
            request.headers[b"If-None-Match"] = latest.etag
        if latest.last_modified:
            request.headers[b"If-Modified-Since"] = latest.last_modified
        request.meta[ORIGINAL] = original
        self.crawler.stats.inc_value("dna/conditional_requests")

    def process_response(self, request: Request, response: Response) -> Request | Response:
        original: CaptureRecord | None = request.meta.get(ORIGINAL)
        if response.status != 304 or original is None or self.history is None:
            return response
        try:
            stored = self.history.read(original)
        except WarcReadError as exc:
            self.crawler.spider.logger.warning("%s; fetching %s again", exc, request.url)  # type: ignore[union-attr]
            return _unconditional(request)
        self.crawler.stats.inc_value("dna/not_modified")
        return archived_response(
            stored, request, flags=[*response.flags, "not-modified"], like=response
        )


def _drop_validators(request: Request) -> None:
    for name in _VALIDATORS:
        request.headers.pop(name, None)
    request.meta.pop(ORIGINAL, None)


def _unconditional(request: Request) -> Request:
    """``request`` again, without validators, for a 304 whose original cannot be read."""
    again = request.replace(dont_filter=True)
    _drop_validators(again)
    again.meta[UNCONDITIONAL] = True
    return again
