"""Stop a crawl cleanly before the disk fills.

A full disk mid-record would leave a damaged WARC, a database that cannot
commit and a search index that cannot update.  This extension checks the free
space where the WARC files, the search index and a SQLite database go (they
may be on different disks) when the crawl opens and every
``DNA_DISK_CHECK_INTERVAL`` seconds; below ``DNA_MIN_FREE_MB`` on any of them
it closes the spider with reason ``disk_full``, so the WARC files are closed
and the database committed while there is still room.  The crawl ends
``interrupted`` and can be resumed once space is freed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.engine import make_url
from twisted.internet import task

from archive.layout import DataDir

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

#: The close reason, also what ``dna crawl`` reports.
DISK_FULL = "disk_full"


def free_megabytes(path: Path) -> float:
    """Free space, in MB, on the file system that holds ``path`` (or would)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free / 1e6


class DiskSpaceGuard:
    """Closes the spider when free space under ``DATA/warc`` drops below the minimum."""

    def __init__(
        self, crawler: Crawler, directories: tuple[Path, ...], minimum: float, interval: float
    ) -> None:
        self.crawler = crawler
        self.directories = directories
        self.minimum = minimum
        self.interval = interval
        self.task: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskSpaceGuard:
        settings = crawler.settings
        minimum = settings.getfloat("DNA_MIN_FREE_MB")
        if minimum <= 0 or not settings.getbool("DNA_WARC_ENABLED"):
            raise NotConfigured
        data = DataDir.resolve(settings.get("DNA_HOME"))
        url = make_url(data.database_url(settings.get("DNA_DATABASE_URL") or None))
        database = (
            [Path(url.database).parent]
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            else []
        )
        guard = cls(
            crawler,
            tuple(dict.fromkeys([data.warc_root, data.index_dir, *database])),
            minimum,
            settings.getfloat("DNA_DISK_CHECK_INTERVAL"),
        )
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_opened(self, spider: object) -> None:
        self.task = task.LoopingCall(self.check)
        self.task.start(self.interval, now=True)

    def spider_closed(self, spider: object) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def check(self) -> None:
        free, directory = min((free_megabytes(path), path) for path in self.directories)
        if free >= self.minimum:
            return
        message = (
            f"only {free:.0f} MB free on the disk of {directory} "
            f"(min_free_mb = {self.minimum:.0f}): stopped the crawl; free space, then resume"
        )
        self.crawler.stats.set_value("dna/stop_message", message)
        self.crawler.spider.logger.error(message)  # type: ignore[union-attr]
        self.spider_closed(self.crawler.spider)
        self.crawler.engine.close_spider(self.crawler.spider, DISK_FULL)  # type: ignore[union-attr]
