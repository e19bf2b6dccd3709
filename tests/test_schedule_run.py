"""``dna schedule run`` as a real process against a real fixture portal.

Sites never crawled are due at once, so no test waits for a cron minute.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from archive.archived import CrawlRun
from archive.layout import DataDir
from archive.locks import PidLock
from archive.store import Store
from crawler.schedule.daemon import Scheduler as ScheduleLoop
from crawler.schedule.daemon import scheduler_log
from sampleportal import PortalServer
from tests.harness import DNA, TEST_CRAWLER_OPTIONS, run_dna

HOST = socket.gethostname()


@pytest.fixture(scope="module")
def slow_portal() -> Iterator[PortalServer]:
    """Enough articles, slowly enough served, that an unlimited crawl outlasts the test."""
    with PortalServer("vnportal", extra_articles=400, latency=0.05) as portal:
        yield portal


def site(name: str, portal: PortalServer, cron: str = "0 3 * * *", limit: str = "") -> str:
    return (
        f'\n[[site]]\nname = "{name}"\nstart_urls = ["{portal.base_url}"]\n'
        f'schedule = "{cron}"\n{limit}'
    )


class Scheduler:
    """A ``dna schedule run`` process and its log."""

    def __init__(self, data: Path, *args: str) -> None:
        self.data = data
        env = dict(os.environ, COLUMNS="200")
        for name in ("DNA_HOME", "DNA_SITES", "DNA_DATABASE_URL"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [DNA, "schedule", "run", *args, "--data", str(data)],
            cwd=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    @property
    def log(self) -> str:
        path = self.data / "logs" / "scheduler.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.log):
                return match
            assert self.process.poll() is None, self.process.communicate()[1][-3000:]
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in the scheduler log:\n{self.log}")

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        self.process.send_signal(signum)
        _, stderr = self.process.communicate(timeout=60)
        return self.process.returncode, stderr


def runs(data: Path) -> dict[str, list[CrawlRun]]:
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        by_site: dict[str, list[CrawlRun]] = {}
        for run in store.crawl_runs():
            by_site.setdefault(run.site, []).append(run)
        return by_site
    finally:
        store.close()


def most_at_once(crawls: list[CrawlRun]) -> int:
    events = sorted(
        [(run.started_at, 1) for run in crawls]
        + [
            (run.ended_at or datetime.max.replace(tzinfo=run.started_at.tzinfo), -1)
            for run in crawls
        ],
        key=lambda event: (event[0], event[1]),
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def test_scheduler_limits_skips_refuses_a_second_and_stops_cleanly(
    slow_portal: PortalServer, tmp_path: Path
) -> None:
    (tmp_path / "sites.toml").write_text(
        TEST_CRAWLER_OPTIONS
        # Budgets long enough that a and b overlap however their start-ups skew
        # under load (at 8 pages one could end before the other's row began).
        + site("a", slow_portal, limit="max_pages = 40\n")
        + site("b", slow_portal, limit="max_pages = 40\n")
        + site("c", slow_portal)
        + site("held", slow_portal, limit="max_pages = 5\n")
        + '\n[[site]]\nname = "by-hand"\nstart_urls = ["http://127.0.0.1:9/"]\n',
        encoding="utf-8",
    )
    with PidLock(tmp_path / "locks" / "crawl-held.lock"):
        scheduler = Scheduler(tmp_path, "--max-concurrent", "2")
        try:
            scheduler.wait_for(r"started new crawl of a ")
            scheduler.wait_for(r"started new crawl of b ")
            scheduler.wait_for(r"new crawl of c for the slot at .* waits: 2 crawl\(s\) running")
            skipped = scheduler.wait_for(r"skipped the new crawl of held due at .*: (.*)")
            assert skipped.group(1) == f"its crawl lock is held by process {os.getpid()} on {HOST}"
            second = run_dna("schedule", "run", data=tmp_path, timeout=30)
            assert second.returncode == 1
            assert second.stderr.strip() == (
                f"Error: a scheduler is already running on {tmp_path}: process "
                f"{scheduler.process.pid} on {HOST}; stop it first"
            )
            scheduler.wait_for(r"started new crawl of c ")
            # Let c write before it is stopped.
            deadline = time.monotonic() + 30
            while not list((tmp_path / "warc" / "c").glob("*.open")):
                assert time.monotonic() < deadline
                time.sleep(0.1)
        finally:
            code, stderr = scheduler.stop()
    assert code == 0, stderr[-3000:]
    log = scheduler.log
    assert "SIGTERM: stopping cleanly 1 running crawl(s)" in log
    assert re.search(r"new crawl of c was interrupted; output in .*scheduled-c-", log)
    assert log.rstrip().endswith("scheduler stopped")
    assert stderr.count("scheduler stopped") == 1  # logged to stderr too
    assert not list((tmp_path / "warc").glob("*/*.open"))

    history = runs(tmp_path)
    assert sorted(history) == ["a", "b", "c"]  # held was skipped, by-hand has no schedule
    assert {site: [r.status for r in crawls] for site, crawls in history.items()} == {
        "a": ["finished"],
        "b": ["finished"],
        "c": ["interrupted"],
    }
    assert most_at_once([run for crawls in history.values() for run in crawls]) == 2
    assert history["c"][0].started_at >= min(history["a"][0].ended_at, history["b"][0].ended_at)

    # The listing shows the unfinished crawl, the skipped site and the unscheduled one.
    listing = run_dna("schedule", data=tmp_path, timeout=30)
    assert listing.returncode == 0, listing.stderr
    # In a pipe the table is plain lines: a site's rows start with its name.
    lines = listing.stdout.splitlines()
    rows = {line.split()[0]: line for line in lines[2:] if line}
    assert "finished" in rows["a"] and "now" not in rows["a"]
    assert "interrupted, resumable" in rows["c"]
    assert rows["c"].endswith(f"now: resume #{history['c'][0].id}")
    assert "never" in rows["held"] and "now (never crawled)" in rows["held"]
    assert "Not scheduled (crawled by hand): by-hand" in listing.stdout

    # A second run resumes c, starts nothing already done (a, b), picks up a
    # site added while it runs, and leaves a crawl killed under it for its next slot.
    scheduler = Scheduler(tmp_path, "--workers", "3")
    try:
        started = scheduler.wait_for(
            rf"started resume of unfinished \w+ crawl #{history['c'][0].id} \(interrupted\) "
            r"of c as process (\d+)"
        )
        with open(tmp_path / "sites.toml", "a", encoding="utf-8") as sites:
            sites.write(site("d", slow_portal, limit="max_pages = 5\n"))
        scheduler.wait_for(r"sites file changed, re-read .*d: 0 3 \* \* \* new")
        scheduler.wait_for(r"new crawl of d finished")
        child = int(started.group(1))
        deadline = time.monotonic() + 30
        while not any(run.pid == child for run in runs(tmp_path)["c"]):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        os.kill(child, signal.SIGKILL)
        scheduler.wait_for(r"crawl of c was killed by SIGKILL")
        scheduler.wait_for(
            r"crawl #\d+ of c ended unfinished; it is resumed at the site's next slot"
        )
        time.sleep(1.5)  # a scheduler retrying at once would have started c again by now
    finally:
        code, _ = scheduler.stop(signal.SIGINT)
    assert code == 0
    log = scheduler.log.split("scheduler stopped")[1]
    assert not re.search(r"started \w+ crawl of [ab] ", log)
    assert len(re.findall(r"started .* of c ", log)) == 1


def test_a_crawl_that_dies_before_recording_itself_is_not_restarted(tmp_path: Path) -> None:
    (tmp_path / "sites.toml").write_text(
        '[[site]]\nname = "a"\nstart_urls = ["http://a.vn/"]\nschedule = "0 3 * * *"\n',
        encoding="utf-8",
    )
    broken = tmp_path / "broken-dna"
    broken.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    broken.chmod(0o755)
    data = DataDir(tmp_path)
    scheduler = ScheduleLoop(
        data, data.sites_file, data.database_url(), 2, scheduler_log(data), dna=str(broken)
    )
    threading.Timer(3, scheduler.request_stop, args=(signal.SIGTERM,)).start()
    store = Store(data.database_url())
    try:
        scheduler.run(store)
    finally:
        store.close()
    log = (tmp_path / "logs" / "scheduler.log").read_text(encoding="utf-8")
    assert log.count("started new crawl of a ") == 1, log
    assert "new crawl of a failed (exit 3)" in log


def test_a_scheduler_killed_stops_its_crawls_resumably(
    slow_portal: PortalServer, tmp_path: Path
) -> None:
    """SIGKILL leaves the scheduler no time to stop its crawls: they ran on,
    orphaned, and a restarted scheduler started as many again beside them.
    Each crawl now stops as on SIGTERM when the scheduler dies."""
    (tmp_path / "sites.toml").write_text(
        TEST_CRAWLER_OPTIONS + site("a", slow_portal), encoding="utf-8"
    )
    scheduler = Scheduler(tmp_path)
    try:
        pid = int(scheduler.wait_for(r"started new crawl of a .*as process (\d+)").group(1))
        deadline = time.monotonic() + 60
        while not runs(tmp_path).get("a") and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        scheduler.stop(signal.SIGKILL)
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)
    (run,) = runs(tmp_path)["a"]
    assert run.status == "interrupted", run


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, reaped by no one yet, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
