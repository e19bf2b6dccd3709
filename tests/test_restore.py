"""``dna restore``: the database and index rebuilt from WARC files alone.

Round trips start from a copy of the session ``harvest`` (a real crawl of the
five fixture portals).  Foreign WARCs are made by real ``wget --mirror``
runs against the fixture portals (wget exits 8 when a page answers 404 and
4 on network errors: both expected, the generic portal serves such faults).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.layout import DataDir
from archive.records import CaptureRecord
from archive.store import Store
from archive.warcwriter import WarcFileWriter
from crawler.restore import host_site_name, restore_warcs
from crawler.sites import load_sites
from sampleportal import PortalServer
from tests.harness import Harvest, run_dna
from tests.services import postgres_database
from tests.test_hostile import BASE, HTML, article, exchange

#: Rows that must survive a restore unchanged: everything but row ids and restore times.
CAPTURE_ROWS = """
    SELECT s.name, c.url, c.fetched_at, c.status, c.content_type, c.payload_digest,
           c.warc_file, c.warc_offset, c.warc_length, c.record_id, c.etag,
           c.last_modified, c.refers_to
    FROM captures c JOIN sites s ON s.id = c.site_id ORDER BY c.record_id
"""
VERSION_ROWS = """
    SELECT a.url, a.first_seen, a.last_seen, a.views, v.content_hash, v.seen_at,
           v.published, v.published_source, c.record_id, cv.content_hash
    FROM article_versions v JOIN articles a ON a.id = v.article_id
    JOIN captures c ON c.id = v.capture_id
    JOIN article_versions cv ON cv.id = a.current_version_id
    ORDER BY a.url, v.content_hash
"""
MENTION_ROWS = """
    SELECT a.url, v.content_hash, m.unit, m.surface, m.candidates, m.count
    FROM place_mentions m
    JOIN article_versions v ON v.id = m.version_id
    JOIN articles a ON a.id = v.article_id
    ORDER BY a.url, v.content_hash, m.surface, m.unit
