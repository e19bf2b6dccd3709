"""Keeping the index in step with the archive: incremental updates and rebuilds.

The crawl calls :func:`update_index` when it ends; ``dna index --rebuild``
calls :func:`rebuild_index`.  Both hold the index's write lock for their whole
run, so concurrent writers queue up and no update is lost, while searchers go
on reading the last committed generation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from whoosh.index import FileIndex
from whoosh.searching import Searcher
from whoosh.writing import CLEAR

from archive.archived import ArchivedArticle
from archive.store import Store
from places.gazetteer import gazetteer
from search import indexdir
from search.analysis import SECTION
from search.indexdir import IndexMissing, IndexState
from search.schema import ALL_TEXT, SECTIONS

#: Articles updated this long before the watermark are checked again: a crawl's
#: transaction may commit an article a little after stamping its ``updated_at``.
OVERLAP = timedelta(minutes=10)

#: Memory for postings per indexing process, in MB, before Whoosh spills them
#: to sorted temporary runs.  Spilling (pickling every posting twice) costs a
#: quarter of a large build; at this size a process holds roughly 15,000
#: articles' postings before it spills, using about 1.5 GB.
POOL_MB = 1024

#: Report rebuild progress every this many articles.
_PROGRESS_EVERY = 100

Progress = Callable[[int, int], None]


def document(article: ArchivedArticle) -> dict[str, object]:
    """The index document of an article's current version."""
    sections = {
        "title": article.title,
        "lead": article.summary or "",
        "body": article.body,
        "captions": "\n".join(article.captions),
        "author": article.author or "",
    }
    published = article.published or article.first_seen
    fields: dict[str, object] = {
        "id": str(article.id),
        "version": article.version_id,
        "url": article.url,
        "site": article.site,
        "published": published.astimezone(UTC).replace(tzinfo=None),
        **{name: text for name, text in sections.items() if name != "body"},
        ALL_TEXT: SECTION.join(sections[name] for name in SECTIONS),
    }
    if article.category:
        fields["category"] = article.category
    portal, places = place_codes(article)
    fields["portal"] = " ".join(sorted(portal))
    fields["places"] = " ".join(sorted(places))
    return fields


def place_codes(article: ArchivedArticle) -> tuple[set[str], set[str]]:
    """The units the article's portal lies in, and those plus every unit it mentions.

    Each unit comes with what covers it (:meth:`~places.gazetteer.Gazetteer.cover`):
    a new commune's code then finds articles about the old communes merged
    into it, and an old district's finds its communes'.  Codes the installed
    gazetteer does not know (after a data upgrade) are left out.
    """
    places = gazetteer()
    portal: set[str] = set()
    if article.site_place in places.units:
        portal = set(places.cover(article.site_place))
    mentioned = set(portal)
    for mention in article.mentions:
        if mention.unit in places.units:
            mentioned |= places.cover(mention.unit)
    return portal, mentioned


def update_index(
    store: Store,
    index_dir: Path,
    progress: Progress | None = None,
    *,
    on_wait: Callable[[], None] | None = None,
) -> int:
    """Index articles new or changed since the last update; returns how many.

    Creates the index on first use.  Waits for any other writer to finish.

    :param progress: called as ``progress(done, total)`` with the articles looked at.
    :param on_wait: called once if another writer holds the lock.
    :raises search.indexdir.SearchIndexError: the index is outdated or corrupt;
        the message says to rebuild it.
    """
    with indexdir.write_lock(index_dir, on_wait):
        try:
            index = indexdir.open_for_search(index_dir)
        except IndexMissing:
            index = indexdir.create(index_dir)
        state = indexdir.read_state(index_dir) or IndexState()
        seen = state.indexed_through
        count, newest = _add_changed(store, index, seen, progress)
        if newest != seen:
            indexdir.write_state(index_dir, IndexState(indexed_through=newest))
        return count


def not_indexed(index_dir: Path, store: Store) -> int:
    """Articles new or changed since the index in ``index_dir`` was last
    updated: a search there does not find them until ``dna index``.  (Crawls
    update it on SQLite; into PostgreSQL they write its own search documents,
    and a Whoosh index beside them falls behind.)"""
    state = indexdir.read_state(index_dir)
    if state is None or state.indexed_through is None:
        return 0
    return store.count_articles(updated_since=state.indexed_through)


def _add_changed(
    store: Store, index: FileIndex, seen: datetime | None, progress: Progress | None
) -> tuple[int, datetime | None]:
    count, newest = 0, seen
    since = seen - OVERLAP if seen else None
    total = store.count_articles(updated_since=since) if progress is not None else 0
    looked = 0
    writer = index.writer(_lk=False)
    try:
        with index.searcher() as searcher:
            for looked, article in enumerate(
                store.articles(updated_since=since, find_gone=False), 1
            ):
                if progress is not None and looked % _PROGRESS_EVERY == 0:
                    progress(looked, max(total, looked))
                newest = max(newest, article.updated_at) if newest else article.updated_at
                if seen and article.updated_at <= seen and _is_indexed(searcher, article):
                    continue
                writer.update_document(**document(article))
                count += 1
    except BaseException:
        writer.cancel()
        raise
    if count:
        writer.commit()
    else:
        writer.cancel()
    if progress is not None:
        progress(looked, looked)
    return count, newest


def _is_indexed(searcher: Searcher, article: ArchivedArticle) -> bool:
    stored = searcher.document(id=str(article.id))
    return stored is not None and stored.get("version") == article.version_id


def rebuild_index(
    store: Store,
    index_dir: Path,
    progress: Progress | None = None,
    *,
    procs: int | None = None,
    on_wait: Callable[[], None] | None = None,
) -> int:
    """Index every article afresh; returns how many.

    A readable index of the current schema is replaced in one commit, so
    searches see the old index until the new one is complete; an outdated or
    corrupt one is cleared first.

    :param progress: called as ``progress(done, total)`` while indexing.
    :param procs: indexing processes (default: up to 2, one per core).
    :param on_wait: called once if another writer holds the lock.
    """
    procs = procs or min(2, os.cpu_count() or 1)
    total = store.counts()["articles"]
    with indexdir.write_lock(index_dir, on_wait):
        if indexdir.is_current(index_dir):
            index, mergetype = indexdir.open_for_search(index_dir), CLEAR
        else:
            index, mergetype = indexdir.create(index_dir), None
        if procs > 1:
            # subargs must be non-empty, or Whoosh hands _lk to sub-writers twice.
            writer = index.writer(
                procs=procs, multisegment=True, _lk=False, subargs={"limitmb": POOL_MB}
            )
        else:
            writer = index.writer(_lk=False, limitmb=POOL_MB)
        count, newest = 0, None
        try:
            for article in store.articles(find_gone=False):
                writer.add_document(**document(article))
                count += 1
                newest = max(newest, article.updated_at) if newest else article.updated_at
                if progress is not None and count % _PROGRESS_EVERY == 0:
                    progress(count, total)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=mergetype)
        indexdir.write_state(index_dir, IndexState(indexed_through=newest))
    if progress is not None:
        progress(count, max(total, count))
    return count
