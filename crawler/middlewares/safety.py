"""Keep crawls out of private networks.

A link on a public portal that points at ``10.0.0.1`` or ``localhost``, or at
a name that resolves there (or a redirect to either), must never be fetched:
an archiver that follows it becomes a way into the operator's network.  A site
whose own start URLs are on such an address (a test portal, an intranet
mirror) may fetch its own origins only: host *and port*, so that a portal on
``10.0.0.5:8080`` cannot lead the crawl to Redis on ``10.0.0.5:6379``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.failures import Skipped, note_failure
from extract.urls import host_of, is_private_address, port_of, resolves_to_private

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class PrivateAddressMiddleware:
    """Drops requests to private or loopback addresses the site did not name."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        #: host -> whether DNS puts it on a private address, asked once per host.
        self._resolved: dict[str, bool] = {}
        #: the (host, port) origins of the site's start URLs, which may be private.
        self._own_origins: frozenset[tuple[str, int | None]] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = host_of(request.url)
        if self._own_origins is None:
            start_urls = getattr(self.crawler.spider, "start_urls", ())
            self._own_origins = frozenset((host_of(url), port_of(url)) for url in start_urls)
        if (host, port_of(request.url)) in self._own_origins:
            return
        if not (is_private_address(host) or await self._resolves_private(host)):
            return
        self.crawler.stats.inc_value("dna/private_address_blocked")
        reason = "private address, not this site's origin: not fetched"
        note_failure(self.crawler, request.url, reason)
        raise Skipped(f"{reason}: {request.url}")

    async def _resolves_private(self, host: str) -> bool:
        if host not in self._resolved:
            # getaddrinfo blocks; a thread keeps the crawl going meanwhile.
            lookup = deferToThread(resolves_to_private, host)
            self._resolved[host] = await maybe_deferred_to_future(lookup)
        return self._resolved[host]
