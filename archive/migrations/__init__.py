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

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

_HERE = Path(__file__).parent


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration for our migrations, bound to ``engine`` if given."""
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


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
