"""Stop crawler traps by what they do: URL shapes that keep yielding nothing new.

A calendar, a faceted filter, a print view or a link farm is a family of
URLs made by one template from ever new values: ``/lich-cong-tac?_8_month=7
&_8_year=2014`` and the next month share the shape ``/lich-cong-tac?_8_month=*
&_8_year=*`` (see :func:`extract.urls.url_shape`).  Articles and the listings
that lead to them are productive; trap pages are not.  So, per shape, this
counts the pages fetched and whether each was productive: an article whose
text was new, or a page that linked to an article not seen before (or to a
page that turned out to be one).  A shape is stopped once ``DNA_TRAP_PAGES``
of its pages in a row were not, while fewer than one in ten of all its pages
were.  A shape that has never been productive is stopped much sooner, on
stronger signs:

- it walks itself: two of its pages led only to more of it (a calendar's
  next month, a search's refinements, another filter on a facet), or one
  did and another led to nothing new; this counts as long as the page's own
  shape was never productive, whatever its path's ``?*`` was (on a portal
  whose every page is ``/Default.aspx?…``).  A page showing what neither
  the page it came from nor its shape's first page showed (a date
  archive's day, its news) is no walk;
- its pages are dead ends: ``DNA_TRAP_PAGES // 6`` pages of it held text
  and no links at all, or were copies of an article met before (print
  views); an empty page or an error's line is no dead end;
- its URLs carry dates no news can: past today (a year: past next year),
  before the web, or on no day at all.

A shape on trial (never productive yet, a new one included) has one page
fetched at a time: the others wait until it is judged, and go on, or are
dropped when it stopped the shape.  Likewise a page that leads only to more
of its own shape sends its first link alone and holds the rest back.
Whatever waits is sent when nothing else is left.  Links of shapes fetched
and never productive sink behind all others, so a trap is explored after the
useful pages.
No list of names: it works on templates nobody has seen.

Memory stays bounded too: no shape may hold more than
``DNA_MAX_QUEUED_PER_SHAPE`` requests waiting in the scheduler; links past
that are dropped and counted.

Whatever is stopped is said: a warning in the log and a line in the crawl
stats (``dna/cut_off``), which the crawl summary and ``dna crawls`` show.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.http import TextResponse

from crawler.failures import Skipped
from crawler.items import ArticleItem
from crawler.links import page_selector
from crawler.shapes import RELEASED, ShapeWatch
from crawler.spelling import spelt
from extract.urls import canonicalize, url_shape

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: Request kinds whose pages are judged (media and feeds are not pages).
_JUDGED = frozenset({"seed", "page", "listing", "article"})
#: Characters of text, at least, in a print view: more than an error's line.
_PRINT_VIEW_TEXT = 200
#: Meta key: the URL a request was counted out to the downloader as (a
#: redirect keeps it), until its page comes back.
_SENT = "dna_shape_sent"


class TrapGuardMiddleware:
    """Spider middleware: judges each page by what it yields, and admits its links."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.watch = ShapeWatch.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapGuardMiddleware:
        guard = cls(crawler)
        # Requests leave the queue for the downloader (StoppedShapeMiddleware
        # sees each first) or are dropped by the scheduler as duplicates.
        crawler.signals.connect(guard.left_queue, signal=signals.request_dropped)
        crawler.signals.connect(guard.release_held, signal=signals.spider_idle)
        return guard

    def left_queue(self, request: Request, **_: Any) -> None:
        self.watch.left_queue(request)

    def release_held(self, **_: Any) -> None:
        """Nothing else is left: links held back behind a first link that never
        got a verdict (it failed) are sent after all."""
        for request in self.watch.release_all():
            self.crawler.engine.crawl(request)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        meta = response.meta
        judged = meta.get("dna_kind") in _JUDGED and response.status == 200
        # A page sent before its site's spelling was learnt (a session id, a
        # moved origin, case) is judged as the page it is: under the new spelling.
        # Redirected, it is where the server sent it, canonical as its links
        # are (an ASP.NET session in the path left out).
        page_url = spelt(self.crawler, canonicalize(response.url))
        own_shape = url_shape(page_url)
        productive = copy = article = sure = False
        #: the shape of an article link not yet known to hold articles, for
        #: while the page is productive by such links alone (not ``sure``).
        guessed: str | None = None
        links: list[Request] = []
        async for output in result:
            if isinstance(output, Request):
                if meta.get("dna_kind") != "feed" and not self.watch.admit(output):
                    continue
                # A page that leads only to more of itself leads nowhere new;
                # nor do links whose shape was guessed to be articles' wrongly.
                if (
                    output.meta.get("dna_kind") == "article"
                    and url_shape(output.url) != own_shape
                    and self.watch.may_be_article(output.url)
                ):
                    unconfirmed = self.watch.unconfirmed(output.url)
                    sure = sure or unconfirmed is None
                    guessed = guessed or unconfirmed
                    productive = True
                output.meta.setdefault("dna_linked_from", page_url)
                if judged and output.meta.get("dna_kind") in _JUDGED:
                    links.append(output)  # sent once the page is judged
                    continue
            elif isinstance(output, ArticleItem):
                article = True
                if (first := self.watch.texts.met_before(output.record, page_url)) is not None:
                    # A copy of the page that linked it (its print, save or
                    # AMP view) is a dead end.  One of an article met by
                    # another way (a listing's link under a second prefix,
                    # /web/site/ beside /vi/) is its alias: counted so, the
                    # aliases' shape was stopped, and the articles the
                    # portal linked only that way were lost.
                    copy = first == meta.get("dna_linked_from")
                elif (template := self.watch.texts.dated_template(output.record, page_url))[0]:
                    # A calendar's next week, as a notice: nothing new, nor
                    # was the first week, counted so before this one came.
                    if template[1] is not None:
                        self.watch.discredit(template[1])
                else:
                    productive = sure = True
                    if parent := meta.get("dna_linked_from"):
                        self.watch.credit(parent)
            yield output
        if judged:
            if meta.get("dna_kind") == "article":
                self.watch.guessed_article(page_url, article)
            nested = self.watch.repeats_above(
                page_url,
                meta.get("dna_links_written"),
                meta.get("dna_written"),
                meta.get("dna_linked_from"),
            )
            if nested:
                links = []  # they lead nowhere the page above did not
            # A dead end: a copy of an article, or a page of text with no links
            # at all (a print view), not a listing whose articles were all
            # seen.  (Asked last: Scrapy's selector parses the page a second
            # time; a page repeating another has links, so it is not asked.)
            dead_end = (
                not productive and not links and (copy or (not nested and _print_view(response)))
            )
            for request in self.watch.judged(
                page_url,
                productive,
                links,
                meta.get("dna_linked_from"),
                pager=bool(meta.get("dna_pager")),
                dead_end=dead_end,
                print_view=dead_end and copy and not meta.get("dna_links_shown"),
                guessed=None if sure else guessed,
                shown=meta.get("dna_links_shown", frozenset()),
            ):
                if not self._sent_on(request):
                    yield request
        if sent := meta.pop(_SENT, None):
            for request in self.watch.came_back(sent, productive):
                self._sent_on(request)

    def _sent_on(self, request: Request) -> bool:
        """Send a request that waited (held back or parked) straight to the
        scheduler, past the spider middlewares: yielded again, the depth
        middleware lowered its priority by the depth of each page it came
        back with, and the links walking pages sent kept it waiting."""
        if not request.meta.get(RELEASED):
            return False
        self.crawler.engine.crawl(request)
        return True


