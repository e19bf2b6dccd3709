"""Send a queued request as its site is now known to spell its URLs.

A site's spelling (:mod:`crawler.spelling`) is learnt while it is crawled:
paths that ignore case, a session parameter, an origin the server moved.
The links pages offered before it was learnt wait in the scheduler in the
old spelling.  Sent as they are, each costs a redirect or fetches a page
again under another name, and such copies make the old spelling's shape
look like a trap: stopped, it took with it the links still waiting in it
that no page had offered in the new spelling (an article lost).  So just
before a request is sent, its URL is spelt anew; a request that changes
goes back to the scheduler under its new URL, where the duplicate filter
drops it if that URL was asked for already.

The duplicate filter knows URLs as they were asked for.  A page fetched as
``bai-viet-12.aspx?sid=8F3A2C91`` before ``sid`` was learnt is, in the new
spelling, ``bai-viet-12.aspx``, which it has never seen: one copy of every
article fetched before the learning was fetched again.  So this middleware
keeps the pages sent whose URL a later spelling may change (a query, or
capitals while case is unknown), spells them anew whenever the spelling
changes, and does not send a request for one of them.  A page is sent once
every downloader middleware let its request through, in flight or waiting
for its host's turn: not one parked or dropped after this middleware.  Only
GET requests count: a form posted back to a page's URL is another page.
One answered by a redirect stops counting: its page is the target's (spelt
anew, a moved origin's old URL is that very target).

While the server's case is being asked (:mod:`crawler.caseprobe`, two round
trips), a request whose URL differs from a page sent only in the path's
capitals waits for the answer, then is spelt anew: sent at once, it fetched
the page a second time whenever the server turned out to ignore case.  Only
such requests wait, and at most :data:`CASE_WAIT` seconds.

Requests that bypass the duplicate filter (probes, start URLs) are sent as
they are; redirects are spelt where they are followed
(:mod:`crawler.middlewares.redirects`), and one the server sent out of our
spelling, from the very URL respelling would give it, goes as the server
wrote it: respelt, the duplicate filter dropped it, and its page was lost.
A request let through after waiting (:data:`crawler.shapes.RELEASED`) is
spelt anew like any other: it waited longest while a session id was being
learnt, and sent as it was, each such copy of an article cost a page.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from twisted.internet.task import deferLater

from crawler.failures import Skipped
from crawler.shapes import RELEASED, ShapeWatch
from crawler.spelling import UrlSpelling, spelling_of
from extract.urls import with_lowercase_path

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.defer import Deferred


#: Times the pages sent are spelt anew, at most, in one crawl of a site.
MAX_RESPELLINGS = 32
#: Seconds a request for a case variant of a page sent waits for the case probe.
CASE_WAIT = 30.0
#: Meta key of a request that waited for the case probe once: it does not again.
_WAITED_FOR_CASE = "dna_waited_for_case"


class RespellMiddleware:
    """Downloader middleware before every other: a queued request in an old
    spelling goes back to the scheduler in the new one, and one for a page
    sent already under an old spelling is not sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        #: pages sent whose URL a later spelling may change, in the spelling
        #: :attr:`_learnt` (a page budget's worth at most: one per page sent).
        self._sent: set[str] = set()
        #: every page sent, path lowercased, while the server's case is unknown.
        self._sent_lowered: set[str] = set()
        self._learnt: tuple[object, ...] = UrlSpelling().learnt()
        self._respellings = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RespellMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.sent, signal=signals.request_reached_downloader)
        crawler.signals.connect(middleware.answered, signal=signals.response_downloaded)
        return middleware

    def process_request(self, request: Request) -> Request | Deferred | None:
        if request.dont_filter and not request.meta.get(RELEASED):
            return None
        spelling = spelling_of(self.crawler)
        if spelling is None:
            return None
        self._follow(spelling)
        url = spelling.normal(request.url)
        if request.method == "GET":
            if url in self._sent:
                self.crawler.stats.inc_value("dna/respelt_sent")
                ShapeWatch.of(self.crawler).left_queue(request)
                raise Skipped(f"sent already under another spelling: {request.url}")
            if self._case_variant_of_sent(spelling, request, url):
                request.meta[_WAITED_FOR_CASE] = True
                self.crawler.stats.inc_value("dna/waited_for_case")
                told = self._case_told(spelling, time.monotonic() + CASE_WAIT)
                return told.addCallback(lambda _: self.process_request(request))
        if url == request.url or url in request.meta.get("redirect_urls", ()):
            return None  # a server redirecting out of our spelling has the last word
        self.crawler.stats.inc_value("dna/respelt")
        return request.replace(url=url, dont_filter=False)

    def sent(self, request: Request, **_: Any) -> None:
        """``request`` passed every downloader middleware: it will be fetched."""
        spelling = spelling_of(self.crawler)
        if request.method != "GET" or spelling is None:
            return
        self._follow(spelling)
        if spelling.case_insensitive is None:
            self._sent_lowered.add(with_lowercase_path(spelling.normal(request.url)))
        if spelling.may_respell(request.url) and self._respellings <= MAX_RESPELLINGS:
            self._sent.add(spelling.normal(request.url))

    def answered(self, response: Response, request: Request, **_: Any) -> None:
        """A redirect: the page is the target's, asked for in its own right."""
        spelling = spelling_of(self.crawler)
        redirected = 300 <= response.status < 400 and b"Location" in response.headers
        if spelling is not None and redirected and self._sent:
            self._follow(spelling)
            self._sent.discard(spelling.normal(request.url))

    def _follow(self, spelling: UrlSpelling) -> None:
        """Spell the pages sent anew if the site's spelling changed.

        Each time costs a look at every page sent.  A real portal teaches a
        handful of rules; one inventing a parameter per page would make it
        a cost per page squared, so past :data:`MAX_RESPELLINGS` the pages
        sent are forgotten, and the duplicate filter alone decides.
        """
        if (learnt := spelling.learnt()) == self._learnt:
            return
        self._learnt = learnt
        self._respellings += 1
        if self._respellings > MAX_RESPELLINGS:
            self._sent.clear()
        else:
            self._sent = {spelling.normal(url) for url in self._sent}
        if spelling.case_insensitive is None:
            self._sent_lowered = {spelling.normal(url) for url in self._sent_lowered}
        else:
            self._sent_lowered.clear()

    def _case_variant_of_sent(self, spelling: UrlSpelling, request: Request, url: str) -> bool:
        """Whether ``url`` is a page sent if the server, being asked, ignores case."""
        if not spelling.case_asked or spelling.case_insensitive is not None:
            return False
        return not request.meta.get(_WAITED_FOR_CASE) and with_lowercase_path(url) in (
            self._sent_lowered
        )

    def _case_told(self, spelling: UrlSpelling, deadline: float) -> Deferred:
        """Fires once the server's case is known, or at ``deadline`` (a probe lost)."""
        from twisted.internet import reactor

        def look() -> Deferred | None:
            if spelling.case_insensitive is not None or time.monotonic() >= deadline:
                return None
            return deferLater(reactor, 0.05, look)

        return deferLater(reactor, 0.05, look)
