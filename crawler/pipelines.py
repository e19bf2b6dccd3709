"""Persist captures and articles to the archive database.

The pipeline listens for captures the WARC recorder wrote (every response,
articles or not) and receives extracted articles as items; both go through
one batching :class:`archive.writer.ArchiveWriter`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import DBAPIError

from archive.messages import one_line
from archive.store import Store
from archive.writer import ArchiveWriter
from crawler import signals as dna_signals
from crawler.cutoffs import cut_off
from crawler.extensions.diskspace import DISK_FULL
from crawler.extensions.slowdown import RATE_LIMITED
from crawler.failures import stop_crawl
from crawler.history import database_url
from crawler.items import ArticleItem
from crawler.search_documents import search_documents_hook

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from archive.records import CaptureRecord


#: The close reason of a crawl stopped at once by a second Ctrl-C or SIGTERM
#: (crawler.runner closes it; Scrapy's own first-signal reason is ``shutdown``).
FORCED_SHUTDOWN = "forced shutdown"
#: Close reasons after which the crawl can be resumed: Ctrl-C, SIGTERM, a full
#: disk, a portal asking to wait longer than dna does.
INTERRUPTIONS = frozenset({"shutdown", FORCED_SHUTDOWN, DISK_FULL, RATE_LIMITED})
#: Reasons that stop the whole run, not one portal's crawl: no waiting site starts after one.
RUN_STOPS = frozenset({"shutdown", FORCED_SHUTDOWN, DISK_FULL})


def crawl_status(reason: str, stats: Mapping[str, Any]) -> str:
    """How a crawl ended: ``interrupted`` (resumable: Ctrl-C, SIGTERM, a full disk),
    ``failed`` (no page fetched, or stopped because the database or frontier
    went away) or ``finished``.

    A worker of a shared frontier may fetch nothing because the others
    fetched it all: it failed only if fetches of its own failed.
    """
    if stats.get("dna/fatal"):
        return "failed"
    if reason in INTERRUPTIONS:
        return "interrupted"
    if stats.get("dna/pages_ok", 0):
        return "finished"
    if stats.get("dna/frontier_worker") and not stats.get("dna/errors", 0):
        return "finished"
    return "failed"


class ArchivePipeline:
    """Writes one site's crawl into the database and keeps its counters."""

    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.store: Store | None = None
        self.writer: ArchiveWriter | None = None
        self.crawl_id: int | None = None
        #: The database went away: rows wait in the writer (and are in WARC).
        self.lost = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        url = database_url(crawler.settings)
        if url is None:
            raise NotConfigured
        pipeline = cls(crawler, url)
        crawler.signals.connect(pipeline.capture_recorded, signal=dna_signals.capture_recorded)
        crawler.signals.connect(pipeline.flush, signal=dna_signals.archive_needed)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        site = self.crawler.spider.site  # type: ignore[union-attr]
        self.store = Store(self.database_url)
        site_id = self.store.site_id(
            site.name,
            title=site.title,
            family=site.family,
            home_url=site.start_urls[0],
            place=site.place,
        )
        settings = self.crawler.settings
        if settings.get("DNA_CRAWL_MODE") == "full" and not settings.getint("DNA_RESUMES"):
            self._note_pages_before(site.name)
        self.crawl_id = self.store.start_crawl(
            site_id,
            mode=settings.get("DNA_CRAWL_MODE"),
            resumes=settings.getint("DNA_RESUMES") or None,
        )
        self.crawler.stats.set_value("dna/crawl_id", self.crawl_id)
        hook = search_documents_hook(settings.get("DNA_SEARCH_DOCUMENTS"), self.database_url)
        self.writer = self.store.writer(site_id, self.crawl_id, search_documents=hook)

    def _note_pages_before(self, site: str) -> None:
        """The pages of the site's last whole crawl (a full one, else its first),
        for the summary to tell a portal that moved or closed (see
        :func:`crawler.cutoffs.cut_off`)."""
        finished = [run for run in self.store.crawl_runs(site) if run.status == "finished"]  # type: ignore[union-attr]
        whole = next((run for run in finished if run.mode == "full"), None)
        if whole is None and finished:
            whole = finished[-1]
        if whole is not None:
            self.crawler.stats.set_value("dna/pages_before", whole.pages)

    def capture_recorded(self, capture: CaptureRecord) -> None:
        if self.writer is not None:
            self._write(lambda: self.writer.add_capture(capture))

    def process_item(self, item: object) -> object:
        if isinstance(item, ArticleItem) and self.writer is not None:
            self._write(
                lambda: self.writer.add_article(
                    item.record, item.capture_record_id, item.fetched_at
                )
            )
        return item

    def flush(self) -> None:
        """Write the batch waiting, for a component about to read the archive."""
        if self.writer is not None:
            self._write(self.writer.flush)

    def _write(self, write: Callable[[], object]) -> bool:
        """Run a database write; if the database is gone, stop the crawl instead.

        The rows waiting in the writer are in the WARC files too: ``dna
        restore`` adds them once the database is back.
        """
        if self.lost:
            return False
        try:
            write()
        except DBAPIError as exc:
            self.lost = True
            stop_crawl(
                self.crawler,
                f"database {self.store.safe_url} is unreachable: {one_line(exc.orig)}; "  # type: ignore[union-attr]
                "what was fetched is in the WARC files (dna restore adds it)",
            )
            return False
        self._count()
        return True

    def _count(self) -> None:
        counts = self.writer.counts  # type: ignore[union-attr]
        stats = self.crawler.stats
        stats.set_value("dna/articles_new", counts.new)
        stats.set_value("dna/articles_updated", counts.updated)
        stats.set_value("dna/articles_unchanged", counts.unchanged)
        if counts.replaced:
            stats.set_value("dna/articles_replaced", counts.replaced)
            stats.set_value("dna/articles_replaced_example", counts.replaced_example)

    def spider_closed(self, reason: str) -> None:
        """Commit what is queued and record how the crawl ended.

        Connected to ``spider_closed`` rather than ``close_spider`` so the
        WARC recorder has already written its last records and the stats
        are final.
        """
        if self.store is None or self.writer is None or self.crawl_id is None:
            return
        stats = self.crawler.stats
        if self._write(self.writer.flush):
            self._write(
                lambda: self.store.finish_crawl(
                    self.crawl_id,
                    status=crawl_status(reason, stats.get_stats()),
                    reason=reason,
                    pages=stats.get_value("dna/pages", 0),
                    articles_new=self.writer.counts.new,
                    articles_updated=self.writer.counts.updated,
                    errors=stats.get_value("dna/errors", 0),
                    bytes_written=stats.get_value("dna/warc_bytes", 0),
                    cut_off=cut_off(reason, stats.get_stats()),
                )
            )
        self.store.close()
