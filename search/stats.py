"""What the archive holds, for ``dna stats``: articles per site and year or per place,
its crawls, and its size on disk (WARC files, database, search index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archive.layout import DataDir
from archive.records import VIETNAM_TZ
from archive.store import Store
from archive.warcscan import WARC_SUFFIXES
from places.gazetteer import gazetteer
from places.overview import PortalCount, portals_per_district
from search.indexdir import read_state
from search.postgres import is_postgres, sizes_on_server

if TYPE_CHECKING:
    from archive.archived import CrawlSummary, SitePlace
    from archive.records import Mention


@dataclass(frozen=True, slots=True)
class ArchiveStats:
    """Counts and sizes of one archive.

    :param counts: rows of the main tables, and ``gone``: the articles their
        portals have deleted.
    :param per_site_year: articles per site and publication year (Vietnam
        time; ``None`` for undated), unless counted by place.
    :param per_place: portals and articles per old province and district,
        when counted by place.
    :param unsettled: the commonest place names mentioned that could not be
        settled, when counted by place.
    :param database_bytes: the data directory's own SQLite database with its
        journal files, or the whole PostgreSQL database; ``None`` for another
        SQLite file (it may hold more than this archive).
    :param index_bytes: the Whoosh index in the data directory.
    :param search_documents_bytes: in PostgreSQL, its search documents with
        their indexes (the search index of ``--backend postgres``); else ``None``.
    :param indexed_through: the last article update the Whoosh index holds.
    """

    counts: dict[str, int]
    crawls: list[CrawlSummary]
    warc_files: int
    warc_bytes: int
    database_bytes: int | None
    index_bytes: int
    search_documents_bytes: int | None
    indexed_through: datetime | None
    per_site_year: dict[str, dict[int | None, int]]
    per_place: list[PortalCount]
    unsettled: list[Mention]


def archive_stats(data: DataDir, db_url: str, *, by_place: bool) -> ArchiveStats:
    """Count the archive in ``db_url`` and measure ``data`` on disk.

    The database is measured once closed, when SQLite has folded its
    write-ahead log back into the file.

    :param db_url: the archive's database; measured when it is the data
        directory's own SQLite file, or PostgreSQL (which reports its size).
    :param by_place: count articles per province and district of their
        portals instead of per site and year.
    :raises StoreError: the database cannot be opened.
    :raises GazetteerError: counting by place, the gazetteer's data is unreadable.
    """
    per_site_year: dict[str, dict[int | None, int]] = {}
    site_places: list[SitePlace] = []
    unsettled: list[Mention] = []
    on_server: tuple[int, int] | None = None
    store = Store(db_url, create=False)
    try:
        if by_place:
            site_places = store.site_places()
            unsettled = store.unsettled_mentions()
        else:
            per_site_year = store.articles_per_site_year(VIETNAM_TZ)
        counts = {**store.counts(), "gone": store.count_gone()}
        crawls = store.crawl_summaries()
        if is_postgres(db_url):
            on_server = sizes_on_server(store)
    finally:
        store.close()
    warcs = [
        path
        for path in data.warc_root.glob("*/*")
        if path.is_file() and path.name.endswith(WARC_SUFFIXES)
    ]
    database = None
    if db_url == data.database_url() and data.database_file.exists():
        files = data.database_file.parent.glob(data.database_file.name + "*")
        database = sum(path.stat().st_size for path in files)
    elif on_server:
        database = on_server[0]
    state = read_state(data.index_dir)
    return ArchiveStats(
        counts=counts,
        crawls=crawls,
        warc_files=len(warcs),
        warc_bytes=sum(path.stat().st_size for path in warcs),
        database_bytes=database,
        index_bytes=_tree_size(data.index_dir),
        search_documents_bytes=on_server[1] if on_server else None,
        indexed_through=state.indexed_through if state else None,
        per_site_year=per_site_year,
        per_place=portals_per_district(gazetteer(), site_places) if by_place else [],
        unsettled=unsettled,
    )


def _tree_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
