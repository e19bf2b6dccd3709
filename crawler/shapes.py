"""One crawl's pages per URL shape: what the trap guard counts and decides.

Shared by the spider middleware that sees each page's links and the
downloader middleware that drops requests of a stopped shape
(:mod:`crawler.middlewares.traps`, whose docstring tells the rules).
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from crawler.copies import DeeperCopies
from crawler.shapetally import ShapeTally, links_counted
from crawler.spelling import spelling_of
from crawler.texts import TextsMet
from crawler.walking import parameter_names, walked
from extract.urls import (
    directory_shape,
    implausible_date,
    looping_path,
    url_dates,
    url_shape,
)

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: A shape is kept while at least one of its pages in this many was productive.
_PRODUCTIVE_SHARE = 10
#: How far links of never-productive shapes sink in the scheduler's priority.
_SINK = 100
#: Pages of a URL shape guessed to be articles, none of them one, that prove the guess wrong.
_GUESS_TRIALS = 2
#: Pages whose links shown are remembered, the latest, for the pages they lead to.
_SHOWN_REMEMBERED = 2_000
#: Meta key: the request was parked or held back, and sent on past the duplicate filter.
RELEASED = "dna_shape_released"


class ShapeWatch:
    """One crawl's pages per URL shape, and the shapes stopped; shared by the
    spider middleware (which sees links) and the downloader middleware (which
    drops requests already queued when their shape is stopped)."""

    _of: ClassVar[weakref.WeakKeyDictionary[Crawler, ShapeWatch]] = weakref.WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        # Weakly: a value of _of holding its key would keep the crawl (its
        # spider, engine and this watch) alive after it ends, all of them.
        self._crawler = weakref.ref(crawler)
        self.threshold = settings.getint("DNA_TRAP_PAGES")
        self.max_queued = settings.getint("DNA_MAX_QUEUED_PER_SHAPE")
        self.today = datetime.now(UTC).date()
        self.shapes: dict[str, ShapeTally] = {}
        #: the article texts met so far: the same again is nothing new.
        self.texts = TextsMet()
        #: links held back from a page that led only to more of its own
        #: shape, until the one link sent on is judged.
        self.held: dict[str, list[Request]] = {}
        #: requests of a shape on trial, waiting while another of its pages is fetched.
        self.parked: dict[str, list[Request]] = {}
        #: pages answered again deeper down.
        self.copies = DeeperCopies()
        #: links not followed, their paths looping (see looping_path); and one of them.
        self.looping = 0
        self.looping_example = ""
        #: the links the latest pages showed (their hashes), by page URL.
        self.shown_by: dict[str, frozenset[int]] = {}
        #: the site's spelling the shapes are keyed in.
        self._spelling: tuple[object, ...] = ()
        #: per URL shape guessed to be articles: pages fetched, and how many were.
        self.guessed: dict[str, list[int]] = {}
        #: per such shape not yet confirmed, the pages counted productive for
        #: linking to it alone, by the shape keys they were counted in.
        self.provisional: dict[str, Counter[str]] = {}

    @property
    def crawler(self) -> Crawler:
        return self._crawler()  # type: ignore[return-value]  # alive while it crawls

    @classmethod
    def of(cls, crawler: Crawler) -> ShapeWatch:
        """The crawl's watch, made on first use."""
        if crawler not in cls._of:
            cls._of[crawler] = cls(crawler)
        return cls._of[crawler]

    def _shape(self, key: str) -> ShapeTally:
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = ShapeTally()
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

    def within(self, key: str, page_shape: str, link: str) -> bool:
        """Whether ``link``, seen from a page of shape ``page_shape``, is more of
        ``key``: one of its shapes, and for a path's ``?*`` the page's
        parameters with others added (one more filter), not other parameters
        (an article beside its listing under one ``index.php``)."""
        link_keys = self.keys(link)
        if key not in link_keys:
            return False
        if not key.endswith("?*"):
            return True
        return parameter_names(link_keys[0]) >= parameter_names(page_shape)

    # -- pages ------------------------------------------------------------

    def judged(
        self,
        url: str,
        productive: bool,
        links: list[Request],
        parent: str | None,
        *,
        pager: bool = False,
        dead_end: bool = False,
        print_view: bool = False,
        guessed: str | None = None,
        shown: frozenset[str] = frozenset(),
    ) -> list[Request]:
        """A page of ``url`` was fetched: it was (or was not) productive, led
        to ``links`` (new, admitted), showed ``shown`` (every link on it but
        its pager's, new or not), and was (or was not) a ``dead_end``, or
        a ``print_view`` (a copy of the page that linked it, showing no link);
        ``guessed``: it was productive only for links to that shape, guessed
        to be articles' and not yet known to be (see :meth:`guessed_article`).
        Returns the links to send on now: a page that leads only to more of a
        never-productive shape sends its first link alone, and the rest wait
        for that one's verdict."""
        self._follow_spelling()
        keys = self.keys(url)
        walking: tuple[str, ...] = ()
        showed_more = False
        if not productive and links:
            walking = tuple(
                key
                for key in keys
                if all(self.within(key, keys[0], link.url) for link in links)
                and walked(key, keys[0], [link.url for link in links])
            )
            # A page showing what the page it came from did not (a date
            # archive's day, its news seen already) is no walk, and its shape
            # lists things: walking no longer stops it (see _why_stop).
            if walking and self._shows_more(url, parent, shown, walking, keys[0]):
                walking, showed_more = (), True
        self._remember_shown(url, shown)
        # Strong signs count only where no shape of the page was ever productive:
        # an article URL in a new spelling (a session id dropped) is not a trap.
        untried = not pager and not any(
            (shape := self.shapes.get(key)) and shape.productive for key in keys
        )
        # Save walking, which counts where the page's own shape never was: on a
        # portal whose every page is one path (``/Default.aspx?tabid=*``,
        # ``index.php?option=*``), the path's ``?*`` is productive, and a
        # calendar under it walked twelve pages instead of two.
        fresh = not pager and not ((own := self.shapes.get(keys[0])) and own.productive)
        # A page stops at most one shape: a trap is reported once.
        stopped = self.stopped(url)
        dated = bool(url_dates(url))  # most URLs carry no date: asked once
        late = implausible_date(url, self.today) if dated else None
        # The spider bounds pagination by what each page shows: a listing
        # paging through articles another listing showed first is no sign of
        # a trap, and where its pages share a directory with the articles
        # (``/news/kinh-te/page-9`` beside ``/news/kinh-te/bai-viet.html``),
        # counting them stopped the articles too.
        counted = () if pager and not productive else keys
        for index, key in enumerate(counted):
            shape = self._shape(key)
            shape.example = shape.example or url
            shape.pages += 1
            if productive:
                shape.productive += 1
                shape.streak = shape.walk_streak = 0
                if guessed is not None:
                    self.provisional.setdefault(guessed, Counter())[key] += 1
                continue
            shape.streak += 1
            # Dead ends count for the page's own template (its shape, and its
            # path's ``?*``), not for a directory of pages named by words.
            own = index == 0 or key.endswith("?*")
            shape.dead_ends += dead_end and own
            shape.print_views += print_view and own
            shape.walks += key in walking
            shape.barren += not links and not dead_end
            shape.walk_streak = shape.walk_streak + 1 if key in walking else 0
            shape.showed_more = shape.showed_more or showed_more
            if late is not None and shape.late_date is None:
                shape.late_date = late
            stoppable = not stopped and not shape.stopped and self.threshold > 0
            why = stoppable and self._why_stop(
                shape, strong=untried, walked=fresh, dated=dated, mixed=key.endswith("?*")
            )
            if why:
                self._stop(key, shape, why)
                stopped = key
        send = self._settle(parent, stopped)
        if fresh and walking and not stopped:
            self.held[url] = links[1:]
            return send + links[:1]
        return send + links

    def _shows_more(
        self,
        url: str,
        parent: str | None,
        shown: frozenset[str],
        keys: tuple[str, ...],
        page_shape: str,
    ) -> bool:
        """Whether a page shows a link, other than more of ``keys``, that
        neither the page it came from nor the first page of its shape showed:
        it is no walk then.  A date archive's day shows that day's news, seen
        already or not; a calendar's month, or a search refined, shows its
        page again; a tag page shows the menu of the listings' template,
        which the article it came from did not, and so did the first tag
        page.  Unknown (the parent forgotten), or the shape's first page: no."""
        before = self.shown_by.get(parent) if parent else None
        examples = [
            shape.example
            for key in keys
            if (shape := self.shapes.get(key)) and shape.example and shape.example != url
        ]
        if before is None or not examples:
            return False
        # The first page forgotten (long ago): the parent alone tells.
        siblings = [self.shown_by[example] for example in examples if example in self.shown_by]
        return any(
            (mark := hash(link)) not in before
            and not any(mark in sibling for sibling in siblings)
            and not any(self.within(key, page_shape, link) for key in keys)
            for link in shown
        )

    def _remember_shown(self, url: str, shown: frozenset[str]) -> None:
        self.shown_by[url] = frozenset(map(hash, shown))
        if len(self.shown_by) > _SHOWN_REMEMBERED:
            del self.shown_by[next(iter(self.shown_by))]

    def _follow_spelling(self) -> None:
        """Carry the shapes' productive pages over to their shapes in the site's
        new spelling, once one was learnt.

        A number or a session id dropped from article URLs makes their shape
        a new one; met first through articles fetched already in the old
        spelling, it looked never productive, and strong signs stopped it
        with the articles queued in it.
        """
        spelling = spelling_of(self.crawler)
        if spelling is None:
            return
        now = spelling.learnt()
        if now == self._spelling:
            return
        self._spelling = now
        for key, shape in list(self.shapes.items()):
            if not shape.productive or not shape.example:
                continue
            respelt = url_shape(spelling.normal(shape.example))
            if respelt != key and key == url_shape(shape.example):
                target = self._shape(respelt)
                target.example = target.example or spelling.normal(shape.example)
                target.pages += shape.pages
                target.productive += shape.productive
                shape.example = ""  # carried once: the new shape carries it on

    def _why_stop(
        self, shape: ShapeTally, *, strong: bool, walked: bool, dated: bool, mixed: bool
    ) -> str | None:
        """Why ``shape``, just judged unproductive again, is to be stopped, if it is.

        :param strong: no shape of the page was ever productive: every strong sign counts.
        :param walked: the page's own shape never was: walking counts.
        :param dated: the page's URL carries a date: a run of walking counts,
            however productive the shape was (a date archive's days before
            and after its news, that would cost ten times its news days).
        :param mixed: a path's ``?*``, whose pages may be several templates':
            a walk then a barren page (``/Default.aspx?tabid=*``'s calendar,
            then its "about" tab) are no sign of one trap.
        """
        pages = f"stopped after {shape.pages} page{'s' if shape.pages != 1 else ''}"
        if (strong or walked) and not (shape.productive or shape.showed_more) and shape.walks:
            if shape.walks >= 2:
                return f"{pages} (each led only to more of it)"
            if shape.barren and not mixed:
                return f"{pages} (led only to more of it, then to nothing new)"
        if dated and shape.walk_streak >= self.threshold:
            return f"{pages} (the last {shape.walk_streak} led only to more of it)"
        if strong and shape.late_date is not None:
            return f"{pages} (its dates ran to {shape.late_date})"
        # Dead ends count where their own shape never was productive (not ``?*``).
        # One print view tells: the article it copies linked it, and it shows
        # no link at all, not even the site's menu, as no page to follow does.
        if not shape.productive and (
            shape.print_views or shape.dead_ends >= max(2, self.threshold // 6)
        ):
            return f"{pages} (dead ends: no links, or copies)"
        threshold = max(2, self.threshold // 4) if shape.late_date else self.threshold
        if shape.streak >= threshold and shape.productive * _PRODUCTIVE_SHARE < shape.pages:
            if shape.late_date:
                return f"{pages} (its dates ran to {shape.late_date})"
            return f"{pages} (the last {shape.streak} led to no new article)"
        return None

    def repeats_above(
        self,
        url: str,
        links_written: int | None,
        written: str | None = None,
        parent: str | None = None,
    ) -> str | None:
        """The page higher up that offered the same links as written, if one
        did: ``url`` is a copy of it, whose links are not followed (see
        :mod:`crawler.copies`).

        :param written: the relative href that led to ``url``, as written:
            written so on pages of other directories, it leads to more copies.
        :param parent: the page that linked ``url``: if the page above, its
            other relative links below it lead to copies too.
        """
        above = (
            self.copies.higher_up(url, links_written, parent if written else None)
            if links_written is not None
            else None
        )
        if above is None:
            return None
        if written:
            self.copies.led_to_copy(written)
        if self.copies.first_copy(above):
            logger.warning(
                "%s: trap: %s answers again deeper (%s): links not followed", self._site, above, url
            )
        self.crawler.stats.inc_value("dna/nested_copies")
        self._report()
        return above

    def _settle(self, parent: str | None, stopped: str | None) -> list[Request]:
        """The links held back from ``parent``: dropped when its first link
        stopped a shape, else released."""
        held = self.held.pop(parent, []) if parent else []
        if stopped is None:
            return held
        for request in held:
            self.left_queue(request)
            self.dropped(stopped)
        return []

    def release_all(self) -> list[Request]:
        """Every request still held back or parked (the crawl has nothing else
        left; a page failed in a way no middleware hears of, so its shape's
        count of pages out never came down).  Parked requests go past the
        duplicate filter, which saw them; held links were never through it,
        and a page reached meanwhile by another way (a redirect, another
        worker of a shared frontier) must not be fetched again."""
        held = [request for requests in self.held.values() for request in requests]
        parked = [request for requests in self.parked.values() for request in requests]
        self.held.clear()
        self.parked.clear()
        for shape in self.shapes.values():
            shape.fetching = 0
        return held + [released(request) for request in parked]

    # -- shapes on trial --------------------------------------------------

    def on_trial(self, url: str) -> str | None:
        """The shape of ``url`` on trial with a page of it being fetched now:
        never productive yet (on any of ``url``'s shapes).  A new shape's
        first page is its first trial: the rest wait for its verdict."""
        shapes = [(key, self.shapes.get(key)) for key in self.keys(url)]
        if any(shape and shape.productive for _, shape in shapes):
            return None
        return next((key for key, shape in shapes if shape and shape.fetching), None)

    def park(self, key: str, request: Request) -> None:
        self.parked.setdefault(key, []).append(request)

    def sent(self, url: str) -> None:
        for key in self.keys(url):
            self._shape(key).fetching += 1

    def came_back(self, url: str, productive: bool) -> list[Request]:
        """A page of ``url`` came back (and was judged ``productive`` or not):
        what was parked behind it is dropped if its shape is stopped, else
        sent on, all of it or (still on trial) the next one."""
        send: list[Request] = []
        for key in self.keys(url):
            shape = self._shape(key)
            shape.fetching = max(0, shape.fetching - 1)
            # Only what is of a stopped shape itself is dropped: a coarser key
            # (``/index.php?*``) also parks the pages of other shapes.
            parked = []
            for request in self.parked.pop(key, []):
                if of := self.stopped(request.url):
                    self.dropped(of)
                else:
                    parked.append(request)
            if not productive and parked:
                self.parked[key] = parked[1:]
                parked = parked[:1]
            send += [released(request) for request in parked]
        return send

    def guessed_article(self, url: str, was: bool) -> None:
        """A page whose URL was guessed to be an article's came back: it ``was``
        one or not.  Once the guess is proved wrong, the pages counted
        productive for linking to such pages alone are counted so no more."""
        shape = url_shape(url)
        counts = self.guessed.setdefault(shape, [0, 0])
        counts[0] += 1
        counts[1] += was
        if was:
            self.provisional.pop(shape, None)
        elif not self.may_be_article(url):
            for key, pages in self.provisional.pop(shape, Counter()).items():
                counted = self.shapes[key]
                counted.productive = max(0, counted.productive - pages)

    def unconfirmed(self, url: str) -> str | None:
        """The shape of ``url``, guessed to be an article's, if no page of it was one yet."""
        shape = url_shape(url)
        counts = self.guessed.get(shape)
        return shape if counts is None or not counts[1] else None

    def may_be_article(self, url: str) -> bool:
        """Whether a link guessed to be an article's still may be: not when two
        pages of its shape were fetched and none was one.

        The guess is a URL pattern, and patterns misfire: Joomla puts
        ``Itemid=101`` (a menu item) on every URL, which reads as an article
        id, so a search page linking to more searches counted as productive
        and its trap was never stopped (55,000 pages in ten minutes).
        """
        counts = self.guessed.get(url_shape(url))
        return counts is None or counts[1] > 0 or counts[0] < _GUESS_TRIALS

    def credit(self, url: str) -> None:
        """A page linked from ``url`` turned out to be an article: its shape is productive."""
        for key in self.keys(url):
            shape = self._shape(key)
            shape.productive += 1
            shape.streak = 0

    def discredit(self, url: str) -> None:
        """The page of ``url``, counted productive, turned out to be nothing new."""
        for key in self.keys(url):
            shape = self._shape(key)
            shape.productive = max(0, shape.productive - 1)

    def _stop(self, key: str, shape: ShapeTally, why: str) -> None:
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
        if self.copy_link(request):
            return False
        keys = self.keys(url)
        shape = self._shape(keys[0])
        if (late := implausible_date(url, self.today, whole_days=True)) is not None:
            shape.misdated += 1
            shape.misdated_example = shape.misdated_example or late
            return self._refused(
                "dna/links_misdated",
                shape.misdated,
                "%s: dates: links of %s dated as no news is (%s) not followed",
                keys[0],
                late,
            )
        if looping_path(url):
            self.looping += 1
            self.looping_example = self.looping_example or urlsplit(url).path
            return self._refused(
                "dna/links_looping",
                self.looping,
                "%s: paths: links repeating their path, or too deep (%s), not followed",
                self.looping_example,
            )
        if self.max_queued > 0 and shape.queued >= self.max_queued:
            shape.queue_capped += 1
            return self._refused(
                "dna/queue_capped",
                shape.queue_capped,
                "%s: queue cap: %s holds %d requests; further links dropped",
                keys[0],
                self.max_queued,
            )
        shape.queued += 1
        request.meta["dna_queued_shape"] = keys[0]
        known = [found for key in keys if (found := self.shapes.get(key)) and found.pages]
        if known and not any(found.productive for found in known):
            request.priority -= _SINK
        return True

    def copy_link(self, request: Request) -> bool:
        """Whether ``request`` follows a relative href written as one that led
        to a copy, or one below a page answered again below it (see
        :meth:`repeats_above`); counted if so."""
        written = request.meta.get("dna_written")
        if not written or not (
            self.copies.refuses(written)
            or self.copies.below_a_router(request.url, request.meta.get("dna_linked_from"))
        ):
            return False
        self.crawler.stats.inc_value("dna/copy_links")
        self._report()
        return True

    def _refused(self, stat: str, count: int, warning: str, *args: object) -> bool:
        """A link not queued, the ``count``-th of its kind in its shape: counted
        in ``stat``, said in the log the first time, and in the cut-off lines."""
        self.crawler.stats.inc_value(stat)
        if count == 1:
            logger.warning(warning, self._site, *args)
        self._report()
        return False

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
        lines = [
            line
            for key, shape in self.shapes.items()
            for line in shape.cut_off(key, self.max_queued)
        ]
        if self.looping:
            lines.append(
                f"paths: {links_counted(self.looping)} repeating their path, or too deep, "
                f"not followed (e.g. {self.looping_example})"
            )
        lines += self.copies.cut_off()
        return lines

    def _report(self) -> None:
        self.crawler.stats.set_value("dna/cut_off", self.cut_off())


def released(request: Request) -> Request:
    """A parked request sent on: past the duplicate filter, which saw it once
    already; :class:`StoppedShapeMiddleware` filters its redirects again."""
    return request.replace(dont_filter=True, meta={**request.meta, RELEASED: True})
