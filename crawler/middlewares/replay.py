"""Hand archived responses to the crawl instead of fetching them again.

Two cases use it.  A ``304 Not Modified`` answer to a conditional GET becomes
the archived page (:mod:`crawler.middlewares.conditional`).  A resumed crawl
(``dna crawl SITE --resume``) replays every URL its killed predecessors
already archived: discovery walks the same pages, so the resumed run finds
exactly what an uninterrupted one would, without a request to the portal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from archive.warcreader import WarcReadError
from crawler.history import ArchiveHistory, database_url

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from archive.records import CaptureRecord
    from archive.warcreader import StoredResponse

#: ``Response.flags`` mark of a response read from the archive, not the wire.
REPLAYED = "replayed"
# The body handed on is decoded and unframed: these would describe other bytes.
_STALE_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


def archived_response(
    stored: StoredResponse, request: Request, *, flags: list[str], like: Response | None = None
) -> Response:
    """A Scrapy response carrying ``stored``'s status, headers and decoded body.

    :param like: the live response this one stands for (a 304), whose
        connection details it keeps.
    """
    headers = Headers()
    for name, value in stored.http_headers.headers:  # type: ignore[union-attr]
        if name.lower().encode("latin-1") not in _STALE_HEADERS:
            headers.appendlist(name, value)
    cls = responsetypes.from_args(headers=headers, url=request.url, body=stored.payload)
    return cls(
        url=like.url if like is not None else request.url,
        status=int(stored.http_headers.get_statuscode()),  # type: ignore[union-attr]
        headers=headers,
        body=stored.payload,
        flags=flags,
        request=request,
        certificate=like.certificate if like is not None else None,
        ip_address=like.ip_address if like is not None else None,
        protocol=like.protocol if like is not None else None,
    )


class ResumeReplayMiddleware:
    """Answers a resumed crawl's requests for already archived URLs from WARC.

    Enabled by ``DNA_RESUMES`` (the id of the unfinished crawl).  Each URL is
    replayed once; a retry or a URL whose record cannot be read goes to the
    portal as usual.  Sits at 930, inside conditional GETs and the recorder,
    which pass replayed responses through untouched.
    """

    def __init__(self, crawler: Crawler, resumes: int) -> None:
        self.crawler = crawler
        self.resumes = resumes
        self.history: ArchiveHistory | None = None
        self.archived: dict[str, CaptureRecord] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeReplayMiddleware:
        resumes = crawler.settings.getint("DNA_RESUMES")
        if not resumes or database_url(crawler.settings) is None:
            raise NotConfigured
        middleware = cls(crawler, resumes)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: object) -> None:
        site = spider.site.name  # type: ignore[attr-defined]
        self.history = ArchiveHistory.of_crawl(self.crawler, site)
        self.archived = self.history.captured_by(self.resumes)

    def process_request(self, request: Request) -> Response | None:
        capture = self.archived.pop(request.url, None)
        if capture is None or self.history is None or request.method != "GET":
            return None
        try:
            stored = self.history.read(capture)
        except WarcReadError as exc:
            self.crawler.spider.logger.warning("%s; fetching %s again", exc, request.url)  # type: ignore[union-attr]
            return None
        request.meta["dna_capture"] = capture
        self.crawler.stats.inc_value("dna/replayed")
        return archived_response(stored, request, flags=[REPLAYED])
