"""Incremental, resumable and guarded crawls, against real portals and real processes.

Each test runs its own fixture portal, because the editor publishes and
revises articles on it between crawls.  The crawls that write articles run on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.archived import CrawlRun
from archive.database import sqlite_url
from archive.export import FIELDS
from archive.locks import PidLock
from archive.store import Store
from sampleportal import PortalServer
from tests.harness import DNA, TEST_CRAWLER_OPTIONS, run_dna, serve_pages, sites_toml

#: Fields of `dna export` that depend on what was archived, not on when.
CONTENT = tuple(
    name
    for name in FIELDS
    if name not in {"id", "first_seen", "last_seen", "fetched_at", "warc_file", "warc_offset"}
)


@pytest.fixture
def portal() -> Iterator[PortalServer]:
    with PortalServer("vnportal", extra_articles=60, seed=5) as server:
        yield server


@dataclass
class Archive:
    """A data directory and its database (SQLite in it, or a PostgreSQL database)."""

    path: Path
    db: str

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def dna(self, *args: str) -> subprocess.CompletedProcess:
        return run_dna(*args, "--db", self.db, data=self.path)

    def store(self) -> Store:
        return Store(self.db)


def setup_data(
    path: Path, portal: PortalServer, db: str | None = None, min_free_mb: int | None = None
) -> Archive:
    path.mkdir(parents=True, exist_ok=True)
    toml = sites_toml({"xa": portal})
    if min_free_mb is not None:
        toml = toml.replace("min_free_mb = 20", f"min_free_mb = {min_free_mb}")
    (path / "sites.toml").write_text(toml, encoding="utf-8")
    return Archive(path, db or sqlite_url(path / "archive.sqlite3"))


def crawl(data: Archive, *args: str) -> subprocess.CompletedProcess:
    result = data.dna("crawl", "xa", "--no-index", *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def exported(data: Archive) -> list[dict[str, object]]:
    result = data.dna("export")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return sorted(({key: row[key] for key in CONTENT} for row in rows), key=lambda r: r["url"])


def article_paths(portal: PortalServer) -> set[str]:
    return {url.removeprefix(portal.base_url.rstrip("/")) for url in portal.expected_articles()}


def crawl_runs(data: Archive) -> list[CrawlRun]:
    """The site's crawls, newest first."""
    store = data.store()
    try:
        return store.crawl_runs("xa")
    finally:
        store.close()


def test_new_mode_fetches_only_unseen_articles(
    portal: PortalServer, tmp_path: Path, database_url: str
) -> None:
    data = setup_data(tmp_path, portal, database_url)
    crawl(data)
    old = article_paths(portal)
    first_hits = len(portal.hits)
    assert old <= set(portal.hits)

    fresh = portal.publish(3)
    portal.hits.clear()
    result = crawl(data)

    # The three new articles are archived; no archived article was fetched again.
    urls = {row["url"] for row in exported(data)}
    assert set(fresh) <= urls
    assert not old & set(portal.hits)
    # Paging stopped at the first listing page holding only archived articles.
    assert len(portal.hits) < first_hits / 3
    assert "new" in result.stdout

    runs = crawl_runs(data)
    assert [(run.mode, run.status, run.articles_new) for run in runs] == [
        ("new", "finished", 3),
        ("new", "finished", len(old)),
    ]


def test_full_mode_keeps_old_versions_of_changed_articles(
    portal: PortalServer, tmp_path: Path, database_url: str
) -> None:
    data = setup_data(tmp_path, portal, database_url)
    crawl(data)
    url = next(iter(portal.expected_articles()))
    portal.revise(url, "Đính chính: số liệu được cập nhật theo báo cáo của Ủy ban nhân dân xã.")

    unchanged = crawl(data)  # new mode does not look at archived articles
    assert "Đính chính" not in next(r["body"] for r in exported(data) if r["url"] == url)
    assert unchanged.returncode == 0
    crawl(data, "--mode", "full")

    latest = next(row for row in exported(data) if row["url"] == url)
    assert "Đính chính" in latest["body"]
    shown = data.dna("show", url, "--versions")
    assert shown.returncode == 0, shown.stderr
    assert "Versions (2)" in shown.stdout
    assert shown.stdout.count("Đính chính") >= 1
    runs = crawl_runs(data)
    assert (runs[0].mode, runs[0].articles_updated) == ("full", 1)
    # Search shows the latest version.
    assert data.dna("index").returncode == 0
    found = data.dna("search", "đính chính số liệu", "--json")
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert [hit["url"] for hit in hits] == [url]


