"""Say which pages the spider crashed on, in the crawl summary as well as the log.

Scrapy logs an exception raised while a page is read ("Spider error
processing") and goes on with the crawl; the page's links after the fault
are lost.  Hostile pages found such faults (a link no URL parser reads lost
a portal's every article) and each was mended, but a fault nobody has met
yet must not lose pages without a word: each is noted as a failed page,
counted in the crawl's errors and listed in its summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals

from crawler.failures import failure_reason, note_failure

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure


class CrashReport:
    """Note every page the spider raised on as a failed page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrashReport:
        return cls(crawler)

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        reason = (
            f"reading the page crashed: {failure_reason(failure)} (a bug in dna; the log has where)"
        )
        note_failure(self.crawler, response.url, reason)
