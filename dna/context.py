"""What every ``dna`` command shares: where the data lives, the console, and errors."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from archive.archived import ArchivedArticle
from archive.database import StoreError, sqlite_url
from archive.export import write_export
from archive.layout import DataDir
from archive.messages import one_line
from archive.outputs import output_file
from archive.store import Store
from crawler.sites import SitesFile, SitesFileError, load_sites, sites_path, validate_name
from places.gazetteer import Gazetteer, GazetteerError, gazetteer


class _Console(Console):
    """Rich's console, ending a command on a closed pipe as dna's other output does."""

    def on_broken_pipe(self) -> None:
        # Rich exits with status 1 here; the command's reader (``| head``)
        # simply had enough, which dna's front door ends quietly, status 0.
        self.quiet = True
        raise BrokenPipeError


#: Rich output for people; plain when stdout is not a terminal.
console = _Console(highlight=False)
#: Errors and progress go to stderr so stdout stays clean for pipes.
err_console = _Console(stderr=True, highlight=False)
# In a pipe or a file, lines are never hard-wrapped: paths and URLs stay whole.
for _console in (console, err_console):
    _console.soft_wrap = not _console.is_terminal


class DnaError(click.ClickException):
    """A failure the user can fix; printed as one line, exit code 1.

    The line is made safe whatever it quotes (a query, a file name, a
    driver's message): breaks become spaces, control characters marks.
    """

    exit_code = 1

    def show(self, file: Any = None) -> None:
        err_console.print(f"[bold red]Error:[/] {escape(one_line(self.message))}", soft_wrap=True)


def fail(message: str, exit_code: int = 1) -> NoReturn:
    """Stop the command with a one-line error."""
    error = DnaError(message)
    error.exit_code = exit_code
    raise error


#: What a command does with the data directory: ``read`` needs an archive
#: there and works on read-only media; ``write`` creates the directory and
#: needs it writable; ``settings`` reads sites.toml only and needs nothing;
#: ``lookup`` reads the archive if there is one (``dna places`` answers
#: from the gazetteer without it).
Access = Literal["read", "write", "settings", "lookup"]


@dataclass
class Env:
    """The resolved ``--data``, ``--sites`` and ``--db`` of one command.

    :param read_only: the data directory cannot be written (read-only media,
        a shared mount); its SQLite database is opened without writing.
    :param has_archive: false only for a ``lookup`` command where there is none.
    """

    data: DataDir
    sites_path: Path
    db_url: str
    read_only: bool = False
    has_archive: bool = True
    #: the command writes: it may make the archive in an empty database.
    creates: bool = True

    @property
    def archive_exists(self) -> bool:
        """Whether there is an archive to open: one elsewhere (``--db``) is
        taken to; the data directory's own SQLite file only once made."""
        own = sqlite_url(self.data.database_file, read_only=self.read_only)
        return self.db_url != own or self.data.database_file.is_file()

    def open_store(self) -> Store:
        """The archive database, migrated to the current schema."""
        try:
            return Store(self.db_url, create=self.creates)
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


def resolve_env(
    data_dir: str | None, sites_file: str | None, db_url: str | None, access: Access
) -> Env:
    """The command's :class:`Env`, after checking its data directory suits ``access``.

    The one place that decides whether a data directory can be used: a
    path that is a file, a read-only command on a directory with no archive
    (a mistyped ``--data`` creates nothing), and a writing command on
    read-only media each stop with one line.
    """
    data = DataDir.resolve(data_dir)
    root = data.root
    own_database = not (db_url or os.environ.get("DNA_DATABASE_URL"))
    if root.exists() and not root.is_dir():
        fail(f"{root} is a file, not a data directory (check --data or $DNA_HOME)")
    read_only = False
    if access == "write":
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create the data directory {root}: {exc.strerror}")
        database = data.database_file
        if not _writable(root) or (own_database and database.exists() and not _writable(database)):
            fail(f"{root} is read-only: this command writes to the archive")
    elif access in ("read", "lookup") and own_database:
        if not data.database_file.is_file():
            if access == "lookup":
                return Env(data, sites_path(data_dir, sites_file), "", has_archive=False)
            fail(
                f"no archive in {root} (check --data or $DNA_HOME; "
                "`dna crawl` or `dna restore` makes one)"
            )
        read_only = not (_writable(root) and _writable(data.database_file))
    elif access == "read" and (missing := _missing_sqlite_file(db_url)):
        fail(f"no archive at {missing} (check --db; `dna crawl` or `dna restore` makes one)")
    db = data.database_url(db_url, read_only=read_only)
    creates = access in ("write", "settings")
    return Env(data, sites_path(data_dir, sites_file), db, read_only, creates=creates)


def _missing_sqlite_file(db_url: str | None) -> Path | None:
    """The file a ``sqlite://`` URL names, if it does not exist: a mistyped
    ``--db`` would otherwise be created, empty, by a command that only reads."""
    url = db_url or os.environ.get("DNA_DATABASE_URL") or ""
    if not url.startswith("sqlite"):
        return None
    try:
        database = make_url(url).database
    except ArgumentError:
        return None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return None if Path(database).exists() else Path(database)


def _writable(path: Path) -> bool:
    """Whether this process may write ``path`` (false on read-only file systems)."""
    return os.access(path, os.W_OK)


def archive_options(access: Access) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--data``, ``--sites`` and ``--db``; pass the resolved :class:`Env` as ``env``.

    :param access: what the command does with the data directory (see :data:`Access`).
    """
    return functools.partial(_archive_options, access=access)


def _archive_options(command: Callable[..., Any], access: Access) -> Callable[..., Any]:
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
        env = resolve_env(data_dir, sites_file, db_url, access)
        check_site_names(env, kwargs)
        return command(env=env, **kwargs)

    return wrapper


class SiteName(click.ParamType):
    """A site's name: its shape is checked as it is parsed, and that the site is
    known once ``--data`` is (by :func:`check_site_names`), naming the known ones.

    :param configured_only: only sites in sites.toml will do (to crawl one);
        otherwise a site archived but no longer configured will do too.
    """

    name = "site"

    def __init__(self, *, configured_only: bool = False) -> None:
        self.configured_only = configured_only

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if problem := validate_name(value):
            self.fail(problem, param, ctx)
        return value


class Named(click.ParamType):
    """A name (a place, a category, a title): an empty or blank one is refused,
    where it would otherwise be ignored or match nothing, silently."""

    name = "name"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not value.strip():
            self.fail("is empty: give a name, or leave the option out", param, ctx)
        return value


class Day(click.ParamType):
    """A day written YYYY-MM-DD; a day the calendar lacks (2023-02-30) is named as such."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        if not _DAY.fullmatch(value):
            self.fail(f"{value!r} is not a day: write YYYY-MM-DD, e.g. 2023-01-31", param, ctx)
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            self.fail(f"no such date {value!r} ({exc})", param, ctx)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def option_once(*names: str, **attrs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``click.option``, but given twice it is a usage error, not the last value.

    ``--province "Nghệ An" --province "Hà Tĩnh"`` searched Hà Tĩnh alone,
    silently: a researcher comparing two provinces got half of what they
    asked.
    """
    return click.option(*names, multiple=True, callback=_once, **attrs)


def _once(ctx: click.Context, param: click.Parameter, values: tuple[Any, ...]) -> Any:
    if len(values) > 1:
        raise click.BadParameter(
            f"given {len(values)} times; give it once (run one command per value)"
        )
    return values[0] if values else None


def check_sites_or_all(names: tuple[str, ...], every: bool) -> None:
    """A usage error unless sites are named or ``--all`` given, one or the other."""
    if not names and not every:
        raise click.UsageError("name at least one SITE, or use --all")
    if names and every:
        raise click.UsageError(f"name sites ({', '.join(names)}) or use --all, not both")


def check_period(since: date | None, until: date | None) -> None:
    """A usage error when ``--since`` falls after ``--until``: nothing could match."""
    if since and until and since > until:
        raise click.UsageError(f"--since {since:%Y-%m-%d} is after --until {until:%Y-%m-%d}")


#: Names listed in one line (sites known, sites a restore added); the rest are counted.
SHOWN_SITES = 12


def some_of(names: list[str], more: str = "") -> str:
    """The first :data:`SHOWN_SITES` of ``names``, comma-separated, and how many
    more (with ``more`` after the count): a line for a few sites, or for 3,321."""
    listed = ", ".join(names[:SHOWN_SITES])
    hidden = len(names) - SHOWN_SITES
    return listed + (f" and {hidden:,} more{more}" if hidden > 0 else "")


def check_site_names(env: Env, values: dict[str, Any]) -> None:
    """Stop with one line (exit 2) if a :class:`SiteName` parameter names no known site."""
    command = click.get_current_context().command
    given: list[tuple[str, bool]] = []
    for param in command.params:
        if isinstance(param.type, SiteName) and param.name and values.get(param.name):
            value = values[param.name]
            names = value if isinstance(value, tuple) else (value,)
            given += [(name, param.type.configured_only) for name in names]
    if not given:
        return
    registry = env.load_sites()
    configured = {site.name for site in registry.sites}
    archived: set[str] = set()
    # No archive yet: nothing in it, and none made by asking (a typo'd name).
    if not all(name in configured for name, _ in given) and env.archive_exists:
        store = env.open_store()
        try:
            archived = {place.name for place in store.site_places()}
        finally:
            store.close()
    for name, configured_only in given:
        known = configured if configured_only else configured | archived
        if name in known:
            continue
        # An entry sites.toml has but could not use: its problem, not "unknown".
        invalid = next((problem for problem in registry.problems if problem.name == name), None)
        if invalid is not None:
            fail(f"{invalid} (fix it in sites.toml; `dna sites` lists all)", exit_code=2)
        if name in archived:  # taken out of sites.toml, or restored from WARC files alone
            fail(
                f"site {name!r} is in the archive but not in {env.sites_path}: "
                f"add it again to crawl it (dna sites add {name} URL)",
                exit_code=2,
            )
        fail(f"unknown site {name!r}; {_known_sites(known, env, configured_only)}", exit_code=2)


def _known_sites(known: set[str], env: Env, configured_only: bool) -> str:
    if not known and configured_only:
        return f"no sites in {env.sites_path} yet (dna sites add NAME URL)"
    if not known:
        return f"no sites are known yet (none in {env.sites_path} or the archive)"
    return "known: " + some_of(sorted(known), " (see: dna sites)")


def load_gazetteer() -> Gazetteer:
    """The gazetteer of old and new units, or a one-line error if its data is unreadable."""
    try:
        return gazetteer()
    except GazetteerError as exc:
        fail(str(exc))


def workers_option(
    help_text: str, *older_names: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--workers N`` (processes; default one per core, at least 1), as every command spells it."""
    return click.option(
        "--workers",
        *older_names,
        "workers",
        type=click.IntRange(min=1),
        default=lambda: os.cpu_count() or 1,
        show_default="the number of cores",
        help=help_text,
    )


class ProgressBar:
    """A ``progress(done, total)`` callback drawing a bar on stderr when it is a
    terminal; in a pipe or a file it draws nothing (the summary line follows).

    :param in_bytes: count bytes (with the transfer rate), not items.
    """

    def __init__(self, description: str = "Indexing", *, in_bytes: bool = False) -> None:
        counts = (DownloadColumn(), TransferSpeedColumn()) if in_bytes else (MofNCompleteColumn(),)
        self._bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            *counts,
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        )
        self._task = self._bar.add_task(description, total=None)

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        self._bar.update(self._task, completed=done, total=total)

    def print(self, markup: str) -> None:
        """One line on stderr, above the bar."""
        self._bar.console.print(markup, soft_wrap=True)

    def __exit__(self, *exc_info: object) -> None:
        self._bar.stop()


def update_search_index(env: Env) -> None:
    """Index what a crawl or restore added; the archive is safe even if this fails.

    With PostgreSQL search the documents were written with the articles;
    this only catches up any an older dna left out.
    """
    from search.backend import POSTGRES
    from search.indexdir import SearchIndexError
    from search.indexer import update_index
    from search.pgdocuments import update_documents

    store = env.open_store()
    if env.search_backend() == POSTGRES:
        try:
            with ProgressBar() as progress:
                added = update_documents(store, progress)
        finally:
            store.close()
        console.print(f"Searchable in PostgreSQL ({added} search document(s) caught up).")
        return
    try:
        with ProgressBar("Indexing new and changed articles") as progress:
            added = update_index(
                store,
                env.data.index_dir,
                progress,
                on_wait=lambda: err_console.print(
                    "Waiting for another process to release the index…"
                ),
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


EXPORT_OUTPUT_HELP = (
    "Write to FILE instead of stdout (- is stdout); FILE is replaced only once the export is whole."
)


def export_articles(
    articles: Iterable[ArchivedArticle],
    output: Path | None,
    fmt: str | None,
    *,
    versions: bool = False,
) -> None:
    """Write ``articles`` as export records to ``output`` (stdout if ``None`` or ``-``).

    The format is ``fmt``, or CSV for a FILE.csv, else JSON Lines.  The
    file is written whole or not at all (:func:`archive.outputs.output_file`).

    :param versions: ``articles`` are every version (see :func:`write_export`).
    """
    if output is not None and str(output) == "-":  # as every Unix tool reads it
        output = None
    if fmt is None:  # -o thanh-lien.csv means CSV, as the name says
        fmt = "csv" if output is not None and output.suffix.lower() == ".csv" else "jsonl"
    if output is not None and not output.name:  # -o ""
        fail("-o needs a file name (or - for stdout)", exit_code=2)
    if output is None:
        count = write_export(articles, sys.stdout, fmt, versions=versions)
    else:
        try:
            with output_file(output, "w", encoding="utf-8", newline="") as handle:
                count = write_export(articles, handle, fmt, versions=versions)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    where = escape(str(output)) if output is not None else "stdout"
    what = "version(s) of articles" if versions else "article(s)"
    err_console.print(f"Exported {count} {what} as {fmt} to {where}.", soft_wrap=True)
