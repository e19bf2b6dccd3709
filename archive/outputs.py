"""Files a command writes where the user says (``-o FILE``): whole, or not at all.

A plain file is written beside its target under a new, exclusive name and
renamed onto it once complete: a failed export or package leaves an earlier
file as it was.  A fixed ``FILE.part`` let a symlink planted there redirect
the write, deleted a user's own ``.part``, and mixed two runs into one file.
What is no plain file of its own (a named pipe, ``/dev/stdout``, a device, a
file with other names) is written into: renamed over, a reader's pipe got
nothing and a device became a plain file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def output_file(target: Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """``target`` opened for writing whole (see the module docstring).

    ``mode`` is ``"w"`` or ``"wb"``; ``open_args`` go to ``open`` (encoding,
    newline).  A plain file keeps the permissions of the file it replaces,
    or gets a new file's.  Raises ``OSError`` where it cannot be written.
    """
    if _written_in_place(target):
        with open(target, mode, **open_args) as handle:
            yield handle
        return
    final = target.resolve()
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed or removed below
        mode, dir=final.parent, prefix=f".{final.name}.", suffix=".part", delete=False, **open_args
    )
    partial = Path(handle.name)
    try:
        with handle:
            os.chmod(partial, _mode_for(final))
            yield handle
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def _written_in_place(target: Path) -> bool:
    """Whether ``target`` is no plain file of its own: a pipe, a device, a hard link."""
    try:
        found = target.stat()  # through a symlink: what it points at
    except OSError:
        return False
    return not stat.S_ISREG(found.st_mode) or found.st_nlink > 1


def _mode_for(target: Path) -> int:
    """The permissions of the file ``target`` replaces, else what ``open`` gives a
    new file (a temporary file is created private)."""
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
