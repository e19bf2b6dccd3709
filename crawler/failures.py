"""One place to note a failed fetch (counted, kept for the summary, logged), and to stop a crawl."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
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
    """A one-line reason for a failed download: :func:`error_reason` of its error."""
    return error_reason(failure.value)


def error_reason(error: BaseException) -> str:
    """A one-line reason, unwrapping Twisted's lists of inner failures.

    Scrapy wraps Twisted's ``ResponseFailed`` (which holds them) in a
    ``DownloadFailedError`` whose message is the list's ``repr``; the inner
    failures are read from its cause, or from that ``repr`` where the cause
    was lost on the way (robots.txt's download).  Scrapy's and OpenSSL's own
    wordings are put in the archivist's terms (:func:`_said`).
    """
    inner = getattr(error, "reasons", None) or getattr(error.__cause__, "reasons", None)
    if inner:
        return one_line("; ".join(_said(r.type.__name__, r.getErrorMessage()) for r in inner))
    message = str(error).strip()
    if listed := _FAILURE_REPR.findall(message):
        return one_line("; ".join(_said(name.rpartition(".")[2], text) for name, text in listed))
    if not message and isinstance(error, (CancelledError, DownloadCancelledError)):
        # Scrapy cancels a chunked or close-delimited download that outgrows
        # the limit with a bare CancelledError, or DownloadCancelledError.
        return "download cancelled: body larger than max_page_size"
    return one_line(_said(type(error).__name__, message))


#: One failure in the ``repr`` of a list of them: its type's qualified name, and message.
_FAILURE_REPR = re.compile(r"<twisted\.python\.failure\.Failure ([\w.]+): (.*?)>(?=, <|\]$)")
#: Scrapy's words for a page past ``DOWNLOAD_MAXSIZE`` (sites.toml's ``max_page_size``).
_TOO_LARGE = re.compile(
    r"^(Expected to receive|Received) (\d+) bytes which is larger than download max size \((\d+)\)"
)
#: OpenSSL's reasons, ``[('SSL routines', '', 'wrong version number')]``: the last of each.
_TLS_REASON = re.compile(r"\('[^']*', '[^']*', '([^']*)'\)")


def _said(kind: str, message: str) -> str:
    if too_large := _TOO_LARGE.match(message):
        how, size, limit = too_large.groups()
        sent = "announced" if how.startswith("Expected") else "received"
        return f"page larger than max_page_size ({int(size):,} bytes {sent}, limit {int(limit):,})"
    if tls := _TLS_REASON.findall(message):
        said = ", ".join(reason for reason in tls if reason) or "handshake failed"
        hint = " (does the port speak http, not https?)" if "wrong version" in said else ""
        return f"TLS error: {said}{hint}"
    return f"{kind}: {message}".strip(": ")


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
