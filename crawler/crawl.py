"""Crawl the sites named: lock them, plan each run, configure Scrapy and run them all.

``dna crawl`` is the front door; :func:`crawl_sites` keeps the rules every
crawl starts by in one place: one crawl per site at a time (a lock left by
a dead process is cleared), a resumed crawl recovers what its killed
predecessor fetched before anything is fetched again, and the database is
reachable and migrated before any crawler starts.  What happens on the way
is told to a :class:`CrawlObserver`, for the front end to show.
"""

from __future__ import annotations

import dataclasses
import os
import resource
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.database import StoreError
from archive.layout import DataDir
from archive.locks import LockHeld, LockOwner, PidLock
from archive.store import Store
from crawler import settings as default_settings
from crawler.frontier.redis import FrontierError, connect
from crawler.sites import SiteConfig, SitesFile

if TYPE_CHECKING:
    from archive.archived import CrawlRun
    from archive.warcscan import ScanProblem
    from crawler.progress import SiteProgress
    from crawler.resume import ResumePlan


class CrawlError(Exception):
    """The crawls cannot start at all; the message says why."""


def choose_sites(registry: SitesFile, names: Sequence[str]) -> tuple[list[SiteConfig], list[str]]:
    """The sites called ``names``, in that order, or every valid site when none is named.

    :returns: the sites found, and the names that are not in ``registry``.
    """
    if not names:
        return list(registry.sites), []
    found = [(name, registry.get(name)) for name in names]
    return [site for _, site in found if site], [name for name, site in found if site is None]


@dataclass(frozen=True, slots=True)
class CrawlRequest:
    """What to crawl, and how.

    :param mode: ``new`` or ``full``; ``None`` means ``new``, or the mode of
        the crawl resumed.
    :param resume: pick up each site's killed or interrupted crawl.
    :param max_pages: overrides each site's own limit.
    :param since: overrides each site's own limit.
    :param frontier: the Redis URL of a frontier shared with other workers.
        They crawl a site together and the frontier itself resumes, so no
        site lock is taken and ``resume`` is refused.
    :param workers: the most processes the sites are spread over, each site
        crawled by one; one runs every site in this process.
    """

    sites: list[SiteConfig]
    mode: str | None = None
    resume: bool = False
    max_pages: int | None = None
    since: date | None = None
    frontier: str | None = None
    workers: int = 1

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"--workers must be at least 1, not {self.workers}")
        if self.frontier is not None and self.resume:
            raise ValueError("--resume cannot be used with --frontier: the frontier resumes")


class CrawlObserver:
    """What :func:`crawl_sites` tells on the way; override what you show.

    Every method here does nothing, so a caller that shows nothing passes
    none and one that shows some of it overrides only that.
    """

    def site_busy(self, site: str, held: LockHeld) -> None:
        """A live process is crawling ``site``: it is left out."""

    def stale_lock_cleared(self, site: str, owner: LockOwner) -> None:
        """``site``'s lock was left by ``owner``, who is gone; it was taken over."""

    def not_resumed(self, site: str, unfinished: CrawlRun) -> None:
        """``site``'s last crawl did not finish, and no resume was asked: this one starts anew."""

    def nothing_to_resume(self, site: str) -> None:
        """A resume was asked, but ``site`` has no unfinished crawl: this one starts anew."""

    def resume_problem(self, problem: ScanProblem) -> None:
        """Damage found in a WARC file of the crawl being resumed; the rest is recovered."""

    def resuming(self, site: str, plan: ResumePlan, mode: str) -> None:
        """``plan.crawl`` of ``site`` is picked up in ``mode``, its WARC files recovered."""

    def progress(self, rows: list[SiteProgress]) -> None:
        """Each site's progress so far, every half second while the crawls run."""


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    """How the crawls ended.

    :param results: each site crawled, in the order requested.
    :param busy: the sites left out because a live process was crawling them.
    :param log_files: where Scrapy logged the crawls, one file per worker process.
    """

    results: list[SiteProgress]
    busy: list[str]
    log_files: list[str]


#: Files a site crawled in a process keeps open: its lock, WARC file and its
#: index, the log, connections to its host (about 8 on 300 sites in one process).
FILES_PER_SITE = 8
#: Files a crawl process keeps open whatever its sites: database, pipes, imports.
FILES_PER_PROCESS = 64


