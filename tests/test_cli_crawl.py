"""The archivist's commands as users run them: sites, crawl, export, scrapy crawl."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from archive.models import Crawl
from archive.store import Store
from dna.cli import main
from sampleportal import PortalServer
from tests.harness import (
    TEST_CRAWLER_OPTIONS,
    Harvest,
    run_dna,
    serve_pages,
    sites_toml,
    subcommands,
)
from tests.warcrecords import answers

REPO = Path(__file__).resolve().parent.parent


def test_crawl_without_sites_is_a_usage_error(tmp_path: Path) -> None:
    result = run_dna("crawl", data=tmp_path)
    assert result.returncode == 2
    assert "name at least one SITE, or use --all" in result.stderr
    result = run_dna("crawl", "x", "--max-pages", "0", data=tmp_path)
    assert result.returncode == 2


def test_an_unknown_site_is_a_usage_error_that_names_the_known_ones(
    portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    (tmp_path / "sites.toml").write_text(
        sites_toml({"vnportal": portals["vnportal"]}), encoding="utf-8"
    )
    result = run_dna("crawl", "vnportal", "nope", data=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Error: unknown site 'nope'; known: vnportal")
    # Nothing made: not the WARC folder, nor an empty archive asked whether it knew 'nope'.
    assert not (tmp_path / "warc").exists()
    assert not (tmp_path / "archive.sqlite3").exists()


def test_crawl_all_with_an_invalid_entry_crawls_the_rest_and_exits_1(tmp_path: Path) -> None:
    """A cron job reads the exit status alone: a site left out of --all by a
    typo in its entry must show there, not only in a line of stderr."""
    pages = {"/robots.txt": (404, b""), "/": (200, "<p>Trang chủ</p>".encode())}
    server, asked = serve_pages(pages)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        (tmp_path / "sites.toml").write_text(
            f'{TEST_CRAWLER_OPTIONS}[[site]]\nname = "good"\nstart_urls = ["{url}"]\n'
            '[[site]]\nname = "typo"\nstart_urls = ["http://127.0.0.1:9/"]\nshedule = "@daily"\n',
            encoding="utf-8",
        )
        result = run_dna("crawl", "--all", "--no-index", data=tmp_path)
    finally:
        server.shutdown()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "/" in asked
    assert "site 'typo': unknown key 'shedule'" in result.stderr
    assert "1 problem(s) in" in result.stderr and "left entries out of --all" in result.stderr


def test_naming_an_invalid_entry_says_what_is_wrong_with_it(tmp_path: Path) -> None:
    """Not "unknown site": the entry is there, and its line says why it cannot be crawled."""
    (tmp_path / "sites.toml").write_text(
        '[[site]]\nname = "xa-a"\nstart_urls = ["http://127.0.0.1:9/"]\nschedule = "61 * * * *"\n',
        encoding="utf-8",
    )
    result = run_dna("crawl", "xa-a", data=tmp_path)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith(f"Error: {tmp_path / 'sites.toml'}:4: site 'xa-a': invalid cron")
    assert "unknown site" not in message and len(message.splitlines()) == 1
    assert not (tmp_path / "warc").exists()


def test_crawling_a_site_known_only_to_the_archive_says_how_to_add_it(tmp_path: Path) -> None:
    """Taken out of sites.toml (or restored from WARC files alone): not "unknown"."""
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    store.site_id("xa-cu", title="Xã cũ", family="generic")
    store.close()
    (tmp_path / "sites.toml").write_text(TEST_CRAWLER_OPTIONS, encoding="utf-8")
    result = run_dna("crawl", "xa-cu", data=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Error: site 'xa-cu' is in the archive but not in {tmp_path / 'sites.toml'}: "
        "add it again to crawl it (dna sites add xa-cu URL)"
    )
    result = run_dna("crawl", "xa-moi", data=tmp_path)
    assert result.stderr.strip() == (
        f"Error: unknown site 'xa-moi'; no sites in {tmp_path / 'sites.toml'} yet "
        "(dna sites add NAME URL)"
    )


def test_unreachable_sites_and_invalid_entries_do_not_stop_the_others(
    portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    extra = (
        '\n[[site]]\nname = "unreachable"\nstart_urls = ["http://127.0.0.1:9/"]\n'
        '\n[[site]]\nname = "Broken Name"\nstart_urls = ["http://127.0.0.1:9/"]\n'
    )
    (tmp_path / "sites.toml").write_text(
        sites_toml({"vnportal": portals["vnportal"]}, extra), encoding="utf-8"
    )
    result = run_dna("crawl", "vnportal", "unreachable", "--max-pages", "8", data=tmp_path)
    assert result.returncode == 1
    assert "unsafe name" in result.stderr and "sites.toml:" in result.stderr
    summary = result.stdout.split("Crawl summary")[1].split("Failed pages")[0]
    rows = {line.split()[0]: line for line in summary.splitlines()[2:] if line.strip()}
    assert "finished" in rows["vnportal"]
    assert "failed" in rows["unreachable"]
    assert "ConnectionRefusedError" in result.stdout or "Connection was refused" in result.stdout
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    with store.session() as session:
        ended = {c.site.name: (c.status, c.reason) for c in session.scalars(select(Crawl))}
    # --max-pages is a hard limit on the requests the portal receives, robots.txt
    # included: in-flight requests count, so the WARC never holds more answers.
    recorded = [
        answer
        for path in (tmp_path / "warc" / "vnportal").glob("*.warc.gz")
        for answer in answers(path)
    ]
    assert 0 < len(recorded) <= 8
    assert "page budget: stopped at 8 requests sent (max_pages)" in result.stdout
    assert ended == {
        "vnportal": ("finished", "closespider_pagecount"),
        "unreachable": ("failed", "finished"),
    }
    assert store.counts()["articles"] < len(portals["vnportal"].expected_articles())
    store.close()


def test_scrapy_crawl_is_the_same_crawl(portals: dict[str, PortalServer], tmp_path: Path) -> None:
    (tmp_path / "sites.toml").write_text(sites_toml({"vnportal": portals["vnportal"]}), "utf-8")
    env = dict(os.environ, DNA_HOME=str(tmp_path))
    env.pop("DNA_SITES", None)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "scrapy"), "crawl", "portal", "-a", "site=vnportal"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    assert {a.url for a in store.articles()} == set(portals["vnportal"].expected_articles())
    store.close()
    assert list((tmp_path / "warc" / "vnportal").glob("*.warc.gz"))


def test_unknown_site_in_scrapy_crawl_says_so(tmp_path: Path) -> None:
    env = dict(os.environ, DNA_HOME=str(tmp_path))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "scrapy"), "crawl", "portal", "-a", "site=nope"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "unknown site 'nope'" in result.stderr


def crawling(data: Path, portal: PortalServer, warc_bytes: int) -> subprocess.Popen:
    """``dna crawl slow`` of ``portal``, once its open WARC file holds ``warc_bytes``."""
    (data / "sites.toml").write_text(sites_toml({"slow": portal}), encoding="utf-8")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dna"), "crawl", "slow", "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        opened = list((data / "warc").glob("*/*.open"))
        if opened and opened[0].stat().st_size > warc_bytes:
            break
        time.sleep(0.1)
    return process


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    with PortalServer("vnportal", extra_articles=400, latency=0.05) as portal:
        process = crawling(tmp_path, portal, 50_000)
        database = tmp_path / "archive.sqlite3"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr[-2000:]
    assert "interrupted" in stdout
    assert not list((tmp_path / "warc").glob("*/*.open"))  # closed and renamed
    warcs = list((tmp_path / "warc").glob("*/*.warc.gz"))
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, warcs)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0
    store = Store(f"sqlite:///{database}")
    with store.session() as session:
        [crawl] = session.scalars(select(Crawl)).all()
        assert (crawl.status, crawl.reason) == ("interrupted", "shutdown")
    articles = list(store.articles())
    assert 0 < len(articles) < 400
    store.close()


def test_a_second_ctrl_c_stops_at_once_and_still_closes_the_warc_files(tmp_path: Path) -> None:
    """Scrapy's second SIGINT stops without closing spiders: dna closes them after."""
    with PortalServer("vnportal", latency=0.3) as portal:
        process = crawling(tmp_path, portal, 5_000)
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)  # requests are in flight for 0.3 s: the first stop is still waiting
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr[-2000:]
        assert stderr.strip().splitlines() == [
            "Interrupted: what was fetched is kept. Continue with: dna crawl slow --resume"
        ]
        assert "interrupted" in stdout and "finished" not in stdout
        assert not list((tmp_path / "warc").glob("*/*.open"))
        verified = run_dna("verify", data=tmp_path)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        crawls = run_dna("crawls", data=tmp_path)
        assert "interrupted (forced shutdown)" in crawls.stdout
        store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
        with store.session() as session:
            [crawl] = session.scalars(select(Crawl)).all()
            kept = store.counts()["captures"]
        store.close()
        assert crawl.pages > 0 and kept > 0
        resumed = run_dna("crawl", "slow", "--resume", "--max-pages", "5", data=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming crawl #{crawl.id} of slow" in resumed.stdout


def test_sites_add_detects_family_and_lists(
    portals: dict[str, PortalServer], tmp_path: Path
) -> None:
    runner = CliRunner()
    data = ["--data", str(tmp_path)]
    for family in ("liferay", "tandan", "nukeviet", "vnportal"):
        result = runner.invoke(
            main, ["sites", "add", f"xa-{family}", portals[family].base_url, *data]
        )
        assert result.exit_code == 0, result.output
        assert f"Added xa-{family} ({family})" in result.output
    result = runner.invoke(main, ["sites", "add", "xa-liferay", portals["liferay"].base_url, *data])
    assert result.exit_code == 2 and "already" in result.output
    result = runner.invoke(
        main, ["sites", "add", "../x", "http://a.vn/", "--family", "auto", *data]
    )
    assert result.exit_code == 2 and "unsafe name" in result.output
    # The same portal under a second name would be crawled twice, its history split.
    again = portals["tandan"].base_url.replace("http://", "HTTP://").rstrip("/") + "#top"
    result = runner.invoke(main, ["sites", "add", "xa-again", again, "--family", "auto", *data])
    assert result.exit_code == 2, result.output
    assert "where site 'xa-tandan' starts already" in " ".join(result.output.split())
    result = runner.invoke(
        main,
        ["sites", "add", "xa-frag", "http://127.0.0.1:9/tin-tuc#top", "--family", "auto", *data],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["sites", *data])
    assert result.exit_code == 0
    for family in ("liferay", "tandan", "nukeviet", "vnportal"):
        assert f"xa-{family}" in result.output
    text = (tmp_path / "sites.toml").read_text(encoding="utf-8")
    assert 'start_urls = ["http://127.0.0.1:9/tin-tuc"]' in text  # a #fragment is no other page
    # The origin includes the port: other ports of the host are other sites.
    port = portals["liferay"].base_url.rstrip("/").rsplit(":", 1)[1]
    assert f'allowed_domains = ["127.0.0.1:{port}"]' in text


def test_sites_reports_bad_entries_with_lines(tmp_path: Path) -> None:
    text = (
        TEST_CRAWLER_OPTIONS + '\n[[site]]\nname = "ok"\nstart_urls = ["http://a.vn/"]\n'
        '\n[[site]]\nname = "bad"\nstart_urls = ["http://b.vn/"]\narticle_pattern = "(["\n'
    )
    (tmp_path / "sites.toml").write_text(text, encoding="utf-8")
    line = text.splitlines().index('article_pattern = "(["') + 1
    result = CliRunner().invoke(main, ["sites", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert "ok" in result.output
    assert f"{tmp_path / 'sites.toml'}:{line}: site 'bad': invalid regex in article_pattern" in (
        result.output.replace("\n", "")
    )


def test_export_jsonl_and_csv(harvest: Harvest) -> None:
    runner = CliRunner()
    data = ["--data", str(harvest.data)]
    result = runner.invoke(main, ["export", *data])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == sum(len(p.expected_articles()) for p in harvest.portals.values())
    assert {
        "url",
        "site",
        "title",
        "published",
        "published_source",
        "author",
        "summary",
        "body",
        "captions",
        "views",
        "category",
        "warc_file",
        "warc_offset",
    } <= set(rows[0])
    result = runner.invoke(main, ["export", "--format", "csv", "--site", "tandan", *data])
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == len(harvest.portals["tandan"].expected_articles())
    assert {row["site"] for row in table} == {"tandan"}
    result = runner.invoke(main, ["export", "--format", "xml", *data])
    assert result.exit_code == 2
    # "-o -" is stdout, as for every Unix tool (it wrote a file named "-").
    result = runner.invoke(main, ["export", "--site", "tandan", "-o", "-", *data])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == len(harvest.portals["tandan"].expected_articles())
    assert "as jsonl to stdout" in result.stderr
    # Every version: one crawl made one of each article, the current one.
    result = runner.invoke(main, ["export", "--versions", "--site", "tandan", *data])
    assert result.exit_code == 0, result.output
    versions = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(versions) == len(harvest.portals["tandan"].expected_articles())
    assert {(row["version"], row["current"]) for row in versions} == {(1, True)}
    assert "version(s) of articles as jsonl" in result.stderr


def test_export_to_a_csv_file_writes_csv_and_replaces_the_file_whole(
    harvest: Harvest, tmp_path: Path
) -> None:
    """``-o thanh-lien.csv`` wrote JSON Lines into a .csv file unless --format said csv."""
    runner = CliRunner()
    data = ["--data", str(harvest.data)]
    target = tmp_path / "tandan.csv"
    target.write_text("an older export\n", encoding="utf-8")
    result = runner.invoke(main, ["export", "--site", "tandan", "-o", str(target), *data])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert len(table) == len(harvest.portals["tandan"].expected_articles())
    assert f"as csv to {target}" in result.stderr
    assert list(tmp_path.iterdir()) == [target]  # no .part left beside it
    jsonl = tmp_path / "tandan.jsonl"
    assert (
        runner.invoke(main, ["export", "--site", "tandan", "-o", str(jsonl), *data]).exit_code == 0
    )
    assert json.loads(jsonl.read_text(encoding="utf-8").splitlines()[0])["site"] == "tandan"
    result = runner.invoke(main, ["export", "-o", str(tmp_path / "no-such-dir" / "x.csv"), *data])
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"Error: cannot write {tmp_path / 'no-such-dir' / 'x.csv'}: No such file or directory"
    )


def test_export_writes_into_pipes_and_never_through_a_planted_part_file(
    harvest: Harvest, tmp_path: Path
) -> None:
    """Found by an export consumer's probe: -o renamed FILE.part onto FILE
    whatever FILE was (a reader's pipe got nothing, a device became a plain
    file, a private file became world-readable), a symlink planted at
    FILE.part had its target overwritten, and -o "" was 'a bug in dna'."""
    data = ["--data", str(harvest.data)]
    expected = len(harvest.portals["tandan"].expected_articles())
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    reader = subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE)
    try:
        result = CliRunner().invoke(main, ["export", "--site", "tandan", "-o", str(pipe), *data])
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(pipe.stat().st_mode)
        read, _ = reader.communicate(timeout=60)
        assert len(read.splitlines()) == expected
    finally:
        reader.kill()
        reader.wait()
    private = tmp_path / "private.csv"
    private.write_text("older\n", encoding="utf-8")
    private.chmod(0o600)
    victim = tmp_path / "victim"
    victim.write_text("not yours\n", encoding="utf-8")
    (tmp_path / "private.csv.part").symlink_to(victim)
    result = CliRunner().invoke(main, ["export", "--site", "tandan", "-o", str(private), *data])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert len(private.read_text(encoding="utf-8").splitlines()) > expected
    assert victim.read_text(encoding="utf-8") == "not yours\n"
    fresh = tmp_path / "fresh.jsonl"
    result = CliRunner().invoke(main, ["export", "--site", "tandan", "-o", str(fresh), *data])
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask  # as open() makes it
    result = CliRunner().invoke(main, ["export", "-o", "", *data])
    assert (result.exit_code, result.output.strip()) == (
        2,
        "Error: -o needs a file name (or - for stdout)",
    )
    result = CliRunner().invoke(main, ["export", "--site", "tandan", "--site", "generic", *data])
    assert result.exit_code == 2 and "given 2 times" in result.output


@pytest.mark.parametrize("command", sorted(subcommands(main)))
def test_every_command_has_help_with_an_example_and_is_documented(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output or "Examples:" in result.output
    if command != "completion":  # the only command that does not touch an archive
        assert "--data" in result.output and "--sites" in result.output
    manual = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    assert f"### `dna {command}" in manual, f"docs/commands.md has no section for dna {command}"


MANY_SITES = 24


def _serve_many(count: int) -> tuple[list, str]:
    """``count`` small portals on loopback, and the sites.toml that names them all."""
    article = "<p>" + "Nội dung bài viết về xã. " * 40 + "</p>"
    pages = {
        "/": (200, b"<title>Trang chu</title><a href='/tin/bai-1.html'>1</a>"),
        "/tin/bai-1.html": (200, f"<title>Bai 1</title><h1>Bài 1</h1>{article}".encode()),
    }
    servers = [serve_pages(pages)[0] for _ in range(count)]
    blocks = [TEST_CRAWLER_OPTIONS]
    blocks += [
        f'[[site]]\nname = "xa-{n}"\nstart_urls = ["http://127.0.0.1:{s.server_address[1]}/"]\n'
        for n, s in enumerate(servers)
    ]
    return servers, "\n".join(blocks)


def _open_files(soft: int, hard: int | None = None) -> Callable[[], None]:
    def limit() -> None:
        _, current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard or current_hard))

    return limit


