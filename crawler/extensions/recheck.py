"""Recheck the archived articles a full crawl did not reach: are they still online?

A portal deletes an article by taking it off its lists, so a crawl that
follows links never asks for it again, and the archive could not tell a
deleted article from one still online.  So once a ``full`` crawl has run out
of links, this asks for each of the site's archived articles that the crawl
(and the crawls it resumed) did not see, at its archived URL.  Conditional
requests make one still there cheap (a 304); it is seen again, and a
changed one gets a version.  One answering 404 or 410 is **gone**: the
crawl says so in a cut-off line (``gone: …``), and ``dna show`` and ``dna
export --gone`` read it from the captures (:mod:`archive.gone`), so a
restore from WARC files says the same.

Not in ``new`` crawls, which by design fetch no archived article, nor with
a shared frontier, where one worker running out of links is not the end of
the crawl.  ``recheck_archived = false`` in ``[crawler]`` turns it off.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from archive.gone import GONE_STATUSES
from crawler import signals as dna_signals
from crawler.history import ArchiveHistory

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: Meta key: the request rechecks an archived article no link led to.
RECHECK = "dna_recheck"


class RecheckArchived:
    """Extension: at a full crawl's end, asks for the archived articles it did not see."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        #: Articles last seen before this are not seen by this crawl.
        self.started = datetime.now(UTC)
        self.asked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecheckArchived:
        settings = crawler.settings
        if not settings.getbool("DNA_RECHECK_ARCHIVED") or settings.get("DNA_FRONTIER_URL"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        return extension

    def spider_idle(self, spider: Spider) -> None:
        """The first time the crawl runs out of requests: send the rechecks."""
        settings = self.crawler.settings
        if self.asked or settings.get("DNA_CRAWL_MODE") != "full":
            return
        self.asked = True
        site = spider.site.name  # type: ignore[attr-defined]
        self.crawler.signals.send_catch_log(dna_signals.archive_needed)
        history = ArchiveHistory.of_crawl(self.crawler, site)
        unseen = history.unseen_articles(self.started, resumes=settings.getint("DNA_RESUMES"))
        urls = sorted(unseen - spider.requested)  # type: ignore[attr-defined]
        if not urls:
            return
        logger.info("%s: rechecking %d archived articles no link led to", site, len(urls))
        self.crawler.stats.set_value("dna/rechecked", len(urls))
        for url in urls:
            request = spider.request_for(url, "article", optional=True)  # type: ignore[attr-defined]
            request.meta[RECHECK] = True
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def response_received(self, response: Response, request: Request) -> None:
        if request.meta.get(RECHECK) and response.status in GONE_STATUSES:
            stats = self.crawler.stats
            stats.inc_value("dna/gone")
            if stats.get_value("dna/gone_example") is None:
                stats.set_value("dna/gone_example", request.url)
