"""Stop redirect loops and off-site redirects, and say so; read refreshes leniently.

Scrapy's RedirectMiddleware would hand a loop's second visit to the
duplicate filter, which drops it silently, and an off-site target to the
offsite filter, which drops it at debug level.  Both are faults the
archivist should see in the crawl summary.  Every 3xx is still recorded to
WARC first (the recorder sits closer to the wire).

A redirect within the site teaches the site's spelling
(:meth:`crawler.spelling.UrlSpelling.learn_from_redirect`): a server moving
paths to another origin moves the links still written the old way.  It is
seen here, where the duplicate filter cannot hide it (most such redirects
lead to pages fetched already), and its target is followed in that
spelling, as links are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware

from crawler.extensions.recheck import RECHECK
from crawler.failures import Skipped, note_failure
from crawler.spelling import spelling_of
from extract.urls import canonicalize, within_site

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class RedirectGuardMiddleware:
    """Turns looping and off-site redirects into noted failures."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if not (300 <= response.status < 400 and location):
            return response
        try:
            written = urljoin(request.url, location.decode("latin-1"))
            target = canonicalize(written)
        except ValueError:  # "http://[::1/", a port of 99999
            reason = "redirect to a URL no parser reads"
            note_failure(self.crawler, request.url, reason)
            raise Skipped(reason) from None
        asked = {*request.meta.get("redirect_urls", ()), request.url}
        visited = {canonicalize(url) for url in asked}
        # A loop comes back to a URL asked; a server handing out a session in
        # the path (/(S(…))/…) sends to another spelling of the URL asked,
        # and only there answers.
        if written in asked or (target in visited and written == target):
            reason = f"redirect loop back to {target}"
        elif not within_site(target, self.crawler.spider.site.allowed_domains):
            reason = f"off-site redirect to {target}"
            stats = self.crawler.stats
            start_page = not (
                request.meta.get("depth")
                or request.meta.get(RECHECK)
                or request.url.endswith("/robots.txt")
            )
            if start_page and stats.get_value("dna/moved_to") is None:
                # The portal moved: else the crawl failed every night, saying
                # only which pages failed.
                stats.set_value("dna/moved_to", target)
        else:
            return self._spelt(request, response, target, visited)
        note_failure(self.crawler, request.url, reason)
        raise Skipped(reason)

    def _spelt(
        self, request: Request, response: Response, target: str, visited: set[str]
    ) -> Response:
        """``response`` redirecting to ``target`` as the site spells it (the
        WARC keeps the server's Location): a session parameter or an old
        origin in a Location would fetch a page again under another name."""
        spelling = spelling_of(self.crawler)
        if spelling is None:
            return response
        spelling.learn_from_redirect(request.url, target)
        spelt = spelling.normal(target)
        if self.crawler.spider.is_archived(spelt):
            # A shortlink (/?p=103) to an article a new crawl archived already.
            self.crawler.stats.inc_value("dna/redirects_to_archived")
            raise Skipped(f"redirect to an archived article: {spelt}")
        if spelt == target or spelt in visited:
            return response  # a server moving a URL into our spelling has the last word
        headers = response.headers.copy()
        headers["Location"] = spelt
        return response.replace(headers=headers)


class LenientMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's, but a page whose refresh or ``<base href>`` no parser reads
    (``http://[::1/``) is the page itself: Scrapy's raised, and the page was lost."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except ValueError:
            return response
