"""PID lock files: one crawl per site, one scheduler per data directory.

A lock is a small file created exclusively, holding the owner's host, PID and
process start time.  A process that dies (SIGKILL, a reboot) leaves its file
behind; the next taker sees that the PID is gone (or now belongs to another
process, started later) and clears it.  A live owner's lock is respected.
Locks held on another host cannot be checked from here and are respected too.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

#: Where locks live inside a data directory.
LOCK_DIR = "locks"


class LockHeld(Exception):
    """Someone alive holds the lock; the message says who."""

    def __init__(self, path: Path, owner: LockOwner) -> None:
        self.path = path
        self.owner = owner
        super().__init__(f"{path.name} is held by {owner}")


@dataclass(frozen=True, slots=True)
class LockOwner:
    """Who wrote a lock file."""

    host: str
    pid: int
    started: str | None = None

    def __str__(self) -> str:
        return f"process {self.pid} on {self.host}"

    @classmethod
    def me(cls) -> LockOwner:
        return cls(_hostname(), os.getpid(), _process_start(os.getpid()))

    def is_alive(self) -> bool:
        """Whether the owner still runs; owners on other hosts count as alive."""
        if self.host != _hostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, owned by another user
        # The PID may have been reused by a process started after the owner.
        started = _process_start(self.pid)
        return self.started is None or started is None or started == self.started


def _hostname() -> str:
    return socket.gethostname()


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell PIDs apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after it.
    return stat.rsplit(")", 1)[-1].split()[19]


class PidLock:
    """An exclusive lock file, taken over when its owner is dead.

    The file is also ``flock``-ed while held, so the kernel drops the lock the
    moment its owner dies and two takers never both win; the PID inside says
    who holds it and whose stale lock was cleared.  Use as a context manager,
    or :meth:`acquire` / :meth:`release`.

    :param path: the lock file, e.g. ``DATA/locks/crawl-SITE.lock``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        #: the dead owner whose lock :meth:`acquire` cleared, if any.
        self.cleared: LockOwner | None = None
        self._descriptor: int | None = None

    def owner(self) -> LockOwner | None:
        """Who wrote the lock file, dead or alive; ``None`` if there is none."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return LockOwner(str(data["host"]), int(data["pid"]), data.get("started"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def holder(self) -> LockOwner | None:
        """The live owner, or ``None`` if the lock is free or stale."""
        owner = self.owner()
        return owner if owner is not None and owner.is_alive() else None

    def acquire(self) -> PidLock:
        """Take the lock, clearing a dead owner's.

        :raises LockHeld: a live process holds it.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            descriptor = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                raise LockHeld(self.path, self.owner() or LockOwner(_hostname(), 0)) from None
            # A releaser may have unlinked the file between our open and flock.
            try:
                same = os.fstat(descriptor).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(descriptor)
        previous = self.owner()
        if (
            previous is not None
            and previous.host == _hostname()
            and previous.pid != os.getpid()
            and previous.is_alive()
        ):
            # Written by a live local process whose flock we could not see: respect it.
            os.close(descriptor)
            raise LockHeld(self.path, previous)
        self.cleared = previous
        me = LockOwner.me()
        os.ftruncate(descriptor, 0)
        os.write(
            descriptor,
            json.dumps({"host": me.host, "pid": me.pid, "started": me.started}).encode(),
        )
        self._descriptor = descriptor
        return self

    def release(self) -> None:
        """Drop the lock if this process holds it."""
        if self._descriptor is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> PidLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()
