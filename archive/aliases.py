"""Other URLs of one article: found by its text, and the article's URL chosen among them.

Canonical URLs fail to make one URL of two on portals nobody tuned for (a
case-insensitive server, a session token in a parameter nobody could tell,
a listing's parameter carried into its links).  The text is the last line of
defence: the same text under another URL of the site is another URL of the
same article, and of its URLs the cleanest is the one it is known by.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import ColumnElement, Subquery, select, union_all, update
from sqlalchemy.orm import Session

from archive.models import Article, ArticleUrl, ArticleVersion
from archive.records import VIETNAM_TZ, ArticleRecord


def addresses(*where: ColumnElement[bool]) -> Subquery:
    """Every URL of the articles ``where`` selects (on :class:`Article`): its
    own and those it was also found at, as ``(article_id, url, last_seen)``."""
    own = select(Article.id.label("article_id"), Article.url.label("url"), Article.last_seen)
    also = select(ArticleUrl.article_id, ArticleUrl.url, Article.last_seen).join(
        Article, Article.id == ArticleUrl.article_id
    )
    return union_all(own.where(*where), also.where(*where)).subquery()


def find_aliases(session: Session, site_id: int, records: list[ArticleRecord]) -> dict[str, str]:
    """The URLs of ``records`` that are other URLs of an article, and that article's URL.

    One known as an alias stays one; a page's URL whose ``rel=canonical``
    named another is one (see ``ArticleRecord.also_at``); a URL with no
    article yet whose body is an article's of the same site (archived, or
    met earlier in this batch) is one: the last line of defence when
    canonical URLs failed to make one URL of two (a case-insensitive server,
    a session token in a parameter nobody could tell).  So is a copy of an
    archived article under a line of its own (see :func:`_copies`).
    """
    urls = {record.url for record in records}
    fetched_at = {
        record.also_at: record.url
        for record in records
        if record.also_at is not None and record.also_at not in urls
    }
    urls |= fetched_at.keys()
    known = dict(
        session.execute(
            select(ArticleUrl.url, Article.url)
            .join(Article, ArticleUrl.article_id == Article.id)
            .where(ArticleUrl.url.in_(urls))
        ).all()
    )
    articles = set(session.scalars(select(Article.url).where(Article.url.in_(urls))))
    texts: dict[str, str] = {}
    for record in records:
        url = record.url
        if url not in known and url not in articles and record.body:
            texts.setdefault(url, record.text_hash())
    by_text: dict[str, str] = {}
    if texts:
        rows = session.execute(
            select(ArticleVersion.text_hash, Article.url)
            .join(Article, ArticleVersion.article_id == Article.id)
            .where(Article.site_id == site_id, ArticleVersion.text_hash.in_(set(texts.values())))
            .order_by(Article.id)
        )
        for text_hash, url in rows:
            by_text.setdefault(text_hash, url)
    aliases = dict(known)
    for url, text_hash in texts.items():
        target = by_text.setdefault(text_hash, url)
        if target != url:
            aliases[url] = target
    unmatched = [record for record in records if record.url in texts and record.url not in aliases]
    aliases |= _copies(session, site_id, unmatched)
    for url, target in fetched_at.items():
        if url not in known and url not in articles:
            aliases[url] = aliases.get(target, target)
    return aliases


def _copies(session: Session, site_id: int, records: list[ArticleRecord]) -> dict[str, str]:
    """The URLs of ``records`` whose text is an archived article's under a
    line of its own (see :meth:`ArticleRecord.copy_hashes`), published the
    same day: another URL of that article.

    The day keeps apart notices that repeat a title and most of a body
    (a power cut, each month) but are published on different days.
    """
    wanted = {digest: record for record in records for digest in record.copy_hashes()}
    if not wanted:
        return {}
    rows = session.execute(
        select(ArticleVersion.text_hash, ArticleVersion.published, Article.url)
        .join(Article, ArticleVersion.article_id == Article.id)
        .where(
            Article.site_id == site_id,
            ArticleVersion.published_source == "page",
            ArticleVersion.text_hash.in_(wanted),
        )
        .order_by(Article.id)
    )
    copies: dict[str, str] = {}
    for text_hash, published, target in rows:
        record = wanted[text_hash]
        if record.published_source == "page" and _same_day(record.published, published):
            copies.setdefault(record.url, target)
    return copies


def _same_day(one: datetime | None, other: datetime | None) -> bool:
    if one is None or other is None:
        return False
    return one.astimezone(VIETNAM_TZ).date() == other.astimezone(VIETNAM_TZ).date()


def shared_texts(
    session: Session, site_id: int, records: list[ArticleRecord], aliases: dict[str, str]
) -> set[str]:
    """The texts (title and body digests) ``records`` hold at the URLs of two
    articles or more, or at one while another article holds it already.

    A portal closed with one notice at every address, or taken over, showed
    it at each article's URL, and each article's current text became it:
    the commune's articles were no longer found.  Such a text is the site's
    page, no article's version.
    """
    at: dict[str, set[str]] = {}
    for record in records:
        if record.body:
            url = aliases.get(record.url, record.url)
            at.setdefault(record.text_hash(), set()).add(url)
    shared = {text for text, urls in at.items() if len(urls) > 1}
    if len(shared) < len(at):
        held = session.execute(
            select(ArticleVersion.text_hash, Article.url)
            .join(Article, Article.current_version_id == ArticleVersion.id)
            .where(Article.site_id == site_id, ArticleVersion.text_hash.in_(set(at) - shared))
        )
        shared |= {text for text, url in held if at[text] - {url}}
    return shared


def prefer_clean_urls(
    session: Session, articles: dict[str, Article], aliases: dict[str, str]
) -> None:
    """Make an alias the article's URL where it is the article's URL without
    a stray parameter (see :func:`_cleaner`); the old URL becomes the alias.

    The first spelling met was kept, and old portals' links carry junk (a
    random bare ``?66126116``, the listing's ``?PageIndex=12``): researchers
    cited it while the clean URL was only "also at".  The article's
    ``updated_at`` moves, so the search index learns the new URL.
    """
    best: dict[str, str] = {}
    for alias, target in sorted(aliases.items()):
        if target in articles and _cleaner(alias, best.get(target, target)):
            best[target] = alias
    for target, clean in best.items():
        article = articles[target]
        session.execute(
            update(ArticleUrl)
            .where(ArticleUrl.url == clean)
            .values(url=target, first_seen=article.first_seen)
        )
        session.execute(
            update(Article)
            .where(Article.id == article.id)
            .values(url=clean, updated_at=datetime.now(UTC))
        )


def _cleaner(url: str, than: str) -> bool:
    """Whether ``url`` is ``than`` with some of its query parameters left out.

    Only that: a print view (``?print=1``), another category's path or an
    AMP copy is never the cleaner URL, however short.
    """
    one, other = urlsplit(url), urlsplit(than)
    if (one.netloc, one.path.casefold()) != (other.netloc, other.path.casefold()):
        return False
    kept = parse_qsl(one.query, keep_blank_values=True)
    left = parse_qsl(other.query, keep_blank_values=True)
    return len(kept) < len(left) and all(pair in left for pair in kept)
