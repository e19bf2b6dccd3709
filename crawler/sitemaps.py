"""The child sitemaps of a sitemap index: sent a few at a time, stopped once they lead nowhere.

A sitemap index may list 50,000 child sitemaps.  All of them were queued at
once and fetched to the last, whatever they held: on a portal whose
children list nothing (or what was listed already) the crawl fetched ten
thousand of them in five minutes and found nothing, until its budget.  So
the children wait here and go out :data:`AT_ONCE` at a time, one more as
each comes back; once :data:`BARREN_IN_A_ROW` in a row listed no page that
no sitemap listed before, the rest are left, and the crawl summary says how
many.  Only sitemaps count: a child listing pages the listings led to first,
or archived ones a ``new`` crawl skips, is not barren, so an index whose
children keep listing pages of their own is read to its end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

#: Child sitemaps being fetched at once.
AT_ONCE = 2
#: Child sitemaps in a row leading to nothing new, after which the rest are left.
BARREN_IN_A_ROW = 10


class SitemapChildren:
    """One crawl's child sitemaps: those waiting, those out, and the run of barren ones.

    :param on_left: told how many children were left unfetched, and one of them.
    """

    def __init__(self, on_left: Callable[[int, str], None]) -> None:
        self.on_left = on_left
        self.waiting: deque[str] = deque()
        self.known: set[str] = set()
        #: the pages any sitemap listed so far (their hashes).
        self.pages: set[int] = set()
        self.out = 0
        self.barren = 0
        self.stopped = False

    def listed(self, urls: Iterable[str]) -> bool:
        """An index listed ``urls``: whether any child was new."""
        before = len(self.known)
        for url in urls:
            if url not in self.known:
                self.known.add(url)
                self.waiting.append(url)
        if self.stopped:
            self._leave()
        return len(self.known) > before

    def page(self, url: str) -> bool:
        """A sitemap listed ``url``: whether none listed it before."""
        mark = hash(url)
        if mark in self.pages:
            return False
        self.pages.add(mark)
        return True

    def came_back(self, led_to_new: bool) -> None:
        """A child came back (or failed), having listed new pages or children, or not."""
        self.out = max(0, self.out - 1)
        self.barren = 0 if led_to_new else self.barren + 1
        if self.barren >= BARREN_IN_A_ROW:
            self.stopped = True
            self._leave()

    def send(self) -> list[str]:
        """The children to send now: as many as keep :data:`AT_ONCE` out."""
        sent = []
        while self.waiting and self.out < AT_ONCE:
            sent.append(self.waiting.popleft())
            self.out += 1
        return sent

    def _leave(self) -> None:
        """Leave every child waiting, counted for the crawl summary."""
        if self.waiting:
            self.on_left(len(self.waiting), self.waiting[0])
            self.waiting.clear()
