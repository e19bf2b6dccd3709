"""Where things live inside a data directory."""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from archive.database import archive_url, sqlite_url
from archive.locks import LOCK_DIR, LockOwner, PidLock
from archive.warcwriter import OPEN_SUFFIX

DEFAULT_DATA_DIR = "dna-data"


@dataclass(frozen=True, slots=True)
class DataDir:
    """A ``dna`` data directory.

    ::

        DATA/sites.toml          the portals to crawl
        DATA/archive.sqlite3     the default database
        DATA/warc/<site>/…       WARC files, the preservation master
        DATA/warc-damaged/<site>/…  damaged WARC files given to restore, kept
                                 unchanged with a note (their intact records
                                 are in DATA/warc)
        DATA/index/              the Whoosh search index
        DATA/locks/              PID lock files of running crawls and the scheduler
    """

    root: Path

    @classmethod
    def resolve(cls, data: str | os.PathLike[str] | None = None) -> DataDir:
        """``--data``, else ``$DNA_HOME``, else ``./dna-data``."""
        chosen = data or os.environ.get("DNA_HOME") or DEFAULT_DATA_DIR
        return cls(Path(chosen).expanduser().absolute())

    @property
    def sites_file(self) -> Path:
        return self.root / "sites.toml"

    @property
    def warc_root(self) -> Path:
        return self.root / "warc"

    def warc_dir(self, site: str) -> Path:
        return self.warc_root / site

    def names_for_foreign(self, files: list[Path]) -> dict[Path, str]:
        """The files from outside ``DATA/warc`` that take another name in it.

        A file keeps its name unless a file of that name with other bytes is
        in any site's folder already, or among the inputs (backups are full of
        ``crawl.warc.gz``): then it takes its name with the start of its
        sha256, the same each time it is restored.  Its captures name it so,
        and wherever it is placed, a file of its name holds its bytes.  A file
        held already under another name, byte for byte, takes that name.
        """
        root = self.warc_root.resolve()
        held = [folder for folder in root.iterdir() if folder.is_dir()] if root.is_dir() else []
        by_size: dict[int, list[Path]] = {}
        for folder in held:
            for file in folder.glob("*.warc*"):
                if file.name.endswith((".warc", ".warc.gz")) and file.is_file():
                    by_size.setdefault(file.stat().st_size, []).append(file)
        taken: dict[str, Path] = {}
        renamed: dict[Path, str] = {}
        for path in files:
            if path.resolve().is_relative_to(root):
                continue
            same = by_size.get(path.stat().st_size, [])
            if twin := next((f for f in same if filecmp.cmp(f, path, shallow=False)), None):
                # Held already under another name (a copy, a backup): named so,
                # it is neither copied again nor packed twice.
                if twin.name != path.name:
                    renamed[path] = twin.name
                continue
            name = path.name
            named = [folder / name for folder in held if (folder / name).is_file()]
            if name in taken:
                named.append(taken[name])
            if any(not filecmp.cmp(other, path, shallow=False) for other in named):
                name = renamed[path] = name_by_digest(name, path)
            taken.setdefault(name, path)
        return renamed

    def damaged_dir(self, site: str) -> Path:
        """Where damaged originals of ``site`` are kept, outside the verified set."""
        return self.root / "warc-damaged" / site

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    def lock_file(self, name: str) -> Path:
        """The lock file called ``name`` (``crawl-SITE``, ``scheduler``)."""
        return self.root / LOCK_DIR / f"{name}.lock"

    def holds(self, warc: Path) -> bool:
        """Whether ``warc`` is a file of this archive, in a site's folder."""
        # Resolved: a relative or symlinked path to one of this archive's files is one.
        return warc.resolve().parent.parent == self.warc_root.resolve()

    def live_writer(self, warc: Path) -> LockOwner | None:
        """The live crawl writing ``warc``, if it is an ``.open`` file of this
        archive whose site's crawl lock a live process holds."""
        if not warc.name.endswith(OPEN_SUFFIX) or not self.holds(warc):
            return None
        return PidLock(self.lock_file(f"crawl-{warc.parent.name}")).holder()

    @property
    def database_file(self) -> Path:
        return self.root / "archive.sqlite3"

    def database_url(self, override: str | None = None, *, read_only: bool = False) -> str:
        """``--db``, else ``$DNA_DATABASE_URL``, else the SQLite file here.

        :param read_only: open the SQLite file here without writing to it.
        """
        if chosen := override or os.environ.get("DNA_DATABASE_URL"):
            return archive_url(chosen)
        return sqlite_url(self.database_file, read_only=read_only)

    def find_warc(self, name: str) -> Path | None:
        """The WARC file called ``name`` (closed or still ``.open``), if present."""
        for candidate in self.warc_root.glob(f"*/{name}"):
            return candidate
        for candidate in self.warc_root.glob(f"*/{name}.open"):
            return candidate
        return None


def name_by_digest(name: str, path: Path) -> str:
    """``crawl.warc.gz`` as ``crawl-1f3a9c0b2d4e.warc.gz``: named by its bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    dot = name.find(".warc")
    stem, suffix = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    return f"{stem}-{digest.hexdigest()[:12]}{suffix}"


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link (no second copy of the bytes), else a copy (another file system)."""
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copyfile(source, target)
