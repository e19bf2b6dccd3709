"""Keep crawls out of private networks.

A link on a public portal that points at ``10.0.0.1`` or ``localhost`` (or a
redirect there) must never be fetched: an archiver that follows it becomes a
way into the operator's network.  A site whose own start URLs are on such an
address (a test portal, an intranet mirror) may fetch its own hosts only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.failures import Skipped
from crawler.urls import host_of, is_private_address

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class PrivateAddressMiddleware:
    """Drops requests to private or loopback addresses the site did not name."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        host = host_of(request.url)
        if not is_private_address(host):
            return
        own_hosts = {host_of(url) for url in getattr(self.crawler.spider, "start_urls", ())}
        if host in own_hosts:
            return
        self.crawler.stats.inc_value("dna/private_address_blocked")
        raise Skipped(f"private address not configured for this site: {request.url}")
