"""Schedules: sites.toml validation and the due / catch-up / next decisions, at explicit times."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from archive.archived import CrawlRun
from archive.layout import DataDir
from crawler.schedule.daemon import log_in_zone, scheduler_log
from crawler.schedule.rules import (
    Schedule,
    due_crawl,
    last_served,
    latest_slot,
    next_slot,
    upcoming,
)
from crawler.sites import load_sites
from dna.cli import main

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOST = socket.gethostname()
DAILY_NEW = Schedule("0 3 * * *", "new")
WEEKLY_FULL = Schedule("0 4 * * sun", "full")


def at(text: str) -> datetime:
    """A moment in Vietnam's time, where these portals and their archivists are."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def run(
    started: str,
    ended: str | None = None,
    mode: str = "new",
    status: str = "finished",
    *,
    host: str | None = None,
    pid: int | None = None,
) -> CrawlRun:
    return CrawlRun(
        id=1,
        site="xa",
        mode=mode,
        started_at=at(started).astimezone(UTC),
        ended_at=at(ended).astimezone(UTC) if ended else None,
        status=status,
        reason=None,
        pages=0,
        articles_new=0,
        articles_updated=0,
        errors=0,
        bytes_written=0,
        host=host,
        pid=pid,
        resumes=None,
    )


# -- sites.toml ----------------------------------------------------------------


def write(tmp_path: Path, site_lines: str, preamble: str = "") -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(
        preamble + '[[site]]\nname = "xa"\nstart_urls = ["http://xa.vn/"]\n' + site_lines,
        encoding="utf-8",
    )
    return path


def test_schedule_forms_load(tmp_path: Path) -> None:
    registry = load_sites(
        write(
            tmp_path,
            'schedule = [\n  "0 3 * * *",\n  { cron = "0 4 * * sun", mode = "full" },\n]\n'
            '\n[[site]]\nname = "b"\nstart_urls = ["http://b.vn/"]\n'
            'schedule = { cron = "@daily" }\n'
            '\n[[site]]\nname = "c"\nstart_urls = ["http://c.vn/"]\n'
            '\n[[site.schedule]]\ncron = "30 2 * * 1-5"\nmode = "full"\n',
            preamble='[crawler]\ntimezone = "Asia/Ho_Chi_Minh"\n\n',
        )
    )
    assert registry.problems == []
    schedules = {site.name: site.schedules for site in registry.sites}
    assert schedules == {
        "xa": (Schedule("0 3 * * *", "new", 8), Schedule("0 4 * * sun", "full", 9)),
        "b": (Schedule("@daily", "new", 15),),
        "c": (Schedule("30 2 * * 1-5", "full", 22),),
    }
    assert registry.timezone == VN


def test_without_timezone_cron_times_are_local(tmp_path: Path) -> None:
    registry = load_sites(write(tmp_path, 'schedule = "0 3 * * *"\n'))
    offset = datetime(2026, 6, 1, 12, tzinfo=registry.timezone).utcoffset()
    assert offset == datetime(2026, 6, 1, 12).astimezone().utcoffset()


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        ('schedule = "0 3 * *"\n', 4, "has 4 field(s); give five"),
        ('schedule = "0 25 * * *"\n', 4, "invalid cron '0 25 * * *'"),
        ('schedule = "0 3 L * *"\n', 4, "syntax crontab lacks"),
        ('schedule = "0 3 * * mon#2"\n', 4, "syntax crontab lacks"),
        ('schedule = "*/5 * * * * *"\n', 4, "has 6 field(s)"),
        ('schedule = "@fortnightly"\n', 4, "unknown cron shorthand"),
        ('schedule = { cron = "0 3 * * *", mode = "fast" }\n', 4, "unknown crawl mode 'fast'"),
        ('schedule = { mode = "full" }\n', 4, "schedule needs cron"),
        ('schedule = { cron = "0 3 * * *", every = 2 }\n', 4, "unknown schedule key 'every'"),
        ("schedule = 3\n", 4, "must be a cron string or a table"),
        (
            'schedule = [\n  { cron = "0 3 * * *" },\n'
            '  { cron = "0 4 * * 8", mode = "full" },\n]\n',
            6,
            "invalid cron '0 4 * * 8'",
        ),
        ('\n[[site.schedule]]\ncron = "0 3 * * *"\nmode = "weekly"\n', 6, "unknown crawl mode"),
    ],
)
def test_bad_schedule_is_reported_with_its_line(
    tmp_path: Path, lines: str, line: int, message: str
) -> None:
    path = write(tmp_path, lines)
    registry = load_sites(path)
    assert registry.sites == []
    [problem] = registry.problems
    assert str(problem).startswith(f"{path}:{line}: site 'xa': "), str(problem)
    assert message in str(problem)


