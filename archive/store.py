"""The archive database: open it, read articles and crawls back, hand out writers.

:class:`Store` answers the queries; a crawl's harvest is written through the
batching :class:`~archive.writer.ArchiveWriter` that :meth:`Store.writer`
makes.  Engines are set up in :mod:`archive.database`, and the records read
back are in :mod:`archive.archived`, and the crawl history's queries in
:mod:`archive.crawls`.

Several processes may write one database at once (crawl workers sharing a
frontier, a restore beside a crawl): rows with a natural key (a site's name,
a capture's record id, an article's URL) are inserted with ``ON CONFLICT DO
NOTHING`` and read back, and a batch's articles are locked before they are
changed, so no row is written twice and no update is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased, sessionmaker

from archive.aliases import addresses
from archive.archived import (
    ArchivedArticle,
    ArticleVersionInfo,
    SitePlace,
    archived_article_of,
    capture_record_of,
    mention_rows,
    mentions_of,
)
from archive.crawls import CrawlHistory
from archive.database import (
    StoreError,
    archive_url,
    create_archive_engine,
    dialect_insert,
    is_read_only,
    shown_url,
)
from archive.gone import GONE_STATUSES, Gone, gone_articles
from archive.messages import one_line
from archive.models import (
    Article,
    ArticleUrl,
    ArticleVersion,
    Capture,
    Crawl,
    PlaceMention,
    Site,
)
from archive.records import CaptureRecord, Mention
from archive.writer import ArchiveWriter

_ONE_SECOND = timedelta(seconds=1)


class Store(CrawlHistory):
    """The archive database.

    :param url: SQLAlchemy database URL (``sqlite:///…`` or ``postgresql://…``).
    :param migrate: bring the schema up to date on open (Alembic ``upgrade head``).
    :param create: make the archive in an empty database; a command that only
        reads says there is none instead.

    >>> store = Store("sqlite:///:memory:")
    >>> store.site_id("xa-thanh-lien", title="Xã Thanh Liên", family="vnportal")
    1
    """

    def __init__(self, url: str, *, migrate: bool = True, create: bool = True) -> None:
        self.url = url = archive_url(url)
        self.engine = create_archive_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate and not is_read_only(url):
            from archive.migrations import NoArchiveError, NotAnArchiveError, upgrade

            try:
                upgrade(self.engine, create=create)
            except OperationalError as exc:
                raise StoreError(
                    f"cannot open database {self.safe_url}: {one_line(exc.orig)}"
                ) from None
            except NoArchiveError:
                self.engine.dispose()
                raise StoreError(
                    f"no archive in {self.safe_url} (check --db or $DNA_DATABASE_URL; "
                    "`dna crawl` or `dna restore` makes one)"
                ) from None
            except NotAnArchiveError as exc:
                self.engine.dispose()
                raise StoreError(
                    f"{self.safe_url} is no dna archive: {exc}; give dna a database "
                    "of its own (check --db or $DNA_DATABASE_URL)"
                ) from None

    @property
    def safe_url(self) -> str:
        """The database URL with any password hidden, for messages."""
        return shown_url(self.url)

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
        return self.ensure_site(name, title=title, family=family, home_url=home_url, place=place)[0]

    def ensure_site(
        self,
        name: str,
        *,
        title: str | None = None,
        family: str | None = None,
        home_url: str | None = None,
        place: str | None = None,
    ) -> tuple[int, bool]:
        """As :meth:`site_id`, and whether this call created the site (not another writer)."""
        with self.session() as session, session.begin():
            created = session.execute(
                dialect_insert(session, Site)
                .values(name=name, created_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["name"])
                .returning(Site.__table__.c.id)
            ).first()
            site = session.scalars(select(Site).where(Site.name == name).with_for_update()).one()
            site.title = title or site.title
            site.family = family or site.family
            site.home_url = home_url or site.home_url
            site.place = place or site.place
            session.flush()
            return site.id, created is not None

    def writer(self, site_id: int, crawl_id: int | None, **kwargs: Any) -> ArchiveWriter:
        """A batching writer of captures and articles for one site (see its options)."""
        return ArchiveWriter(self, site_id, crawl_id, **kwargs)  # type: ignore[arg-type]

    # -- reading ----------------------------------------------------------

    def _article_query(self, every_version: bool = False):
        """Articles with their current version, or with each of their versions."""
        other = aliased(ArticleVersion)
        version_count = (
            select(func.count(other.id))
            .where(other.article_id == Article.id)
            .correlate(Article)
            .scalar_subquery()
        )
        shown = ArticleVersion.article_id == Article.id
        if not every_version:
            shown = Article.current_version_id == ArticleVersion.id
        return (
            select(Article, ArticleVersion, Capture, Site.name, version_count, Site.place)
            .join(ArticleVersion, shown)
            .join(Capture, ArticleVersion.capture_id == Capture.id)
            .join(Site, Article.site_id == Site.id)
        )

    def articles(
        self,
        *,
        site: str | None = None,
        updated_since: datetime | None = None,
        every_version: bool = False,
        find_gone: bool = True,
        batch_size: int = 500,
    ) -> Iterator[ArchivedArticle]:
        """Every article's current version, oldest id first, streamed.

        :param every_version: each of every article's versions instead,
            oldest first, numbered (``version_number``).
        :param find_gone: say which are gone from their portal
            (``gone_since``): a query more a batch, which indexing does without.
        """
        query = self._article_query(every_version).order_by(Article.id)
        if every_version:
            query = query.order_by(ArticleVersion.seen_at, ArticleVersion.id)
        if site is not None:
            query = query.where(Site.name == site)
        if updated_since is not None:
            query = query.where(Article.updated_at > updated_since)
        last_id, number = None, 0
        with self.session() as session:
            rows = session.execute(query.execution_options(yield_per=batch_size))
            for batch in rows.partitions():
                mentions = mentions_of(session, [row[1].id for row in batch])
                gone = {}
                if find_gone:
                    gone = gone_articles(session, list({row[0].id for row in batch}))
                for row in batch:
                    found = archived_article_of(*row, mentions=mentions.get(row[1].id, []))
                    _mark_gone(found, gone.get(found.id))
                    if every_version:
                        number = number + 1 if found.id == last_id else 1
                        found.version_number, last_id = number, found.id
                    yield found

    def count_articles(self, *, updated_since: datetime | None = None) -> int:
        """About how many articles :meth:`articles` gives, for a progress bar."""
        query = select(func.count()).select_from(Article)
        if updated_since is not None:
            query = query.where(Article.updated_at > updated_since)
        with self.session() as session:
            return session.scalar(query) or 0

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
                    .join(ArticleUrl, ArticleUrl.article_id == Article.id)
                    .where(ArticleUrl.url == key)
                ).first()
            if row is None and isinstance(key, str):
                row = session.execute(
                    self._article_query()
                    .where(Article.id == ArticleVersion.article_id)
                    .where(Capture.url == key)
                ).first()
            if row is None:
                return None
            mentions = mentions_of(session, [row[1].id]).get(row[1].id, [])
            found = archived_article_of(*row, mentions=mentions)
            _mark_gone(found, gone_articles(session, [found.id]).get(found.id))
            found.other_urls = list(
                session.scalars(
                    select(ArticleUrl.url)
                    .where(ArticleUrl.article_id == found.id)
                    .order_by(ArticleUrl.id)
                )
            )
            return found

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
                    published=version.published,
                    author=version.author,
                    summary=version.summary,
                    captions=tuple(
                        image["caption"] for image in version.images or [] if image.get("caption")
                    ),
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
        found = [(a.id, a.version_id, find(a)) for a in self.articles(site=site, find_gone=False)]
        now = datetime.now(UTC)
        for start in range(0, len(found), 500):
            batch = found[start : start + 500]
            with self.session() as session, session.begin():
                versions = [version_id for _, version_id, _ in batch]
                session.execute(delete(PlaceMention).where(PlaceMention.version_id.in_(versions)))
                rows = [row for _, at, mentions in batch for row in mention_rows(at, mentions)]
                if rows:
                    session.execute(dialect_insert(session, PlaceMention), rows)
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

    def count_gone(self) -> int:
        """How many archived articles their portal has deleted (:mod:`archive.gone`)."""
        # Only articles with a 404 or 410 at one of their URLs can be gone.
        urls = addresses()
        maybe = (
            select(urls.c.article_id)
            .join(Capture, Capture.url == urls.c.url)
            .where(Capture.status.in_(GONE_STATUSES))
        )
        with self.session() as session:
            found = set(session.scalars(maybe))
        return len(self.gone(found))

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

    def full_payload_digests(self, site: str) -> set[str]:
        """The payload digests of ``site``'s 2xx responses stored in full: what
        :meth:`original_capture` can find, read in one query."""
        query = (
            select(Capture.payload_digest)
            .join(Site, Capture.site_id == Site.id)
            .where(
                Site.name == site,
                Capture.refers_to.is_(None),
                Capture.status.between(200, 299),
            )
        )
        with self.session() as session:
            return set(session.scalars(query.execution_options(yield_per=5000)))

    def validated_urls(self, site: str) -> set[str]:
        """The URLs of ``site`` with a 200 capture carrying an ETag or Last-Modified:
        the only ones :meth:`latest_capture` can give validators for, read in one query."""
        query = (
            select(Capture.url)
            .join(Site, Capture.site_id == Site.id)
            .where(
                Site.name == site,
                Capture.status == 200,
                (Capture.etag.is_not(None)) | (Capture.last_modified.is_not(None)),
            )
            .distinct()
        )
        with self.session() as session:
            return set(session.scalars(query.execution_options(yield_per=5000)))

    def latest_capture(self, url: str, site: str, status: int = 200) -> CaptureRecord | None:
        """The newest capture of ``url`` on ``site`` that answered ``status``."""
        return self._first_capture(
            select(Capture)
            .join(Site, Capture.site_id == Site.id)
            .where(Site.name == site, Capture.url == url, Capture.status == status)
            .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        )

    def capture_at(
        self, url: str, fetched_at: datetime, payload_digest: str | None = None
    ) -> CaptureRecord | None:
        """The response to ``url`` stored in full within a second of ``fetched_at``
        (and with ``payload_digest``, if given): what a revisit naming its
        original by URI and date, not record id, points at."""
        query = select(Capture).where(
            Capture.url == url,
            Capture.fetched_at.between(fetched_at - _ONE_SECOND, fetched_at + _ONE_SECOND),
            Capture.refers_to.is_(None),
        )
        if payload_digest:
            query = query.where(Capture.payload_digest == payload_digest)
        return self._first_capture(query.order_by(Capture.fetched_at, Capture.id))

    def redirect_at(self, urls: list[str]) -> CaptureRecord | None:
        """The latest redirect (a 3xx response) captured at one of ``urls``."""
        return self._first_capture(
            select(Capture)
            .where(Capture.url.in_(urls), Capture.status.between(300, 399))
            .order_by(Capture.fetched_at.desc())
        )

    def capture(self, record_id: str) -> CaptureRecord | None:
        """The capture whose WARC record is ``record_id``."""
        return self._first_capture(select(Capture).where(Capture.record_id == record_id))

    def _first_capture(self, query) -> CaptureRecord | None:
        with self.session() as session:
            row = session.scalars(query.limit(1)).first()
            return capture_record_of(row) if row else None

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

    def crawl_captures(self, crawl_ids: list[int]) -> dict[str, CaptureRecord]:
        """The latest capture of each URL fetched in these crawls."""
        query = (
            select(Capture)
            .where(Capture.crawl_id.in_(crawl_ids))
            .order_by(Capture.fetched_at, Capture.id)
        )
        with self.session() as session:
            return {
                row.url: capture_record_of(row)
                for row in session.scalars(query.execution_options(yield_per=2000))
            }

    def article_urls(self, site: str, *, before: datetime | None = None) -> set[str]:
        """The canonical URLs of ``site``'s archived articles, first seen before ``before``."""
        query = select(Article.url).join(Site, Article.site_id == Site.id).where(Site.name == site)
        if before is not None:
            query = query.where(Article.first_seen < before)
        with self.session() as session:
            return set(session.scalars(query.execution_options(yield_per=5000)))

    def article_addresses(self, site: str) -> dict[str, int]:
        """Every URL of ``site``'s archived articles, its own and those it was
        also found at, with the article's id."""
        site_id = select(Site.id).where(Site.name == site).scalar_subquery()
        urls = addresses(Article.site_id == site_id)
        query = select(urls.c.url, urls.c.article_id).execution_options(yield_per=5000)
        with self.session() as session:
            return {url: article_id for url, article_id in session.execute(query)}

    def articles_unseen_since(self, site: str, since: datetime) -> set[int]:
        """The ids of ``site``'s archived articles last seen before ``since``."""
        query = (
            select(Article.id)
            .join(Site, Article.site_id == Site.id)
            .where(Site.name == site, Article.last_seen < since)
        )
        with self.session() as session:
            return set(session.scalars(query.execution_options(yield_per=5000)))

    def gone(self, article_ids: Iterable[int]) -> dict[int, Gone]:
        """Which of ``article_ids`` their portal has deleted (:mod:`archive.gone`)."""
        chosen, found = sorted(article_ids), {}
        with self.session() as session:
            for start in range(0, len(chosen), 500):
                found.update(gone_articles(session, chosen[start : start + 500]))
        return found


def _mark_gone(article: ArchivedArticle, gone: Gone | None) -> None:
    if gone is not None:
        article.gone_since, article.gone_status = gone.since, gone.status
