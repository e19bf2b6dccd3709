"""Which search backend answers: Whoosh's local index, or the PostgreSQL archive itself.

PostgreSQL archives search in the database by default (nothing to build or
sync, shared by everyone using it); SQLite archives use the Whoosh index in
the data directory.  Either may be chosen explicitly, first of: the
``--backend`` option, ``$DNA_SEARCH_BACKEND``, ``[search] backend`` in
``sites.toml``.
"""

from __future__ import annotations

import os
from pathlib import Path

from search.indexdir import SearchIndexError
from search.postgres import PostgresSearcher, is_postgres
from search.searcher import ArchiveSearcher

WHOOSH, POSTGRES = "whoosh", "postgres"
BACKENDS = (WHOOSH, POSTGRES)
#: The environment variable that chooses a backend.
ENV_VARIABLE = "DNA_SEARCH_BACKEND"


class BackendError(SearchIndexError):
    """An unknown backend, or PostgreSQL search asked of another database."""


def choose_backend(db_url: str, option: str | None = None, configured: str | None = None) -> str:
    """The backend to use for the archive in ``db_url``.

    :param option: the command line's choice, if any.
    :param configured: ``[search] backend`` from ``sites.toml``, if any.
    :raises BackendError: the choice is unknown, or PostgreSQL for another database.
    """
    chosen = option or os.environ.get(ENV_VARIABLE) or configured
    if not chosen:
        return POSTGRES if is_postgres(db_url) else WHOOSH
    if chosen not in BACKENDS:
        known = ", ".join(BACKENDS)
        raise BackendError(f"unknown search backend {chosen!r} (known: {known})")
    if chosen == POSTGRES and not is_postgres(db_url):
        raise BackendError(
            "the postgres search backend needs a PostgreSQL archive (--db postgresql://…); "
            "SQLite archives search with whoosh"
        )
    return chosen


def open_searcher(backend: str, index_dir: Path, db_url: str) -> ArchiveSearcher | PostgresSearcher:
    """A searcher of ``backend``; close it (or use it as a context manager).

    :raises SearchIndexError: the Whoosh index is missing, outdated or corrupt.
    :raises archive.database.StoreError: the database cannot be opened.
    """
    if backend == POSTGRES:
        return PostgresSearcher(db_url)
    return ArchiveSearcher(index_dir)
