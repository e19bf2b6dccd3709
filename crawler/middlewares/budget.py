"""A site's page budget is a hard limit on the requests its portal receives.

Scrapy's ``CLOSESPIDER_PAGECOUNT`` counts responses that came back and then
asks the engine to close, so every request already in flight (up to the
concurrency) still lands: a budget of 150 archived 181 responses.  Here the
budget is counted where a request leaves for the network instead, so the
portal never receives more than ``max_pages`` requests from one crawl, and
the crawl's WARC files never hold more responses than that.

What counts is every request sent to the portal: robots.txt, feeds, listings,
articles, media, retries and redirects alike (each is one more hit on the
portal and one more response in WARC).  Requests a resumed crawl answers from
its predecessor's WARC files (:mod:`crawler.middlewares.replay`) are not sent,
so they do not count.  The first request past the budget is dropped and closes
the crawl with Scrapy's own reason, ``closespider_pagecount``, which the crawl
summary and ``dna crawls`` show as ``page budget: stopped at N requests sent``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from crawler.cutoffs import PAGE_BUDGET, site_budgets
from crawler.failures import Skipped

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler


class PageBudgetMiddleware:
    """Downloader middleware just outside the recorder: counts requests sent, refuses the rest.

    Sits at 935, after the resume replay (930, whose answers never reach the
    portal) and before the recorder (950); a request Scrapy's robots.txt
    middleware sends of its own passes through every middleware, so it is
    counted too.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.budget = 0
        self.sent = 0
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.budget, _ = site_budgets(spider.site, self.crawler.settings)  # type: ignore[attr-defined]

    def process_request(self, request: Request) -> None:
        if self.sent < self.budget:
            self.sent += 1
            return
        self.crawler.stats.inc_value("dna/budget_refused")
        if not self.closing:
            self.closing = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=PAGE_BUDGET))  # type: ignore[union-attr]
        raise Skipped(f"page budget of {self.budget} requests spent: {request.url}")