"""
QUERIES = ("xã", "nong thon moi", "hợp tác xã", "Thanh Chương")


def copy_data(harvest: Harvest, tmp_path: Path) -> Path:
    """A copy of the harvest's data directory, its database whole in one file.

    Another test's store, closed by the garbage collector mid-copy, deleted
    the -wal and -shm files copytree had listed: a checkpoint first puts
    everything in the database file, and those two are left behind.
    """
    with contextlib.closing(sqlite3.connect(harvest.data / "archive.sqlite3")) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = tmp_path / "data"
    ignored = shutil.ignore_patterns("logs", "*.sqlite3-wal", "*.sqlite3-shm")
    shutil.copytree(harvest.data, data, ignore=ignored)
    return data


def rows(data: Path, query: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(data / "archive.sqlite3")) as connection:
        return connection.execute(query).fetchall()


def export(data: Path, *options: str) -> dict[str, dict]:
    result = run_dna("export", *options, data=data)
    assert result.returncode == 0, result.stderr
    return {row["url"]: row for row in map(json.loads, result.stdout.splitlines())}


def search_urls(data: Path, query: str, *options: str) -> list[str]:
    result = run_dna("search", query, "--json", "--limit", "50", *options, data=data)
    assert result.returncode == 0, result.stderr
    return [json.loads(line)["url"] for line in result.stdout.splitlines()]


def forget(data: Path) -> None:
    """Delete the derived data: database and index."""
    for path in data.glob("archive.sqlite3*"):
        path.unlink()
    shutil.rmtree(data / "index")


def restore(data: Path, *paths: Path | str, strict: bool = False) -> subprocess.CompletedProcess:
    args = ["restore", *map(str, paths or [data / "warc"]), "--workers", "2"]
    result = run_dna(*args, *(["--strict"] if strict else []), data=data)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_round_trip_gives_the_same_export_and_search_results(
    harvest: Harvest, tmp_path: Path
) -> None:
    data = copy_data(harvest, tmp_path)
    before = export(data)
    searches = {query: search_urls(data, query) for query in QUERIES}
    captures, versions = rows(data, CAPTURE_ROWS), rows(data, VERSION_ROWS)
    mentions = rows(data, MENTION_ROWS)
    forget(data)

    result = restore(data)

    assert result.returncode == 0, result.stderr
    assert "Search index updated" in result.stdout
    after = export(data)
    assert after.keys() == before.keys()
    for url, row in before.items():
        assert {**after[url], "id": row["id"]} == row
    assert rows(data, CAPTURE_ROWS) == captures
    assert rows(data, VERSION_ROWS) == versions
    assert rows(data, MENTION_ROWS) == mentions
    assert mentions
    assert {query: search_urls(data, query) for query in QUERIES} == searches
    assert any(searches.values())


def test_restore_into_postgresql_gives_the_crawls_export_and_search_results(
    harvest: Harvest, tmp_path: Path, postgres_server: str
) -> None:
    crawled = copy_data(harvest, tmp_path)
    before = export(crawled)
    every = ("--limit", "1000")
    searches = {query: sorted(search_urls(crawled, query, *every)) for query in QUERIES}
    data = tmp_path / "postgresql"
    data.mkdir()
    shutil.copy(crawled / "sites.toml", data / "sites.toml")

    with postgres_database(postgres_server) as url:
        result = run_dna("restore", str(crawled / "warc"), "--workers", "2", "--db", url, data=data)
        assert result.returncode == 0, result.stderr
        assert "Searchable in PostgreSQL (0 search document(s) caught up)" in result.stdout
        after = export(data, "--db", url)
        assert after.keys() == before.keys()
        for row_url, row in before.items():
            assert {**after[row_url], "id": row["id"]} == row
        # The restore wrote the search documents: PostgreSQL search (the
        # default there) finds every hit Whoosh found on the crawl's archive.
        found = {query: sorted(search_urls(data, query, "--db", url, *every)) for query in QUERIES}
        assert found == searches


def test_restore_into_an_empty_directory_rebuilds_sites_indexes_and_crawl_history(
    harvest: Harvest, tmp_path: Path
) -> None:
    data = tmp_path / "restored"
    # An entry the archivist wrote is never overwritten, even for a site in the WARCs.
    own = '[[site]]\nname = "vnportal"\ntitle = "Our own title"\nstart_urls = ["http://vn.example/"]\n'
    data.mkdir()
    (data / "sites.toml").write_text(own, encoding="utf-8")

    result = run_dna("restore", str(harvest.data / "warc"), "--no-index", data=data)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    assert "Crawl history rebuilt: 5 crawl(s), status restored." in result.stdout
    assert "not in WARC, so not rebuilt" in result.stdout
    registry = load_sites(data / "sites.toml")
    assert registry.problems == []
    assert (data / "sites.toml").read_text(encoding="utf-8").startswith(own)
    assert registry.get("vnportal").start_urls == ("http://vn.example/",)
    original = load_sites(harvest.data / "sites.toml")
    for name in ("liferay", "tandan", "nukeviet", "generic"):
        site = registry.get(name)
        assert site.start_urls == original.get(name).start_urls, name
        assert site.family == (name if name != "generic" else "auto"), (name, site.family)
    crawled = rows(
        harvest.data,
        "SELECT s.name, count(*) FROM captures c JOIN sites s ON s.id = c.site_id "
        "GROUP BY s.name ORDER BY s.name",
    )
    rebuilt = "SELECT s.name, c.pages FROM crawls c JOIN sites s ON s.id = c.site_id"
    assert sorted(rows(data, rebuilt + " WHERE c.status = 'restored'")) == crawled
    # What WARC does not say is shown as unknown, not as zero.
    listed = json.loads(run_dna("crawls", "--json", data=data).stdout)
    assert {(run["articles_new"], run["errors"]) for run in listed} == {(None, None)}
    table = run_dna("crawls", data=data).stdout.splitlines()
    assert sum(line.split()[-4:-1] == ["?", "?", "?"] for line in table) == 5, table
    stats = run_dna("stats", data=data).stdout.splitlines()
    crawl_rows = [line.split() for line in stats if " restored " in line]
    assert len(crawl_rows) == 5 and all(row[-3:] == ["?", "?", "?"] for row in crawl_rows), stats
    copied = sorted((data / "warc").glob("*/*.warc.gz"))
    assert copied and all(path.with_name(path.name + ".cdxj").exists() for path in copied)
    assert run_dna("verify", data=data).returncode == 0

    again = run_dna("restore", str(harvest.data / "warc"), "--no-index", data=data)
    assert again.returncode == 0, again.stderr
    assert "Crawl history rebuilt" not in again.stdout and "Added to" not in again.stdout
    assert len(rows(data, rebuilt)) == 5


def test_restoring_twice_adds_nothing(harvest: Harvest, tmp_path: Path) -> None:
    data = copy_data(harvest, tmp_path)
    forget(data)
    first = restore(data)
    counts = rows(data, "SELECT count(*) FROM captures UNION ALL SELECT count(*) FROM articles")

    second = restore(data)

    assert "added 0 captures, 0 articles, 0 versions, 0 sites" in " ".join(second.stdout.split())
    assert "added 0 captures" not in " ".join(first.stdout.split())
    assert rows(data, "SELECT count(*) FROM captures UNION ALL SELECT count(*) FROM articles") == (
        counts
    )
    # Restoring into the live crawl's own database adds nothing either.
    live = copy_data(harvest, tmp_path / "live")
    assert "added 0 captures" in " ".join(restore(live).stdout.split())


def test_revisits_of_a_recrawl_restore_to_the_same_rows(harvest: Harvest, tmp_path: Path) -> None:
    data = copy_data(harvest, tmp_path)
    recrawl = run_dna("crawl", "vnportal", "nukeviet", "--mode", "full", data=data)
    assert recrawl.returncode == 0, recrawl.stderr
    captures, versions = rows(data, CAPTURE_ROWS), rows(data, VERSION_ROWS)
    assert any(row[-1] for row in captures), "the recrawl wrote no revisit"
    forget(data)

    assert restore(data).returncode == 0
    assert rows(data, CAPTURE_ROWS) == captures
    assert rows(data, VERSION_ROWS) == versions


def test_host_site_names_are_valid_slugs() -> None:
    assert host_site_name("http://127.0.0.1:8080/x") == "127-0-0-1-8080"
    assert host_site_name("https://thanhlien.thanhchuong.nghean.gov.vn/tin") == (
        "thanhlien-thanhchuong-nghean-gov-vn"
    )
    assert len(host_site_name("http://" + "a" * 80 + ".vn/")) == 64


# -- foreign WARCs -------------------------------------------------------------


def wget_warc(portal: PortalServer, directory: Path, name: str) -> Path:
    """Mirror ``portal`` with wget into ``directory/name.warc.gz``.

    Calendar links are rejected (an endless trap for wget, as for any crawler).
    """
    result = subprocess.run(
        [
            "wget",
            "--mirror",
            "--compression=auto",
            f"--warc-file={directory / name}",
            "--no-verbose",
            "--reject-regex",
            r"[?&](lich|calendar|ngay|date|thang|nam)=",
            "--level=4",
            "--timeout=2",
            "--tries=1",
            "--directory-prefix",
            str(directory / "mirror"),
            portal.base_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 4, 8), result.stderr[-2000:]
    return directory / f"{name}.warc.gz"


@pytest.fixture(scope="module")
def wget_warcs(
    portals: dict[str, PortalServer], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    if shutil.which("wget") is None:
        pytest.skip("wget is not installed")
    directory = tmp_path_factory.mktemp("wget")
    return {
        family: wget_warc(portals[family], directory, family) for family in ("nukeviet", "generic")
    }


def test_wget_warcs_restore_the_crawled_articles(
    wget_warcs: dict[str, Path], harvest: Harvest, tmp_path: Path
) -> None:
    warc = b"".join(path.read_bytes()[:4] for path in wget_warcs.values())
    assert warc.count(b"\x1f\x8b") == 2
    data = tmp_path / "data"
    data.mkdir()

    result = restore(data, *wget_warcs.values())

    assert result.returncode == 0, result.stderr
    store = harvest.store()
    try:
        crawled = {
            family: {a.url: a.title for a in store.articles(site=family)} for family in wget_warcs
        }
    finally:
        store.close()
    for family, path in wget_warcs.items():
        site = host_site_name(harvest.portals[family].base_url)
        restored = {
            row[0]: row[1]
            for row in rows(
                data,
                f"""
            SELECT a.url, v.title FROM articles a
            JOIN article_versions v ON v.id = a.current_version_id
            JOIN sites s ON s.id = a.site_id WHERE s.name = '{site}'""",
            )
        }
        assert restored == crawled[family]
        # Copied in, so every capture points at a file the archive holds.
        assert (data / "warc" / site / path.name).read_bytes() == path.read_bytes()
    assert run_dna("verify", data=data).returncode == 0


def test_wget_chunked_and_gzip_bodies_are_decoded(wget_warcs: dict[str, Path]) -> None:
    from archive.warcresponses import ResponseScanner

    scanner = ResponseScanner(list(wget_warcs.values()), want_body=lambda _: True, max_body=10**8)
    responses = [item for item in scanner if not isinstance(item, Exception)]
    chunked = [r for r in responses if r.header("transfer-encoding") == "chunked"]
    gzipped = [r for r in responses if r.header("content-encoding") == "gzip"]
    assert chunked and gzipped
    for response in chunked + gzipped:
        assert response.body is not None
        assert not response.body.startswith(b"\x1f\x8b")
        # Fault pages excepted: some are cut short by the server on purpose.
        if "/faults/" not in response.url and b"<html" in response.body[:500].lower():
            assert response.body.rstrip().endswith(b"</html>")


def test_restore_and_verify_run_without_scrapy_or_whoosh() -> None:
    code = (
        "import sys, crawler.restore, archive.verify, archive.warcresponses;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'whoosh'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_feed_date_survives_a_restore(tmp_path: Path) -> None:
    """The sitemap/RSS date of an undated page lives in the crawl's metadata record."""
    from datetime import UTC, datetime

    from archive.warcwriter import HttpRequestData, HttpResponseData, WarcFileWriter

    page = (Path(__file__).parent / "pages" / "vnportal_seed_article.html").read_bytes()
    url = "http://127.0.0.1:9/tin-tuc-su-kien/thanh-lien-ubmttq-huyen-va-cac-doan-the-488619"
    listed = "2022-09-20T08:30:00+07:00"
    source = tmp_path / "source"
    with WarcFileWriter(source, "feed") as writer:
        writer.write_exchange(
            HttpRequestData("GET", url, []),
            HttpResponseData(200, [("Content-Type", "text/html; charset=utf-8")], page),
            datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
            metadata=[("site", "feed"), ("listedDate", listed)],
        )
    data = tmp_path / "data"
    result = run_dna("restore", str(source), "--no-index", data=data)
    assert result.returncode == 0, result.stderr
    exported = run_dna("export", data=data)
    [row] = [json.loads(line) for line in exported.stdout.splitlines()]
    assert (row["published"], row["published_source"]) == (listed, "feed")