def _print_view(response: Response) -> bool:
    """Whether a page holds text and no link at all, as a print view does.

    An empty page, or a line saying the article is gone, is no print view:
    two such pages first in a listing of articles (deleted, still listed)
    stopped every article of the site as a dead-end shape.
    """
    if not isinstance(response, TextResponse):
        return False
    selector = page_selector(response)
    if selector.xpath("//a[@href]"):
        return False
    text = selector.xpath("normalize-space(string(//body))").get() or ""
    return len(text) >= _PRINT_VIEW_TEXT


class StoppedShapeMiddleware:
    """Downloader middleware, first after the respelling: counts each request out of its shape's
    queue, does not send those queued before their shape was stopped, and
    parks those of a shape on trial while another of its pages is fetched."""

    def __init__(self, crawler: Crawler) -> None:
        self.watch = ShapeWatch.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoppedShapeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        self.watch.left_queue(request)
        if request.meta.pop(RELEASED, False):
            request.dont_filter = False  # so that a redirect from it is filtered
        if request.meta.get("dna_kind") not in _JUDGED:
            return
        if key := self.watch.stopped(request.url):
            self.watch.dropped(key)
            raise Skipped(f"trap shape stopped: {request.url}")
        if self.watch.copy_link(request):
            raise Skipped(f"written as a link that led to a copy: {request.url}")
        if request.meta.get(_SENT):
            return  # a retry or a redirect of a page already counted out
        if key := self.watch.on_trial(request.url):
            self.watch.park(key, request)
            raise Skipped(f"waits while {key} is on trial: {request.url}")
        self.watch.sent(request.url)
        request.meta[_SENT] = request.url

    def process_response(self, request: Request, response: Response) -> Response:
        # Pages that will not be judged (errors) come back here.
        if response.status != 200:
            self._came_back(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._came_back(request)

    def _came_back(self, request: Request) -> None:
        if sent := request.meta.pop(_SENT, None):
            engine = self.watch.crawler.engine
            for waiting in self.watch.came_back(sent, productive=False):
                engine.crawl(waiting)
