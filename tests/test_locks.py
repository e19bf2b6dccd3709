"""PID lock files: a live owner is respected, a dead one's lock is cleared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.locks import LockHeld, LockOwner, PidLock

HOLD = """
import sys, time
from pathlib import Path
from archive.locks import PidLock
with PidLock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def write_owner(path: Path, pid: int, started: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": os.uname().nodename, "pid": pid, "started": started}))


def test_another_live_process_holds_the_lock_until_it_dies(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "crawl-xa.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld) as refused:
            PidLock(path).acquire()
        assert refused.value.owner.pid == holder.pid
        assert f"process {holder.pid}" in str(refused.value)
        assert PidLock(path).holder().pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
    # Killed without releasing: the file stays, naming a dead process.
    assert path.exists() and PidLock(path).holder() is None
    with PidLock(path) as lock:
        assert lock.cleared is not None and lock.cleared.pid == holder.pid
        assert PidLock(path).holder().pid == os.getpid()
    assert not path.exists()


def test_a_reused_pid_does_not_keep_a_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.lock"
    # Our own PID, but a start time that is not ours: the PID was reused.
    write_owner(path, os.getpid(), started="1")
    assert PidLock(path).holder() is None
    same = LockOwner.me()
    write_owner(path, same.pid, started=same.started)
    assert PidLock(path).holder() == same


def test_a_lock_file_without_an_owner_is_free(tmp_path: Path) -> None:
    path = tmp_path / "crawl-xa.lock"
    path.write_text("")  # an owner killed between creating and writing it
    with PidLock(path) as lock:
        assert lock.cleared is None
        assert PidLock(path).owner() == LockOwner.me()


def test_release_is_safe_to_repeat_and_the_lock_can_be_taken_again(tmp_path: Path) -> None:
    path = tmp_path / "crawl-xa.lock"
    lock = PidLock(path).acquire()
    lock.release()
    lock.release()
    assert not path.exists()
    with PidLock(path) as again:
        assert again.cleared is None and path.exists()
