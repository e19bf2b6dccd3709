"""What each site's crawl has done so far: what crawl workers send their parent.

Apart from :mod:`crawler.runner` so that a parent dealing sites to worker
processes reads these rows without importing Scrapy: each worker imports
Scrapy for itself, side by side with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: the status of a site waiting for a place among the crawls a process runs at once.
WAITING = "waiting"
#: the status of a site still waiting when the run was stopped: nothing of it began.
NOT_STARTED = "not started"


@dataclass
class SiteProgress:
    """What one site's crawl has done so far (and how it ended)."""

    site: str
    pages: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    errors: int = 0
    warc_bytes: int = 0
    status: str = "running"
    reason: str | None = None
    #: why the crawl stopped early, in words (a full disk).
    message: str | None = None
    replayed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: why the crawl was stopped (a server it needs went away), for the user.
    fatal: str | None = None
    #: what was left out on purpose: trap shapes stopped, a budget reached.
    cut_off: list[str] = field(default_factory=list)
