"""``dna schedule run``: start due crawls as ``dna crawl`` subprocesses, within limits.

Each crawl is its own process: Scrapy's reactor cannot restart inside one
process, and a crawl that crashes or leaks takes nothing else with it.  The
scheduler itself only reads ``sites.toml`` and the crawl history, decides
with :mod:`crawler.schedule.rules`, and keeps three rules: one crawl per site at a
time (a slot that comes due while the site is being crawled is skipped and
logged), missed slots caught up once, and at most ``max_concurrent`` crawls
of its own at once.  Unfinished crawls of scheduled sites are resumed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from logging.handlers import WatchedFileHandler
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from archive.archived import CrawlRun
from archive.layout import DataDir
from archive.locks import PidLock
from archive.store import Store
from crawler.schedule.rules import SERVES, Due, due_crawl, history_start, is_running, next_slot
from crawler.sites import SiteConfig, SitesFile, SitesFileError, load_sites
from crawler.workers import stop_when_orphaned

#: How often the history is read again without a reason (manual crawls, kills).
CHECK_EVERY = timedelta(seconds=30)
#: How often children and sites.toml are looked at.
TICK_SECONDS = 1.0


def dna_executable() -> str:
    """The absolute path of the ``dna`` command running now, for children and unit files."""
    running = Path(sys.argv[0])
    if running.name == "dna" and running.exists():
        return str(running.absolute())
    return str(Path(sys.executable).parent / "dna")


def scheduler_log(data: DataDir) -> logging.Logger:
    """A logger writing to stderr and ``DATA/logs/scheduler.log`` (logrotate-safe)."""
    logs = data.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logging.getLogger("dna.schedule")
    log.setLevel(logging.INFO)
    log.propagate = False
    for old in list(log.handlers):  # one set of handlers however often this is called
        log.removeHandler(old)
        old.close()
    formatter = _ZonedFormatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.StreamHandler(sys.stderr), WatchedFileHandler(logs / "scheduler.log")):
        handler.setFormatter(formatter)
        log.addHandler(handler)
    return log


class _ZonedFormatter(logging.Formatter):
    """Log times in the schedules' zone (the machine's until it is known), so a
    line's time and the slot it names read alike."""

    zone: tzinfo | None = None

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).astimezone(self.zone)
        return moment.strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


def log_in_zone(log: logging.Logger, zone: tzinfo) -> None:
    """Write ``log``'s times in ``zone`` from now on."""
    for handler in log.handlers:
        if isinstance(handler.formatter, _ZonedFormatter):
            handler.formatter.zone = zone


@dataclass(frozen=True, slots=True)
class Launch:
    """A crawl the scheduler wants to start.

    :param slot: the schedule slot it serves; ``None`` for a resume nothing is due for.
    :param resumes: the unfinished crawl it picks up.
    """

    site: str
    mode: str
    slot: datetime | None = None
    resumes: CrawlRun | None = None


@dataclass
class Child:
    """A ``dna crawl`` the scheduler started."""

    launch: Launch
    process: subprocess.Popen[bytes]
    output: Path
    signalled: int = 0