def test_a_killed_crawl_resumes_to_the_same_archive(
    portal: PortalServer, tmp_path: Path, database_url: str
) -> None:
    baseline = setup_data(tmp_path / "baseline", portal)  # SQLite: the reference
    crawl(baseline)
    expected = exported(baseline)
    assert len(expected) == len(portal.expected_articles())

    portal.hits.clear()
    portal.latency = 0.05  # slow enough to kill half-way
    data = setup_data(tmp_path / "killed", portal, database_url)
    process = subprocess.Popen(
        [DNA, "crawl", "xa", "--no-index", "--data", str(data), "--db", data.db],
        cwd=data,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(portal.hits) < 60 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before_kill = list(portal.hits)

    open_files = list((data / "warc" / "xa").glob("*.warc.gz.open"))
    assert len(open_files) == 1, "the killed crawl left its WARC file open"
    with open(open_files[0], "rb") as handle:  # readable as it stands
        recorded = {
            record.rec_headers.get_header("WARC-Target-URI")
            for record in ArchiveIterator(handle)
            if record.rec_type in ("response", "revisit")
        }
    assert len(recorded) >= 20
    assert crawl_runs(data)[0].is_resumable
    # Killed just as it rotated: its next file created, nothing written to it yet.
    empty = open_files[0].with_name(open_files[0].name.replace("-00001-", "-00002-"))
    empty.touch()

    portal.latency = 0
    portal.hits.clear()
    resumed = crawl(data, "--resume")

    assert "Resuming crawl #1" in resumed.stdout
    assert f"{empty.name}: empty; removed" in " ".join((resumed.stdout + resumed.stderr).split())
    assert exported(data) == expected
    refetched = {portal.url(path) for path in portal.hits}
    assert not refetched & recorded, "the resume fetched archived pages again"
    assert len(before_kill) + len(portal.hits) < 1.5 * len(set(before_kill) | set(portal.hits))
    assert not list((data / "warc" / "xa").glob("*.open"))
    runs = crawl_runs(data)
    assert [(run.status, run.resumes) for run in runs] == [("finished", 1), ("interrupted", None)]
    assert runs[1].reason == "killed" and runs[1].started_at < runs[1].ended_at
    # What the killed crawl archived is counted on its row, recovered from its
    # WARC files: the two rows add up to the archive.
    assert runs[1].pages >= len(recorded) and runs[1].articles_new > 0
    assert runs[0].articles_new + runs[1].articles_new == len(expected)
    verify = data.dna("verify")
    assert verify.returncode == 0, verify.stderr


def test_a_live_lock_is_respected_and_a_stale_one_cleared(
    portal: PortalServer, tmp_path: Path
) -> None:
    data = setup_data(tmp_path, portal)
    lock_file = data / "locks" / "crawl-xa.lock"
    with PidLock(lock_file):
        busy = data.dna("crawl", "xa")
    assert busy.returncode == 1
    assert f"being crawled by process {os.getpid()}" in busy.stderr
    assert not (data / "warc").exists()

    # A lock written by a process that has since died.
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock_file.write_text(json.dumps({"host": os.uname().nodename, "pid": dead.pid}))
    cleared = crawl(data, "--max-pages", "5")
    assert f"Cleared the stale lock of xa: process {dead.pid}" in " ".join(cleared.stderr.split())
    assert not lock_file.exists()


def test_a_nearly_full_disk_stops_the_crawl_cleanly(portal: PortalServer, tmp_path: Path) -> None:
    data = setup_data(tmp_path, portal, min_free_mb=100000000)
    result = data.dna("crawl", "xa")
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "MB free on the disk of" in message and "min_free_mb = 100000000" in message
    assert not list((data / "warc").glob("*/*.open")), "WARC files were closed"
    run = crawl_runs(data)[0]
    assert (run.status, run.reason) == ("interrupted", "disk_full")


def test_bad_mode_is_a_usage_error(portal: PortalServer, tmp_path: Path) -> None:
    data = setup_data(tmp_path, portal)
    result = data.dna("crawl", "xa", "--mode", "everything")
    assert result.returncode == 2
    assert "everything" in result.stderr


def test_crawls_lists_runs(portal: PortalServer, tmp_path: Path, database_url: str) -> None:
    data = setup_data(tmp_path, portal, database_url)
    crawl(data, "--max-pages", "10")
    crawl(data, "--mode", "full", "--max-pages", "10")
    result = data.dna("crawls", "--json")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    assert [(run["site"], run["mode"], run["status"]) for run in runs] == [
        ("xa", "full", "finished"),
        ("xa", "new", "finished"),
    ]
    # --max-pages is a hard limit (robots.txt and feeds count too).
    assert all(0 < run["pages"] <= 10 and run["duration_seconds"] > 0 for run in runs)
    table = data.dna("crawls", "--site", "xa")
    assert "full" in table.stdout and "finished" in table.stdout
    assert data.dna("crawls", "--site", "nope").returncode == 2  # unknown site: a usage error


def _page(title: str, inner: str) -> tuple[int, bytes]:
    return 200, f"<html><head><title>{title}</title></head><body>{inner}</body></html>".encode()


def test_a_new_crawl_fetches_no_archived_article_whatever_links_to_it(tmp_path: Path) -> None:
    """Reached from a search page, whose links the crawl does not take for
    articles by their shape, or through a shortlink redirecting to it
    (WordPress's /?p=103), every archived article of a WordPress portal was
    fetched again by each `new` crawl."""
    story = "".join(
        f"<p>Sáng ngày {day}/5, Ủy ban nhân dân xã tổ chức hội nghị, đánh giá kết quả đạt "
        "được trong năm và đề ra nhiệm vụ trọng tâm cho thời gian tới.</p>"
        for day in (2, 3, 4)
    )
    articles = {
        f"/trang/{slug}/": _page(
            title, f"<div class='noidung'><h1>{title}</h1><p>Đăng ngày 02/05/2025</p>{story}</div>"
        )
        for slug, title in (("mot", "Hội nghị tổng kết năm"), ("hai", "Lễ ra quân đầu xuân"))
    }
    links = "".join(f'<a href="{path}">{path}</a> ' for path in articles)
    pages = {
        "/": _page("Xã", '<a href="/tim-kiem?q=x">Tìm kiếm</a> <a href="/?p=2">Tin mới</a>'),
        "/tim-kiem?q=x": _page("Tìm kiếm", links),
        "/?p=2": (301, b"/trang/hai/"),
        **articles,
    }
    server, asked = serve_pages(pages)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        (tmp_path / "sites.toml").write_text(
            f'{TEST_CRAWLER_OPTIONS}\n[[site]]\nname = "xa"\nstart_urls = ["{base}/"]\n',
            encoding="utf-8",
        )
        first = run_dna("crawl", "xa", "--no-index", data=tmp_path)
        assert first.returncode == 0, first.stderr
        assert all(path in asked for path in articles)
        [run] = json.loads(run_dna("crawls", "--json", data=tmp_path).stdout)
        assert run["articles_new"] == 2
        asked.clear()
        second = run_dna("crawl", "xa", "--no-index", "--mode", "new", data=tmp_path)
        assert second.returncode == 0, second.stderr
    finally:
        server.shutdown()
    assert "/tim-kiem?q=x" in asked and "/?p=2" in asked
    assert not [path for path in asked if path in articles]
