"""Opening the archive database: engines, their SQLite tuning, and portable inserts.

Several processes may write one database at once (crawl workers sharing a
frontier, a restore beside a crawl): rows with a natural key are inserted with
``ON CONFLICT DO NOTHING`` (see :func:`dialect_insert`) and read back, so no
row is written twice.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from sqlalchemy import Engine, Insert, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Session

#: PostgreSQL URLs as psql, libpq and hosting services hand them out, and the
#: driver dna ships with (psycopg 3): SQLAlchemy reads the bare names as psycopg2.
_POSTGRES_NAMES = frozenset({"postgres", "postgresql"})
_DRIVER = "postgresql+psycopg"
#: A password in a database URL: after the user name, or a query parameter.
_PASSWORD_IN_TEXT = re.compile(r"(://[^/:@]*:)[^@/]*@|((?:ssl)?password=)[^&]*", re.IGNORECASE)


class StoreError(Exception):
    """The database cannot be opened or used; the message says why."""


def sqlite_url(path: Path, *, read_only: bool = False) -> str:
    """The SQLAlchemy URL of a SQLite file.

    :param read_only: open it as immutable, for archives on read-only media
        (a restored backup, a shared mount): SQLite then needs no lock or WAL
        file beside it, and never writes.
    """
    if read_only:
        return f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true"
    return f"sqlite:///{path}"


def archive_url(url: str) -> str:
    """``url`` with its PostgreSQL driver named: ``postgres://`` and
    ``postgresql://`` are read with psycopg 3, the driver dna ships with.

    >>> archive_url("postgres://dna@db.lan/dna")
    'postgresql+psycopg://dna@db.lan/dna'
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # create_archive_engine says what is wrong with it
    if parsed.drivername not in _POSTGRES_NAMES:
        return url
    return parsed.set(drivername=_DRIVER).render_as_string(hide_password=False)


def shown_url(url: str) -> str:
    """``url`` fit for a message: its password hidden, in the user part or in
    the query (``?password=…``), even when no parser reads it.

    >>> shown_url("postgresql+psycopg://dna@db.lan/dna?password=s3cret")
    'postgresql+psycopg://dna@db.lan/dna?password=***'
    """
    with contextlib.suppress(ArgumentError):
        url = make_url(url).render_as_string(hide_password=True)
    return _PASSWORD_IN_TEXT.sub(lambda m: f"{m[1]}***@" if m[1] else f"{m[2]}***", url)


def is_read_only(url: str) -> bool:
    """Whether ``url`` is a SQLite file opened read-only (see :func:`sqlite_url`)."""
    return make_url(url).query.get("mode") == "ro"


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
    except ArgumentError:
        raise StoreError(
            f"invalid database URL {shown_url(url)!r}: write sqlite:///PATH "
            "or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if is_read_only(url):
            return create_engine(parsed)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    # A server that does not answer is an error after seconds, not minutes.
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except NoSuchModuleError:
        raise StoreError(
            f"dna cannot use {parsed.drivername}:// databases: write sqlite:///PATH "
            "or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
        ) from None
    except ImportError as exc:
        backend = parsed.get_backend_name()
        if backend == "postgresql":
            raise StoreError(
                f"no Python driver {exc.name} for {parsed.drivername}:// here: write "
                "postgresql+psycopg:// (psycopg 3, which dna is installed with)"
            ) from None
        raise StoreError(
            f"no Python driver for {backend} databases ({exc.name} is missing): dna "
            "archives are sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
        ) from None


def dialect_insert(session: Session, model: type[DeclarativeBase]) -> Insert:
    """An INSERT into ``model``'s table that knows ``ON CONFLICT`` on this session's database.

    A Core statement on the table, not the ORM entity: given a list of rows,
    the ORM's bulk path costs more per row than the database does.  Name
    columns in ``RETURNING`` through ``model.__table__.c``.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model.__table__)


#: The first key of :func:`lock_site_batches`'s advisory locks: "dna" in ASCII.
_SITE_LOCKS = 0x646E61


def lock_site_batches(session: Session, site_id: int) -> None:
    """Make the batches of one site's writers take turns, until this transaction ends.

    Crawl workers sharing a frontier write the same site at once.  A batch
    looks for an archived article with the text of each new URL (the last
    line of defence against aliases); two batches that looked before either
    committed both found none, and stored one article twice.  On PostgreSQL
    this takes a transaction-scoped advisory lock on the site, so a batch
    reads after the one before it committed.  SQLite needs none: a batch
    starts by writing, which takes the database's one write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :site)"),
            {"namespace": _SITE_LOCKS, "site": site_id},
        )
