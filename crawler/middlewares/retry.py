"""Retries with exponential backoff that honour ``Retry-After``.

Scrapy's RetryMiddleware retries at once; a portal answering 503 under load
needs us to wait, and to wait as long as it asks (within reason).  A body
cut short (kept, as ``DOWNLOAD_FAIL_ON_DATALOSS`` is off) is retried too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from crawler.failures import is_closing
from extract.text import whole_number

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


#: Seconds a retry's pause waits between looks at whether the crawl is closing.
_WAIT_STEP = 0.5


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date).

    >>> retry_after_seconds(b"3")
    3.0
    >>> now = datetime(2015, 10, 21, 7, 27, 50, tzinfo=UTC)
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now)
    10.0
    """
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if (seconds := whole_number(text, 30)) is not None:
        return float(seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that waits ``Retry-After`` or ``base * 2**attempt`` seconds."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.backoff_base = crawler.settings.getfloat("DNA_RETRY_BACKOFF_BASE")
        middleware.backoff_max = crawler.settings.getfloat("DNA_RETRY_BACKOFF_MAX")
        return middleware

    def _delay(self, request: Request, response: Response | None) -> float:
        asked = retry_after_seconds(response.headers.get("Retry-After")) if response else None
        attempt = request.meta.get("retry_times", 0)
        delay = asked if asked is not None else self.backoff_base * 2**attempt
        return min(delay, self.backoff_max)

    async def _waited(self, seconds: float) -> bool:
        """Wait ``seconds``, a step at a time; ``False`` if the crawl began to
        close meanwhile (then the retry is not sent: the close waits for it)."""
        # Imported here: importing the reactor at module level would install
        # Twisted's default one before Scrapy picks asyncio.
        from twisted.internet import reactor

        while seconds > 0 and not is_closing(self.crawler):
            step = min(seconds, _WAIT_STEP)
            await maybe_deferred_to_future(deferLater(reactor, step, lambda: None))
            seconds -= step
        return not is_closing(self.crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if (
            result is response
            and "dataloss" in response.flags
            and not request.meta.get("dont_retry")
        ):
            # A body cut short (a connection reset mid-transfer) is kept in
            # WARC, marked truncated, and asked for again as a reset is.
            result = self._retry(request, "truncated body") or response
        if result is not response:
            self.crawler.stats.inc_value("dna/retries")
            if not await self._waited(self._delay(request, response)):
                return response
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:  # type: ignore[override]
        result = super().process_exception(request, exception)
        if result is not None:
            self.crawler.stats.inc_value("dna/retries")
            if not await self._waited(self._delay(request, None)):
                return None
        return result