def test_many_sites_under_a_low_soft_limit_of_open_files_are_all_crawled(tmp_path: Path) -> None:
    """A crawl keeps ~8 files open a site: under a soft limit of 1,024, 244 of 300
    portals failed with "Too many open files".  The soft limit is raised to the hard one."""
    servers, toml = _serve_many(MANY_SITES)
    try:
        (tmp_path / "sites.toml").write_text(toml, encoding="utf-8")
        result = run_dna(
            "crawl", "--all", "--workers", "1", "--no-index",
            data=tmp_path, preexec_fn=_open_files(128), timeout=300,
        )  # fmt: skip
    finally:
        for server in servers:
            server.shutdown()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Too many open files" not in result.stdout + result.stderr
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    try:
        runs = store.latest_crawls()
    finally:
        store.close()
    assert len(runs) == MANY_SITES and {run.status for run in runs.values()} == {"finished"}


def test_a_hard_limit_too_low_for_the_sites_is_an_error_before_the_crawl(
    tmp_path: Path,
) -> None:
    """Out of files, sites failed at random, and a crawl of 24 sites under 128 hung."""
    blocks = [
        f'[[site]]\nname = "xa-{n}"\nstart_urls = ["http://127.0.0.1:9/"]\n' for n in range(24)
    ]
    (tmp_path / "sites.toml").write_text(
        "\n".join([TEST_CRAWLER_OPTIONS, *blocks]), encoding="utf-8"
    )
    result = run_dna(
        "crawl", "--all", "--workers", "1", "--no-index",
        data=tmp_path, preexec_fn=_open_files(128, 128), timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: crawling 24 sites, 24 at a time, keeps about 256 files open, and this system "
        "allows 128 (ulimit -n): raise the hard limit (LimitNOFILE= for a service), lower "
        "sites_at_once, or name fewer sites a run"
    )
    assert not (tmp_path / "warc").exists()
    # A few at a time, the same sites fit: each is tried (and fails: nothing listens).
    (tmp_path / "sites.toml").write_text(
        "\n".join([f"{TEST_CRAWLER_OPTIONS}sites_at_once = 4\n", *blocks]), encoding="utf-8"
    )
    result = run_dna(
        "crawl", "--all", "--workers", "1", "--no-index",
        data=tmp_path, preexec_fn=_open_files(128, 128), timeout=120,
    )  # fmt: skip
    assert "files open" not in result.stderr
    assert result.stdout.count("failed") >= 24, result.stdout[-3000:]
