"""Articles gone from their portal, as the captures at their URLs tell.

An archived article is kept whatever its portal does; what changes is
whether the portal still shows it.  That is read from the captures, not
stored, so a restore from WARC files alone says what the crawls said.

An article is gone when, at the latest capture of each of its URLs (its
own and those it was also found at):

- the URL it was last seen at answered 404 Not Found or 410 Gone since;
- none answered with a page (2xx, or 304 Not Modified): an article whose
  old URL answers 404 while its new one, an alias, shows it has moved, not
  gone.

Only the URL it was last seen at tells: an old URL answering 404 ever since
the article moved says nothing when the new one fails for a while (a 500,
a redirect).  (Where no capture at its URLs was the one it was last seen
by, any of them tells.)

A server error or a redirect says nothing of the article, and a page now
showing something else is the text's business (a new version, or
``replaced:``), so neither counts as gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.aliases import addresses
from archive.models import Article, Capture

#: The statuses that say a page is no more (RFC 9110, 15.5.5 and 15.5.11).
GONE_STATUSES = (404, 410)
_NOT_MODIFIED = 304


@dataclass(frozen=True, slots=True)
class Gone:
    """When an article was first found gone, and what its URL answered."""

    since: datetime
    status: int


def gone_articles(session: Session, article_ids: list[int]) -> dict[int, Gone]:
    """Which of ``article_ids`` are gone from their portal, in one query."""
    if not article_ids:
        return {}
    urls = addresses(Article.id.in_(article_ids))
    # Both use the index on (url, fetched_at).
    latest_status = (
        select(Capture.status)
        .where(Capture.url == urls.c.url)
        .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    first_gone = (
        select(func.min(Capture.fetched_at))
        .where(
            Capture.url == urls.c.url,
            Capture.status.in_(GONE_STATUSES),
            Capture.fetched_at > urls.c.last_seen,
        )
        .scalar_subquery()
    )
    last_seen_here = (
        select(Capture.id)
        .where(Capture.url == urls.c.url, Capture.fetched_at == urls.c.last_seen)
        .exists()
    )
    rows = session.execute(
        select(
            urls.c.article_id,
            latest_status.label("status"),
            first_gone.label("since"),
            last_seen_here.label("home"),
        )
    )
    by_article: dict[int, list[tuple[int | None, datetime | None, bool]]] = {}
    for article_id, status, since, home in rows:
        by_article.setdefault(article_id, []).append((status, since, bool(home)))
    found: dict[int, Gone] = {}
    for article_id, its_urls in by_article.items():
        if any(_shows_a_page(status) for status, _, _ in its_urls):
            continue
        telling = [address for address in its_urls if address[2]] or its_urls
        said = [(at, status) for status, at, _ in telling if status in GONE_STATUSES and at]
        if said:
            since, status = min(said)
            found[article_id] = Gone(since, status)  # type: ignore[arg-type]
    return found


def _shows_a_page(status: int | None) -> bool:
    return status is not None and (200 <= status < 300 or status == _NOT_MODIFIED)
