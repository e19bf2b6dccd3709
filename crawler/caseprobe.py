"""Asking a server once whether it ignores case in paths, as IIS does.

A case-insensitive server answers ``/Tin/aB3`` and ``/tin/ab3`` with one
page: the crawl must then key URLs in one case (see
:meth:`crawler.spelling.UrlSpelling.learn_case`), or it stores each article
once per spelling.  Asked by fetching the first page's path case-flipped.
A server answering any path with the same "soft 404" page answers the
flipped path so too, whatever it does with case: a made-up path tells.
Were it taken as case-insensitive, every link would be asked in lower case
and answered with that page (a crawl of 22 articles stored one, under a
URL the portal does not have).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import scrapy

from crawler.frontier import OWN_WORKER
from crawler.links import page_selector
from crawler.spelling import case_flipped

if TYPE_CHECKING:
    import logging

    from scrapy.crawler import Crawler
    from scrapy.http import Response, TextResponse
    from twisted.python.failure import Failure

    from crawler.sites import SiteConfig
    from crawler.spelling import UrlSpelling

#: Meta key of a case probe: the :func:`page_mark` of the page it flips.
PROBED = "dna_probed"


def page_mark(response: TextResponse) -> tuple[int, str]:
    """A page's length and ``<title>``: what tells one page from another at a glance."""
    title = page_selector(response).xpath("//title/text()").get() or ""
    return len(response.body), " ".join(title.split())


def answers_as_probed(response: TextResponse) -> bool:
    """Whether ``response`` is the page its case probe flipped (:data:`PROBED`)."""
    length, title = response.meta[PROBED]
    found_length, found_title = page_mark(response)
    return title == found_title and abs(found_length - length) <= length * 0.05


def made_up_path(url: str) -> str:
    """A path on ``url``'s host that no portal has: what the server answers
    any path with (a 404, or a "soft 404" page of its own)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/dna-no-such-page-7f3a9c/X", "", ""))


class CaseProbe:
    """The portal spider's case probe: :meth:`ask_case` once, on a page that answered."""

    # The spider's own, which the probe reads and teaches.
    spelling: UrlSpelling
    logger: logging.LoggerAdapter
    crawler: Crawler
    site: SiteConfig
    #: the probe's scheduler priority: the spider's for its start pages.
    probe_priority = 0

    def ask_case(self, response: Response) -> Iterator[scrapy.Request]:
        """Ask the server once whether it is case-insensitive: fetch this page's
        path case-flipped, and compare (see :meth:`parse_case_probe`)."""
        flipped = case_flipped(response.url) if response.status == 200 else None
        if flipped is None:
            return
        self.spelling.case_asked = True
        yield scrapy.Request(
            flipped,
            callback=self.parse_case_probe,
            errback=self.case_probe_failed,
            dont_filter=True,
            priority=self.probe_priority,
            meta={"dna_kind": "probe", PROBED: page_mark(response), OWN_WORKER: True},
        )

    def parse_case_probe(self, response: Response) -> Iterator[scrapy.Request]:
        """The same page under a case-flipped path: the server ignores case,
        unless it answers a made-up path so too (a "soft 404" for any path)."""
        if not answers_as_probed(response):
            self._learn_case(insensitive=False)
            return
        yield response.request.replace(
            url=made_up_path(response.url),
            callback=self.parse_case_control,
            errback=self.case_control_failed,
        )

    def parse_case_control(self, response: Response) -> None:
        """A made-up path answered: like the page, its case told nothing."""
        self._learn_case(insensitive=not answers_as_probed(response))

    def case_control_failed(self, failure: Failure) -> None:
        """A made-up path was refused where the flipped one answered: case is ignored."""
        self._learn_case(insensitive=True)

    def _learn_case(self, *, insensitive: bool) -> None:
        self.spelling.learn_case(insensitive)
        if insensitive:
            self.logger.info("%s: the server ignores case in paths", self.site.name)
            self.crawler.stats.set_value("dna/case_insensitive", True)

    def case_probe_failed(self, failure: Failure) -> None:
        """A case-flipped path was refused: the server tells case apart."""
        self._learn_case(insensitive=False)
