"""The archive database: open it, write harvests into it, read articles back.

Writers batch: a crawl hands captures and articles to an :class:`ArchiveWriter`,
which commits them in one transaction every few hundred rows or seconds.  One
commit per page would make the database the crawl's bottleneck.

Several processes may write one database at once (crawl workers sharing a
frontier, a restore beside a crawl): rows with a natural key (a site's name,
a capture's record id, an article's URL) are inserted with ``ON CONFLICT DO
NOTHING`` and read back, and a batch's articles are locked before they are
changed, so no row is written twice and no update is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Literal, TypeVar

from sqlalchemy import Engine, Insert, create_engine, delete, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, aliased, sessionmaker
from sqlalchemy.sql.expression import ColumnElement, ScalarSelect

from archive.locks import LockOwner
from archive.models import Article, ArticleVersion, Capture, Crawl, PlaceMention, Site
from archive.records import ArticleRecord, CaptureRecord, Image, Mention

Outcome = Literal["new", "updated", "unchanged"]
T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be opened or used; the message says why."""


def one_line(error: object) -> str:
    """An error message on one line: drivers' messages span several."""
    return " ".join(str(error).split())


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def _tune_sqlite(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets search and export read while a crawl writes; the busy timeout
    # makes a second writer wait instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_archive_engine(url: str) -> Engine:
    """An engine for ``url``, tuned for the archive's access pattern."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    # A server that does not answer is an error after seconds, not minutes.
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except ImportError as exc:
        backend = parsed.get_backend_name()
        raise StoreError(
            f"no Python driver for {backend} databases ({exc.name} is missing): "
            f"install it into dna's environment, e.g. pip install 'psycopg[binary]'"
        ) from None


def _insert(session: Session, model: type[DeclarativeBase]) -> Insert:
    """An INSERT for ``model`` that knows ``ON CONFLICT`` on this session's database."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


@dataclass(slots=True)
class ArchivedArticle:
    """An article as the archive holds it: its current version and provenance.

    This is the export contract's source and what search indexes.
    """

    id: int
    url: str
    site: str
    title: str
    published: datetime | None
    published_source: str | None
    author: str | None
    summary: str | None
    body: str
    images: list[Image]
    views: int | None
    category: str | None
    tags: list[str]
    family: str
    first_seen: datetime
    updated_at: datetime
    version_id: int
    version_count: int
    fetched_at: datetime
    warc_file: str
    warc_offset: int
    warc_length: int
    warc_record_id: str
    capture_url: str
    #: gazetteer code of the unit the site serves, if sites.toml names it.
    site_place: str | None = None
    #: the units the current version mentions, settled or not.
    mentions: list[Mention] = field(default_factory=list)

    @property
    def captions(self) -> list[str]:
        """Captions of the body images, in order."""
        return [image.caption for image in self.images if image.caption]


@dataclass(slots=True)
class ArticleVersionInfo:
    """One stored version of an article, for ``dna show``."""

    id: int
    seen_at: datetime
    title: str
    content_hash: str
    warc_file: str
    warc_offset: int
    body: str


@dataclass(slots=True)
class SitePlace:
    """A site, the unit it serves (a gazetteer code, if known), and its articles."""

    name: str
    title: str | None
    place: str | None
    articles: int


@dataclass(slots=True)
class CrawlSummary:
    """One site's crawls, for ``dna stats``."""

    site: str
    crawls: int
    last_started: datetime | None
    last_status: str | None
    pages: int
    articles_new: int
    articles_updated: int
    errors: int
    bytes_written: int


@dataclass(slots=True)
class CrawlRun:
    """One crawl of one site, for ``dna crawls``, the scheduler and resume."""

    id: int
    site: str
    mode: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    reason: str | None
    pages: int
    articles_new: int
    articles_updated: int
    errors: int
    bytes_written: int
    host: str | None
    pid: int | None
    resumes: int | None

    @property
    def is_orphaned(self) -> bool:
        """Marked running, but its process is gone (SIGKILL, a reboot)."""
        if self.status != "running" or self.pid is None or self.host is None:
            return False
        return not LockOwner(self.host, self.pid).is_alive()

    @property
    def is_resumable(self) -> bool:
        """Stopped before its end: interrupted, or killed while running."""
        return self.status == "interrupted" or self.is_orphaned


@dataclass(slots=True)
class WriteCounts:
    """What a writer's flushes did, cumulatively."""

    captures: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0


class Store:
    """The archive database.

    :param url: SQLAlchemy database URL (``sqlite:///…`` or ``postgresql://…``).
    :param migrate: bring the schema up to date on open (Alembic ``upgrade head``).

    >>> store = Store("sqlite:///:memory:")
    >>> store.site_id("xa-thanh-lien", title="Xã Thanh Liên", family="vnportal")
    1
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = create_archive_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            from archive.migrations import upgrade

            try:
                upgrade(self.engine)
            except OperationalError as exc:
                raise StoreError(
                    f"cannot open database {self.safe_url}: {one_line(exc.orig)}"
                ) from None

    @property
    def safe_url(self) -> str:
        """The database URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    def session(self) -> Session:
        """A new ORM session; the caller commits."""
        return self._sessions()

    # -- sites and crawls -------------------------------------------------

    def site_id(
        self,
        name: str,
        *,
        title: str | None = None,
        family: str | None = None,
        home_url: str | None = None,
        place: str | None = None,
    ) -> int:
        """The id of site ``name``, created or updated with the given details.

        :param place: gazetteer code of the unit the site serves.
        """
        with self.session() as session, session.begin():
            session.execute(
                _insert(session, Site)
                .values(name=name, created_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["name"])
            )
            site = session.scalars(select(Site).where(Site.name == name).with_for_update()).one()
            site.title = title or site.title
            site.family = family or site.family
            site.home_url = home_url or site.home_url
            site.place = place or site.place
            session.flush()
            return site.id

    def start_crawl(self, site_id: int, *, mode: str = "full", resumes: int | None = None) -> int:
        """Record that this process started a crawl of ``site_id``; returns its id.

        :param resumes: the unfinished crawl this one picks up; it is marked
            ``interrupted`` (it was, even if killed while marked running).
        """
        me = LockOwner.me()
        with self.session() as session, session.begin():
            if resumes is not None:
                earlier = session.get(Crawl, resumes)
                if earlier is not None and earlier.status == "running":
                    # Killed: it ended with the last response it archived.
                    last = session.scalar(
                        select(func.max(Capture.fetched_at)).where(Capture.crawl_id == resumes)
                    )
                    earlier.status = "interrupted"
                    earlier.reason = earlier.reason or "killed"
                    earlier.ended_at = last or earlier.started_at
            crawl = Crawl(
                site_id=site_id,
                mode=mode,
                started_at=datetime.now(UTC),
                status="running",
                host=me.host,
                pid=me.pid,
                resumes=resumes,
            )
            session.add(crawl)
            session.flush()
            return crawl.id

    def finish_crawl(
        self,
        crawl_id: int,
        *,
        status: str,
        reason: str | None,
        pages: int,
        articles_new: int,
        articles_updated: int,
        errors: int,
        bytes_written: int,
    ) -> None:
        """Record how crawl ``crawl_id`` ended."""
        with self.session() as session, session.begin():
            crawl = session.get(Crawl, crawl_id)
            if crawl is None:
                raise StoreError(f"no crawl {crawl_id}")
            crawl.ended_at = datetime.now(UTC)
            crawl.status = status
            crawl.reason = reason
            crawl.pages = pages
            crawl.articles_new = articles_new
            crawl.articles_updated = articles_updated
            crawl.errors = errors
            crawl.bytes_written = bytes_written

    def writer(self, site_id: int, crawl_id: int | None, **kwargs: float) -> ArchiveWriter:
        """A batching writer of captures and articles for one site."""
        return ArchiveWriter(self, site_id, crawl_id, **kwargs)  # type: ignore[arg-type]

    # -- reading ----------------------------------------------------------

    def _article_query(self):
        other = aliased(ArticleVersion)
        version_count = (
            select(func.count(other.id))
            .where(other.article_id == Article.id)
            .correlate(Article)
            .scalar_subquery()
        )
        return (
            select(Article, ArticleVersion, Capture, Site.name, version_count, Site.place)
            .join(ArticleVersion, Article.current_version_id == ArticleVersion.id)
            .join(Capture, ArticleVersion.capture_id == Capture.id)
            .join(Site, Article.site_id == Site.id)
        )

    def articles(
        self,
        *,
        site: str | None = None,
        updated_since: datetime | None = None,
        batch_size: int = 500,
    ) -> Iterator[ArchivedArticle]:
        """Every article's current version, oldest id first, streamed."""
        query = self._article_query().order_by(Article.id)
        if site is not None:
            query = query.where(Site.name == site)
        if updated_since is not None:
            query = query.where(Article.updated_at > updated_since)
        with self.session() as session:
            rows = session.execute(query.execution_options(yield_per=batch_size))
            for batch in rows.partitions():
                mentions = _mentions_of(session, [row[1].id for row in batch])
                for row in batch:
                    yield _archived(*row, mentions=mentions.get(row[1].id, []))

    def article(self, key: int | str) -> ArchivedArticle | None:
        """One article by id or by (canonical or captured) URL."""
        query = self._article_query()
        if isinstance(key, int):
            query = query.where(Article.id == key)
        else:
            query = query.where(Article.url == key)
        with self.session() as session:
            row = session.execute(query).first()
            if row is None and isinstance(key, str):
                row = session.execute(
                    self._article_query()
                    .where(Article.id == ArticleVersion.article_id)
                    .where(Capture.url == key)
                ).first()
            if row is None:
                return None
            return _archived(*row, mentions=_mentions_of(session, [row[1].id]).get(row[1].id, []))

    def versions(self, article_id: int) -> list[ArticleVersionInfo]:
        """Every stored version of an article, oldest first."""
        query = (
            select(ArticleVersion, Capture)
            .join(Capture, ArticleVersion.capture_id == Capture.id)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.seen_at, ArticleVersion.id)
        )
        with self.session() as session:
            return [
                ArticleVersionInfo(
                    id=version.id,
                    seen_at=version.seen_at,
                    title=version.title,
                    content_hash=version.content_hash,
                    warc_file=capture.warc_file,
                    warc_offset=capture.warc_offset,
                    body=version.body,
                )
                for version, capture in session.execute(query)
            ]

    # -- places -----------------------------------------------------------

    def site_places(self) -> list[SitePlace]:
        """Every site with the unit it serves and its article count, by name."""
        query = (
            select(Site.name, Site.title, Site.place, func.count(Article.id))
            .outerjoin(Article, Article.site_id == Site.id)
            .group_by(Site.id, Site.name, Site.title, Site.place)
            .order_by(Site.name)
        )
        with self.session() as session:
            return [SitePlace(*row) for row in session.execute(query)]

    def refresh_mentions(
        self, site: str, place: str | None, find: Callable[[ArchivedArticle], list[Mention]]
    ) -> int:
        """Set ``site``'s place and find the mentions of its articles' current versions again.

        For a place corrected in ``sites.toml`` or a newer gazetteer.  The
        articles count as updated, so the next index update re-indexes them.

        :returns: how many articles were looked at.
        """
        with self.session() as session, session.begin():
            row = session.scalar(select(Site).where(Site.name == site))
            if row is None:
                raise StoreError(f"no site {site!r} in the archive")
            row.place = place
        # Read everything first (the mentions are small): no write while a read is open.
        found = [(a.id, a.version_id, find(a)) for a in self.articles(site=site)]
        now = datetime.now(UTC)
        for start in range(0, len(found), 500):
            batch = found[start : start + 500]
            with self.session() as session, session.begin():
                versions = [version_id for _, version_id, _ in batch]
                session.execute(delete(PlaceMention).where(PlaceMention.version_id.in_(versions)))
                for _, version_id, mentions in batch:
                    version = session.get(ArticleVersion, version_id)
                    session.add_all(_mention_rows(version, mentions))
                articles = [article_id for article_id, _, _ in batch]
                session.execute(
                    update(Article).where(Article.id.in_(articles)).values(updated_at=now)
                )
        return len(found)

    def articles_mentioning(self, units: set[str]) -> int:
        """How many articles' current versions mention any of ``units`` (settled)."""
        query = (
            select(func.count(func.distinct(Article.id)))
            .join(PlaceMention, PlaceMention.version_id == Article.current_version_id)
            .where(PlaceMention.unit.in_(units))
        )
        with self.session() as session:
            return session.scalar(query) or 0

    def unsettled_mentions(self, limit: int = 20) -> list[Mention]:
        """The commonest mentions left ambiguous or unknown in current versions, most first."""
        total = func.sum(PlaceMention.count)
        query = (
            select(PlaceMention.surface, PlaceMention.candidates, total)
            .join(Article, PlaceMention.version_id == Article.current_version_id)
            .where(PlaceMention.unit.is_(None))
            .group_by(PlaceMention.surface, PlaceMention.candidates)
            .order_by(total.desc(), PlaceMention.surface)
            .limit(limit)
        )
        with self.session() as session:
            return [
                Mention(surface, None, tuple((candidates or "").split()), count)
                for surface, candidates, count in session.execute(query)
            ]

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables."""
        with self.session() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (Site, Crawl, Capture, Article, ArticleVersion)
            }

    # -- recrawls --------------------------------------------------------

    def original_capture(self, payload_digest: str, site: str) -> CaptureRecord | None:
        """The first 2xx response of ``site`` stored in full with this payload digest.

        Revisits point here; never at another revisit.
        """
        return self._first_capture(
            select(Capture)
            .join(Site, Capture.site_id == Site.id)
            .where(
                Site.name == site,
                Capture.payload_digest == payload_digest,
                Capture.refers_to.is_(None),
                Capture.status.between(200, 299),
            )
            .order_by(Capture.fetched_at, Capture.id)
        )

    def latest_capture(self, url: str, site: str, status: int = 200) -> CaptureRecord | None:
        """The newest capture of ``url`` on ``site`` that answered ``status``."""
        return self._first_capture(
            select(Capture)
            .join(Site, Capture.site_id == Site.id)
            .where(Site.name == site, Capture.url == url, Capture.status == status)
            .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        )

    def capture(self, record_id: str) -> CaptureRecord | None:
        """The capture whose WARC record is ``record_id``."""
        return self._first_capture(select(Capture).where(Capture.record_id == record_id))

    def _first_capture(self, query) -> CaptureRecord | None:
        with self.session() as session:
            row = session.scalars(query.limit(1)).first()
            return _capture_record(row) if row else None

    def articles_per_site_year(self, tz: tzinfo = UTC) -> dict[str, dict[int | None, int]]:
        """How many articles each site has per publication year, in time zone ``tz``.

        Years are counted here rather than in SQL so that they follow ``tz``
        (Vietnam time for people) on every database engine.
        """
        query = (
            select(Site.name, ArticleVersion.published)
            .join(Article, Article.site_id == Site.id)
            .join(ArticleVersion, Article.current_version_id == ArticleVersion.id)
        )
        counts: dict[str, dict[int | None, int]] = {}
        with self.session() as session:
            for site, published in session.execute(query.execution_options(yield_per=2000)):
                year = published.astimezone(tz).year if published else None
                per_year = counts.setdefault(site, {})
                per_year[year] = per_year.get(year, 0) + 1
        return counts

    def crawl_runs(self, site: str | None = None, limit: int | None = None) -> list[CrawlRun]:
        """Past and running crawls, newest first."""
        query = (
            select(Crawl, Site.name)
            .join(Site, Crawl.site_id == Site.id)
            .order_by(Crawl.started_at.desc(), Crawl.id.desc())
        )
        if site is not None:
            query = query.where(Site.name == site)
        if limit is not None:
            query = query.limit(limit)
        with self.session() as session:
            return [_crawl_run(crawl, name) for crawl, name in session.execute(query)]

    def crawl_run(self, crawl_id: int) -> CrawlRun | None:
        """Crawl ``crawl_id``, if it exists."""
        query = select(Crawl, Site.name).join(Site, Crawl.site_id == Site.id)
        with self.session() as session:
            row = session.execute(query.where(Crawl.id == crawl_id)).first()
            return _crawl_run(*row) if row else None

    def latest_crawls(self) -> dict[str, CrawlRun]:
        """Each site's most recent crawl, by site name."""
        query = select(Crawl, Site.name).join(Site, Crawl.id == _of_newest_crawl(Crawl.id))
        with self.session() as session:
            return {name: _crawl_run(crawl, name) for crawl, name in session.execute(query)}

    def resume_chain(self, crawl_id: int) -> list[int]:
        """``crawl_id`` and the crawls it resumed, back to the first."""
        chain: list[int] = []
        with self.session() as session:
            current: int | None = crawl_id
            while current is not None and current not in chain:
                chain.append(current)
                current = session.scalar(select(Crawl.resumes).where(Crawl.id == current))
        return chain

    def crawl_captures(self, crawl_ids: list[int]) -> dict[str, CaptureRecord]:
        """The latest capture of each URL fetched in these crawls."""
        query = (
            select(Capture)
            .where(Capture.crawl_id.in_(crawl_ids))
            .order_by(Capture.fetched_at, Capture.id)
        )
        with self.session() as session:
            return {
                row.url: _capture_record(row)
                for row in session.scalars(query.execution_options(yield_per=2000))
            }

    def article_urls(self, site: str, *, before: datetime | None = None) -> set[str]:
        """The canonical URLs of ``site``'s archived articles, first seen before ``before``."""
        query = select(Article.url).join(Site, Article.site_id == Site.id).where(Site.name == site)
        if before is not None:
            query = query.where(Article.first_seen < before)
        with self.session() as session:
            return set(session.scalars(query.execution_options(yield_per=5000)))

    def crawl_summaries(self) -> list[CrawlSummary]:
        """Each crawled site's crawls: how many, the latest, and their totals."""
        latest = _of_newest_crawl(Crawl.status)
        query = (
            select(
                Site.name,
                func.count(Crawl.id),
                func.max(Crawl.started_at),
                latest,
                func.sum(Crawl.pages),
                func.sum(Crawl.articles_new),
                func.sum(Crawl.articles_updated),
                func.sum(Crawl.errors),
                func.sum(Crawl.bytes_written),
            )
            .join(Crawl, Crawl.site_id == Site.id)
            .group_by(Site.id, Site.name)
            .order_by(Site.name)
        )
        with self.session() as session:
            return [
                CrawlSummary(
                    site=site,
                    crawls=crawls,
                    last_started=last,
                    last_status=status,
                    pages=pages or 0,
                    articles_new=new or 0,
                    articles_updated=updated or 0,
                    errors=errors or 0,
                    bytes_written=written or 0,
                )
                for site, crawls, last, status, pages, new, updated, errors, written in (
                    session.execute(query)
                )
            ]


