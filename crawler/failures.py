"""One place to note a failed fetch: counted, kept for the summary, logged."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Failures kept per crawl for the summary; the log has them all.
MAX_FAILURES_KEPT = 500


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