def test_added_counts_only_what_this_restore_wrote(harvest: Harvest, tmp_path: Path) -> None:
    """A crawl writing into the same database meanwhile does not inflate the summary."""
    data = copy_data(harvest, tmp_path)
    forget(data)
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    other = Store(store.url)
    crawl = other.writer(other.site_id("elsewhere"), None)

    def crawl_meanwhile(done: int, total: int) -> None:
        if not crawl.counts.captures:  # the other writer stores a capture mid-restore
            at = datetime.now(UTC)
            crawl.add_capture(
                CaptureRecord(
                    "http://127.0.0.1:9/", at, 200, "text/html", "sha1:X", "w.warc.gz", 0, 1, "<x>"
                )
            )
            crawl.flush()

    try:
        report = restore_warcs(
            [data / "warc" / "tandan"],
            store,
            DataDir(data),
            load_sites(data / "sites.toml"),
            on_progress=crawl_meanwhile,
        )
    finally:
        other.close()
        store.close()

    assert crawl.counts.captures == 1
    tandan = "FROM sites s JOIN captures c ON c.site_id = s.id WHERE s.name = 'tandan'"
    [(captures,)] = rows(data, f"SELECT count(*) {tandan}")
    [(articles, versions)] = rows(
        data,
        "SELECT count(DISTINCT a.id), count(*) FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id JOIN sites s ON s.id = a.site_id "
        "WHERE s.name = 'tandan'",
    )
    assert captures and articles and versions
    assert report.added == {
        "sites": 1,
        "crawls": 1,  # tandan's crawl, rebuilt from its metadata records
        "captures": captures,
        "articles": articles,
        "article_versions": versions,
    }