def _of_newest_crawl(column: ColumnElement[T]) -> ScalarSelect[T]:
    """``column`` of the site's newest crawl, as a subquery correlated with ``Site``."""
    return (
        select(column)
        .where(Crawl.site_id == Site.id)
        .order_by(Crawl.started_at.desc(), Crawl.id.desc())
        .limit(1)
        .correlate(Site)
        .scalar_subquery()
    )


def _crawl_run(crawl: Crawl, site: str) -> CrawlRun:
    columns = (f.name for f in fields(CrawlRun) if f.name != "site")
    return CrawlRun(site=site, **{name: getattr(crawl, name) for name in columns})


def _capture_record(row: Capture) -> CaptureRecord:
    return CaptureRecord(**{f.name: getattr(row, f.name) for f in fields(CaptureRecord)})


def _mentions_of(session: Session, version_ids: list[int]) -> dict[int, list[Mention]]:
    """The mentions of these versions, by version id, in one query."""
    found: dict[int, list[Mention]] = {}
    query = select(PlaceMention).where(PlaceMention.version_id.in_(version_ids))
    for row in session.scalars(query.order_by(PlaceMention.id)):
        found.setdefault(row.version_id, []).append(
            Mention(row.surface, row.unit, tuple((row.candidates or "").split()), row.count)
        )
    return found


