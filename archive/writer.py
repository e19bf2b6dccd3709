"""The batching writer: a crawl's captures and articles, committed a batch at a time.

A crawl hands captures and articles to an :class:`ArchiveWriter`, which
commits them in one transaction every few hundred rows or seconds.  One commit
per page would make the database the crawl's bottleneck.

Several writers may share one database: a batch's articles are locked before
they are changed, so no update is lost, and a batch that loses a deadlock is
written again.

A writer may be given a :class:`SearchDocuments` hook: it writes the search
documents of the batch's changed articles in the batch's own transaction, so
an article is searchable (in PostgreSQL) exactly when it is archived.  The
archive defines the hook and the search package implements it, so the
archive never needs to know how text is analysed.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from archive.aliases import find_aliases, prefer_clean_urls, shared_texts
from archive.archived import WriteCounts, mention_rows
from archive.database import StoreError, dialect_insert, lock_site_batches
from archive.models import Article, ArticleUrl, ArticleVersion, Capture, PlaceMention
from archive.records import VIETNAM_TZ, ArticleRecord, CaptureRecord, Mention

Outcome = Literal["new", "updated", "unchanged"]


class SearchDocuments(Protocol):
    """Writes the search documents of articles whose current version changed.

    Called with the writer's session, inside its transaction, after the
    batch is flushed: the articles and versions are readable through it.
    """

    def __call__(self, session: Session, article_ids: list[int]) -> None:
        """Write (or replace) the documents of ``article_ids``."""
        ...


class Sessions(Protocol):
    """What a writer needs of its store (an :class:`archive.store.Store`): sessions."""

    def session(self) -> Session:
        """A new ORM session; the caller commits."""
        ...


@dataclass(slots=True)
class _ArticleBatch:
    """The stored articles and versions one batch touches, fetched once.

    :param articles: by canonical URL, every one of the batch's (locked).
    :param versions: by canonical URL and content hash.
    :param with_current: URLs whose article already has a current version.
    :param fresh: URLs whose article this batch created, not yet counted as new.
    :param aliases: the batch's URLs that are another URL of an article, and its URL.
    :param shared: texts (digests) shown at several articles' URLs
        (see :func:`archive.aliases.shared_texts`).
    :param changed: URLs whose article's current version this batch set.
    :param current: the version each of those URLs' articles is to show.
    :param created: versions this batch creates, in the order met.
    :param replaced: URLs whose article got a version unlike the one before.
    """

    articles: dict[str, Article]
    versions: dict[tuple[str, str], ArticleVersion | _NewVersion]
    with_current: set[str]
    fresh: set[str]
    aliases: dict[str, str]
    shared: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    current: dict[str, ArticleVersion | _NewVersion] = field(default_factory=dict)
    created: list[_NewVersion] = field(default_factory=list)
    #: URLs whose article got a version unlike the one before (see :func:`_unlike`).
    replaced: list[str] = field(default_factory=list)
    _stored: dict[int, ArticleVersion] | None = None

    def article_url(self, url: str) -> str:
        """The URL of the article ``url`` is, itself or the article it is an alias of."""
        return self.aliases.get(url, url)

    def current_of(self, article: Article) -> ArticleVersion | None:
        """``article``'s current version as stored before this batch, if it has one."""
        if article.current_version_id is None:
            return None
        if self._stored is None:
            self._stored = {v.id: v for v in self.versions.values() if v.id is not None}
        return self._stored.get(article.current_version_id)

    @classmethod
    def load(
        cls,
        session: Session,
        site_id: int,
        pending: list[_PendingArticle],
        shared: frozenset[str] = frozenset(),
    ) -> _ArticleBatch:
        """Create the batch's missing articles, then lock and read them all.

        A URL not archived yet whose text is an archived article's (or an
        earlier one's in this batch) becomes another URL of that article.
        New rows are inserted in the order the batch met them, so that ids
        follow the crawl.
        """
        seen: dict[str, datetime] = {}
        for item in pending:
            url = item.record.url
            seen[url] = min(seen.get(url, item.seen_at), item.seen_at)
        if not seen:
            return cls({}, {}, set(), set(), {})
        records = [item.record for item in pending]
        aliases = find_aliases(session, site_id, records)
        first_seen: dict[str, datetime] = {}
        for url, at in seen.items():
            target = aliases.get(url, url)
            first_seen[target] = min(first_seen.get(target, at), at)
        now = datetime.now(UTC)
        rows = [
            {
                "site_id": site_id,
                "url": url,
                "first_seen": seen,
                "last_seen": seen,
                "updated_at": now,
            }
            for url, seen in first_seen.items()
        ]
        # Many rows to one cached statement (not a VALUES list compiled anew for each batch).
        insert = dialect_insert(session, Article).on_conflict_do_nothing(index_elements=["url"])
        fresh = set(session.scalars(insert.returning(Article.__table__.c.url), rows))
        query = (
            select(Article).where(Article.url.in_(first_seen)).order_by(Article.url)
        ).with_for_update()
        articles = {article.url: article for article in session.scalars(query)}
        rows = session.execute(
            select(Article.url, ArticleVersion)
            .join(Article, ArticleVersion.article_id == Article.id)
            .where(Article.url.in_(first_seen))
        )
        versions = {(url, version.content_hash): version for url, version in rows}
        with_current = {url for url, a in articles.items() if a.current_version_id is not None}
        new_aliases = [
            {"article_id": articles[target].id, "url": url, "first_seen": seen.get(url, seen_at)}
            for url, target in aliases.items()
            if (seen_at := first_seen.get(target))
        ]
        if new_aliases:
            insert = dialect_insert(session, ArticleUrl).on_conflict_do_nothing(
                index_elements=["url"]
            )
            session.execute(insert, new_aliases)
        shared = shared_texts(session, site_id, records, aliases) | shared
        return cls(articles, versions, with_current, fresh, aliases, shared)