def test_a_restore_of_many_portals_says_so_in_a_few_lines(tmp_path: Path) -> None:
    """A province's WARC files printed a line per file and every site name on one
    line: 3,321 communes made thousands of lines.  Counts, and the first few names."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    backup = tmp_path / "backup"
    backup.mkdir()
    ports = range(20001, 20015)
    for port in ports:
        with open(backup / f"xa-{port}.warc.gz", "wb") as output:
            body = f"<title>Xã {port}</title><h1>Tin xã {port}</h1><p>Nội dung.</p>".encode()
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer = WARCWriter(output, gzip=True)
            writer.write_record(
                writer.create_warc_record(
                    f"http://127.0.0.1:{port}/",
                    "response",
                    payload=BytesIO(body),
                    http_headers=headers,
                )
            )
    data = tmp_path / "data"
    result = run_dna("restore", str(backup), "--no-index", data=data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    copied = next(line for line in lines if line.startswith("Copied"))
    assert copied == f"Copied {len(ports)} WARC file(s) into the archive: {data / 'warc'}"
    added = next(line for line in lines if line.startswith("Added to"))
    assert added.endswith(" and 2 more") and added.count(", ") == 11
    assert len(load_sites(data / "sites.toml").sites) == len(ports)


def _warc_of(folder: Path, name: str, pages: list[tuple[str, bytes]]) -> Path:
    """A WARC file named ``name`` in ``folder``, holding ``pages`` (URL, HTML)."""
    folder.mkdir(parents=True)
    with WarcFileWriter(folder, "backup") as writer:
        for url, body in pages:
            exchange(writer, url, body)
    [written] = folder.glob("*.warc.gz")
    return written.rename(folder / name)


def test_foreign_files_of_one_name_or_of_several_sites_are_each_held(tmp_path: Path) -> None:
    """Backups are full of crawl.warc.gz.  The second one restored was "not
    copied", yet its captures named the first: show --raw printed the first's
    bytes at their offsets, and verify failed.  A file of several hosts was
    copied into the first site's folder only: verify --site and wacz of the
    others said it held nothing."""
    other_host = "http://xa-hai.gov.vn/tin-tuc/"
    first = _warc_of(tmp_path / "may", "crawl.warc.gz", [article("Bài tháng năm", "bai-5-488701")])
    second = _warc_of(
        tmp_path / "june",
        "crawl.warc.gz",
        [
            article("Bài tháng sáu", "bai-6-488702"),
            (other_host + "bai-7-488703", article("Bài xã Hải", "x")[1]),
        ],
    )
    data = tmp_path / "data"
    data.mkdir()
    for source in (first, second, second):  # the second twice: nothing more the second time
        restored = run_dna("restore", str(source), data=data)
        assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "added 0 captures" in restored.stdout

    verified = run_dna("verify", data=data)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rows = [json.loads(line) for line in run_dna("export", data=data).stdout.splitlines()]
    titles = sorted(row["title"].split(" - ")[0] for row in rows)
    assert titles == ["Bài tháng năm", "Bài tháng sáu", "Bài xã Hải"]
    for row in rows:
        raw = run_dna("show", row["url"], "--raw", data=data)
        assert row["title"].encode() in raw.stdout.encode(), row["url"]
        verified = run_dna("verify", "--site", row["site"], data=data)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    # The June file took its name with the start of its sha256.
    june, may = sorted({row["warc_file"] for row in rows})  # "-" sorts before "."
    assert may == "crawl.warc.gz" and re.fullmatch(r"crawl-[0-9a-f]{12}\.warc\.gz", june)
    package = str(tmp_path / "xa-hai.wacz")
    assert run_dna("wacz", host_site_name(other_host), "-o", package, data=data).returncode == 0


def test_a_brotli_response_is_restored_and_indexed_for_replay(tmp_path: Path) -> None:
    """warcio set an attribute brotli's decompressor has no room for: the
    indexer gave up on any file with a ``br`` response, and its pages
    could not be replayed or packed."""
    url, page = article("Bài nén brotli", "bai-br-488704")
    folder = tmp_path / "in"
    folder.mkdir()
    with WarcFileWriter(folder, "brotli") as writer:
        exchange(writer, url, brotli.compress(page), [*HTML, ("Content-Encoding", "br")])
    data = tmp_path / "data"
    restored = run_dna("restore", str(folder), data=data)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "not indexed" not in restored.stdout + restored.stderr
    [index] = (data / "warc").glob("*/*.cdxj")
    assert url in index.read_text()
    shown = run_dna("show", url, data=data)
    assert "Bài nén brotli" in shown.stdout
    packed = run_dna("wacz", "--all", "-o", str(tmp_path / "x.wacz"), data=data)
    assert packed.returncode == 0, packed.stderr


def _wget_round(
    path: Path, records: list[tuple[str, str, bytes | None, str | None]], digests: dict[str, str]
) -> None:
    """A WARC as wget's --warc-dedup writes it: revisits name their original
    by WARC-Refers-To alone.  ``records``: (record id, URL, body, refers to);
    a body of None makes a revisit of that record, whose payload digest
    ``digests`` holds (each response's is added)."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for record_id, url, body, refers_to in records:
            headers = StatusAndHeaders("200 OK", HTML, protocol="HTTP/1.1")
            if body is not None:
                record = writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=headers
                )
                digests[record_id] = record.rec_headers.get_header("WARC-Payload-Digest")
            else:
                record = writer.create_revisit_record(
                    url, digests[refers_to], url, "2026-11-26T01:00:00Z", http_headers=headers
                )
                record.rec_headers.remove_header("WARC-Refers-To-Target-URI")
                record.rec_headers.remove_header("WARC-Refers-To-Date")
                record.rec_headers.add_header("WARC-Refers-To", refers_to)
            record.rec_headers.replace_header("WARC-Record-ID", record_id)
            writer.write_record(record)