@dataclass
class Scheduler:
    """The loop behind ``dna schedule run``; call :meth:`run` with the scheduler lock held.

    :param sites_path: re-read whenever it changes.
    :param db_url: handed to children through ``DNA_DATABASE_URL``, not their
        command line, so a password never shows in ``ps``.
    """

    data: DataDir
    sites_path: Path
    db_url: str
    max_concurrent: int
    log: logging.Logger
    dna: str = field(default_factory=dna_executable)
    children: dict[str, Child] = field(default_factory=dict)
    #: site -> the last due slot acted on (started, or skipped while busy) and the
    #: mode that took care of it: a slot is never acted on twice, so a crawl
    #: that dies before recording itself is not restarted in a loop.
    handled: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    #: unfinished crawls our own children left: resumed at their site's next slot, not in a loop.
    left_unfinished: set[int] = field(default_factory=set)
    waiting: set[tuple[str, datetime | None]] = field(default_factory=set)
    registry: SitesFile | None = None
    sites_stamp: tuple[int, int] | None = None
    next_check: datetime = field(default_factory=lambda: datetime.now(UTC))
    stop_signals: list[int] = field(default_factory=list)
    wake: threading.Event = field(default_factory=threading.Event)

    def request_stop(self, signum: int, _frame: object = None) -> None:
        """Signal handler: note the signal; the loop does the rest (no I/O in a handler)."""
        self.stop_signals.append(signum)
        self.wake.set()

    def run(self, store: Store) -> None:
        """Schedule until SIGTERM/SIGINT, then stop children cleanly and return."""
        self.log.info(
            "scheduler started (process %d) on %s, at most %d crawl(s) at once",
            os.getpid(),
            self.data.root,
            self.max_concurrent,
        )
        self._reload_sites()
        while not self.stop_signals:
            reaped = self._reap(store)
            if self._sites_changed():
                self._reload_sites()
                reaped = True
            if reaped or datetime.now(UTC) >= self.next_check:
                self._check(store)
            self.wake.wait(TICK_SECONDS)
            self.wake.clear()
        self._shut_down(store)

    # -- sites.toml ------------------------------------------------------------

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.sites_path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _sites_changed(self) -> bool:
        return self._stamp() != self.sites_stamp

    def _reload_sites(self) -> None:
        first = self.registry is None
        self.sites_stamp = self._stamp()
        try:
            registry = load_sites(self.sites_path)
        except SitesFileError as exc:
            self.log.error("%s; keeping the schedules read before", exc)
            return
        self.registry = registry
        log_in_zone(self.log, registry.timezone)
        for problem in registry.problems:
            self.log.warning("skipped: %s", problem)
        scheduled = [site for site in registry.sites if site.schedules]
        described = "; ".join(
            f"{site.name}: " + ", ".join(f"{s.cron} {s.mode}" for s in site.schedules)
            for site in scheduled
        )
        self.log.info(
            "%s %s: %d site(s) scheduled%s (times in %s)",
            "read" if first else "sites file changed, re-read",
            self.sites_path,
            len(scheduled),
            f": {described}" if described else "; add a schedule to a site to start",
            zone_name(registry.timezone),
        )

    def _scheduled(self) -> list[SiteConfig]:
        return [site for site in self.registry.sites if site.schedules] if self.registry else []

    # -- deciding --------------------------------------------------------------

    def _check(self, store: Store) -> None:
        """Start what is due and resumable, within the concurrency limit."""
        now = datetime.now(UTC)
        zone = self.registry.timezone if self.registry else UTC
        self.next_check = now + CHECK_EVERY
        wanted: list[Launch] = []
        try:
            for site in self._scheduled():
                launch = self._decide(store, site, now, zone)
                if launch is not None:
                    wanted.append(launch)
                upcoming = min(next_slot(s, now, zone) for s in site.schedules)
                self.next_check = min(self.next_check, upcoming.astimezone(UTC))
        except SQLAlchemyError as exc:
            self.log.error("cannot read the crawl history: %s; trying again shortly", exc)
            return
        # Resumes first, then the longest-waiting slots.
        wanted.sort(key=lambda launch: (launch.slot is not None, launch.slot or now, launch.site))
        for launch in wanted:
            if len(self.children) < self.max_concurrent:
                self._start(launch, zone)
            elif (launch.site, launch.slot) not in self.waiting:
                self.waiting.add((launch.site, launch.slot))
                self.log.info(
                    "%s waits: %d crawl(s) running, the limit is %d",
                    _describe(launch, zone),
                    len(self.children),
                    self.max_concurrent,
                )

    def _decide(self, store: Store, site: SiteConfig, now: datetime, zone: tzinfo) -> Launch | None:
        runs = site_history(store, site, now, zone)
        latest = runs[0] if runs else None
        due = due_crawl(site.schedules, runs, now, zone)
        if due is not None and self._acted_on(site.name, due):
            due = None
        busy = self._busy(site.name, latest)
        if busy is not None:
            # A slot reached while the site is crawled is skipped, not queued;
            # the running crawl takes care of it in the history, so ask without that.
            skipped = due or due_crawl(site.schedules, runs, now, zone, overlap=False)
            if skipped is not None and not self._acted_on(site.name, skipped):
                self.handled[site.name] = (skipped.slot, "full")
                self.log.info(
                    "skipped the %s crawl of %s due at %s: %s",
                    skipped.mode,
                    site.name,
                    _when(skipped.slot, zone),
                    busy,
                )
            return None
        if latest is not None and latest.is_resumable:
            if due is None and latest.id not in self.left_unfinished:
                return Launch(site.name, latest.mode, resumes=latest)
            if due is not None and latest.mode in SERVES[due.mode]:
                return Launch(site.name, latest.mode, due.slot, resumes=latest)
            # A full crawl due over an unfinished new one does all it had left.
        return Launch(site.name, due.mode, due.slot) if due is not None else None

    def _acted_on(self, site: str, due: Due) -> bool:
        """Whether this scheduler already started or skipped a crawl for ``due``'s slot."""
        slot, mode = self.handled.get(site, (None, ""))
        return slot == due.slot and mode in SERVES[due.mode]

    def _busy(self, site: str, latest: CrawlRun | None) -> str | None:
        """Why ``site`` cannot be crawled now, or ``None``."""
        if site in self.children:
            return f"this scheduler's crawl (process {self.children[site].process.pid}) still runs"
        holder = PidLock(self.data.lock_file(f"crawl-{site}")).holder()
        if holder is not None:
            return f"its crawl lock is held by {holder}"
        if latest is not None and is_running(latest):
            return f"crawl #{latest.id} is running (process {latest.pid} on {latest.host})"
        return None

    # -- children --------------------------------------------------------------

    def _start(self, launch: Launch, zone: tzinfo) -> None:
        logs = self.data.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = logs / f"scheduled-{launch.site}-{stamp}.txt"
        command = [self.dna, "crawl", launch.site, "--mode", launch.mode]
        if launch.resumes is not None:
            command.append("--resume")
        command += ["--data", str(self.data.root), "--sites", str(self.sites_path)]
        environment = dict(os.environ, DNA_DATABASE_URL=self.db_url)
        try:
            with open(output, "wb") as handle:
                # A session of its own: a terminal's Ctrl-C reaches the scheduler
                # only, which passes it on once (a second signal would drop the
                # requests in flight instead of letting them finish).
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    cwd=self.data.root,
                    env=environment,
                    start_new_session=True,
                    # A scheduler killed (SIGKILL) stops its crawls as SIGTERM does,
                    # resumable: left running, they went past a restarted one's limit.
                    preexec_fn=partial(stop_when_orphaned, os.getpid()),
                )
        except OSError as exc:
            self.log.error("cannot start %s: %s", _describe(launch, zone), exc)
            return
        self.children[launch.site] = Child(launch, process, output)
        if launch.slot is not None:
            self.handled[launch.site] = (launch.slot, launch.mode)
        self.waiting.discard((launch.site, launch.slot))
        self.log.info(
            "started %s as process %d; output in %s", _describe(launch, zone), process.pid, output
        )

    def _reap(self, store: Store) -> bool:
        """Log the children that ended; whether any did."""
        ended = [site for site, child in self.children.items() if child.process.poll() is not None]
        for site in ended:
            child = self.children.pop(site)
            code = child.process.returncode
            outcome = {0: "finished", 130: "was interrupted"}.get(code, f"failed (exit {code})")
            if code < 0:
                outcome = f"was killed by {signal.Signals(-code).name}"
            self.log.info(
                "%s crawl of %s %s; output in %s", child.launch.mode, site, outcome, child.output
            )
            if not child.signalled:
                self._note_unfinished(store, site, child.process.pid)
        return bool(ended)

    def _note_unfinished(self, store: Store, site: str, pid: int) -> None:
        try:
            runs = store.crawl_runs(site, limit=1)
        except SQLAlchemyError:
            return
        if runs and runs[0].pid == pid and runs[0].is_resumable:
            self.left_unfinished.add(runs[0].id)
            self.log.warning(
                "crawl #%d of %s ended unfinished; it is resumed at the site's next slot",
                runs[0].id,
                site,
            )

    def _shut_down(self, store: Store) -> None:
        """Stop starting crawls, pass the signal on, wait for children to close their WARCs."""
        forwarded = 0
        while self.children:
            if len(self.stop_signals) > forwarded:
                signum = self.stop_signals[forwarded]
                forwarded += 1
                again = forwarded > 1
                self.log.info(
                    "%s: %s %d running crawl(s)",
                    signal.Signals(signum).name,
                    "stopping at once" if again else "stopping cleanly",
                    len(self.children),
                )
                for child in self.children.values():
                    child.signalled += 1
                    child.process.send_signal(signum)
            self._reap(store)
            self.wake.wait(TICK_SECONDS / 4)
            self.wake.clear()
        self.log.info("scheduler stopped")


def site_history(store: Store, site: SiteConfig, now: datetime, zone: tzinfo) -> list[CrawlRun]:
    """The site's runs since its schedules' oldest latest slot, and one before."""
    since = history_start(site.schedules, now, zone)
    limit = 8
    while True:
        runs = store.crawl_runs(site.name, limit=limit)
        if len(runs) < limit or since is None or runs[-1].started_at < since:
            return runs
        limit *= 4


def _when(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %z")


def zone_name(zone: tzinfo) -> str:
    """``Asia/Ho_Chi_Minh``, or ``local time (UTC)`` for the machine's zone."""
    return str(getattr(zone, "key", None) or f"local time ({datetime.now(zone).tzname()})")


def _describe(launch: Launch, zone: tzinfo) -> str:
    if launch.resumes is not None:
        what = (
            f"resume of unfinished {launch.mode} crawl #{launch.resumes.id} "
            f"({launch.resumes.status}) of {launch.site}"
        )
    else:
        what = f"{launch.mode} crawl of {launch.site}"
    return f"{what} for the slot at {_when(launch.slot, zone)}" if launch.slot else what
