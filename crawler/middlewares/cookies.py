"""Scrapy's cookie middleware, keeping no more cookies than a browser would.

A portal (or a broken plugin of one) that set 10,000 cookies made every
later request carry a ``Cookie`` header of 64 KB and more, which the server
refused (HTTP 431): the rest of the site was lost.  A browser keeps a
bounded number of cookies per domain and none larger than 4 KB; RFC 6265
(section 6.1) asks at least 50 and 4,096 bytes of a user agent, and so many
are kept here.  The first set are kept (a session cookie comes first), and
what was dropped is said once in the log.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.http import Response
    from scrapy.http.cookies import CookieJar

logger = logging.getLogger(__name__)

#: Cookies kept per domain, and the longest kept (name and value), in characters.
MAX_COOKIES_PER_DOMAIN = 50
MAX_COOKIE_SIZE = 4096


class BoundedCookiesMiddleware(CookiesMiddleware):
    """:class:`CookiesMiddleware` whose jars keep what RFC 6265 asks, and no more."""

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if not request.meta.get("dont_merge_cookies", False):
            self._bound(self.jars[request.meta.get("cookiejar")], response)
        return result

    def _bound(self, jar: CookieJar, response: Response) -> None:
        per_domain: Counter[str] = Counter()
        dropped = 0
        for cookie in list(jar):
            per_domain[cookie.domain] += 1
            size = len(cookie.name) + len(cookie.value or "")
            if per_domain[cookie.domain] > MAX_COOKIES_PER_DOMAIN or size > MAX_COOKIE_SIZE:
                jar.clear(cookie.domain, cookie.path, cookie.name)
                dropped += 1
        if dropped:
            stats = self.crawler.stats
            if not stats.get_value("dna/cookies_dropped"):
                logger.warning(
                    "%s set more or larger cookies than a browser keeps: %d dropped "
                    "(at most %d a domain, %d characters each)",
                    response.url,
                    dropped,
                    MAX_COOKIES_PER_DOMAIN,
                    MAX_COOKIE_SIZE,
                )
            stats.inc_value("dna/cookies_dropped", dropped)