def _archived(
    article: Article,
    version: ArticleVersion,
    capture: Capture,
    site: str,
    count: int,
    place: str | None,
    *,
    mentions: list[Mention],
) -> ArchivedArticle:
    return ArchivedArticle(
        id=article.id,
        url=article.url,
        site=site,
        title=version.title,
        published=version.published,
        published_source=version.published_source,
        author=version.author,
        summary=version.summary,
        body=version.body,
        images=[Image(**image) for image in version.images],
        views=article.views,
        category=version.category,
        tags=list(version.tags),
        family=version.family,
        first_seen=article.first_seen,
        updated_at=article.updated_at,
        version_id=version.id,
        version_count=count,
        fetched_at=capture.fetched_at,
        warc_file=capture.warc_file,
        warc_offset=capture.warc_offset,
        warc_length=capture.warc_length,
        warc_record_id=capture.record_id,
        capture_url=capture.url,
        site_place=place,
        mentions=mentions,
    )


@dataclass(slots=True)
class _ArticleBatch:
    """The stored articles and versions one batch touches, fetched once.

    :param articles: by canonical URL, every one of the batch's (locked).
    :param versions: by canonical URL and content hash.
    :param with_current: URLs whose article already has a current version.
    :param fresh: URLs whose article this batch created, not yet counted as new.
    """

    articles: dict[str, Article]
    versions: dict[tuple[str, str], ArticleVersion]
    with_current: set[str]
    fresh: set[str]

    @classmethod
    def load(cls, session: Session, site_id: int, pending: list[_PendingArticle]) -> _ArticleBatch:
        """Create the batch's missing articles, then lock and read them all.

        New rows are inserted in the order the batch met them, so that ids
        follow the crawl.
        """
        first_seen: dict[str, datetime] = {}
        for item in pending:
            url = item.record.url
            first_seen[url] = min(first_seen.get(url, item.seen_at), item.seen_at)
        if not first_seen:
            return cls({}, {}, set(), set())
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
        fresh = set(
            session.scalars(
                _insert(session, Article)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["url"])
                .returning(Article.url)
            )
        )
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
        return cls(articles, versions, with_current, fresh)