#: PostgreSQL's "deadlock detected": two writers met shared rows in different
#: orders and one was rolled back; its batch is simply written again.
_DEADLOCK = "40P01"
#: SQLite's SQLITE_BUSY (5) and its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT,
#: BUSY_TIMEOUT): a batch that read before writing while another crawl worker
#: committed cannot take the write lock, and the busy timeout does not help it.
_SQLITE_BUSY = 5
_ATTEMPTS = 3
#: a capture row's columns, as CaptureRecord names them.
_CAPTURE_FIELDS = tuple(f.name for f in fields(CaptureRecord))


def _retryable(exc: OperationalError) -> bool:
    """Whether the batch failed only because another writer got in first."""
    if getattr(exc.orig, "sqlstate", None) == _DEADLOCK:
        return True
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _SQLITE_BUSY


@dataclass(slots=True)
class _NewVersion:
    """A version the batch creates: its row, its mentions, and its id once inserted."""

    row: dict[str, object]
    mentions: list[Mention]
    id: int | None = None


@dataclass(slots=True)
class _PendingArticle:
    record: ArticleRecord
    capture_record_id: str
    seen_at: datetime


class ArchiveWriter:
    """Buffers one site's captures and articles and commits them in batches.

    :param max_rows: flush once this many rows wait.
    :param max_seconds: flush once the oldest waiting row is this old.

    A batch costs about a dozen statements whatever its size: written every
    2 s, a polite crawl's batches held a few pages each and a page's rows
    cost 2.4 ms of CPU; in batches of 200 rows 1.7 ms, of 1000 1.4 ms (with
    the ORM's unit of work; since the Core inserts, a restore's batches of
    500 rows cost 0.6 ms an article with its two captures).  The rows
    waiting are in the WARC files already (a resume or a restore adds
    them), so they may wait longer.
    :param search_documents: writes the search documents of each batch's
        changed articles in the batch's transaction.
    """

    def __init__(
        self,
        store: Sessions,
        site_id: int,
        crawl_id: int | None,
        *,
        max_rows: int = 500,
        max_seconds: float = 10.0,
        search_documents: SearchDocuments | None = None,
    ) -> None:
        self.store = store
        self.search_documents = search_documents
        self.site_id = site_id
        self.crawl_id = crawl_id
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.counts = WriteCounts()
        self._captures: list[CaptureRecord] = []
        self._articles: list[_PendingArticle] = []
        self._oldest: float | None = None
        #: texts met at several articles' URLs in this writer's batches (see
        #: :func:`archive.aliases.shared_texts`): met at one alone in a later
        #: batch, still the site's.
        self._shared: frozenset[str] = frozenset()

    def add_capture(self, capture: CaptureRecord) -> None:
        """Queue a capture row."""
        self._captures.append(capture)
        self._queued()

    def add_article(self, record: ArticleRecord, capture_record_id: str, seen_at: datetime) -> None:
        """Queue an article extracted from the capture ``capture_record_id``."""
        self._articles.append(_PendingArticle(record, capture_record_id, seen_at))
        self._queued()

    @property
    def pending(self) -> int:
        """Rows waiting to be committed."""
        return len(self._captures) + len(self._articles)

    def _queued(self) -> None:
        if self._oldest is None:
            self._oldest = time.monotonic()
        if self.pending >= self.max_rows or time.monotonic() - self._oldest >= self.max_seconds:
            self.flush()

    def flush(self) -> WriteCounts:
        """Commit everything queued in one transaction; returns the totals so far.

        Captures and new articles are inserted with one statement each for
        the whole batch (skipping rows another writer stored first), the
        batch's articles and versions are read with one query each, and the
        rest is written in one ORM flush: a query per article would make the
        database the crawl's bottleneck.
        """
        if not self.pending:
            return self.counts
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                saved = self._write_batch()
                break
            except OperationalError as exc:
                if not _retryable(exc) or attempt == _ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)
        inserted, outcomes, versions, replaced = saved
        for outcome in outcomes:
            setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)
        self.counts.captures += inserted
        self.counts.versions += versions
        self.counts.replaced += len(replaced)
        self.counts.replaced_example = self.counts.replaced_example or next(iter(replaced), None)
        self._captures, self._articles, self._oldest = [], [], None
        return self.counts

    close = flush

    def _write_batch(self) -> tuple[int, list[Outcome], int, list[str]]:
        """Write what is queued in one transaction.

        :returns: captures inserted, what happened to each article, versions
            created, and the URLs of articles whose text was replaced.
        """
        captures, pending = self._captures, self._articles
        with self.store.session() as session, session.begin():
            lock_site_batches(session, self.site_id)
            inserted = self._insert_captures(session, captures)
            named = {p.capture_record_id for p in pending}
            capture_ids = dict(
                session.execute(
                    select(Capture.record_id, Capture.id).where(Capture.record_id.in_(named))
                ).all()
            )
            batch = _ArticleBatch.load(session, self.site_id, pending, self._shared)
            saved = []
            for item in pending:
                capture_id = capture_ids.get(item.capture_record_id)
                if capture_id is None:
                    raise StoreError(f"article {item.record.url} names unknown capture")
                saved.append(self._save_article(batch, item, capture_id))
            _insert_versions(session, batch.created)
            for url, version in batch.current.items():
                batch.articles[url].current_version_id = version.id
            session.flush()
            prefer_clean_urls(session, batch.articles, batch.aliases)
            if self.search_documents is not None and batch.changed:
                changed = [batch.articles[url].id for url in sorted(batch.changed)]
                self.search_documents(session, changed)
        self._shared |= batch.shared
        return inserted, saved, len(batch.created), batch.replaced

    def _insert_captures(self, session: Session, captures: list[CaptureRecord]) -> int:
        """Insert the captures not stored yet (by record id); how many were."""
        if not captures:
            return 0
        # Not dataclasses.asdict: it deep-copies every value, datetimes included.
        rows = [
            {
                "site_id": self.site_id,
                "crawl_id": self.crawl_id,
                **{name: getattr(capture, name) for name in _CAPTURE_FIELDS},
            }
            for capture in captures
        ]
        insert = dialect_insert(session, Capture).on_conflict_do_nothing(
            index_elements=["record_id"]
        )
        # RETURNING names only the rows inserted: the ones skipped were another writer's.
        return len(session.execute(insert.returning(Capture.__table__.c.id), rows).all())

    def _save_article(
        self, batch: _ArticleBatch, pending: _PendingArticle, capture_id: int
    ) -> Outcome:
        url = batch.article_url(pending.record.url)
        article = batch.articles[url]
        current = batch.current_of(article)
        # The text met last, in this batch or before: a restore meets a
        # portal's captures of many days in one batch.
        record = _timed_as(pending.record, batch.current.get(url, current))
        content_hash = record.content_hash()
        if url in batch.fresh:
            batch.fresh.discard(url)
            outcome: Outcome = "new"
        else:
            article.first_seen = min(article.first_seen, pending.seen_at)
            outcome = "unchanged"
        # A capture older than the latest one must not override it (restores
        # may meet captures in any order).
        is_latest = pending.seen_at >= article.last_seen
        article.last_seen = max(article.last_seen, pending.seen_at)
        if record.views is not None and is_latest:
            article.views = record.views

        version = batch.versions.get((url, content_hash))
        shown = batch.current.get(url, current)
        # The text shown, stored or met earlier in this batch, may hold this
        # record's with a date it does not print: versions stored before the
        # digest left URL-derived fields out carry another digest, and a copy
        # that names the article as its canonical URL (an AMP page) has no
        # date line.  It made a version dated first-seen, flipping back on
        # every crawl.
        if version is None and shown is not None and _same_text(shown, record):
            version = shown
        # Another URL of the article showing its text: a copy (republished
        # with its own date, or another byline), not a version.  It made one,
        # and the date flipped between the two on every crawl.
        copied = shown is not None and url != pending.record.url
        if version is None and copied and _held(shown, "text_hash") == record.text_hash():
            version = shown
        # One text at the addresses of several archived articles (a notice of
        # closure, a takeover's page): the site's, no article's version.
        if version is None and shown is not None and record.text_hash() in batch.shared:
            batch.replaced.append(url)
            version = shown
        if version is None:
            published, source = record.published, record.published_source
            if published is None:
                published, source = article.first_seen, "first-seen"
            version = _NewVersion(
                {
                    "article_id": article.id,
                    "capture_id": capture_id,
                    "content_hash": content_hash,
                    "text_hash": record.text_hash(),
                    "seen_at": pending.seen_at,
                    "title": record.title,
                    "published": published,
                    "published_source": source,
                    "author": record.author,
                    "summary": record.summary,
                    "body": record.text,
                    "images": [asdict(image) for image in record.images],
                    "category": record.category,
                    "tags": record.tags,
                    "family": record.family,
                },
                record.mentions,
            )
            batch.versions[(url, content_hash)] = version
            batch.created.append(version)
            if outcome != "new" and is_latest:
                outcome = "updated"
                if shown is not None and _unlike(shown, record):
                    batch.replaced.append(url)
        is_current = version.id is not None and article.current_version_id == version.id
        if not is_current and (is_latest or url not in batch.with_current):
            if outcome == "unchanged" and version.id is not None and current is not None:
                outcome = "updated"  # back to an earlier text: a change all the same
            batch.current[url] = version
            article.updated_at = datetime.now(UTC)
            batch.with_current.add(url)
            batch.changed.add(url)
        return outcome


