"""Record every HTTP exchange to WARC, as the server sent it.

This downloader middleware sits at 950, next to the wire: it sees bodies
before HttpCompressionMiddleware (590) decompresses them, and every 3xx
before RedirectMiddleware (600) follows it.  That includes robots.txt,
error pages and non-HTML responses.

A payload the site's archive holds already is not stored twice: a 2xx
response with a known payload digest becomes an identical-payload-digest
revisit, and a 304 answer to a conditional GET (see :mod:`crawler.middlewares.conditional`)
a server-not-modified one.  Either points at the response holding the payload.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.layout import DataDir
from archive.warcwriter import HttpRequestData, HttpResponseData, WarcFileWriter, payload_digest
from crawler import signals as dna_signals
from crawler.downloader import STOPPED
from crawler.history import ArchiveHistory
from crawler.middlewares.conditional import ORIGINAL
from crawler.middlewares.replay import REPLAYED

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response

    from archive.records import CaptureRecord


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class WarcRecorderMiddleware:
    """Writes each response, its request and the fetch's context to the site's WARC files."""

    def __init__(
        self,
        crawler: Crawler,
        data: DataDir,
        max_size: int,
        info: dict[str, str],
        dedup: bool = True,
    ) -> None:
        self.crawler = crawler
        self.data = data
        self.max_size = max_size
        self.info = info
        self.dedup = dedup
        self.writer: WarcFileWriter | None = None
        self.history: ArchiveHistory | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        settings = crawler.settings
        if not settings.getbool("DNA_WARC_ENABLED"):
            raise NotConfigured
        info = {
            "operator": settings.get("DNA_OPERATOR") or "",
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": settings.get("USER_AGENT"),
        }
        middleware = cls(
            crawler,
            DataDir.resolve(settings.get("DNA_HOME")),
            settings.getint("DNA_WARC_MAX_SIZE"),
            {key: value for key, value in info.items() if value},
            dedup=settings.getbool("DNA_DEDUP"),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: object) -> None:
        site = spider.site  # type: ignore[attr-defined]
        info = dict(self.info, isPartOf=site.name)
        if site.title:
            info["description"] = site.title
        self.writer = WarcFileWriter(
            self.data.warc_dir(site.name), site.name, info=info, max_size=self.max_size
        )
        if self.dedup:
            self.history = ArchiveHistory.of_crawl(self.crawler, site.name)

    def spider_closed(self, spider: object) -> None:
        if self.writer is not None:
            self.writer.close()
            self.crawler.stats.set_value("dna/warc_bytes", self.writer.bytes_written)

    def process_response(self, request: Request, response: Response) -> Response:
        if self.writer is None or REPLAYED in response.flags:
            return response
        now = datetime.now(UTC)
        sent = HttpRequestData(
            request.method, request.url, _header_pairs(request.headers), request.body or b""
        )
        received = HttpResponseData(
            status=response.status,
            headers=_header_pairs(response.headers),
            body=response.body,
            protocol=response.protocol or "HTTP/1.1",
            ip_address=str(response.ip_address) if response.ip_address else None,
            truncated=_truncation(response.flags),
        )
        stats = self.crawler.stats
        metadata = self._metadata(request)
        original = self._original(request, received)
        if original is None:
            capture = self.writer.write_exchange(sent, received, now, metadata=metadata)
            if self.history is not None and _dedupable(received):
                self.history.remember(capture)
        else:
            capture = self.writer.write_revisit(sent, received, now, original, metadata=metadata)
            stats.inc_value("dna/revisits")
            stats.inc_value("dna/revisit_payload_bytes", len(received.body))
        request.meta["dna_capture"] = capture
        stats.inc_value("dna/warc_records")
        stats.set_value("dna/warc_bytes", self.writer.bytes_written)
        self.crawler.signals.send_catch_log(
            dna_signals.capture_recorded, capture=capture, spider=self.crawler.spider
        )
        return response

    def _original(self, request: Request, response: HttpResponseData) -> CaptureRecord | None:
        """The response a revisit of this exchange would point at, if it is one."""
        if response.status == 304:
            # Only a 304 to our own conditional GET knows its original.
            return request.meta.get(ORIGINAL)
        if self.history is None or not _dedupable(response):
            return None
        return self.history.original(payload_digest(response.body))

    def _metadata(self, request: Request) -> list[tuple[str, str]]:
        fields = [("site", self.crawler.spider.site.name)]  # type: ignore[union-attr]
        if crawl_id := self.crawler.stats.get_value("dna/crawl_id"):
            fields.append(("crawl", str(crawl_id)))
        if referer := request.headers.get("Referer"):
            fields.append(("via", referer.decode("latin-1")))
        fields.append(("hopsFromSeed", str(request.meta.get("depth", 0))))
        if reason := request.meta.get("dna_kind"):
            fields.append(("fetchReason", reason))
        if listed := request.meta.get("dna_listed_date"):
            # The sitemap/RSS date is not in the page: kept here so a
            # restore from WARC dates the article as the crawl did.
            fields.append(("listedDate", listed.isoformat()))
        return fields


def _truncation(flags: list[str]) -> str | None:
    """The ``WARC-Truncated`` reason of a body cut short, if it was."""
    if "dataloss" in flags:
        return "disconnect"
    if STOPPED in flags:
        return "length"
    return None


def _dedupable(response: HttpResponseData) -> bool:
    """Whether a response's payload may stand for, or be replaced by, an identical one."""
    return 200 <= response.status < 300 and bool(response.body) and not response.truncated
