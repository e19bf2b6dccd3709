"""PostgreSQL search documents: written with the articles, rebuilt, caught up.

When the archive is PostgreSQL there is no index to build or sync: the
archive writer calls :func:`write_documents` in each batch's transaction
(see :class:`archive.writer.SearchDocuments`), so an article is searchable
as soon as its batch commits, by every researcher sharing the database.
:func:`rebuild_documents` fills the table afresh (``dna index --rebuild``,
an archive migrated from before the table existed).  Searching them is
:mod:`search.postgres`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from archive.archived import archived_article_of, mentions_of
from archive.database import StoreError
from archive.models import Article, ArticleVersion, Capture, SearchDocument, SearchTerm, Site
from archive.store import Store
from search.tsvector import document

#: Articles per transaction of a rebuild; progress is reported after each.
REBUILD_BATCH = 500

Progress = Callable[[int, int], None]


def write_documents(session: Session, article_ids: list[int]) -> None:
    """Write the search documents of ``article_ids`` in ``session``'s transaction.

    The :class:`archive.writer.SearchDocuments` the crawl and restore give
    their writers on PostgreSQL.  Does nothing on other databases.
    """
    if not article_ids or session.get_bind().dialect.name != "postgresql":
        return
    _save(session, _analysed(session, article_ids))


#: Search documents of a batch as rows of ``search_documents``, and their syllables.
_Analysed = tuple[list[dict[str, object]], set[str]]


def _analysed(session: Session, article_ids: list[int]) -> _Analysed:
    """Read the articles and analyse them: the Python half of writing documents."""
    rows, terms = [], set[str]()
    for article in _articles(session, article_ids):
        vector, found = document(article)
        terms |= found
        rows.append(
            {
                "article_id": article.id,
                "version_id": article.version_id,
                "published": article.published or article.first_seen,
                "document": vector,
            }
        )
    return rows, terms


def _save(session: Session, analysed: _Analysed) -> None:
    """Upsert analysed documents: the database's half (parsing, TOAST, GIN)."""
    rows, terms = analysed
    if not rows:
        return
    upsert = insert(SearchDocument).values(rows)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["article_id"],
            set_={
                "version_id": upsert.excluded.version_id,
                "published": upsert.excluded.published,
                "document": upsert.excluded.document,
            },
        )
    )
    if terms:
        rows_of_terms = [{"term": term} for term in sorted(terms)]
        session.execute(insert(SearchTerm).values(rows_of_terms).on_conflict_do_nothing())


def _articles(session: Session, article_ids: list[int]) -> list:
    query = (
        select(Article, ArticleVersion, Capture, Site.name, literal(0), Site.place)
        .join(ArticleVersion, Article.current_version_id == ArticleVersion.id)
        .join(Capture, ArticleVersion.capture_id == Capture.id)
        .join(Site, Article.site_id == Site.id)
        .where(Article.id.in_(article_ids))
    )
    rows = session.execute(query).all()
    mentions = mentions_of(session, [row[1].id for row in rows])
    return [archived_article_of(*row, mentions=mentions.get(row[1].id, [])) for row in rows]


def rebuild_documents(store: Store, progress: Progress | None = None) -> int:
    """Write every article's search document afresh; returns how many.

    Each batch commits on its own, so searches go on meanwhile and an
    interrupted rebuild leaves the earlier batches done.

    :raises StoreError: the archive is not in PostgreSQL.
    """
    with store.session() as session:
        ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    with store.session() as session, session.begin():
        current = select(Article.id).where(Article.current_version_id.is_not(None))
        session.execute(delete(SearchDocument).where(SearchDocument.article_id.not_in(current)))
    return _write_in_batches(store, ids, progress)


def update_documents(store: Store, progress: Progress | None = None) -> int:
    """Write the search documents that are missing or behind their article; returns how many.

    Crawls and restores write them as they go; this catches up an archive
    migrated from before they existed, or written by a dna without the hook.

    :raises StoreError: the archive is not in PostgreSQL.
    """
    stale = (
        select(Article.id)
        .outerjoin(SearchDocument, SearchDocument.article_id == Article.id)
        .where(Article.current_version_id.is_not(None))
        .where(
            or_(
                SearchDocument.article_id.is_(None),
                SearchDocument.version_id != Article.current_version_id,
            )
        )
        .order_by(Article.id)
    )
    with store.session() as session:
        ids = list(session.scalars(stale))
    return _write_in_batches(store, ids, progress)


def _write_in_batches(store: Store, ids: list[int], progress: Progress | None) -> int:
    """Write documents batch by batch, analysing the next batch while one is saved.

    Analysis is Python and saving is the server's work (parsing the text,
    TOAST, the GIN indexes), and the driver lets go of the GIL while it
    waits: a second thread reading and analysing the next batch keeps both
    a Python core and the server busy, as Whoosh's two indexing processes do.
    """
    if store.engine.dialect.name != "postgresql":
        raise StoreError("search documents live in PostgreSQL archives only")
    batches = [ids[start : start + REBUILD_BATCH] for start in range(0, len(ids), REBUILD_BATCH)]

    def analyse(batch: list[int]) -> _Analysed:
        with store.session() as session:
            return _analysed(session, batch)

    if not batches:
        return 0
    count = 0
    with ThreadPoolExecutor(max_workers=1) as analyser:
        upcoming = analyser.submit(analyse, batches[0])
        for number, batch in enumerate(batches):
            analysed = upcoming.result()
            if number + 1 < len(batches):
                upcoming = analyser.submit(analyse, batches[number + 1])
            with store.session() as session, session.begin():
                _save(session, analysed)
            count += len(batch)
            if progress is not None:
                progress(count, len(ids))
    return count