def _insert_versions(session: Session, created: list[_NewVersion]) -> None:
    """Insert the batch's new versions and their mentions, and give each its id.

    Core statements, many rows each: the ORM's unit of work spent more on
    bookkeeping (objects, relationships, a post-update per article) than the
    database spent on the rows.
    """
    if not created:
        return
    insert = dialect_insert(session, ArticleVersion).returning(
        ArticleVersion.__table__.c.id, sort_by_parameter_order=True
    )
    ids = session.scalars(insert, [version.row for version in created]).all()
    mentions = []
    for version, version_id in zip(created, ids, strict=True):
        version.id = version_id
        mentions += mention_rows(version_id, version.mentions)
    if mentions:
        session.execute(dialect_insert(session, PlaceMention), mentions)


def _timed_as(record: ArticleRecord, current: ArticleVersion | _NewVersion | None) -> ArticleRecord:
    """``record`` with the current version's time of day, if it shows that day without one.

    A portal's new theme printing "19-05-2025" where it printed "Thứ hai,
    19/05/2025 08:09" made a version of every article, and lost their times.
    """
    if current is None:
        return record
    known, source = _held(current, "published"), _held(current, "published_source")
    if source == "first-seen":
        return record  # a capture's time is no time of publication
    published = record.published
    if published is None or not isinstance(known, datetime):
        return record
    day, known_day = published.astimezone(VIETNAM_TZ), known.astimezone(VIETNAM_TZ)
    midnight = (day.hour, day.minute, day.second) == (0, 0, 0)
    if midnight and day.date() == known_day.date() and known_day.time() != day.time():
        return replace(record, published=known)
    return record


