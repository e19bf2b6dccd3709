"""The index directory: opening it safely, its write lock, and its state file.

Besides Whoosh's files, ``DATA/index`` holds ``dna-index.json``: the schema
version the index was built with and the archive's ``updated_at`` it has seen
up to (the watermark of incremental updates).  Both are read and written only
under the write lock, after the Whoosh commit they describe.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from search.schema import SCHEMA_VERSION, build_schema

STATE_FILE = "dna-index.json"
#: The file Whoosh's own writers would lock; ours lock it themselves.
_LOCK_NAME = "MAIN_WRITELOCK"

REBUILD_HINT = "run `dna index --rebuild`"

#: What a damaged index raises while opening: truncated or garbled files, or a
#: pickled schema whose classes cannot be found.
#: Opens of an index whose files a writer replaced meanwhile, before giving up.
_OPEN_ATTEMPTS = 5
_CORRUPTION = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    whoosh_index.IndexError,
)


class SearchIndexError(Exception):
    """The search index cannot be used; the message says what to do."""


class IndexMissing(SearchIndexError):
    """There is no index yet, or it holds no articles."""


class IndexCorrupt(SearchIndexError):
    """The index files cannot be read."""


class IndexOutdated(SearchIndexError):
    """The index was built by another schema version."""


@dataclass(slots=True)
class IndexState:
    """What ``dna-index.json`` records.

    :param schema_version: :data:`~search.schema.SCHEMA_VERSION` at build time.
    :param indexed_through: the newest article ``updated_at`` indexed, or ``None``.
    """

    schema_version: int = SCHEMA_VERSION
    indexed_through: datetime | None = None


def read_state(index_dir: Path) -> IndexState | None:
    """The recorded state, or ``None`` if there is none or it is unreadable."""
    try:
        raw = json.loads((index_dir / STATE_FILE).read_text("utf-8"))
        through = raw.get("indexed_through")
        return IndexState(
            schema_version=int(raw["schema_version"]),
            indexed_through=datetime.fromisoformat(through) if through else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_state(index_dir: Path, state: IndexState) -> None:
    """Record ``state`` atomically: readers see the old file or the new one."""
    through = state.indexed_through
    data = {
        "schema_version": state.schema_version,
        "indexed_through": through.isoformat() if through else None,
    }
    temporary = index_dir / f".{STATE_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    os.replace(temporary, index_dir / STATE_FILE)


def open_for_search(index_dir: Path) -> FileIndex:
    """The index, ready to search.

    :raises IndexMissing: no index has been built in ``index_dir``.
    :raises IndexOutdated: it was built with another schema version.
    :raises IndexCorrupt: its files cannot be read.
    """
    if not any(index_dir.glob("_MAIN_*.toc")):
        raise IndexMissing(
            f"no search index in {index_dir} yet: crawl a site (`dna crawl SITE`) "
            f"or build it from the archive with `dna index --rebuild`"
        )
    state = read_state(index_dir)
    if state is None or state.schema_version != SCHEMA_VERSION:
        found = "unknown" if state is None else state.schema_version
        raise IndexOutdated(
            f"the search index in {index_dir} has schema version {found}, this dna "
            f"needs {SCHEMA_VERSION}: {REBUILD_HINT}"
        )
    problem: Exception | None = None
    for _ in range(_OPEN_ATTEMPTS):
        try:
            index = whoosh_index.open_dir(str(index_dir))
            index.doc_count()
            return index
        except FileNotFoundError as exc:
            # A writer committed between finding the newest table of contents
            # and reading it, and removed it: the next one is there now.
            problem = exc
        except _CORRUPTION as exc:
            problem = exc
            break
    raise IndexCorrupt(
        f"the search index in {index_dir} is unreadable ({type(problem).__name__}: {problem}): "
        f"{REBUILD_HINT}"
    )


def is_current(index_dir: Path) -> bool:
    """Whether ``index_dir`` holds a readable index of the current schema."""
    try:
        open_for_search(index_dir)
    except SearchIndexError:
        return False
    return True


def create(index_dir: Path) -> FileIndex:
    """A new empty index in ``index_dir``, replacing whatever was there.

    Call with the write lock held; searchers that have the old files open
    keep reading them.
    """
    for path in index_dir.iterdir():
        if path.is_file() and path.name != _LOCK_NAME:
            path.unlink()
    index = whoosh_index.create_in(str(index_dir), build_schema())
    write_state(index_dir, IndexState())
    return index


@contextmanager
def write_lock(index_dir: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the index's write lock, waiting as long as another writer holds it.

    Every writer goes through here, so two crawls ending together, or a crawl
    and a rebuild, take turns instead of failing.  Searchers need no lock.

    :param on_wait: called once if the lock is busy, before waiting.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileStorage(str(index_dir)).lock(_LOCK_NAME)
    if not lock.acquire(blocking=False):
        if on_wait is not None:
            on_wait()
        lock.acquire(blocking=True)
    try:
        yield
    finally:
        lock.release()