def test_dna_schedule_reports_a_bad_schedule_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'schedule = "0 3 * * 8"\n')
    result = CliRunner().invoke(main, ["schedule", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{path}:4: site 'xa': invalid cron '0 3 * * 8'" in result.output.replace("\n", "")
    # Not "no site has a schedule yet": its schedule is the problem.
    assert "has a schedule (1 problem(s) above: fix them)" in " ".join(result.output.split())


def test_unknown_timezone_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "", preamble='[crawler]\ntimezone = "Asia/Hanoi City"\n\n')
    [problem] = load_sites(path).problems
    assert (
        str(problem) == f"{path}:2: unknown time zone 'Asia/Hanoi City' (e.g. 'Asia/Ho_Chi_Minh'); "
        "its default is used"
    )


# -- slots -----------------------------------------------------------------------


def test_slots_are_in_the_configured_zone() -> None:
    now = at("2026-11-26 08:35")
    assert latest_slot(DAILY_NEW, now, VN) == at("2026-11-26 03:00")
    assert next_slot(DAILY_NEW, now, VN) == at("2026-11-27 03:00")
    # 08:35 in Vietnam is 01:35 UTC, before that day's 03:00 UTC.
    assert latest_slot(DAILY_NEW, now, UTC) == datetime(2026, 11, 25, 3, tzinfo=UTC)
    # 03:00 in Vietnam is 20:00 UTC the day before.
    assert latest_slot(DAILY_NEW, now, VN).astimezone(UTC) == datetime(2026, 11, 25, 20, tzinfo=UTC)


def test_a_slot_at_exactly_now_is_the_latest() -> None:
    assert latest_slot(DAILY_NEW, at("2026-11-26 03:00"), VN) == at("2026-11-26 03:00")
    assert latest_slot(DAILY_NEW, at("2026-11-26 02:59:59"), VN) == at("2026-11-25 03:00")
    assert next_slot(DAILY_NEW, at("2026-11-26 03:00"), VN) == at("2026-11-27 03:00")


# -- due ------------------------------------------------------------------------


def test_never_crawled_site_is_due_at_once() -> None:
    due = due_crawl([WEEKLY_FULL], [], at("2026-11-26 08:35"), VN)
    assert due is not None
    assert (due.mode, due.slot) == ("full", at("2026-11-22 04:00"))


def test_not_due_until_the_next_slot() -> None:
    runs = [run("2026-11-26 03:00:02", "2026-11-26 03:40")]
    assert due_crawl([DAILY_NEW], runs, at("2026-11-26 08:35"), VN) is None
    assert due_crawl([DAILY_NEW], runs, at("2026-11-27 02:59"), VN) is None
    due = due_crawl([DAILY_NEW], runs, at("2026-11-27 03:00"), VN)
    assert due is not None and due.slot == at("2026-11-27 03:00")


def test_missed_slots_are_caught_up_once() -> None:
    # Down for five days: five daily slots missed, one crawl catches up.
    runs = [run("2026-11-21 03:00", "2026-11-21 03:30")]
    now = at("2026-11-26 08:35")
    due = due_crawl([DAILY_NEW], runs, now, VN)
    assert due is not None and (due.mode, due.slot) == ("new", at("2026-11-26 03:00"))
    caught_up = [run("2026-11-26 08:35", "2026-11-26 08:50"), *runs]
    assert due_crawl([DAILY_NEW], caught_up, at("2026-11-26 09:00"), VN) is None
    assert upcoming(DAILY_NEW, caught_up, at("2026-11-26 09:00"), VN) == at("2026-11-27 03:00")


def test_a_full_crawl_serves_a_new_schedule_but_not_the_reverse() -> None:
    now = at("2026-11-26 08:35")
    full = [run("2026-11-26 05:00", "2026-11-26 06:00", mode="full")]
    assert due_crawl([DAILY_NEW], full, now, VN) is None
    new = [run("2026-11-26 05:00", "2026-11-26 06:00", mode="new")]
    due = due_crawl([WEEKLY_FULL], new, now, VN)
    assert due is not None and due.mode == "full"
    assert last_served(WEEKLY_FULL, new) is None
    assert last_served(DAILY_NEW, full) is full[0]


def test_when_new_and_full_are_both_due_one_full_crawl_serves_both() -> None:
    due = due_crawl(
        [DAILY_NEW, WEEKLY_FULL],
        [run("2026-11-01 03:00", "2026-11-01 04:00")],
        at("2026-11-26 08:35"),
        VN,
    )
    assert due is not None
    assert due.mode == "full"
    assert set(due.schedules) == {DAILY_NEW, WEEKLY_FULL}
    assert due.slot == at("2026-11-26 03:00")


def test_a_slot_overlapped_by_a_crawl_is_skipped_not_queued() -> None:
    # A new crawl ran from 02:00 to 05:00: the 03:00 full slot fell inside it.
    runs = [run("2026-11-26 02:00", "2026-11-26 05:00", mode="new")]
    assert due_crawl([Schedule("0 3 * * *", "full")], runs, at("2026-11-26 08:35"), VN) is None
    # Still running: the slot is taken care of while it runs.
    running = [run("2026-11-26 02:00", None, status="running", host=HOST, pid=os.getpid())]
    assert due_crawl([DAILY_NEW], running, at("2026-11-26 03:30"), VN) is None
    # Asked without the overlap rule, the scheduler sees the slot it skips, to log it.
    skipped = due_crawl([DAILY_NEW], running, at("2026-11-26 03:30"), VN, overlap=False)
    assert skipped is not None and skipped.slot == at("2026-11-26 03:00")
    # Marked running before crawls kept their PID: it cannot be checked and holds nothing.
    legacy = [run("2026-11-26 02:00", None, status="running")]
    assert due_crawl([DAILY_NEW], legacy, at("2026-11-26 03:30"), VN) is not None


def test_a_killed_crawl_does_not_hold_its_slots() -> None:
    alive = [run("2026-11-25 02:00", None, status="running", host=HOST, pid=os.getpid())]
    assert due_crawl([DAILY_NEW], alive, at("2026-11-26 08:35"), VN) is None
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    killed = [run("2026-11-25 02:00", None, status="running", host=HOST, pid=int(gone.stdout))]
    assert killed[0].is_orphaned
    due = due_crawl([DAILY_NEW], killed, at("2026-11-26 08:35"), VN)
    assert due is not None and due.slot == at("2026-11-26 03:00")


def test_no_schedule_is_never_due() -> None:
    assert due_crawl([], [], at("2026-11-26 08:35"), VN) is None


def test_the_scheduler_logs_in_the_zone_of_its_schedules(tmp_path: Path) -> None:
    """A line's time and the slot it names read alike: the slot is in the
    schedules' zone, so the log's times are too, once it is known."""
    log = scheduler_log(DataDir(tmp_path))
    log.info("before")
    log_in_zone(log, ZoneInfo("Pacific/Kiritimati"))  # +14:00: no machine's own zone
    log.info("after")
    lines = (tmp_path / "logs" / "scheduler.log").read_text(encoding="utf-8").splitlines()
    local = datetime.now(UTC).astimezone().strftime("%z")
    assert lines[0].split(" INFO ")[0].endswith(local)
    assert lines[1].split(" INFO ")[0].endswith("+1400")
    for handler in log.handlers:
        handler.close()