#: Of the word pairs of the shorter of two texts, the share the other must
#: hold for one to be an edit of the other.  An edit keeps most (a paragraph
#: rewritten: four in five); two articles of one portal share a few
#: ("ủy ban", "nhân dân": one in twenty), an advert or a notice of closure none.
_KEPT_PAIRS = 0.2


def _unlike(version: ArticleVersion | _NewVersion, record: ArticleRecord) -> bool:
    """Whether ``record`` is no edit of ``version``: another title, and a text
    sharing next to nothing with it (its URL now shows something else)."""
    title = _held(version, "title")
    if title == record.title:
        return False
    body = _held(version, "body")
    before, after = _word_pairs(f"{title}\n{body}"), _word_pairs(f"{record.title}\n{record.text}")
    fewer = min(len(before), len(after))
    return fewer > 0 and len(before & after) < _KEPT_PAIRS * fewer


def _word_pairs(text: str) -> set[tuple[str, str]]:
    words = text.casefold().split()
    return set(itertools.pairwise(words))


def _held(version: ArticleVersion | _NewVersion, name: str) -> Any:
    """A field of a stored version, or of one this batch makes (its row)."""
    return version.row[name] if isinstance(version, _NewVersion) else getattr(version, name)


def _same_text(version: ArticleVersion | _NewVersion, record: ArticleRecord) -> bool:
    """Whether ``version`` holds what makes ``record`` a version (see
    :meth:`ArticleRecord.versioned`), compared field by field; a record
    with no date of its page's holds any."""
    captions = [image["caption"] for image in _held(version, "images") if image.get("caption")]
    source = _held(version, "published_source")
    dated = record.published_source in (None, "url") or source in ("url", "first-seen")
    held = tuple(_held(version, name) for name in ("title", "author", "summary", "body"))
    return (*held, captions) == (
        record.title,
        record.author,
        record.summary,
        record.text,
        record.captions,
    ) and (dated or _held(version, "published") == record.published)
