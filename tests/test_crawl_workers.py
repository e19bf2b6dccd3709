"""``dna crawl --workers N``: sites spread over processes, one display, one summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.models import Crawl
from archive.store import Store
from crawler.sites import SiteConfig
from crawler.sitework import longest_first
from crawler.workers import deal
from sampleportal import PortalServer
from tests.harness import run_dna, sites_toml
from tests.services import free_port

DNA = str(Path(sys.executable).parent / "dna")


@pytest.fixture
def slow_portals() -> Iterator[dict[str, PortalServer]]:
    """Three portals slow enough to be caught mid-crawl."""
    servers = {
        name: PortalServer("vnportal", extra_articles=150, latency=0.05).start()
        for name in ("first", "second", "third")
    }
    yield servers
    for server in servers.values():
        server.stop()


def _start_crawl(data: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, COLUMNS="200", DNA_RETRY_BACKOFF_BASE="0.2")
    for name in ("DNA_HOME", "DNA_SITES", "DNA_DATABASE_URL"):
        env.pop(name, None)
    return subprocess.Popen(
        [DNA, "crawl", *args, "--data", str(data)],
        cwd=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _running_crawls(data: Path, count: int) -> dict[str, int]:
    """Site -> pid of its running crawl, once ``count`` crawls have archived something."""
    database = data / "archive.sqlite3"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if database.exists() and len(list((data / "warc").glob("*/*.open"))) >= count:
            store = Store(f"sqlite:///{database}")
            try:
                with store.session() as session:
                    rows = session.scalars(select(Crawl).where(Crawl.status == "running")).all()
                    pids = {row.site.name: row.pid for row in rows}
            finally:
                store.close()
            if len(pids) >= count:
                return pids
        time.sleep(0.2)
    raise AssertionError("the crawls did not start")


def _summary_rows(stdout: str) -> dict[str, str]:
    """The summary's rows by site, as printed in a pipe: a header line, then a row per site."""
    lines = stdout.split("Crawl summary\n")[1].split("\n\n")[0].splitlines()
    return {line.split()[0]: line for line in lines[1:]}


def test_workers_must_be_positive(tmp_path: Path) -> None:
    for bad in ("0", "-2"):
        result = run_dna("crawl", "--all", "--workers", bad, data=tmp_path)
        assert result.returncode == 2
        assert "--workers" in result.stderr and "Traceback" not in result.stderr


def test_sites_are_dealt_to_no_more_workers_than_there_are_sites() -> None:
    sites = [SiteConfig(f"s{n}", (f"http://127.0.0.1/{n}",), ("127.0.0.1",)) for n in range(3)]
    assert [[site.name for site in hand] for hand in deal(sites, 8)] == [["s0"], ["s1"], ["s2"]]
    assert [[site.name for site in hand] for hand in deal(sites, 2)] == [["s0", "s2"], ["s1"]]


def test_sites_are_dealt_by_the_pages_of_their_last_crawls() -> None:
    """Two district portals of 3,000 pages and six communes of 100: dealt round,
    both districts would fall to one worker (6,200 pages against 300)."""
    sites = [SiteConfig(f"s{n}", (f"http://127.0.0.1/{n}",), ("127.0.0.1",)) for n in range(8)]
    last = {"s0": 3000, "s2": 3000} | {f"s{n}": 100 for n in (1, 3, 4, 5, 6, 7)}
    hands = deal(sites, 2, last)
    assert [sum(last[site.name] for site in hand) for hand in hands] == [3300, 3300]
    assert [[site.name for site in hand] for hand in hands] == [
        ["s0", "s1", "s4", "s6"],
        ["s2", "s3", "s5", "s7"],
    ]
    # A site never crawled counts as the average of the others.
    del last["s2"]
    assert [len(hand) for hand in deal(sites, 2, last)] == [1, 7]


def test_the_longest_crawls_start_first() -> None:
    sites = [SiteConfig(f"s{n}", (f"http://127.0.0.1/{n}",), ("127.0.0.1",)) for n in range(4)]
    last = {"s1": 40, "s2": 3000, "s3": 100}  # s0 never crawled: the average, 1,047
    assert [site.name for site in longest_first(sites, last)] == ["s2", "s0", "s3", "s1"]
    assert [site.name for site in longest_first(sites, None)] == ["s0", "s1", "s2", "s3"]