def test_a_dedup_round_restored_after_its_first_round_finds_its_originals(tmp_path: Path) -> None:
    """wget's second round refers to the first round's records by id alone.
    Restored after the first, every revisit was "not in these WARC files", and
    one whose payload another record of its own file shared printed a Python
    tuple instead of a reason."""
    url, page = article("Bài vòng một", "bai-vong-488705")
    listing = BASE
    first = tmp_path / "round-a.warc.gz"
    digests: dict[str, str] = {}
    _wget_round(
        first,
        [("<urn:uuid:a1>", url, page, None), ("<urn:uuid:a2>", listing, b"<p>ds</p>", None)],
        digests,
    )
    second = tmp_path / "round-b.warc.gz"
    _wget_round(
        second,
        [
            ("<urn:uuid:b0>", "http://127.0.0.1:9/", b"<p>ds</p>", None),
            ("<urn:uuid:b1>", url, None, "<urn:uuid:a1>"),
            ("<urn:uuid:b2>", listing, None, "<urn:uuid:a2>"),
        ],
        digests,
    )
    data = tmp_path / "data"
    assert run_dna("restore", str(first), data=data).returncode == 0
    restored = run_dna("restore", str(second), "--strict", data=data)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Skipped" not in restored.stdout + restored.stderr
    refers = dict(rows(data, "SELECT record_id, refers_to FROM captures"))
    assert refers["<urn:uuid:b1>"] == "<urn:uuid:a1>"
    assert refers["<urn:uuid:b2>"] == "<urn:uuid:a2>"
    assert run_dna("verify", data=data).returncode == 0