def allow_open_files() -> int:
    """Raise this process's soft limit of open files to its hard limit; the limit in force.

    A crawl keeps files open for every site it crawls at once.  Under the
    soft limit of 1,024 that most systems give a process, a crawl of 300
    portals failed 244 of them with "Too many open files".  The hard limit
    is the administrator's; raising the soft one up to it needs no
    privilege, and worker processes inherit it.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Linux refuses more than fs.nr_open (1,048,576 by default), "unlimited" included.
    ceiling = min(hard, 1 << 20) if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        except (ValueError, OSError):
            return soft
        return ceiling
    return soft if soft != resource.RLIM_INFINITY else ceiling


def files_needed(sites: int, workers: int, at_once: int) -> int:
    """About how many files the busiest process of a crawl keeps open, when
    each process crawls ``at_once`` sites at a time."""
    if workers > 1 and sites > 1:
        per_worker = -(-sites // min(workers, sites))
        # The parent holds every site's lock; each worker the files of those it crawls.
        return FILES_PER_PROCESS + max(sites, FILES_PER_SITE * min(per_worker, at_once))
    # Every site's lock, and the other files of those crawling.
    return FILES_PER_PROCESS + sites + (FILES_PER_SITE - 1) * min(sites, at_once)


def crawl_sites(
    data: DataDir,
    sites_path: Path,
    db_url: str,
    registry: SitesFile,
    request: CrawlRequest,
    observer: CrawlObserver | None = None,
) -> CrawlOutcome:
    """Crawl ``request.sites`` together; blocks until all have ended.

    The sites are spread over ``request.workers`` processes (never more than
    there are sites); with one, they are crawled in this process.

    :param registry: the sites file they come from; its ``[crawler]`` options apply.
    :raises CrawlError: every site is being crawled already, the database
        or the frontier cannot be reached, or the system lets a process keep
        too few files open for so many sites.
    """
    observer = observer or CrawlObserver()
    once = {site.name: site for site in request.sites}  # however often each was named
    sites = [_with_limits(site, request.max_pages, request.since) for site in once.values()]
    allowed = allow_open_files()
    at_once = registry.scrapy_settings().get(
        "DNA_SITES_AT_ONCE", default_settings.DNA_SITES_AT_ONCE
    )
    if (needed := files_needed(len(sites), request.workers, at_once)) > allowed:
        # Out of files, sites fail at random and the crawl may hang: refused.
        raise CrawlError(
            f"crawling {len(sites)} sites, {min(at_once, len(sites))} at a time, keeps about "
            f"{needed:,} files open, and this system allows {allowed:,} (ulimit -n): raise "
            "the hard limit (LimitNOFILE= for a service), lower sites_at_once, or name "
            "fewer sites a run"
        )
    with ExitStack() as locks:
        busy: list[str] = []
        if request.frontier is None:
            # Workers of a shared frontier crawl one site together; alone, one crawl a site.
            sites, busy = _lock_sites(data, sites, locks, observer)
            if not sites:
                raise CrawlError("every site named is being crawled already")
        # Opens the database first: reachable and migrated before any crawler
        # starts (a one-line error otherwise; workers do not race to migrate).
        spider_args, last_pages = _plan_runs(data, db_url, registry, sites, request, observer)
        overrides = _run_overrides(data, db_url)
        if request.frontier is not None:
            _check_frontier(request.frontier)
            overrides["DNA_FRONTIER_URL"] = request.frontier
        if request.workers > 1 and len(sites) > 1:
            return _crawl_in_workers(
                data, sites_path, registry, sites, request.workers, spider_args, last_pages,
                overrides, observer, busy,
            )  # fmt: skip
        # Scrapy takes a second to import: only a crawl in this process pays
        # for it (workers import it themselves, side by side).
        from crawler.runner import crawl_settings, run_crawls

        settings = crawl_settings(data.root, sites_path, overrides)
        for key, value in registry.scrapy_settings().items():
            settings.set(key, value, priority="project")
        results = run_crawls(
            sites,
            settings,
            spider_args=spider_args,
            on_progress=observer.progress,
            last_pages=last_pages,
        )
    return CrawlOutcome(results, busy, [settings.get("LOG_FILE")])


def _crawl_in_workers(
    data: DataDir,
    sites_path: Path,
    registry: SitesFile,
    sites: list[SiteConfig],
    workers: int,
    spider_args: dict[str, dict[str, Any]],
    last_pages: dict[str, int],
    overrides: dict[str, object],
    observer: CrawlObserver,
    busy: list[str],
) -> CrawlOutcome:
    """Deal ``sites`` to worker processes by their last finished crawls' pages; the
    results in the order of ``sites``."""
    from crawler.workers import WorkerJob, deal, run_workers

    log = Path(str(overrides["LOG_FILE"]))
    jobs = []
    for index, hand in enumerate(deal(sites, workers, last_pages)):
        worker_log = str(log.with_name(f"{log.stem}-w{index + 1}{log.suffix}"))
        jobs.append(
            WorkerJob(
                hand,
                data.root,
                sites_path,
                {**overrides, "LOG_FILE": worker_log},
                registry.scrapy_settings(),
                {site.name: spider_args[site.name] for site in hand},
                {site.name: last_pages[site.name] for site in hand if site.name in last_pages},
            )
        )
    order = {site.name: index for index, site in enumerate(sites)}

    def in_order(rows: list[SiteProgress]) -> list[SiteProgress]:
        return sorted(rows, key=lambda row: order[row.site])

    results = run_workers(jobs, lambda rows: observer.progress(in_order(rows)))
    return CrawlOutcome(
        in_order(results),
        busy,
        [job.overrides["LOG_FILE"] for job in jobs],
    )


def _lock_sites(
    data: DataDir, sites: list[SiteConfig], locks: ExitStack, observer: CrawlObserver
) -> tuple[list[SiteConfig], list[str]]:
    """Take each site's crawl lock; the sites a live process is crawling are left out."""
    free, busy = [], []
    for site in sites:
        lock = PidLock(data.lock_file(f"crawl-{site.name}"))
        try:
            locks.enter_context(lock)
        except LockHeld as exc:
            busy.append(site.name)
            observer.site_busy(site.name, exc)
            continue
        if lock.cleared is not None:
            observer.stale_lock_cleared(site.name, lock.cleared)
        free.append(site)
    return free, busy


