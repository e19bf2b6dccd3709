"""robots.txt as RFC 9309 reads it: an unreachable file means "disallow everything".

Scrapy treats a robots.txt that answers 5xx as rules (usually none) and one
that times out or refuses connections as no rules at all, and says so only
in its log.  RFC 9309 (section 2.3.1.4) asks a crawler to assume complete
disallow when the file is unreachable through server or network errors; a
4xx still means "no rules".  The failure goes into the crawl's failures, so
the archivist sees why a site yielded nothing.  The robots.txt request gets a
short timeout of its own, so a hanging one stalls its host seconds, not minutes.

A robots.txt larger than the page size limit was refused, and so read as
unreachable: the whole site disallowed, for a catch-all page answering
``/robots.txt``.  Its first 500 KiB are read instead, as RFC 9309 (section
2.5) asks of a crawler that limits the size it parses.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.downloader import READ_AT_MOST, STOPPED
from crawler.failures import UNREACHABLE_ROBOTS, error_reason, note_failure

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

#: Seconds a robots.txt may take (``DNA_ROBOTSTXT_TIMEOUT``).
ROBOTSTXT_TIMEOUT = 20.0
#: How much of a robots.txt is read: RFC 9309's 500 KiB.
ROBOTSTXT_READ = 500 * 1024
_DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

logger = logging.getLogger(__name__)


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, treating an unreachable file as complete disallow."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        #: each host's robots.txt URL, scheme included.
        self._robots_urls: dict[str, str] = {}
        #: hosts whose robots.txt could not be read: everything on them is disallowed.
        self._unreachable_hosts: set[str] = set()

    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            timeout = self.crawler.settings.getfloat("DNA_ROBOTSTXT_TIMEOUT", ROBOTSTXT_TIMEOUT)
            request.meta.setdefault("download_timeout", timeout)
            request.meta.setdefault("max_retry_times", 1)
            request.meta.setdefault(READ_AT_MOST, ROBOTSTXT_READ)
            return
        try:
            await super().process_request(request)
        except IgnoreRequest:
            if urlparse_cached(request).netloc in self._unreachable_hosts:
                request.meta[UNREACHABLE_ROBOTS] = True  # counted apart from a disallow
            raise

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The host's parser, read back once settled.

        Scrapy hands the parser to waiting requests through one Deferred; with
        the asyncio reactor only the first waiter gets it, the others ``None``
        ("no rules").  The settled parser is in ``_parsers`` for all of them.
        """
        parts = urlparse_cached(request)
        netloc = parts.netloc
        if netloc not in self._robots_urls:
            # Scrapy's error hook is told the host alone: its URL is kept for the failure.
            self._robots_urls[netloc] = f"{parts.scheme}://{netloc}/robots.txt"
        parser = await super().robot_parser(request)
        settled = self._parsers.get(netloc)
        if parser is None and settled is not None and not isinstance(settled, Deferred):
            return settled
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if 500 <= response.status < 600:
            self._unreachable(netloc, response.url, f"answered {response.status}")
            return
        if STOPPED in response.flags:
            logger.warning(
                "%s is larger than %d KiB: its rules are read from that much (RFC 9309)",
                response.url,
                ROBOTSTXT_READ // 1024,
            )
            response = response.replace(body=response.body[:ROBOTSTXT_READ])
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)  # dropped on purpose, already accounted for
            return
        reason = error_reason(exc)
        self._unreachable(netloc, self._robots_urls.get(netloc, f"//{netloc}/robots.txt"), reason)

    def _unreachable(self, netloc: str, url: str, why: str) -> None:
        note_failure(
            self.crawler, url, f"robots.txt unreachable ({why}): nothing fetched from {netloc}"
        )
        self.crawler.stats.inc_value("dna/robotstxt_unreachable")
        self._unreachable_hosts.add(netloc)
        parser = build_from_crawler(self._parserimpl, self.crawler, _DISALLOW_ALL)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)
