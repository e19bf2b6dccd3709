"""Recheck the archived articles a full crawl did not reach: are they still online?

A portal deletes an article by taking it off its lists, so a crawl that
follows links never asks for it again, and the archive could not tell a
deleted article from one still online.  So once a ``full`` crawl has run out
of links, this asks again for each of the site's archived articles that the
crawl (and the crawls it resumed) did not see, at every URL the archive
knows it by: its own, and those it was also found at (a move, a mobile
copy).  Conditional requests make one still there cheap (a 304); it is seen
again, and a changed one gets a version.

Whether an article is **gone** is read from the captures
(:mod:`archive.gone`), by the crawl as by ``dna show``, ``dna export
--gone`` and a restore: so the crawl's cut-off line (``gone: …``) counts the
articles of this crawl, rechecked or met through a link, that are gone by
that rule.  A 404 or 410 at an archived article's URL is a finding, not a
failed page.

A portal that stopped answering is not rechecked article by article at a
timeout each.  Nothing is rechecked when the portal answered nothing this
crawl sent it (a resume that only read pages back from its WARC files
still rechecks).  Rechecks go out in another order each crawl, in batches
(4, then twice as many while they are answered), and stop when a whole
batch sent to the portal goes unanswered (not one dropped on the way,
off-site or by robots.txt), which a cut-off line says.  Any response from
the wire is an answer, a redirect too.

Not in ``new`` crawls, which by design fetch no archived article, nor with
a shared frontier, where one worker running out of links is not the end of
the crawl.  ``recheck_archived = false`` in ``[crawler]`` turns it off.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from sqlalchemy.exc import DBAPIError

from archive.gone import GONE_STATUSES
from crawler import signals as dna_signals
from crawler.history import ArchiveHistory

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: Meta key: the request rechecks an archived article no link led to.
RECHECK = "dna_recheck"
#: Rechecks sent at first; each batch answered doubles the next, up to the largest.
_FIRST_BATCH = 4
_LARGEST_BATCH = 32


class RecheckArchived:
    """Extension: at a full crawl's end, asks again for the archived articles it
    did not see, and counts those gone."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        #: Articles last seen before this are not seen by this crawl.
        self.started = datetime.now(UTC)
        self.history: ArchiveHistory | None = None
        #: Every URL of the site's archived articles, with the article's id.
        self.article_at: dict[str, int] = {}
        #: Recheck URLs not sent yet (None until the crawl first runs out of links).
        self.waiting: deque[str] | None = None
        self.batch = _FIRST_BATCH
        #: Rechecks of the last batch sent to the portal (not dropped on the
        #: way: off-site, robots.txt), and responses to them.
        self.reached = 0
        self.answered = 0
        #: Whether this crawl sent the portal anything (not pages read back
        #: for a resume), and whether the portal answered.
        self.site_asked = False
        self.site_answered = False
        #: Archived articles answered at a rechecked URL, or at one of their
        #: URLs with 404 or 410; and such a URL of each.
        self.met: dict[int, str] = {}
        self.rechecked: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecheckArchived:
        settings = crawler.settings
        if not settings.getbool("DNA_RECHECK_ARCHIVED") or settings.get("DNA_FRONTIER_URL"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(
            extension.request_reached_downloader, signal=signals.request_reached_downloader
        )
        # Before the pipeline's: it writes the crawl's row with the cut-off lines.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        if self.crawler.settings.get("DNA_CRAWL_MODE") != "full":
            return
        self.history = ArchiveHistory.of_crawl(self.crawler, spider.site.name)  # type: ignore[attr-defined]
        self.article_at = self.history.addresses()

    def spider_idle(self, spider: Spider) -> None:
        """Each time the crawl runs out of requests: send the next batch of rechecks."""
        if not self.article_at:
            return
        if self.waiting is None:
            self.waiting = self._unseen(spider)
        elif self.reached and not self.answered and self.waiting:
            stats = self.crawler.stats
            stats.set_value("dna/rechecks_left", len(self.waiting))
            logger.warning(
                "%s: %d rechecks in a row went unanswered: %d archived article URLs not rechecked",
                spider.site.name,  # type: ignore[attr-defined]
                self.reached,
                len(self.waiting),
            )
            self.waiting.clear()
        if not self.waiting:
            return
        self.reached = self.answered = 0
        for _ in range(min(self.batch, len(self.waiting))):
            request = spider.request_for(self.waiting.popleft(), "article")  # type: ignore[attr-defined]
            request.meta[RECHECK] = True
            self.crawler.engine.crawl(request)
        self.batch = min(2 * self.batch, _LARGEST_BATCH)
        raise DontCloseSpider

    def _unseen(self, spider: Spider) -> deque[str]:
        """Every URL of the archived articles this crawl did not see, not asked for yet."""
        if self.site_asked and not self.site_answered:
            return deque()  # the portal is down, not its articles
        # Articles met a moment ago may still wait in the pipeline's batch.
        self.crawler.signals.send_catch_log(dna_signals.archive_needed)
        resumes = self.crawler.settings.getint("DNA_RESUMES")
        unseen = self.history.unseen(self.started, resumes)  # type: ignore[union-attr]
        asked = spider.requested  # type: ignore[attr-defined]
        urls = [u for u, at in self.article_at.items() if at in unseen and u not in asked]
        # In another order each crawl: a few URLs that never answer, met
        # first, would otherwise stop the rechecks at every crawl.
        random.shuffle(urls)
        if urls:
            site = spider.site.name  # type: ignore[attr-defined]
            logger.info("%s: rechecking %d URLs of archived articles not met", site, len(urls))
        return deque(urls)

    def request_reached_downloader(self, request: Request) -> None:
        self.site_asked = True
        if request.meta.get(RECHECK):
            self.reached += 1

    def response_downloaded(self, response: Response, request: Request) -> None:
        # Every response from the wire, redirects included (the duplicate
        # filter drops most of their targets: the home page), but not pages
        # read back from an interrupted crawl's WARC files, which say nothing
        # of whether the portal still answers.
        self.site_answered = True
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        article = self.article_at.get(first)
        if request.meta.get(RECHECK):
            self.answered += 1
            if article is not None:
                self.rechecked.add(article)
                self.met.setdefault(article, first)
        if response.status in GONE_STATUSES and article is not None:
            # An archived article deleted: a finding (below), not a failed page.
            request.meta["dna_optional"] = True
            self.met[article] = first

    def spider_closed(self) -> None:
        """Count the articles met in this crawl that are gone, for the cut-off lines."""
        if not self.met or self.history is None:
            return
        self.crawler.signals.send_catch_log(dna_signals.archive_needed)
        try:
            gone = self.history.gone(self.met)
        except DBAPIError:
            return  # the database went away: the pipeline says so
        stats = self.crawler.stats
        if self.rechecked:
            stats.set_value("dna/rechecked", len(self.rechecked))
        if gone:
            stats.set_value("dna/gone", len(gone))
            stats.set_value("dna/gone_example", min(self.met[article] for article in gone))
