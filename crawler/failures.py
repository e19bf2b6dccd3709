"""One place to note a failed fetch (counted, kept for the summary, logged), and to stop a crawl."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import CancelledError

from archive.messages import one_line

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

#: Failures kept per crawl for the summary; the log has them all.
MAX_FAILURES_KEPT = 500
#: Meta key: a request not sent because its host's robots.txt could not be read.
UNREACHABLE_ROBOTS = "dna_robots_unreachable"


class Skipped(IgnoreRequest):
    """A request dropped on purpose and already accounted for where it was dropped."""


def failure_reason(failure: Failure) -> str:
    """A one-line reason, unwrapping Twisted's lists of inner failures.

    Scrapy wraps Twisted's ``ResponseFailed`` (which holds them) in a
    ``DownloadFailedError`` whose message is the list's ``repr``; the inner
    failures are read from its cause.  Scrapy cancels a chunked download that
    outgrows ``max_page_size`` with a bare ``CancelledError``; that gets
    words, not a blank.
    """
    error = failure.value
    inner = getattr(error, "reasons", None) or getattr(error.__cause__, "reasons", None)
    if inner:
        return one_line("; ".join(f"{r.type.__name__}: {r.getErrorMessage()}" for r in inner))
    message = failure.getErrorMessage().strip()
    if not message and failure.check(CancelledError):
        message = "download cancelled: body larger than max_page_size"
    return one_line(f"{failure.type.__name__}: {message}".strip(": "))


def note_failure(crawler: Crawler, url: str, reason: str) -> None:
    """Record that ``url`` failed for ``reason`` in the crawl's stats and log."""
    stats = crawler.stats
    stats.inc_value("dna/errors")
    failures = stats.get_value("dna/failures") or []
    if len(failures) < MAX_FAILURES_KEPT:
        failures.append((url, reason))
        stats.set_value("dna/failures", failures)
    site = getattr(crawler.spider, "site", None)
    logger.warning("%s: %s failed: %s", site.name if site else "?", url, reason)


def stop_crawl(crawler: Crawler, message: str) -> None:
    """Stop the crawl because a server it needs is gone; ``dna crawl`` shows ``message``.

    A graceful stop, as on Ctrl-C (which also cancels start requests still
    being read, unlike closing the spider): the WARC files are closed as at
    any end of crawl, so what was fetched is kept.
    """
    if crawler.stats.get_value("dna/fatal"):
        return
    crawler.stats.set_value("dna/fatal", message)
    logger.error("%s", message)
    deferred_from_coro(crawler.stop_async())


def is_closing(crawler: Crawler) -> bool:
    """Whether the crawl has begun to close (a budget, Ctrl-C, SIGTERM, a stop).

    Scrapy keeps that on its engine's slot and says it with no signal; what
    waits (a retry's pause, a paused host's queue) should then go no further.
    """
    slot = getattr(crawler.engine, "_slot", None)
    return getattr(slot, "closing", None) is not None
