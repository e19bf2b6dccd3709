"""Send a queued request as its site is now known to spell its URLs.

A site's spelling (:mod:`crawler.spelling`) is learnt while it is crawled:
paths that ignore case, a session parameter, an origin the server moved.
The links pages offered before it was learnt wait in the scheduler in the
old spelling.  Sent as they are, each costs a redirect or fetches a page
again under another name, and such copies make the old spelling's shape
look like a trap: stopped, it took with it the links still waiting in it
that no page had offered in the new spelling (an article lost).  So just
before a request is sent, its URL is spelt anew; a request that changes
goes back to the scheduler under its new URL, where the duplicate filter
drops it if that URL was asked for already.

Requests that bypass the duplicate filter (probes, start URLs) are sent as
they are; redirects are spelt where they are followed
(:mod:`crawler.middlewares.redirects`).  A request let through after waiting
(:data:`crawler.shapes.RELEASED`) is spelt anew like any other: it waited
longest while a session id was being learnt, and sent as it was, each such
copy of an article cost a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.shapes import RELEASED
from crawler.spelling import spelt

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class RespellMiddleware:
    """Downloader middleware before every other: a queued request in an old
    spelling goes back to the scheduler in the new one."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RespellMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Request | None:
        if request.dont_filter and not request.meta.get(RELEASED):
            return None
        url = spelt(self.crawler, request.url)
        if url == request.url:
            return None
        self.crawler.stats.inc_value("dna/respelt")
        return request.replace(url=url, dont_filter=False)