def test_sites_beyond_sites_at_once_wait_their_turn(tmp_path: Path) -> None:
    """Each open crawl holds its portal's queue and WARC file: 3,000 communes
    must not all open at once.  Two at a time, the third starts as one ends."""
    portals = {name: PortalServer("vnportal").start() for name in ("first", "second", "third")}
    try:
        (tmp_path / "sites.toml").write_text(
            sites_toml(portals, crawler="sites_at_once = 2\n"), encoding="utf-8"
        )
        result = run_dna("crawl", "--all", "--workers", "1", "--no-index", data=tmp_path)
    finally:
        for server in portals.values():
            server.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    assert all("finished" in row for row in _summary_rows(result.stdout).values())
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    with store.session() as session:
        spans = [(c.started_at, c.ended_at) for c in session.scalars(select(Crawl))]
    store.close()
    assert len(spans) == 3
    for started, _ in spans:
        assert sum(begun <= started < ended for begun, ended in spans) <= 2, spans
    last_started = max(started for started, _ in spans)
    assert any(ended <= last_started for _, ended in spans), spans


def test_the_live_table_of_many_sites_shows_those_crawling_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    """Three thousand rows redrawn twice a second fill no screen and cost a core."""
    portals = {f"xa-{n}": PortalServer("vnportal").start() for n in range(12)}
    try:
        (tmp_path / "sites.toml").write_text(
            sites_toml(portals, crawler="sites_at_once = 2\n"), encoding="utf-8"
        )
        env = dict(os.environ, COLUMNS="200", LINES="16", TTY_COMPATIBLE="1")
        for name in ("DNA_HOME", "DNA_SITES", "DNA_DATABASE_URL"):
            env.pop(name, None)
        result = subprocess.run(
            [DNA, "crawl", "--all", "--workers", "1", "--no-index", "--max-pages", "15"],
            cwd=tmp_path,
            env=env | {"DNA_HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        for server in portals.values():
            server.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    frames = result.stdout.split("Crawling… (Ctrl-C stops; --resume continues)")[1:]
    assert frames, result.stdout[-2000:]
    assert any("2 crawling, 10 waiting" in frame for frame in frames), frames[0]
    for frame in frames:
        shown = {site for site in portals if f" {site} " in frame.split("Crawl summary")[0]}
        assert len(shown) <= 2, frame


def test_ctrl_c_starts_no_waiting_site(
    slow_portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    (tmp_path / "sites.toml").write_text(
        sites_toml(slow_portals, crawler="sites_at_once = 1\n"), encoding="utf-8"
    )
    process = _start_crawl(tmp_path, "--all", "--workers", "1")
    pids = _running_crawls(tmp_path, 1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stderr[-2000:]
    rows = _summary_rows(stdout)
    (begun,) = pids
    assert "interrupted" in rows[begun]
    assert all("not started" in row for site, row in rows.items() if site != begun), rows
    assert "Continue with: dna crawl first second third --resume" in stderr
    assert not list((tmp_path / "warc").glob("*/*.open"))
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    with store.session() as session:
        ended = {c.site.name: (c.status, c.reason) for c in session.scalars(select(Crawl))}
    store.close()
    assert ended == {begun: ("interrupted", "shutdown")}


def test_a_full_disk_starts_no_waiting_site_and_names_every_site_left(
    slow_portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    toml = sites_toml(slow_portals, crawler="sites_at_once = 1\n").replace(
        "min_free_mb = 20", "min_free_mb = 100000000"
    )
    (tmp_path / "sites.toml").write_text(toml, encoding="utf-8")
    result = run_dna("crawl", "--all", "--workers", "1", "--no-index", data=tmp_path)

    assert result.returncode == 1, result.stderr[-2000:]
    rows = _summary_rows(result.stdout)
    assert "interrupted" in rows["first"]
    assert "not started" in rows["second"] and "not started" in rows["third"]
    # The site the disk stopped is the one with something to resume.
    assert "Continue with: dna crawl first second third --resume" in result.stderr
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    with store.session() as session:
        ended = {c.site.name: (c.status, c.reason) for c in session.scalars(select(Crawl))}
    store.close()
    assert ended == {"first": ("interrupted", "disk_full")}


def _run_crawls_in_a_process(script: str, tmp_path: Path) -> str:
    """Run ``script`` (given ``sites``, ``settings`` and run_crawls) in a fresh
    process: a Twisted reactor runs once a process.  Its output."""
    preamble = (
        "import gc, sys\n"
        "from collections import Counter\n"
        "from pathlib import Path\n"
        "from crawler.runner import crawl_settings, run_crawls\n"
        "from crawler.sites import SiteConfig, load_sites\n"
        f"data = Path({str(tmp_path)!r})\n"
        "settings = crawl_settings(data, data / 'sites.toml', {'LOG_LEVEL': 'CRITICAL'})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", preamble + script],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Unhandled error in Deferred" not in result.stderr, result.stderr[-3000:]
    return result.stdout


def test_sites_whose_spider_cannot_be_made_fail_one_by_one_without_recursing(
    tmp_path: Path,
) -> None:
    """A crawl failing before it yields ends inside process.crawl, and its end
    started the next: one level deeper a site, until a RecursionError at about
    200 quietly left the rest 'not started'."""
    (tmp_path / "sites.toml").write_text("", encoding="utf-8")
    out = _run_crawls_in_a_process(
        "settings.set('DNA_SITES_AT_ONCE', 1)\n"
        "sites = [SiteConfig(f's{n}', ('http://127.0.0.1:9/',), ('127.0.0.1',)) "
        "for n in range(400)]\n"
        "bogus = {site.name: {'mode': 'bogus'} for site in sites}\n"
        "rows = run_crawls(sites, settings, spider_args=bogus)\n"
        "print(dict(Counter(row.status for row in rows)))\n",
        tmp_path,
    )
    assert out.strip() == "{'failed': 400}"


def test_a_server_gone_before_a_crawl_starts_stops_the_run_there(tmp_path: Path) -> None:
    """A frontier unreachable when a waiting site's spider is made failed that
    site, then the next, each after a timeout holding the reactor, each with
    an unhandled-Deferred traceback; and nothing stopped the run."""
    (tmp_path / "sites.toml").write_text("", encoding="utf-8")
    out = _run_crawls_in_a_process(
        "settings.set('DNA_SITES_AT_ONCE', 1)\n"
        f"settings.set('DNA_FRONTIER_URL', 'redis://127.0.0.1:{free_port()}/0')\n"
        "sites = [SiteConfig(f's{n}', ('http://127.0.0.1:9/',), ('127.0.0.1',)) "
        "for n in range(5)]\n"
        "rows = run_crawls(sites, settings)\n"
        "print([row.status for row in rows])\n"
        "print(rows[0].fatal)\n",
        tmp_path,
    )
    statuses, fatal = out.splitlines()
    assert statuses == str(["failed"] + ["not started"] * 4)
    assert fatal.startswith("frontier redis://127.0.0.1:") and "is unreachable" in fatal


def test_a_run_nobody_stopped_leaves_the_heap_collectable(tmp_path: Path) -> None:
    """Scrapy calls stop() as the reactor shuts down after the last crawl: it
    was taken for Ctrl-C, and every run froze its heap for the rest of dna."""
    portal = PortalServer("vnportal").start()
    try:
        (tmp_path / "sites.toml").write_text(sites_toml({"xa": portal}), encoding="utf-8")
        out = _run_crawls_in_a_process(
            "settings.set('DNA_MAX_PAGES', 5)\n"
            "rows = run_crawls(load_sites(data / 'sites.toml').sites, settings)\n"
            "print([row.status for row in rows], gc.get_freeze_count())\n",
            tmp_path,
        )
    finally:
        portal.stop()
    assert out.strip() == "['finished'] 0"


def test_a_second_ctrl_c_ends_with_130_not_a_crash(tmp_path: Path) -> None:
    """Once ended crawls were freed, a second SIGINT (which stops the reactor
    under the crawls) left coroutines that CPython 3.11 crashed collecting at
    exit: SIGSEGV in about half the runs, after a correct summary."""
    portals = {
        f"s{n}": PortalServer("vnportal", extra_articles=150, latency=0.05).start()
        for n in range(6)
    }
    try:
        for attempt in range(3):
            data = tmp_path / str(attempt)
            data.mkdir()
            (data / "sites.toml").write_text(sites_toml(portals), encoding="utf-8")
            process = _start_crawl(data, "--all", "--workers", "1")
            _running_crawls(data, 6)
            process.send_signal(signal.SIGINT)
            time.sleep(0.02)
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=120)
            assert process.returncode == 130, stderr[-2000:]
            assert not list((data / "warc").glob("*/*.open"))
    finally:
        for server in portals.values():
            server.stop()


def test_a_killed_worker_is_reported_and_the_others_finish(
    slow_portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    (tmp_path / "sites.toml").write_text(sites_toml(slow_portals), encoding="utf-8")
    # Three sites, two workers: "second" has a worker of its own.
    process = _start_crawl(tmp_path, "first", "second", "third", "--workers", "2")
    pids = _running_crawls(tmp_path, 3)
    assert pids["first"] == pids["third"] != pids["second"] != process.pid
    os.kill(pids["second"], signal.SIGKILL)
    killed_at = datetime.now(UTC)
    stdout, stderr = process.communicate(timeout=240)
    time.sleep(1.5)  # whoever asks later: a killed crawl's time does not grow with it

    assert process.returncode == 1, stderr[-2000:]
    rows = _summary_rows(stdout)
    assert "killed" in rows["second"]
    assert "finished" in rows["first"] and "finished" in rows["third"]
    assert "dna crawl second --resume" in stderr
    listed = run_dna("crawls", "--json", data=tmp_path)
    status = {row["site"]: (row["status"], row["pid"]) for row in json.loads(listed.stdout)}
    assert status == {
        "first": ("finished", pids["first"]),
        "second": ("killed", pids["second"]),
        "third": ("finished", pids["third"]),
    }
    # It ran until its last capture, not until `dna crawls` was asked.
    (killed,) = [row for row in json.loads(listed.stdout) if row["site"] == "second"]
    started = datetime.fromisoformat(killed["started"])
    assert killed["duration_seconds"] <= (killed_at - started).total_seconds(), killed
    # The worker that finished left without the interpreter's teardown: its
    # log is whole all the same.
    (log,) = (tmp_path / "logs").glob("crawl-*-w1.log")
    assert log.read_text(encoding="utf-8").count("Spider closed (finished)") == 2

    resumed = run_dna("crawl", "second", "--resume", "--max-pages", "5", data=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resuming crawl #" in resumed.stdout
    assert not list((tmp_path / "warc").glob("*/*.open"))


def test_ctrl_c_stops_every_worker_cleanly(
    slow_portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    (tmp_path / "sites.toml").write_text(sites_toml(slow_portals), encoding="utf-8")
    process = _start_crawl(tmp_path, "--all", "--workers", "3")
    pids = _running_crawls(tmp_path, 3)
    assert len(set(pids.values())) == 3
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stderr[-2000:]
    assert all("interrupted" in row for row in _summary_rows(stdout).values())
    assert not list((tmp_path / "warc").glob("*/*.open"))  # every WARC closed and renamed
    warcs = list((tmp_path / "warc").glob("*/*.warc.gz"))
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, warcs)],
        capture_output=True,
        check=False,
    )
    assert check.returncode == 0
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    with store.session() as session:
        ended = {c.site.name: (c.status, c.reason) for c in session.scalars(select(Crawl))}
    store.close()
    assert ended == {name: ("interrupted", "shutdown") for name in slow_portals}


def test_workers_of_a_killed_parent_stop_and_close_their_files(
    slow_portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    """SIGKILL of dna itself (the OOM killer, a scheduler's hard stop) leaves no
    worker crawling on unseen: each stops as on Ctrl-C, files and rows closed."""
    (tmp_path / "sites.toml").write_text(sites_toml(slow_portals), encoding="utf-8")
    process = _start_crawl(tmp_path, "--all", "--workers", "3")
    pids = _running_crawls(tmp_path, 3)
    process.kill()
    process.communicate(timeout=30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids.values()):
        time.sleep(0.2)
    assert not [pid for pid in pids.values() if _alive(pid)], "workers outlived their parent"
    assert not list((tmp_path / "warc").glob("*/*.open"))
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    with store.session() as session:
        ended = {c.site.name: c.status for c in session.scalars(select(Crawl))}
    store.close()
    assert ended == dict.fromkeys(slow_portals, "interrupted")


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, reaped by init soon, does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
