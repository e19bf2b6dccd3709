"""``dna crawl --frontier``: workers sharing one Redis frontier and one PostgreSQL database.

Real parts throughout: a redis-server and a PostgreSQL database of the test's
own, a fixture portal over HTTP, and two ``dna crawl`` processes started together.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.engine import make_url
from warcio.archiveiterator import ArchiveIterator

from archive.database import sqlite_url
from archive.models import Capture, Crawl
from archive.store import Store
from sampleportal import PortalServer
from tests.harness import DNA, run_dna, sites_toml
from tests.services import finished, free_port, postgres_database, redis_server, wait_until
from tests.warcrecords import answers

SITE = "xa"


@pytest.fixture(scope="module")
def portal() -> PortalServer:
    """A portal slow enough (10 ms a response) that two workers both get a share."""
    with PortalServer("vnportal", latency=0.01, extra_articles=60) as server:
        yield server


def start_worker(data: Path, frontier: str, database: str) -> subprocess.Popen:
    env = dict(os.environ, COLUMNS="200")
    for name in ("DNA_HOME", "DNA_SITES", "DNA_DATABASE_URL"):
        env.pop(name, None)
    args = ["crawl", SITE, "--no-index", "--frontier", frontier, "--db", database]
    return subprocess.Popen(
        [DNA, *args, "--data", str(data)],
        cwd=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_workers_archive_every_article_exactly_once(
    portal: PortalServer, redis_url: str, postgres_server: str, tmp_path: Path
) -> None:
    # One data directory, as shared storage would be: file names keep workers apart.
    data = tmp_path / "data"
    data.mkdir()
    (data / "sites.toml").write_text(sites_toml({SITE: portal}), encoding="utf-8")
    with postgres_database(postgres_server) as database:
        workers = [start_worker(data, redis_url, database) for _ in range(2)]
        finished(workers)

        store = Store(database)
        try:
            articles = {article.url for article in store.articles()}
            assert articles == set(portal.expected_articles())
            with store.session() as session:
                crawls = session.scalars(select(Crawl)).all()
                fetched = Counter(session.scalars(select(Capture.url).where(Capture.status == 200)))
            assert len(crawls) == 2 and all(c.status == "finished" for c in crawls)
            assert {crawl.pid for crawl in crawls} == {worker.pid for worker in workers}
            assert all(crawl.pages > 0 for crawl in crawls), "one worker did all the work"
            # robots.txt is each worker's own; every other page is fetched once in all.
            repeated = {url: n for url, n in fetched.items() if n > 1}
            assert set(repeated) <= {portal.url("/robots.txt")}
        finally:
            store.close()

    warcs = sorted((data / "warc").rglob("*.warc.gz"))
    pids = {str(worker.pid) for worker in workers}
    assert {name.name.split("-")[-1].split("~")[0] for name in warcs} == pids
    archived = Counter(
        stored.uri
        for path in warcs
        for stored in answers(path)
        if stored.status == "200" and stored.uri in articles
    )
    assert archived == dict.fromkeys(articles, 1)
    # Each worker's case probe is its own: taken by the other, it taught that
    # one, and every request here waiting for the answer waited 30 s.
    probes = {path.name: fetched_for(path, "probe") for path in warcs}
    assert all(probes.values()), probes
    # The last worker out ended the run: the next crawl starts afresh.
    assert redis.Redis.from_url(redis_url).keys("dna:*") == []


def fetched_for(warc: Path, reason: str) -> int:
    """How many fetches ``warc`` holds whose metadata record gives ``reason``."""
    with open(warc, "rb") as stream:
        return sum(
            f"fetchReason: {reason}\r\n".encode() in record.content_stream().read()
            for record in ArchiveIterator(stream)
            if record.rec_type == "metadata"
        )


def test_unreachable_frontier_or_database_is_one_line_without_password(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "sites.toml").write_text(
        '[[site]]\nname = "xa"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8"
    )
    frontier = f"redis://:s3cret@127.0.0.1:{port}/0"
    result = run_dna("crawl", "xa", "--frontier", frontier, data=tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"redis://:***@127.0.0.1:{port}/0 is unreachable" in line
    assert "s3cret" not in result.stdout + result.stderr

    database = f"postgresql+psycopg://dna:s3cret@127.0.0.1:{port}/dna"
    given = tmp_path / "given.warc"  # restore opens the archive once it has an input
    given.write_bytes(b"WARC/1.1\r\n")
    for command in (["crawl", "xa"], ["restore", str(given)], ["export"]):
        result = run_dna(*command, "--db", database, data=tmp_path)
        assert result.returncode == 1, command
        [line] = result.stderr.splitlines()
        assert f"cannot open database postgresql+psycopg://dna:***@127.0.0.1:{port}/dna" in line
        assert "s3cret" not in result.stdout + result.stderr
    assert not list(tmp_path.rglob("*.warc.gz*"))


def slow_site(data: Path, portal: PortalServer) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / "sites.toml").write_text(sites_toml({SITE: portal}), encoding="utf-8")


def fetching(data: Path) -> None:
    """Wait until a worker writes WARC records: its spider is open and crawling."""
    wait_until(
        lambda: any(path.stat().st_size > 50_000 for path in data.rglob("*.warc.gz.open")),
        "a crawl writing WARC",
        timeout=90,  # a worker's start-up (Scrapy, the database, Redis) is slow on a busy machine
    )


def stopped_with(worker: subprocess.Popen, expected: str) -> str:
    """The one-line error of a worker stopped because a server went away."""
    stdout, stderr = worker.communicate(timeout=120)
    assert worker.returncode == 1, stdout + stderr
    assert "Traceback" not in stdout + stderr
    [line] = stderr.splitlines()
    assert expected in line
    assert "s3cret" not in line
    return line


def crawling(tmp_path: Path, portal: PortalServer, frontier: str) -> tuple[Path, subprocess.Popen]:
    """A worker crawling ``portal`` on ``frontier`` into SQLite, once it writes WARC."""
    data = tmp_path / "data"
    slow_site(data, portal)
    worker = start_worker(data, frontier, sqlite_url(data / "archive.sqlite3"))
    fetching(data)
    return data, worker


def test_redis_gone_mid_crawl_stops_it_and_keeps_what_was_fetched(tmp_path: Path) -> None:
    with PortalServer("vnportal", latency=0.1, extra_articles=300) as portal:
        with redis_server(tmp_path / "redis") as frontier:
            data, worker = crawling(tmp_path, portal, frontier)
        stopped_with(worker, f"frontier {frontier} is unreachable")
    assert not list(data.rglob("*.open")), "a WARC file was left open"
    verify = run_dna("verify", data=data)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    store = Store(sqlite_url(data / "archive.sqlite3"))
    assert store.counts()["articles"] > 0
    store.close()


def crawling_one_at_a_time(
    data: Path, first: PortalServer, second: PortalServer, *options: str
) -> subprocess.Popen:
    """``dna crawl --all`` of two sites one at a time, once the first writes WARC:
    the second is waiting."""
    data.mkdir()
    toml = sites_toml({"first": first, "second": second}, crawler="sites_at_once = 1\n")
    (data / "sites.toml").write_text(toml, encoding="utf-8")
    worker = subprocess.Popen(
        [DNA, "crawl", "--all", "--workers", "1", "--no-index", *options, "--data", str(data)],
        cwd=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={key: value for key, value in os.environ.items() if not key.startswith("DNA_")},
    )
    fetching(data)
    return worker


def test_a_frontier_gone_with_sites_waiting_says_how_to_go_on_in_its_one_line(
    tmp_path: Path,
) -> None:
    """The sites still waiting are not started, and the one error line says
    what to do once the server is back: it used to say only that it was gone."""
    data = tmp_path / "data"
    with (
        PortalServer("vnportal", latency=0.1, extra_articles=300) as first,
        PortalServer("vnportal") as second,
    ):
        with redis_server(tmp_path / "redis") as frontier:
            database = sqlite_url(data / "archive.sqlite3")
            worker = crawling_one_at_a_time(
                data, first, second, "--frontier", frontier, "--db", database
            )
        line = stopped_with(worker, f"frontier {frontier} is unreachable")
    assert line.endswith(
        "; once it is back, continue with: the same command again (the frontier keeps what is left)"
    )
    store = Store(sqlite_url(data / "archive.sqlite3"))
    with store.session() as session:
        assert [crawl.site.name for crawl in session.scalars(select(Crawl))] == ["first"]
    store.close()


def test_ctrl_c_of_a_shared_crawl_says_to_run_it_again_not_to_resume(tmp_path: Path) -> None:
    """It said 'Continue with: dna crawl SITE --resume', which --frontier refuses."""
    with (
        PortalServer("vnportal", latency=0.1, extra_articles=300) as portal,
        redis_server(tmp_path / "redis") as frontier,
    ):
        _, worker = crawling(tmp_path, portal, frontier)
        worker.send_signal(signal.SIGINT)
        _, stderr = worker.communicate(timeout=120)
    assert worker.returncode == 130, stderr
    assert "Continue with: the same command again (the frontier keeps what is left)" in stderr
    assert "--resume" not in stderr


def test_database_gone_mid_crawl_stops_it_and_keeps_the_warcs(
    postgres_server: str, redis_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with PortalServer("vnportal", latency=0.1, extra_articles=300) as portal:
        slow_site(data, portal)
        with postgres_database(postgres_server) as database:
            worker = start_worker(data, redis_url, database)
            fetching(data)
        safe = make_url(database).render_as_string(hide_password=True)
        stopped_with(worker, f"database {safe} is unreachable")
    assert not list(data.rglob("*.open")), "a WARC file was left open"
    # Everything fetched is in WARC: a restore into a new database brings the articles back.
    with postgres_database(postgres_server) as database:
        restore = run_dna("restore", str(data / "warc"), "--db", database, "--no-index", data=data)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        store = Store(database)
        assert store.counts()["articles"] > 0
        store.close()


def test_a_database_gone_mid_run_names_the_site_it_stopped_and_those_waiting(
    postgres_server: str, tmp_path: Path
) -> None:
    """The site crawling when the database went is 'failed' (its crawl cannot
    be finished in the database), yet it is the one with something to resume:
    the error line named only the sites waiting."""
    with (
        PortalServer("vnportal", latency=0.1, extra_articles=300) as first,
        PortalServer("vnportal") as second,
    ):
        with postgres_database(postgres_server) as database:
            worker = crawling_one_at_a_time(tmp_path / "data", first, second, "--db", database)
        safe = make_url(database).render_as_string(hide_password=True)
        line = stopped_with(worker, f"database {safe} is unreachable")
    assert line.endswith("; once it is back, continue with: dna crawl first second --resume")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://u:pw@127.0.0.1:6379/0", "redis://u:***@127.0.0.1:6379/0"),
        ("redis://:pw@[::1]:6379/0", "redis://:***@[::1]:6379/0"),
    ],
)
def test_a_redis_password_never_shows_and_the_address_does(url: str, shown: str) -> None:
    from crawler.frontier.redis import safe_redis_url

    assert safe_redis_url(url) == shown
