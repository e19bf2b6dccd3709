"""What every ``dna`` command shares: where the data lives, the console, and errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from archive.database import StoreError
from archive.layout import DataDir
from archive.messages import one_line
from archive.store import Store
from crawler.sites import SitesFile, SitesFileError, load_sites, sites_path
from places.gazetteer import Gazetteer, GazetteerError, gazetteer

#: Rich output for people; plain when stdout is not a terminal.
console = Console(highlight=False)
#: Errors and progress go to stderr so stdout stays clean for pipes.
err_console = Console(stderr=True, highlight=False)


class DnaError(click.ClickException):
    """A failure the user can fix; printed as one line, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        err_console.print(f"[bold red]Error:[/] {escape(self.message)}", soft_wrap=True)


def fail(message: str, exit_code: int = 1) -> NoReturn:
    """Stop the command with a one-line error."""
    error = DnaError(message)
    error.exit_code = exit_code
    raise error


@dataclass
class Env:
    """The resolved ``--data``, ``--sites`` and ``--db`` of one command."""

    data: DataDir
    sites_path: Path
    db_url: str

    def open_store(self) -> Store:
        """The archive database, migrated to the current schema."""
        try:
            return Store(self.db_url)
        except StoreError as exc:
            fail(str(exc))

    def search_backend(self, option: str | None = None) -> str:
        """Search backend: ``option``, else ``$DNA_SEARCH_BACKEND``, ``[search]``, the default."""
        from search.backend import BackendError, choose_backend

        configured = self.load_sites().search.get("backend")
        try:
            return choose_backend(self.db_url, option, configured)
        except BackendError as exc:
            fail(str(exc))

    def load_sites(self) -> SitesFile:
        """The sites file; its invalid entries are left out and listed in ``problems``."""
        try:
            return load_sites(self.sites_path)
        except SitesFileError as exc:
            fail(str(exc))


def archive_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--data``, ``--sites`` and ``--db`` and pass the resolved :class:`Env` as ``env``."""

    @click.option(
        "--data",
        "data_dir",
        metavar="DIR",
        help="Data directory (default: $DNA_HOME or ./dna-data).",
    )
    @click.option(
        "--sites",
        "sites_file",
        metavar="FILE",
        help="Sites file (default: $DNA_SITES or DATA/sites.toml).",
    )
    @click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="Database URL (default: $DNA_DATABASE_URL or a SQLite file in DATA).",
    )
    @functools.wraps(command)
    def wrapper(
        data_dir: str | None, sites_file: str | None, db_url: str | None, **kwargs: Any
    ) -> Any:
        data = DataDir.resolve(data_dir)
        env = Env(data, sites_path(data_dir, sites_file), data.database_url(db_url))
        return command(env=env, **kwargs)

    return wrapper


def load_gazetteer() -> Gazetteer:
    """The gazetteer of old and new units, or a one-line error if its data is unreadable."""
    try:
        return gazetteer()
    except GazetteerError as exc:
        fail(str(exc))


def update_search_index(env: Env) -> None:
    """Index what a crawl or restore added; the archive is safe even if this fails.

    With PostgreSQL search the documents were written with the articles;
    this only catches up any an older dna left out.
    """
    from search.backend import POSTGRES
    from search.indexdir import SearchIndexError
    from search.indexer import update_index
    from search.postgres import update_documents

    store = env.open_store()
    if env.search_backend() == POSTGRES:
        try:
            added = update_documents(store)
        finally:
            store.close()
        console.print(f"Searchable in PostgreSQL ({added} search document(s) caught up).")
        return
    try:
        added = update_index(
            store,
            env.data.index_dir,
            on_wait=lambda: err_console.print("Waiting for another process to release the index…"),
        )
    except (SearchIndexError, OSError) as exc:
        # OSError: a full disk (Errno 28) or a read-only index directory.
        fail(
            f"the database is up to date, but the search index was not updated: {one_line(exc)}; "
            "once fixed, run: dna index"
        )
    finally:
        store.close()
    console.print(f"Search index updated: {added} article(s).")