_ORIGINAL_NAMED_BY = ("WARC-Record-ID", "WARC-Date", "WARC-Payload-Digest")


def test_a_revisit_naming_its_original_by_uri_and_date_finds_it_in_the_archive(
    tmp_path: Path,
) -> None:
    """warcio's revisits name their original by WARC-Refers-To-Target-URI and
    -Date alone.  Restored after the file holding it, each was "not in these
    WARC files nor in the archive", though the archive held it."""
    url, page = article("Bài gốc", "bai-goc-488707")
    first = _warc_of(tmp_path / "a", "first.warc.gz", [(url, page)])
    with open(first, "rb") as handle:
        [(record_id, date, digest)] = [
            tuple(r.rec_headers.get_header(name) for name in _ORIGINAL_NAMED_BY)
            for r in ArchiveIterator(handle)
            if r.rec_type == "response"
        ]
    second = tmp_path / "second.warc.gz"
    with open(second, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders("200 OK", HTML, protocol="HTTP/1.1")
        revisit = writer.create_revisit_record(url, digest, url, date, http_headers=headers)
        writer.write_record(revisit)
    data = tmp_path / "data"
    assert run_dna("restore", str(first), data=data).returncode == 0
    restored = run_dna("restore", str(second), "--strict", data=data)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    refers = [ref for (ref,) in rows(data, "SELECT refers_to FROM captures") if ref]
    assert refers == [record_id]
    assert run_dna("verify", data=data).returncode == 0


def test_a_byte_identical_copy_under_another_name_is_not_stored_again(tmp_path: Path) -> None:
    first = _warc_of(tmp_path / "may", "crawl.warc.gz", [article("Bài sao", "bai-sao-488706")])
    copy = tmp_path / "backup" / "crawl-COPY.warc.gz"
    copy.parent.mkdir()
    shutil.copyfile(first, copy)
    data = tmp_path / "data"
    for source in (first, copy):
        restored = run_dna("restore", str(source), data=data)
        assert restored.returncode == 0, restored.stdout + restored.stderr
    held = sorted(path.name for path in (data / "warc").glob("*/*.warc.gz"))
    assert held == ["crawl.warc.gz"]
    assert run_dna("verify", data=data).returncode == 0