#: PostgreSQL's "deadlock detected": two writers met shared rows in different
#: orders and one was rolled back; its batch is simply written again.
_DEADLOCK = "40P01"
_ATTEMPTS = 3


@dataclass(slots=True)
class _PendingArticle:
    record: ArticleRecord
    capture_record_id: str
    seen_at: datetime


class ArchiveWriter:
    """Buffers one site's captures and articles and commits them in batches.

    :param max_rows: flush once this many rows wait.
    :param max_seconds: flush once the oldest waiting row is this old.
    """

    def __init__(
        self,
        store: Store,
        site_id: int,
        crawl_id: int | None,
        *,
        max_rows: int = 200,
        max_seconds: float = 2.0,
    ) -> None:
        self.store = store
        self.site_id = site_id
        self.crawl_id = crawl_id
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.counts = WriteCounts()
        self._captures: list[CaptureRecord] = []
        self._articles: list[_PendingArticle] = []
        self._oldest: float | None = None

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
                if getattr(exc.orig, "sqlstate", None) != _DEADLOCK or attempt == _ATTEMPTS:
                    raise
        for outcome in saved:
            setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)
        self.counts.captures += len(self._captures)
        self._captures, self._articles, self._oldest = [], [], None
        return self.counts

    close = flush

    def _write_batch(self) -> list[Outcome]:
        """Write what is queued in one transaction; what happened to each article."""
        captures, pending = self._captures, self._articles
        with self.store.session() as session, session.begin():
            self._insert_captures(session, captures)
            named = {p.capture_record_id for p in pending}
            capture_ids = dict(
                session.execute(
                    select(Capture.record_id, Capture.id).where(Capture.record_id.in_(named))
                ).all()
            )
            batch = _ArticleBatch.load(session, self.site_id, pending)
            saved = []
            for item in pending:
                capture_id = capture_ids.get(item.capture_record_id)
                if capture_id is None:
                    raise StoreError(f"article {item.record.url} names unknown capture")
                saved.append(self._save_article(session, batch, item, capture_id))
            session.flush()
        return saved

    def _insert_captures(self, session: Session, captures: list[CaptureRecord]) -> None:
        """Insert the captures not stored yet (by record id)."""
        if not captures:
            return
        rows = [
            {"site_id": self.site_id, "crawl_id": self.crawl_id, **asdict(capture)}
            for capture in captures
        ]
        session.execute(
            _insert(session, Capture).on_conflict_do_nothing(index_elements=["record_id"]), rows
        )

    def _save_article(
        self, session: Session, batch: _ArticleBatch, pending: _PendingArticle, capture_id: int
    ) -> Outcome:
        record = pending.record
        content_hash = record.content_hash()
        article = batch.articles[record.url]
        if record.url in batch.fresh:
            batch.fresh.discard(record.url)
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

        version = batch.versions.get((record.url, content_hash))
        if version is None:
            published, source = record.published, record.published_source
            if published is None:
                published, source = article.first_seen, "first-seen"
            version = ArticleVersion(
                article=article,
                capture_id=capture_id,
                content_hash=content_hash,
                seen_at=pending.seen_at,
                title=record.title,
                published=published,
                published_source=source,
                author=record.author,
                summary=record.summary,
                body=record.text,
                images=[asdict(image) for image in record.images],
                category=record.category,
                tags=record.tags,
                family=record.family,
            )
            session.add(version)
            session.add_all(_mention_rows(version, record.mentions))
            batch.versions[(record.url, content_hash)] = version
            if outcome != "new" and is_latest:
                outcome = "updated"
        is_current = version.id is not None and article.current_version_id == version.id
        if not is_current and (is_latest or record.url not in batch.with_current):
            article.current = version
            article.updated_at = datetime.now(UTC)
            batch.with_current.add(record.url)
        return outcome


def _mention_rows(version: ArticleVersion, mentions: list[Mention]) -> list[PlaceMention]:
    return [
        PlaceMention(
            version=version,
            unit=mention.unit,
            surface=mention.surface[:200],
            candidates=" ".join(mention.candidates) or None,
            count=mention.count,
        )
        for mention in mentions
    ]
