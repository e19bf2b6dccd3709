"""A page that crashes its parsing is a noted failure, never a silent loss.

Pages come from strangers; whatever extraction cannot handle must show in the
crawl's failures (and so its summary) with the page's URL, while the crawl
goes on with every other page.  Without this, Scrapy logs the traceback and
the article is simply missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.spidermiddlewares.httperror import HttpError

from archive.messages import one_line
from crawler.failures import note_failure

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.crawler import Crawler
    from scrapy.http import Response


class PageFailureMiddleware:
    """Turns an exception raised while parsing a page into a noted failure."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageFailureMiddleware:
        return cls(crawler)

    def process_spider_exception(
        self, response: Response, exception: Exception
    ) -> Iterable[Any] | None:
        if isinstance(exception, HttpError):
            return None  # an error status: the request's errback notes it
        reason = one_line(f"page crashed extraction: {type(exception).__name__}: {exception}")
        note_failure(self.crawler, response.url, reason[:300])
        self.crawler.stats.inc_value("dna/pages_crashed")
        return []
