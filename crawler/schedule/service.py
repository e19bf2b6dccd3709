"""Running the scheduler as a service: one per data directory, stopped by a signal.

:func:`run_scheduler` is what ``dna schedule run`` and the systemd unit of
``dna schedule install`` run: it takes the data directory's scheduler lock,
so a second scheduler refuses to start rather than double every crawl, and
hands SIGTERM and SIGINT to the loop in :mod:`crawler.schedule.daemon`.
"""

from __future__ import annotations

import signal
from pathlib import Path

from archive.database import StoreError
from archive.layout import DataDir
from archive.locks import LockHeld, LockOwner, PidLock
from archive.store import Store
from crawler.schedule.daemon import Scheduler, scheduler_log


class SchedulerError(Exception):
    """The scheduler cannot start; the message says why."""


class SchedulerRunning(SchedulerError):
    """Another scheduler runs on the data directory: ``owner``."""

    def __init__(self, owner: LockOwner) -> None:
        self.owner = owner
        super().__init__(f"a scheduler is already running: {owner}")


def run_scheduler(data: DataDir, sites_path: Path, db_url: str, max_concurrent: int) -> None:
    """Run scheduled crawls until SIGTERM or SIGINT, and let running ones close their files.

    :param max_concurrent: the most crawls it runs at once.
    :raises SchedulerRunning: another scheduler holds the data directory.
    :raises SchedulerError: the database cannot be opened.
    """
    lock = PidLock(data.lock_file("scheduler"))
    try:
        lock.acquire()
    except LockHeld as exc:
        raise SchedulerRunning(exc.owner) from None
    try:
        try:
            store = Store(db_url)
        except StoreError as exc:
            raise SchedulerError(str(exc)) from None
        log = scheduler_log(data)
        if lock.cleared is not None:
            log.info("cleared the stale scheduler lock of %s", lock.cleared)
        scheduler = Scheduler(data, sites_path, db_url, max_concurrent, log)
        signal.signal(signal.SIGTERM, scheduler.request_stop)
        signal.signal(signal.SIGINT, scheduler.request_stop)
        try:
            scheduler.run(store)
        finally:
            store.close()
    finally:
        lock.release()
