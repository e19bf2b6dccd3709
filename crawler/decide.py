"""Deciding what a fetched page holds: the one rule the live crawl and restore share.

A restore from WARC must find exactly the articles the live crawl found, so
both call :func:`content_kind` and :func:`judge_page` instead of each keeping
its own copy of the rules.  Nothing here needs Scrapy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from extract.article import extract_article
from extract.container import is_article_page
from places.mentions import article_mentions

if TYPE_CHECKING:
    from datetime import datetime

    from archive.records import ArticleRecord
    from crawler.sites import SiteConfig
    from extract.families import Family
    from extract.page import Page

#: What a verdict found; the names double as crawl stats keys (``dna/<outcome>``).
Outcome = Literal["not_article", "articles_unextracted", "articles_before_since", "articles_seen"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :func:`judge_page` made of a page.

    :param outcome: see :data:`Outcome`.
    :param record: the extracted article, also when it is too old to keep
        (the live crawl still follows its images).
    """

    outcome: Outcome
    record: ArticleRecord | None = None

    @property
    def article(self) -> ArticleRecord | None:
        """The article to store, or ``None``."""
        return self.record if self.outcome == "articles_seen" else None


def content_kind(content_type: str, body: bytes = b"") -> Literal["feed", "html", "other"]:
    """Whether a response is a feed (XML, RSS), an HTML page or something else.

    An absent Content-Type counts as HTML: old portals omit it.  So does a
    feed sent as ``text/html``, as ``rss.aspx`` pages often are, unless
    ``body`` (its first bytes do) shows it a feed.  XHTML
    (``application/xhtml+xml``) is HTML, though its type says XML.
    """
    content_type = content_type.lower()
    # Before "xml": a page sent as application/xhtml+xml is a page, not a feed.
    if "html" in content_type or not content_type:
        return "feed" if _FEED_START.match(body[:_FEED_SNIFF]) else "html"
    if "xml" in content_type or "rss" in content_type:
        return "feed"
    return "other"


#: How far into a body ``content_kind`` looks for a feed's root.
_FEED_SNIFF = 1024
#: A feed's root element, after what may come first: a BOM, an XML declaration,
#: a stylesheet, comments.
_FEED_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:(?:<\?[^>]*>|<!--.*?-->)\s*)*<(?:rss|feed|rdf:RDF)\b", re.S
)


def judge_page(
    page: Page, family: Family, site: SiteConfig, *, listed_date: datetime | None = None
) -> Verdict:
    """Whether ``page`` is an article of ``site``, and the article if so.

    The URL's shape decides when it is sure (an article URL, the home page, a
    listing URL of the preset's or the site's own); content structure decides
    the rest, the generic listing shapes included, which articles on unknown
    templates share (a listing whose first teaser is long is still a listing).  The article
    comes with the places its text mentions, settled by the site's own place.
    """
    kind = family.classify(
        page.url,
        article_pattern=site.article_pattern,
        listing_pattern=site.listing_pattern,
        guessed_listings=False,
    )
    if kind != "article" and (kind is not None or not is_article_page(page, family)):
        return Verdict("not_article")
    record = extract_article(
        page, family=family.name, selectors=site.selectors or None, listed_date=listed_date
    )
    if record is None:
        return Verdict("articles_unextracted")
    record.mentions = article_mentions(
        site.place, record.title, record.summary, record.body, record.captions, record.published
    )
    if site.since and record.published and record.published.date() < site.since:
        return Verdict("articles_before_since", record)
    return Verdict("articles_seen", record)
