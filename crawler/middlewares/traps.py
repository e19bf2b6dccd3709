"""Stop crawler traps by what they do: URL shapes that keep yielding nothing new.

A calendar, a faceted filter, a print view or a link farm is a family of
URLs made by one template from ever new values: ``/lich-cong-tac?_8_month=7
&_8_year=2014`` and the next month share the shape ``/lich-cong-tac?_8_month=*
&_8_year=*`` (see :func:`extract.urls.url_shape`).  Articles and the listings
that lead to them are productive; trap pages are not.  So, per shape, this
counts the pages fetched and whether each was an article whose text was new
or linked to an article not seen before (or a page it linked to turned out to be one), and
stops a shape once ``DNA_TRAP_PAGES`` of its pages in a row were not, while
fewer than one in ten of all its pages were.  Dates that run past next year
or before the web existed are a strong sign: such a shape is stopped after a
quarter as many.  No list of names: it works on templates nobody has seen.

Memory stays bounded too: no shape may hold more than
``DNA_MAX_QUEUED_PER_SHAPE`` requests waiting in the scheduler; links past
that are dropped and counted.

Whatever is stopped is said: a warning in the log and a line in the crawl
stats (``dna/cut_off``), which the crawl summary and ``dna crawls`` show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from weakref import WeakKeyDictionary

from scrapy import Request, signals

from crawler.failures import Skipped
from crawler.items import ArticleItem
from extract.urls import directory_shape, implausible_year, url_shape

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: Request kinds whose pages are judged (media and feeds are not pages).
_JUDGED = frozenset({"seed", "page", "listing", "article"})
#: A shape is kept while at least one of its pages in this many was productive.
_PRODUCTIVE_SHARE = 10


@dataclass(slots=True)
class _Shape:
    pages: int = 0
    productive: int = 0
    #: unproductive pages in a row.
    streak: int = 0
    queued: int = 0
    #: links dropped because the shape was stopped, ran into implausible dates or a full queue.
    dropped: int = 0
    #: why the shape is stopped, if it is.
    stopped: str | None = None
    #: a year past next year or before the web, seen in one of its unproductive pages.
    late_year: int | None = None
    queue_capped: int = 0


class ShapeWatch:
    """One crawl's pages per URL shape, and the shapes stopped; shared by the
    spider middleware (which sees links) and the downloader middleware (which
    drops requests already queued when their shape is stopped)."""

    _of: ClassVar[WeakKeyDictionary[Crawler, ShapeWatch]] = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.threshold = settings.getint("DNA_TRAP_PAGES")
        self.max_queued = settings.getint("DNA_MAX_QUEUED_PER_SHAPE")
        self.this_year = datetime.now(UTC).year
        self.shapes: dict[str, _Shape] = {}
        #: digests of the article texts met so far: the same text again (a
        #: print view, a URL with a counter in it) is nothing new.
        self.texts: set[str] = set()

    @classmethod
    def of(cls, crawler: Crawler) -> ShapeWatch:
        """The crawl's watch, made on first use."""
        if crawler not in cls._of:
            cls._of[crawler] = cls(crawler)
        return cls._of[crawler]

    def _shape(self, key: str) -> _Shape:
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = _Shape()
        return shape

    @staticmethod
    def keys(url: str) -> tuple[str, ...]:
        """The shapes ``url`` belongs to: its own; its path's with any parameters
        (``/danh-muc?*``: facets combine parameters without end); and its
        directory's when that is not the site root (words, not ids, name tag
        clouds)."""
        shape = url_shape(url)
        keys = [shape]
        path, _, query = shape.partition("?")
        if query:
            keys.append(f"{path}?*")
        directory = directory_shape(path)
        if directory != path and not directory.startswith(("/*", "*")):
            keys.append(directory)
        return tuple(keys)

    def stopped(self, url: str) -> str | None:
        """The stopped shape ``url`` belongs to, if any."""
        for key in self.keys(url):
            shape = self.shapes.get(key)
            if shape is not None and shape.stopped:
                return key
        return None

    # -- pages ------------------------------------------------------------

    def judged(self, url: str, productive: bool) -> None:
        """A page of ``url`` was fetched and was (or was not) productive."""
        year = implausible_year(url, self.this_year)
        for key in self.keys(url):
            shape = self._shape(key)
            shape.pages += 1
            if productive:
                shape.productive += 1
                shape.streak = 0
                continue
            shape.streak += 1
            if year is not None and shape.late_year is None:
                shape.late_year = year
            threshold = self.threshold
            if shape.late_year is not None:
                threshold = max(2, threshold // 4)
            if (
                not shape.stopped
                and self.threshold > 0
                and shape.streak >= threshold
                and shape.productive * _PRODUCTIVE_SHARE < shape.pages
            ):
                dates = f" (its dates ran to {shape.late_year})" if shape.late_year else ""
                self._stop(key, shape, f"stopped after {shape.pages} pages{dates}")

    def new_text(self, item: ArticleItem) -> bool:
        """Whether ``item``'s text was not met before in this crawl."""
        digest = item.record.text_hash()
        if digest in self.texts:
            return False
        self.texts.add(digest)
        return True

    def credit(self, url: str) -> None:
        """A page linked from ``url`` turned out to be an article: its shape is productive."""
        for key in self.keys(url):
            shape = self._shape(key)
            shape.productive += 1
            shape.streak = 0

    def _stop(self, key: str, shape: _Shape, why: str) -> None:
        shape.stopped = why
        logger.warning("%s: trap: %s %s", self._site, key, why)
        self.crawler.stats.inc_value("dna/trap_shapes")
        self._report()

    # -- links ------------------------------------------------------------

    def admit(self, request: Request) -> bool:
        """Whether a link may be queued; one that may not is counted against its shape."""
        url = request.url
        if key := self.stopped(url):
            self.dropped(key)
            return False
        keys = self.keys(url)
        shape = self._shape(keys[0])
        if self.max_queued > 0 and shape.queued >= self.max_queued:
            shape.queue_capped += 1
            self.crawler.stats.inc_value("dna/queue_capped")
            if shape.queue_capped == 1:
                logger.warning(
                    "%s: queue cap: %s holds %d requests; further links dropped",
                    self._site,
                    keys[0],
                    self.max_queued,
                )
            self._report()
            return False
        shape.queued += 1
        request.meta["dna_queued_shape"] = keys[0]
        return True

    def dropped(self, key: str) -> None:
        self.shapes[key].dropped += 1
        self.crawler.stats.inc_value("dna/trap_links_dropped")
        self._report()

    def left_queue(self, request: Request) -> None:
        """``request`` left the scheduler (sent, or dropped as a duplicate)."""
        key = request.meta.pop("dna_queued_shape", None)
        if key is not None and (shape := self.shapes.get(key)) is not None:
            shape.queued = max(0, shape.queued - 1)

    # -- reporting --------------------------------------------------------

    @property
    def _site(self) -> str:
        site = getattr(self.crawler.spider, "site", None)
        return site.name if site else "?"

    def cut_off(self) -> list[str]:
        """One line per shape stopped or capped, e.g.
        ``trap: /lich-cong-tac?_8_month=*&_8_year=* stopped after 12 pages``."""
        lines = []
        for key, shape in self.shapes.items():
            if shape.stopped:
                dropped = f" ({shape.dropped} links dropped)" if shape.dropped else ""
                lines.append(f"trap: {key} {shape.stopped}{dropped}")
            if shape.queue_capped:
                lines.append(
                    f"queue cap: {key} had {self.max_queued} requests waiting; "
                    f"{shape.queue_capped} more links dropped"
                )
        return lines

    def _report(self) -> None:
        self.crawler.stats.set_value("dna/cut_off", self.cut_off())


class TrapGuardMiddleware:
    """Spider middleware: judges each page by what it yields, and admits its links."""

    def __init__(self, crawler: Crawler) -> None:
        self.watch = ShapeWatch.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapGuardMiddleware:
        guard = cls(crawler)
        # Requests leave the queue for the downloader (StoppedShapeMiddleware
        # sees each first) or are dropped by the scheduler as duplicates.
        crawler.signals.connect(guard.left_queue, signal=signals.request_dropped)
        return guard

    def left_queue(self, request: Request, **_: Any) -> None:
        self.watch.left_queue(request)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        meta = response.meta
        judged = meta.get("dna_kind") in _JUDGED
        own_shape = url_shape(response.url)
        productive = False
        async for output in result:
            if isinstance(output, Request):
                if meta.get("dna_kind") != "feed" and not self.watch.admit(output):
                    continue
                # A page that leads only to more of itself leads nowhere new.
                if output.meta.get("dna_kind") == "article" and url_shape(output.url) != own_shape:
                    productive = True
                output.meta.setdefault("dna_linked_from", response.url)
            elif isinstance(output, ArticleItem) and self.watch.new_text(output):
                productive = True
                if parent := meta.get("dna_linked_from"):
                    self.watch.credit(parent)
            yield output
        if judged and response.status == 200:
            self.watch.judged(response.url, productive)


class StoppedShapeMiddleware:
    """Downloader middleware, first of all: counts each request out of its shape's
    queue, and does not send those queued before their shape was stopped."""

    def __init__(self, crawler: Crawler) -> None:
        self.watch = ShapeWatch.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoppedShapeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        self.watch.left_queue(request)
        if request.meta.get("dna_kind") not in _JUDGED:
            return
        if key := self.watch.stopped(request.url):
            self.watch.dropped(key)
            raise Skipped(f"trap shape stopped: {request.url}")
