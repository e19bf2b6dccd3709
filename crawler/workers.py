"""Spread site crawls over worker processes, one Scrapy reactor each.

Politeness bounds each portal, so a many-site crawl is bound by the one core
its reactor runs on.  Here the sites are dealt to the workers by their last
crawl's size (each site to exactly one, so per-host politeness is
unchanged); every worker is a process running
:func:`crawler.runner.run_crawls` on its share and sending each site's
progress back over a pipe of its own, so the parent draws one display and
writes one summary.

Workers are ``spawn``-ed: they share none of the parent's threads, engines
or open files, and the parent reaps them, so their CPU time is its
children's.  A worker whose crawls are closed and reported leaves with
``os._exit``: the interpreter's teardown of a crawl's heap takes most of a
second, which the parent would wait on before its summary.

Signals: each worker leads a session of its own, so a terminal's Ctrl-C
reaches the parent only, which passes every SIGINT/SIGTERM on once to each
worker; Scrapy's own handlers then close the WARC files and crawl rows as in
one process (a second signal stops at once and still closes them, as there).  A worker that dies
without its last report (SIGKILL, the OOM killer) is reported ``killed``:
its crawl rows stay ``running`` under its dead pid, which ``dna crawls`` shows
as killed and ``dna crawl --resume`` picks up.  The other workers go on.
A parent that dies (SIGKILL, the OOM killer) leaves no one to stop its
workers, which would crawl on unseen: each asks Linux for a SIGTERM when
its parent dies, and stops as on Ctrl-C, its files and rows closed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from crawler.progress import NOT_STARTED, WAITING, SiteProgress
from crawler.sites import SiteConfig
from crawler.sitework import expected_work

#: the status of a site whose worker died before saying how its crawl ended.
KILLED = "killed"


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """Everything a worker needs, picklable: it builds its Scrapy settings itself.

    :param overrides: command-line settings (database URL, log file, frontier).
    :param scrapy: the ``[crawler]`` options of ``sites.toml``.
    """

    sites: list[SiteConfig]
    data_root: Path
    sites_path: Path
    overrides: dict[str, Any]
    scrapy: dict[str, Any]
    spider_args: dict[str, dict[str, Any]]
    #: the pages of each site's last finished crawl: the longest start first.
    last_pages: dict[str, int] = field(default_factory=dict)


def deal(
    sites: list[SiteConfig], workers: int, work: Mapping[str, int] | None = None
) -> list[list[SiteConfig]]:
    """``sites`` dealt into ``workers`` hands of about equal work; never an empty hand.

    A site's work is what ``work`` says (its last finished crawl's pages), or the
    average of the others' for a site not crawled yet.  The largest go first,
    each to the hand with the least so far, so one worker is not left with
    the district portals while another idles after its communes.  With
    nothing known, or all alike, the sites are dealt round in order.  Each
    hand keeps the order of ``sites``.
    """
    hands = min(workers, len(sites))
    weight = expected_work(sites, work)
    loads = [0.0] * hands
    dealt: list[list[int]] = [[] for _ in range(hands)]
    # sorted() is stable: sites of equal work stay in order.
    for index in sorted(range(len(sites)), key=lambda i: -weight[sites[i].name]):
        lightest = loads.index(min(loads))
        dealt[lightest].append(index)
        loads[lightest] += weight[sites[index].name]
    return [[sites[index] for index in sorted(hand)] for hand in dealt]


#: prctl(2)'s option: the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def stop_when_orphaned(parent: int) -> None:
    """SIGTERM this process when ``parent`` dies (Linux; elsewhere, nothing)."""
    prctl = getattr(ctypes.CDLL(None), "prctl", None)
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before it could be asked
        os.kill(os.getpid(), signal.SIGTERM)


def _tell(conn: Connection, message: tuple[str, object]) -> None:
    """Send ``message`` to the parent; a parent gone (killed) hears nothing."""
    with contextlib.suppress(OSError):
        conn.send(message)


def run_worker(job: WorkerJob, conn: Connection, parent: int) -> None:
    """A worker process's body: crawl ``job.sites``, telling the parent as it goes."""
    # Out of the terminal's process group: the parent alone passes signals on.
    os.setsid()
    stop_when_orphaned(parent)
    from crawler.runner import crawl_settings, run_crawls  # Scrapy: in the worker only

    settings = crawl_settings(job.data_root, job.sites_path, job.overrides)
    for key, value in job.scrapy.items():
        settings.set(key, value, priority="project")
    results = run_crawls(
        job.sites,
        settings,
        spider_args=job.spider_args,
        on_progress=lambda rows: _tell(conn, ("progress", rows)),
        last_pages=job.last_pages,
    )
    _tell(conn, ("final", results))
    conn.close()
    # WARC files, crawl rows and database engines are closed; flush what logs
    # and streams still hold, and skip the interpreter's teardown.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@dataclass
class _Worker:
    job: WorkerJob
    process: multiprocessing.process.BaseProcess
    conn: Connection
    rows: list[SiteProgress]
    final: bool = False


def run_workers(
    jobs: list[WorkerJob],
    on_progress: Callable[[list[SiteProgress]], None] | None = None,
) -> list[SiteProgress]:
    """Run each job in a process of its own; blocks until every one has ended.

    :param on_progress: called with every site's progress whenever a worker reports.
    :returns: each site's final progress, job by job.
    """
    context = multiprocessing.get_context("spawn")
    stops: list[int] = []
    workers: list[_Worker] = []

    def forward(signum: int, _frame: object = None) -> None:
        stops.append(signum)
        for worker in workers:
            if worker.process.is_alive():
                os.kill(worker.process.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for job in jobs:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=run_worker,
                args=(job, sender, os.getpid()),
                name=f"dna-crawl-worker-{len(workers)}",
            )
            process.start()
            sender.close()  # the parent keeps only its end: EOF when the worker dies
            rows = [SiteProgress(site.name) for site in job.sites]
            workers.append(_Worker(job, process, receiver, rows))
            for signum in stops:  # a signal that came while workers were starting
                os.kill(process.pid, signum)
        _gather(workers, on_progress)
    finally:
        for worker in workers:
            worker.process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return [row for worker in workers for row in worker.rows]


def _gather(
    workers: list[_Worker], on_progress: Callable[[list[SiteProgress]], None] | None
) -> None:
    """Read reports until every worker has ended; mark those that died without a last one."""
    open_conns = {worker.conn: worker for worker in workers}
    while open_conns:
        for conn in wait(list(open_conns), timeout=1.0):
            worker = open_conns[conn]
            try:
                kind, rows = conn.recv()
            except (EOFError, OSError):
                # The worker is gone; a torn message from a killed one is treated alike.
                del open_conns[conn]
                conn.close()
                worker.process.join()
                if not worker.final:
                    worker.rows = [_killed(row, worker.process.exitcode) for row in worker.rows]
                continue
            worker.rows = rows
            worker.final = kind == "final"
        if on_progress is not None:
            on_progress([row for worker in workers for row in worker.rows])


def _killed(row: SiteProgress, exitcode: int | None) -> SiteProgress:
    if row.status == WAITING:  # nothing of it began
        row.status = NOT_STARTED
        return row
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
    else:
        how = f"exited with status {exitcode}"
    row.status = KILLED
    row.reason = how
    row.message = f"its crawl worker was {how}; dna crawl {row.site} --resume picks it up"
    return row
