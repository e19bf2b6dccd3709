"""Articles gone from their portal, as the captures at their URLs tell.

An archived article is kept whatever its portal does; what changes is
whether the portal still shows it.  That is read from the captures, not
stored, so a restore from WARC files alone says what the crawls said.

An article is gone when, at the latest capture of each of its URLs (its
own and those it was also found at):

- the URL it was last seen at said so since: it answered 404 Not Found or
  410 Gone, or it redirected to its portal's home page (as many portals
  answer a deleted article's URL), while the home page itself answers with
  a page, and the article was not seen since, there or anywhere;
- none answered with a page (2xx, or 304 Not Modified): an article whose
  old URL answers 404 while its new one, an alias, shows it has moved, not
  gone.

Only the URL it was last seen at tells: an old URL answering 404 ever since
the article moved says nothing when the new one fails for a while (a 500).
(Where no capture at its URLs was the one it was last seen by, any of them
tells.)

A server error says nothing of the article.  Nor does any other redirect:
those to another host (the portal moved: ``moved:``), to a login, cookie or
bot check, to the same page spelt otherwise, or to a target never fetched
(robots.txt) are no deletions; and one to the home page while the home page
itself redirects (a portal in maintenance, or behind a bot check, sends
everything to one page) says nothing of any single article.  Redirects
captured before migration 0009 kept no target and say nothing.  A page now
showing something else is the text's business (a new version), so it does
not count as gone either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, or_, select, union_all
from sqlalchemy.orm import Session

from archive.models import Article, ArticleUrl, Capture

#: The statuses that say a page is no more (RFC 9110, 15.5.5 and 15.5.11).
GONE_STATUSES = (404, 410)
_NOT_MODIFIED = 304


@dataclass(frozen=True, slots=True)
class Gone:
    """When an article was first found gone, and what its URL answered."""

    since: datetime
    status: int
    #: where its URL sends, when that is how the portal deleted it.
    location: str | None = None


def may_say_gone() -> ColumnElement[bool]:
    """Captures that may say an article is gone: a 404, a 410, or a redirect."""
    return or_(Capture.status.in_(GONE_STATUSES), Capture.location.is_not(None))


def home_page(url: str, location: str | None) -> str | None:
    """The home page a redirect from ``url`` leads to, if it leads to one.

    That is the root of ``url``'s own host ("www." aside), with no query:
    where portals send a deleted article's URL.
    """
    if not location:  # kept for redirects only
        return None
    source, target = urlsplit(url), urlsplit(location)
    same_portal = _portal(source.hostname) == _portal(target.hostname)
    if not same_portal or target.path not in ("", "/") or target.query or not target.hostname:
        return None
    return f"{target.scheme}://{target.netloc}/"


def _portal(host: str | None) -> str:
    return (host or "").removeprefix("www.")


def gone_articles(session: Session, article_ids: list[int]) -> dict[int, Gone]:
    """Which of ``article_ids`` are gone from their portal, in three queries."""
    if not article_ids:
        return {}
    urls = union_all(
        select(Article.id.label("article_id"), Article.url.label("url"), Article.last_seen).where(
            Article.id.in_(article_ids)
        ),
        select(ArticleUrl.article_id, ArticleUrl.url, Article.last_seen)
        .join(Article, Article.id == ArticleUrl.article_id)
        .where(ArticleUrl.article_id.in_(article_ids)),
    ).subquery()
    # These use the index on (url, fetched_at).
    latest = (
        select(Capture)
        .where(Capture.url == urls.c.url)
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        .limit(1)
    )
    last_seen_here = (
        select(Capture.id)
        .where(Capture.url == urls.c.url, Capture.fetched_at == urls.c.last_seen)
        .exists()
    )
    addresses = session.execute(
        select(
            urls.c.article_id,
            urls.c.url,
            latest.with_only_columns(Capture.status).scalar_subquery(),
            latest.with_only_columns(Capture.location).scalar_subquery(),
            last_seen_here,
        )
    )
    since = session.execute(
        select(urls.c.article_id, urls.c.url, Capture.fetched_at, Capture.status, Capture.location)
        .join(Capture, Capture.url == urls.c.url)
        .where(Capture.fetched_at > urls.c.last_seen, may_say_gone())
    ).all()
    by_article: dict[int, list[tuple[str, int | None, str | None, bool]]] = {}
    for article_id, url, status, location, home in addresses:
        by_article.setdefault(article_id, []).append((url, status, location, bool(home)))
    redirects = [(row.url, row.location) for row in since]
    redirects += [(url, to) for urls_of in by_article.values() for url, _, to, _ in urls_of]
    says_gone = _Verdict(session, {home for url, to in redirects if (home := home_page(url, to))})
    first: dict[tuple[int, str], datetime] = {}
    for article_id, url, at, status, location in since:
        key = (article_id, url)
        if says_gone(url, status, location) and (key not in first or at < first[key]):
            first[key] = at
    found: dict[int, Gone] = {}
    for article_id, urls_of in by_article.items():
        if any(_shows_a_page(status) for _, status, _, _ in urls_of):
            continue
        telling = [address for address in urls_of if address[3]] or urls_of
        said = [
            (first[(article_id, url)], status, location)
            for url, status, location, _ in telling
            if (article_id, url) in first and says_gone(url, status, location)
        ]
        if said:
            found[article_id] = Gone(*min(said))  # type: ignore[arg-type]
    return found


class _Verdict:
    """Whether a capture at a URL says the page there was deleted (see the module)."""

    def __init__(self, session: Session, homes: set[str]) -> None:
        latest: dict[str, int] = {}
        if homes:
            rows = session.execute(
                select(Capture.url, Capture.status)
                .where(Capture.url.in_(sorted(homes)))
                .order_by(Capture.fetched_at, Capture.id)
            )
            latest = {url: status for url, status in rows}  # the last one stays
        #: the home pages that answer with a page, at their latest capture.
        self.homes = {url for url, status in latest.items() if _shows_a_page(status)}

    def __call__(self, url: str, status: int | None, location: str | None) -> bool:
        return status in GONE_STATUSES or home_page(url, location) in self.homes


def _shows_a_page(status: int | None) -> bool:
    return status is not None and (200 <= status < 300 or status == _NOT_MODIFIED)
