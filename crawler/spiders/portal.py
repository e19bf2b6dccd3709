"""The ``portal`` spider: walks one Vietnamese news portal and yields its articles.

Discovery follows the family's listings and pagination, plus sitemaps and
RSS where a portal has them.  Every response is recorded to WARC by the
downloader middleware before it gets here; this spider only decides what to
fetch next and what is an article.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap

from crawler.caseprobe import CaseProbe
from crawler.cutoffs import note_links_cut, note_sitemaps_left, note_unextracted, site_budgets
from crawler.decide import content_kind, judge_page
from crawler.failures import UNREACHABLE_ROBOTS, Skipped, failure_reason, note_failure
from crawler.frontier.redis import KnownArticles, frontier_settings, known_articles
from crawler.history import ArchiveHistory
from crawler.items import ArticleItem
from crawler.links import (
    allowed,
    followed_links,
    is_relative,
    listed_items,
    pager_link_at,
)
from crawler.schedule.rules import CRAWL_MODES
from crawler.sitemaps import SitemapChildren
from crawler.sites import SiteConfig, load_sites, sites_path
from crawler.spelling import UrlSpelling
from extract.dates import parse_feed_date
from extract.families import GENERIC, Family, get_family
from extract.page import Page, fetched_page, page_family
from extract.postback import PostBackPager, postback_pager
from extract.scripts import script_redirect
from extract.select import nodes
from extract.urls import (
    DOCUMENT_EXTENSIONS,
    absolute,
    extension,
    split_domain,
    url_shape,
    without_params,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

#: Listing pages in a row showing no article new to the crawl after which a
#: pager whose pages never repeat is given up (see ``_next_pages``).
ENDLESS_PAGER_STREAK = 10
#: Page numbers in listing URLs, for the per-listing page cap.
PAGE_NUMBER = re.compile(
    r"(?:[?&](?:pageindex|page|trang|p|_101_cur|[\w-]*_cur)=|/page-)(\d+)", re.IGNORECASE
)
SKIPPED_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".svg",
        ".ico",
        ".bmp",
        ".css",
        ".js",
        ".mp3",
        ".mp4",
        ".avi",
        ".wmv",
        ".flv",
        ".swf",
        ".woff",
        ".woff2",
        ".ttf",
        ".exe",
    }
)
#: A page's links, and its frames: a frameset's pages (menu, main) are the portal.
_LINKS = "//a/@href | //area/@href | //frame/@src | //iframe/@src"
#: Meta key: a request for a sitemap an index listed.
_CHILD_SITEMAP = "dna_child_sitemap"
_FEED_LINKS = '//link[@rel="alternate"][contains(@type, "rss") or contains(@type, "atom")]/@href'
#: Scheduling priority by what a request is expected to return.  A start
#: page's links of no known kind are the site's menu: its sections go before
#: the pages deep in any listing, so that overlapping listings (all news,
#: each category) are paged side by side, and one behind the others ends
#: early, having shown nothing new for a while.
PRIORITY = {
    "seed": 100,
    "feed": 50,
    "menu": 30,
    "listing": 20,
    "article": 10,
    "page": 0,
    "media": -10,
}


def response_page(response: Response, fetched_at: datetime) -> Page:
    """The :class:`Page` of a live response: its header lines as sent, in order."""
    return fetched_page(
        response.url,
        response.status,
        ((name, value) for name, values in response.headers.items() for value in values),
        response.body,
        fetched_at,
    )


class PortalSpider(CaseProbe, scrapy.Spider):
    """Crawl one site from ``sites.toml``: ``scrapy crawl portal -a site=NAME``."""

    name = "portal"
    probe_priority = PRIORITY["seed"]

    def __init__(self, site: SiteConfig | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(site, SiteConfig):
            raise ValueError("PortalSpider needs a site: scrapy crawl portal -a site=NAME")
        self.site = site
        self.start_urls = list(site.start_urls)
        # Scrapy's offsite filter takes bare hosts, and covers their subdomains;
        # ports, and a www. host's name without it (alone), are checked by ours.
        hosts = {split_domain(d)[0] for d in site.allowed_domains}
        self.allowed_domains = sorted(hosts | {h.removeprefix("www.") for h in hosts})
        self.family: Family | None = None if site.family == "auto" else get_family(site.family)
        #: Canonical article URLs linked so far (by the whole fleet when the
        #: frontier is shared), to tell live listings from dead ones.
        self.known_articles = KnownArticles()
        #: Every URL a request was made for, so repeated links cost nothing.
        self.requested: set[str] = set()
        #: Pager postbacks sent: (form URL, page number), or for a step (next,
        #: last) also its target, argument and the links of the page it left.
        self._posted: set[tuple[Any, ...]] = set()
        #: In ``new`` mode, the articles archived by earlier crawls: not fetched again.
        self._archived: frozenset[str] = frozenset()
        #: Session parameters and path case, as learnt from this site.
        self.spelling = UrlSpelling()
        self.sitemaps = SitemapChildren(lambda *left: note_sitemaps_left(self.crawler.stats, *left))

    @classmethod
    def from_crawler(
        cls,
        crawler: Crawler,
        *args: Any,
        site: SiteConfig | str | None = None,
        mode: str | None = None,
        resumes: int | str | None = None,
        **kwargs: Any,
    ) -> PortalSpider:
        """Also takes this run's ``mode`` (new, full) and the crawl id it ``resumes``."""
        if isinstance(site, str) or site is None:
            site = _site_from_settings(crawler, site)
        if mode is not None:
            if mode not in CRAWL_MODES:
                raise ValueError(f"unknown crawl mode {mode!r} (one of {', '.join(CRAWL_MODES)})")
            crawler.settings.set("DNA_CRAWL_MODE", mode, priority="spider")
        if resumes:
            crawler.settings.set("DNA_RESUMES", int(resumes), priority="spider")
        # Per-site limits become Scrapy's own settings (allowed in from_crawler
        # since Scrapy 2.11), so CloseSpider and DepthMiddleware enforce them.
        # Every crawl has a page and a time budget: a portal nobody has looked
        # at may hold a trap nothing else recognises.  The page budget is
        # crawler.middlewares.budget's: CloseSpider's page count lets requests
        # in flight overshoot it.
        _, budget_minutes = site_budgets(site, crawler.settings)
        crawler.settings.set("CLOSESPIDER_TIMEOUT", budget_minutes * 60, priority="spider")
        if site.max_depth is not None:
            crawler.settings.set("DEPTH_LIMIT", site.max_depth, priority="spider")
        # Twice the per-host limit, whatever set it (see crawler.settings);
        # CONCURRENT_REQUESTS given on the command line still has the last word.
        per_host = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        crawler.settings.set("CONCURRENT_REQUESTS", 2 * per_host, priority="project")
        if frontier := crawler.settings.get("DNA_FRONTIER_URL"):
            for key, value in frontier_settings(frontier).items():
                crawler.settings.set(key, value, priority="spider")
        spider = super().from_crawler(crawler, *args, site=site, **kwargs)
        spider.known_articles = known_articles(crawler.settings, site.name)
        return spider

    # -- start ------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        settings = self.crawler.settings
        budget_pages, budget_minutes = site_budgets(self.site, settings)
        self.crawler.stats.set_value("dna/budget_pages", budget_pages)
        self.crawler.stats.set_value("dna/budget_minutes", budget_minutes)
        if settings.get("DNA_CRAWL_MODE") == "new":
            history = ArchiveHistory.of_crawl(self.crawler, self.site.name)
            self._archived = frozenset(
                history.archived_articles(resumes=settings.getint("DNA_RESUMES") or None)
            )
            self.logger.info(
                "%s: new mode, %d archived articles will not be fetched again",
                self.site.name,
                len(self._archived),
            )
        for url in self.start_urls:
            yield self.request_for(url, "seed")
        # The family's sitemaps and feeds (the generic guesses until an
        # ``auto`` site's family is known); most portals have none, so a
        # missing one is not an error.
        feeds = (self.family or GENERIC).feeds
        roots = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in self.start_urls}
        for root in sorted(roots):
            for path in feeds:
                callback = self.parse_sitemap if "sitemap" in path else self.parse
                yield self.request_for(root + path, "feed", callback=callback, optional=True)

    def request_for(
        self,
        url: str,
        kind: str,
        *,
        callback: Any = None,
        optional: bool = False,
        listed_date: datetime | None = None,
        menu: bool = False,
        written: str | None = None,
    ) -> scrapy.Request:
        meta: dict[str, Any] = {"dna_kind": kind}
        if optional:
            meta["dna_optional"] = True
        if written:
            meta["dna_written"] = written  # a relative href, as written
        if listed_date:
            meta["dna_listed_date"] = listed_date
        self.requested.add(url)
        return scrapy.Request(
            url,
            callback=callback or (self.parse_media if kind == "media" else self.parse),
            errback=self.failed,
            priority=PRIORITY[self._rank(url, kind, menu)],
            meta=meta,
        )

    def _rank(self, url: str, kind: str, menu: bool) -> str:
        """Which :data:`PRIORITY` a request of ``kind`` for ``url``, linked
        from a start page if ``menu``, takes."""
        if kind != "media" and self.spelling.settles(url):
            return "seed"  # a page again under another session id: fetched soon, it teaches the id
        return "menu" if menu and kind == "page" else kind

    # -- responses --------------------------------------------------------

    def _count_page(self, ok: bool) -> None:
        stats = self.crawler.stats
        stats.inc_value("dna/pages")
        if ok:
            stats.inc_value("dna/pages_ok")

    def parse(self, response: Response) -> Iterator[Any]:
        self._count_page(ok=True)
        if "dataloss" in response.flags:
            # Kept in WARC with WARC-Truncated; half an article is not an article.
            note_failure(self.crawler, response.url, "truncated body")
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        kind = content_kind(content_type, response.body)
        if kind == "feed":
            yield from self.parse_feed(response)
            return
        if kind == "other" or not hasattr(response, "text"):
            self.crawler.stats.inc_value("dna/non_html")
            return
        capture = response.meta.get("dna_capture")
        page = response_page(response, capture.fetched_at if capture else datetime.now(UTC))
        detected = self.family is None
        family = self.family = page_family(page, self.family)
        if detected:
            self.logger.info("%s: detected portal family %s", self.site.name, family.name)

        verdict = judge_page(
            page, family, self.site, listed_date=response.meta.get("dna_listed_date")
        )
        if verdict.outcome != "not_article":
            self.crawler.stats.inc_value(f"dna/{verdict.outcome}")
        if verdict.outcome == "articles_unextracted":
            note_unextracted(self.crawler.stats, response.url)
        if self.spelling.case_insensitive is None and not self.spelling.case_asked:
            yield from self.ask_case(response)
        if (article := verdict.article) is not None:
            self.spelling.learn_from_article(response.url, article.text_hash)
            self.spelling.respell(article)
            yield ArticleItem(
                article,
                capture.record_id if capture else "",
                capture.fetched_at if capture else page.fetched_at,
            )
        yield from self._follow(response, page, family, verdict.record)

    def _classify(self, url: str, family: Family) -> str | None:
        return family.classify(
            url,
            article_pattern=self.site.article_pattern,
            listing_pattern=self.site.listing_pattern,
        )

    def _follow(
        self, response: Response, page: Page, family: Family, record: Any
    ) -> Iterator[scrapy.Request]:
        fetch_media = self.crawler.settings.getbool("DNA_FETCH_MEDIA")
        if fetch_media and record is not None:
            for image in record.images:
                if self._allowed(image.src):
                    yield self.request_for(image.src, "media")
        selector = page.selector
        root = selector.root
        base = page.base_url
        for feed in nodes(root, _FEED_LINKS):
            url = absolute(base, feed)
            if url and self._allowed(url):
                yield self.request_for(url, "feed", optional=True)
        domains = self.site.allowed_domains

        # Pager links are held back: see _next_pages.  Articles have no pager.
        hrefs = nodes(root, _LINKS)
        if not hrefs and (goes_to := script_redirect(root)):
            hrefs = [goes_to]  # a stub that sends the browser on by script
        most = self.crawler.settings.getint("DNA_MAX_LINKS_PER_PAGE")
        links, read, relative = followed_links(hrefs, base, domains, most)
        if read < len(hrefs):
            hrefs = hrefs[:read]
            note_links_cut(self.crawler.stats, response.url, most)
        if links:
            self.crawler.stats.inc_value("dna/site_links", len(links))
        spelling = self.spelling
        # An article was compared by its text (in parse), other pages by their links.
        spelling.learn_from_links(links, response.url, compare=record is None)
        written_as: dict[str, str] = {}
        if any(is_relative(href) for href in hrefs):
            # What the page offers as written (less what changes on every
            # visit): the trap guard compares pages by it.  Only relative
            # links lead somewhere else from a page deeper down.
            written = frozenset(without_params(href, spelling.volatile) for href in hrefs)
            response.meta["dna_links_written"] = hash(written)
            written_as = {spelling.normal(url): href for url, href in relative.items()}
        pager = set()
        posted = None
        if record is None:
            pager = {
                spelling.normal(url)
                for link in family.pager_links(selector, response.url)
                if (url := pager_link_at(base, link, domains))
            }
            posted = postback_pager(root, base)
            if posted is not None and not self._allowed(posted.action):
                posted = None
        shown: set[str] = set()
        menu = not response.meta.get("depth")  # a start page, or where it redirected
        articles = []
        archived = self._archived
        for url in links:
            url = spelling.normal(url)
            if url in pager:
                continue
            shown.add(url)
            if url in self.requested or url in archived:
                # Seen before: the scheduler would drop it, but only after
                # building and fingerprinting a request (dozens per page).
                # Archived (in new mode): an article, whatever its URL's shape
                # says; a search page's links to them refetched every one.
                continue
            suffix = extension(url)
            if suffix in DOCUMENT_EXTENSIONS:
                if fetch_media:
                    yield self.request_for(url, "media")
                continue
            if suffix in SKIPPED_EXTENSIONS:
                continue
            kind = self._classify(url, family) or "page"
            if kind == "article":
                articles.append(url)
            yield self.request_for(url, kind, menu=menu, written=written_as.get(url))
        response.meta["dna_links_shown"] = frozenset(shown)  # for the trap guard
        listed = paged = frozenset()
        if pager or posted is not None:
            # This pager's pages so far: a link to one of them, or ahead, is no item.
            paged = response.meta.get("dna_pager_pages", frozenset()) | {
                spelling.normal(response.url)
            }
            listed = listed_items(root, base, domains, spelling.normal, pager | paged, most)
        yield from self._next_pages(response, pager, listed, paged, articles, posted)

    def _next_pages(
        self,
        response: Response,
        pager: set[str],
        listed: frozenset[str],
        paged: frozenset[str],
        articles: list[str],
        posted: PostBackPager | None = None,
    ) -> Iterator[scrapy.Request]:
        """The pager links of a listing page, unless its pager has ended.

        A pager ends by what its own pages show, never by what other
        listings showed first: listings overlap (all news and each
        category), and where the one ahead stops too, articles are lost.
        It ends at a page showing no item its previous page did not, by
        title where titles tell items apart (:func:`listed_items`), links to
        its own pages aside (past the end, pagers repeat the last page or
        show only the chrome; a calendar's months show one page, and link
        back), and at a page showing fewer than half as many new items as a
        full page before it (the last page, short, of a pager that never
        ends; a first page is never the full one, it may hold more than the
        rest).  Should its pages differ forever, it ends after
        ENDLESS_PAGER_STREAK pages in a row with no article new to this
        crawl (to any worker of it).  A
        ``new`` crawl pages on through listings of archived articles only up
        to DNA_NEW_STOP_AFTER pages in a row.  Pages reached by posting the
        listing's form back (``posted``, :mod:`extract.postback`) are pages
        of its pager like any other."""
        new_articles = self.known_articles.add_new(articles)
        known_streak = 0 if new_articles else response.meta.get("dna_known_streak", 0) + 1
        if self._archived and known_streak >= self._stop_after:
            self.crawler.stats.inc_value("dna/pagers_stopped_at_archived")
            return
        previous = response.meta.get("dna_pager_shown")
        if posted is None and not self._is_pager_page(response.url, pager):
            # Led to from a page of another kind ("Tin tức" on the home page,
            # ``index.php?page=news``): its first page, judged against that.
            previous = None
        full = False
        if previous is not None:
            gained = len(listed - previous)
            lost = len(previous - listed)
            if not gained or (response.meta.get("dna_pager_full") and 2 * gained < lost):
                return
            full = 2 * gained >= lost
        if known_streak >= ENDLESS_PAGER_STREAK:
            return
        page_cap = self.crawler.settings.getint("DNA_MAX_LISTING_PAGES")
        pager_meta = {
            "dna_known_streak": known_streak,
            "dna_pager_shown": listed,
            "dna_pager_full": full,
            "dna_pager_pages": paged,
            # Pagers are bounded here (by what each page shows), not as traps.
            "dna_pager": True,
        }
        for url in sorted(pager):
            if url in self.requested:
                # Every page of a long pager links to every other (two hundred
                # links): the scheduler would drop all but the first of each.
                continue
            number = PAGE_NUMBER.search(url)
            if number and int(number.group(1)) > page_cap:
                self.crawler.stats.inc_value("dna/listing_page_cap")
                continue
            request = self.request_for(url, "listing")
            request.meta.update(pager_meta)
            yield request
        for postback in posted.pages if posted else ():
            if postback.page is not None and postback.page > page_cap:
                self.crawler.stats.inc_value("dna/listing_page_cap")
                continue
            # A number names one page of this form's pager; a step leads
            # elsewhere from each page, so it is told apart by the page it leaves.
            action = posted.action
            key = (action, postback.page) if postback.page else (action, *postback, listed)
            if key in self._posted:
                continue
            self._posted.add(key)
            yield scrapy.FormRequest(
                action,
                formdata=posted.form(postback),
                callback=self.parse,
                errback=self.failed,
                priority=PRIORITY["listing"],
                meta={"dna_kind": "listing", **pager_meta},
            )

    def _is_pager_page(self, url: str, pager: set[str]) -> bool:
        """Whether the page at ``url`` is one of its pager's pages: shaped as
        a page its pager links to (``?page=3`` beside ``?page=4``)."""
        shape = url_shape(self.spelling.normal(url))
        return any(url_shape(link) == shape for link in pager)

    def _allowed(self, url: str) -> bool:
        return allowed(url, self.site.allowed_domains)

    def is_archived(self, url: str) -> bool:
        """Whether ``url`` (as the site spells it) is an article a ``new`` crawl skips."""
        return url in self._archived

    @property
    def _stop_after(self) -> int:
        return max(1, self.crawler.settings.getint("DNA_NEW_STOP_AFTER"))

    def parse_media(self, response: Response) -> None:
        """Images and documents: recorded to WARC already, nothing to extract."""
        self.crawler.stats.inc_value("dna/media")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap's pages; an index's children, a few at a time (:mod:`crawler.sitemaps`)."""
        self._count_page(ok=True)
        children: list[str] = []
        new = False
        try:
            sitemap = Sitemap(response.body)
        except Exception:
            self.crawler.stats.inc_value("dna/bad_feeds")
            sitemap = None
        for entry in sitemap or ():
            loc = entry.get("loc", "")
            url = absolute(response.url, loc) if loc.strip() else None
            if not url or not self._allowed(url):
                continue
            if sitemap.type == "sitemapindex":
                if url not in self.requested:
                    children.append(url)
            elif self.sitemaps.page(url):
                new = True
                if url not in self._archived:
                    kind = self._classify(url, self.family) if self.family else None
                    listed = parse_feed_date(entry.get("lastmod"))
                    yield self.request_for(url, kind or "article", listed_date=listed)
        new = self.sitemaps.listed(children) or new
        if response.meta.get(_CHILD_SITEMAP):
            self.sitemaps.came_back(new)
        yield from self._child_sitemaps()

    def _child_sitemaps(self) -> Iterator[scrapy.Request]:
        for url in self.sitemaps.send():
            request = self.request_for(url, "feed", callback=self.parse_sitemap, optional=True)
            # Never dropped as seen: the children behind it would wait forever.
            yield request.replace(
                dont_filter=True,
                errback=self._child_sitemap_failed,
                meta={**request.meta, _CHILD_SITEMAP: True},
            )

    def _child_sitemap_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.failed(failure)
        self.sitemaps.came_back(led_to_new=False)
        yield from self._child_sitemaps()

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """RSS and Atom (handed on by :meth:`parse`): item links with their dates."""
        selector = Selector(body=response.body, type="xml")
        selector.remove_namespaces()
        for item in selector.xpath("//item | //entry"):
            link = item.xpath("link/@href").get() or item.xpath("link/text()").get()
            if not link:
                continue
            url = absolute(response.url, link)
            if url and self._allowed(url) and url not in self._archived:
                published = item.xpath("pubDate/text() | published/text() | updated/text()").get()
                yield self.request_for(url, "article", listed_date=parse_feed_date(published))

    # -- failures ---------------------------------------------------------

    def failed(self, failure: Failure) -> None:
        """Count and keep every failed fetch, for the crawl summary."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            self._count_page(ok=False)
            if request.meta.get("dna_optional"):
                return
            reason = f"HTTP {failure.value.response.status}"
        elif failure.check(Skipped):
            return
        elif failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            unreachable = request.meta.get(UNREACHABLE_ROBOTS)
            self.crawler.stats.inc_value(
                f"dna/robots_{'unreachable' if unreachable else 'forbidden'}"
            )
            return
        else:
            # Size limits, timeouts, resets, DNS: all worth the archivist's eye.
            reason = failure_reason(failure)
        note_failure(self.crawler, request.url, reason)


def _site_from_settings(crawler: Crawler, name: str | None) -> SiteConfig:
    """Load ``name`` from the sites file that the settings point at."""
    settings = crawler.settings
    registry = load_sites(sites_path(settings.get("DNA_HOME"), settings.get("DNA_SITES")))
    for key, value in registry.scrapy_settings().items():
        settings.set(key, value, priority="project")
    site = registry.get(name or "")
    if site is None:
        known = ", ".join(s.name for s in registry.sites) or "none"
        raise ValueError(f"unknown site {name!r} in {registry.path} (known: {known})")
    return site