def _plan_runs(
    data: DataDir,
    db_url: str,
    registry: SitesFile,
    sites: list[SiteConfig],
    request: CrawlRequest,
    observer: CrawlObserver,
) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Each site's spider arguments (its mode, and the crawl it resumes, recovered
    first), and the pages of the sites' last finished crawls."""
    from crawler.resume import prepare_resume  # imports the extractors: only a crawl needs them

    try:
        store = Store(db_url)
    except StoreError as exc:
        raise CrawlError(str(exc)) from None
    args: dict[str, dict[str, Any]] = {}
    try:
        latest = store.latest_crawls()
        finished = store.finished_pages()
        last_pages = {site.name: finished[site.name] for site in sites if site.name in finished}
        for site in sites:
            args[site.name] = {"mode": request.mode or "new"}
            previous = latest.get(site.name)
            if not request.resume:
                if previous is not None and previous.is_resumable:
                    observer.not_resumed(site.name, previous)
                continue
            plan = prepare_resume(
                store, data, registry, site.name, on_problem=observer.resume_problem
            )
            if plan is None:
                observer.nothing_to_resume(site.name)
                continue
            args[site.name] = {"mode": request.mode or plan.crawl.mode, "resumes": plan.crawl.id}
            observer.resuming(site.name, plan, args[site.name]["mode"])
    finally:
        store.close()
    return args, last_pages


def _check_frontier(url: str) -> None:
    """Fail before any crawler starts when the shared frontier cannot be reached."""
    try:
        connect(url).close()
    except FrontierError as exc:
        raise CrawlError(str(exc)) from None


def _with_limits(site: SiteConfig, max_pages: int | None, since: date | None) -> SiteConfig:
    changes: dict[str, object] = {}
    if max_pages is not None:
        changes["max_pages"] = max_pages
    if since is not None:
        changes["since"] = since
    return dataclasses.replace(site, **changes) if changes else site


def _run_overrides(data: DataDir, db_url: str) -> dict[str, object]:
    logs = data.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {
        "DNA_DATABASE_URL": db_url,
        # The PID keeps apart the logs of crawls started together (scheduler, workers).
        "LOG_FILE": str(logs / f"crawl-{stamp}-{os.getpid()}.log"),
        "LOG_FILE_APPEND": False,
    }
