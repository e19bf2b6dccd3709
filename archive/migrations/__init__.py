"""Alembic migrations of the archive schema.

Archives live for years, so the schema only ever moves forward through
numbered migrations; :func:`upgrade` runs them all on open.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

_HERE = Path(__file__).parent
#: The newest revision in ``versions/`` (a test holds it to Alembic's head).
HEAD = "0008"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration for our migrations, bound to ``engine`` if given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["engine"] = engine
    return config


class NotAnArchiveError(Exception):
    """A database holding tables, none of them a dna archive's."""


class NoArchiveError(Exception):
    """The database is empty, and the command only reads: no archive is made."""


def upgrade(engine: Engine, *, create: bool = True) -> None:
    """Bring the database behind ``engine`` up to :data:`HEAD`.

    An archive there already, as nearly every one a command opens, is told by
    one query: importing Alembic and reading its scripts to learn that cost
    every command a seventh of a second.

    :param create: make an archive in an empty database (else
        :class:`NoArchiveError`): a command that only reads, given a mistyped
        database name, left dna's tables behind in it.
    """
    revision = current_revision(engine)
    if revision == HEAD:
        return
    if revision is None and (tables := inspect(engine).get_table_names()):
        # Another application's: a mistyped --db would fill it with dna's tables.
        named = ", ".join(sorted(tables)[:3]) + (", …" if len(tables) > 3 else "")
        raise NotAnArchiveError(f"it holds other tables ({named})")
    if revision is None and not create:
        raise NoArchiveError("the database is empty")
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database behind ``engine`` is at; ``None`` for a new one."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # no such table: nothing migrated yet
            return None


def _script_location() -> Path:
    """This directory, or a copy of it when the code runs from a zipped egg (Scrapyd).

    Alembic lists its scripts with the file system, which cannot look inside a zip.
    """
    return _HERE if _HERE.is_dir() else _extracted()


@functools.cache
def _extracted() -> Path:
    target = Path(tempfile.mkdtemp(prefix="dna-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_scripts(files(__package__), target)
    return target


def _copy_scripts(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir() and entry.name != "__pycache__":
            (target / entry.name).mkdir()
            _copy_scripts(entry, target / entry.name)
        elif entry.name.endswith((".py", ".mako")):
            (target / entry.name).write_bytes(entry.read_bytes())
