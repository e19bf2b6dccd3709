"""Hostile WARC files: nothing in a file can exhaust memory, abort a restore or reach a terminal.

Each crafted record is small on disk and huge once read: a gzip bomb kept as
a response body (and a revisit of it), a chunked body announcing one huge
chunk, a gzip member inflating to one line of a gigabyte.  Beside them sit
good articles, one whose text carries terminal escapes, one whose URL holds
spaces and escapes, and one nested a thousand elements deep.  ``dna restore``
and ``dna verify`` run as subprocesses under an address-space cap, and a cap
on the size of a file written, far below what reading any hostile record
whole would take.
"""

from __future__ import annotations

import gzip
import http.server
import io
import json
import re
import resource
import shutil
import subprocess
import threading
import time
import tomllib
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.store import Store
from archive.warcwriter import HttpRequestData, HttpResponseData, WarcFileWriter
from crawler.probe import ProbeError, probe_portal
from tests.harness import TEST_CRAWLER_OPTIONS, archived_articles, run_dna, serve_pages
from tests.services import free_port

#: The children's address-space cap: a gigabyte-long line or bomb cannot fit.
MEMORY_CAP = 1 << 30
#: The children's cap on a file written: a bomb spooled to a temporary file
#: (4 GB of disk from a 4 MB WARC) cannot fit either.
FILE_CAP = 256 << 20
GIB = 1 << 30
SEED = (Path(__file__).parent / "pages" / "vnportal_seed_article.html").read_bytes()
SEED_TITLE = "Thanh Liên: UBMTTQ huyện và các đoàn thể làm việc với Đảng ủy".encode()
BASE = "http://127.0.0.1:9/tin-tuc-su-kien/"
HTML = [("Content-Type", "text/html; charset=utf-8")]
WHEN = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
ESCAPES = "Tin \x1b]0;owned\x07 mới &#27;[2J"


def bomb(size: int, prefix: bytes = b"", block: int = 1 << 24) -> bytes:
    """A gzip member of ``prefix`` then ``size`` zero bytes, built in a second.

    Deflate blocks after a full flush do not depend on what came before, so
    one compressed block of zeros repeats; the trailer is computed here.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(block)
    head = compressor.compress(prefix + zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-8]
    count = size // block
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    length = (len(prefix) + count * block) & 0xFFFFFFFF
    return (
        head
        + repeated * (count - 1)
        + end
        + crc.to_bytes(4, "little")
        + length.to_bytes(4, "little")
    )


def article(title: str, slug: str) -> tuple[str, bytes]:
    return BASE + slug, SEED.replace(SEED_TITLE, title.encode())


def exchange(writer: WarcFileWriter, url: str, body: bytes, headers=HTML):
    return writer.write_exchange(
        HttpRequestData("GET", url, []), HttpResponseData(200, list(headers), body), WHEN
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of WARC files: good articles among hostile records."""
    source = tmp_path_factory.mktemp("hostile")
    with WarcFileWriter(source, "mixed") as writer:
        for number in range(3):
            exchange(writer, *article(f"Bài tốt số {number}", f"bai-tot-{number}-48861{number}"))
        url, page = article(ESCAPES, "tin-escape-488620")
        exchange(writer, url, page.replace(b"<p>", b"<p>\x1b[2J\x1b]0;owned\x07", 1))
        deep = b"<div>" * 1000 + b"<p>Tin s\xc3\xa2u.</p>" + b"</div>" * 1000
        exchange(writer, BASE + "tin-sau-488621", SEED.replace(b"<p>", deep + b"<p>", 1))
        gzipped = [*HTML, ("Content-Encoding", "gzip")]
        exploding = bomb(GIB)
        original = exchange(writer, BASE + "tin-bom-488622", exploding, gzipped)
        writer.write_revisit(
            HttpRequestData("GET", BASE + "tin-bom-488622", []),
            HttpResponseData(200, gzipped, exploding),
            WHEN.replace(hour=2),
            original,
        )
        chunked = [*HTML, ("Transfer-Encoding", "chunked")]
        huge_chunk = b"7ffffff0\r\n" + bytes(24 << 20)
        exchange(writer, BASE + "tin-khuc-488623", huge_chunk, chunked)
    # One gzip member inflating to a 1 GiB header line, between good records.
    parts = []
    for number in (4, 5):
        with WarcFileWriter(source / f"part{number}", "line") as writer:
            exchange(writer, *article(f"Bài tốt số {number}", f"bai-tot-{number}-48861{number}"))
        [written] = writer.files_closed
        parts.append(written.read_bytes())
    # A URI as another tool may write it: spaces (which warcio percent-encodes,
    # logging the URI as found) and terminal escapes.
    with (source / "spaces.warc.gz").open("wb") as handle:
        url, page = article("Bài có địa chỉ lạ", "tin cách \x1b]0;owned\x07488624")
        status = StatusAndHeaders("200 OK", HTML, protocol="HTTP/1.1")
        raw = WARCWriter(handle, gzip=True)
        raw.write_record(
            raw.create_warc_record(url, "response", payload=io.BytesIO(page), http_headers=status)
        )
    line = bomb(GIB, prefix=b"WARC/1.0\r\nWARC-Type: response\r\nX-Junk: ")
    (source / "longline.warc.gz").write_bytes(parts[0] + line + parts[1])
    return source


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_CAP, FILE_CAP))


def run_capped(*args: str, data: Path):
    result = run_dna(*args, data=data, preexec_fn=_capped, timeout=600)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "MemoryError" not in output, output[-3000:]
    assert "\x1b" not in output and "\x07" not in output
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 < MEMORY_CAP
    return result


@pytest.fixture(scope="module")
def restored(hostile: Path, tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("data")
    result = run_capped("restore", str(hostile), "--no-index", data=data)
    return data, result


def test_restore_reports_each_hostile_record_on_one_line_and_goes_on(restored) -> None:
    _, result = restored
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    skipped = [line for line in lines if line.startswith(("Skipped:", "Note:"))]
    # The bomb, its revisit, the huge chunk, the long line: each file:offset: problem.
    assert len(skipped) == 4, result.stderr
    # Kept as captures, the bomb and the huge chunk are noted, not "Skipped".
    kept = [line for line in lines if "kept as a capture" in line]
    assert len(kept) == 2 and all(line.startswith("Note:") for line in kept)
    assert all(".warc.gz:" in line for line in skipped)
    assert sum("tin-bom-488622" in line for line in skipped) == 2
    assert any("tin-khuc-488623" in line for line in skipped)
    assert any("longline.warc.gz" in line and "longer than" in line for line in skipped)


def test_every_good_article_is_restored_without_control_characters(restored) -> None:
    data, _ = restored
    exported = run_capped("export", data=data)
    rows = {row["url"]: row for row in map(json.loads, exported.stdout.splitlines())}
    for number in range(6):
        if number != 3:
            assert BASE + f"bai-tot-{number}-48861{number}" in rows
    escaped = rows[BASE + "tin-escape-488620"]
    assert escaped["title"].startswith("Tin ]0;owned mới [2J")
    text = json.dumps(rows, ensure_ascii=False)
    assert "\x1b" not in text and "\x07" not in text


def test_verify_reports_the_long_line_and_stays_bounded(restored) -> None:
    data, _ = restored
    # Restore kept the damaged file aside and its intact records in the archive.
    [aside] = data.glob("warc-damaged/*/longline.warc.gz")
    kept = run_capped("verify", data=data)
    assert kept.returncode == 0, kept.stderr
    assert "Known damage, kept aside and not checked: 1 original(s)" in kept.stdout
    assert str(aside) in kept.stdout
    # The damaged file itself, put in the archive by hand: reported, memory bounded.
    planted = data / "warc" / aside.parent.name / "planted-longline.warc.gz"
    shutil.copyfile(aside, planted)
    try:
        result = run_capped("verify", data=data)
    finally:
        planted.unlink()
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("Problem:")]
    assert any("planted-longline.warc.gz" in line and "longer than" in line for line in problems)


class _HostilePortal(http.server.BaseHTTPRequestHandler):
    """A home page with escapes in its title, redirects to other ports, and a drip."""

    def do_GET(self) -> None:
        if self.path.startswith("/to-other-port"):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:6379/")
            self.end_headers()
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                return  # the client gave up, as it should
        else:
            body = "<title>Xã \x1b]0;owned\x07Thanh\x1b[2J Liên</title>".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_portal() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostilePortal)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_sites_add_keeps_a_remote_title_clean_and_follows_no_redirect_to_another_port(
    hostile_portal: str, tmp_path: Path
) -> None:
    added = run_capped("sites", "add", "clean", hostile_portal + "/", data=tmp_path)
    assert added.returncode == 0, added.stderr
    text = (tmp_path / "sites.toml").read_text(encoding="utf-8")
    assert 'title = "Xã ]0;owned Thanh [2J Liên"' in text
    redirected = run_capped(
        "sites", "add", "moved", hostile_portal + "/to-other-port", data=tmp_path
    )
    assert redirected.returncode == 0, redirected.stderr
    assert "127.0.0.1:6379" in redirected.stderr  # said why the family is left to detect
    refused = run_capped("sites", "add", "bad", "http://127.0.0.1/\nname = 'x'", data=tmp_path)
    assert refused.returncode != 0
    assert (
        tomllib.loads((tmp_path / "sites.toml").read_text(encoding="utf-8"))["site"][1]["name"]
        == "moved"
    )


def test_the_probe_has_a_total_deadline(hostile_portal: str) -> None:
    started = time.monotonic()
    with pytest.raises(ProbeError, match="in time"):
        probe_portal(hostile_portal + "/drip", timeout=1.0)
    assert time.monotonic() - started < 10  # a drip of 1,000 bytes takes 200 s


def test_the_probe_reports_a_redirect_no_parser_reads(serve) -> None:
    """``Location: http://[::1/x`` made ``dna sites add`` end in "unexpected ValueError"."""
    portal, _ = serve({"/": (302, b"http://[::1/x")})
    with pytest.raises(ProbeError, match="redirected to a URL no parser reads"):
        probe_portal(portal + "/", timeout=5.0)


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_the_probe_reports_a_home_page_that_answers_an_error(serve, status: int) -> None:
    """A mistyped address (404) or a portal that is down was added without a word."""
    portal, _ = serve({"/": (status, b"<title>Error</title>")})
    with pytest.raises(ProbeError, match=f"answered HTTP {status}: check the address"):
        probe_portal(portal + "/", timeout=5.0)


def test_sites_add_of_an_address_that_answers_404_adds_it_with_a_warning(
    serve, tmp_path: Path
) -> None:
    portal, _ = serve({"/": (200, b"<title>Home</title>")})
    result = run_dna("sites", "add", "xa-sai", portal + "/tin-tuc/", data=tmp_path)
    assert result.returncode == 0
    warning = f"Warning: {portal}/tin-tuc/ answered HTTP 404: check the address, or try later"
    assert result.stderr.startswith(warning)
    assert 'name = "xa-sai"' in (tmp_path / "sites.toml").read_text(encoding="utf-8")


@pytest.fixture
def serve() -> Iterator[object]:
    """Start loopback servers of given pages; each returns (base URL, paths asked)."""
    servers = []

    def start(pages: dict[str, tuple[int, bytes]]) -> tuple[str, list[str]]:
        server, asked = serve_pages(pages)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", asked

    yield start
    for server in servers:
        server.shutdown()


def crawl(data: Path, sites: dict[str, str], options: str = "") -> subprocess.CompletedProcess:
    """``dna crawl`` of ``sites``, with ``options`` added to the test's ``[crawler]``."""
    blocks = [TEST_CRAWLER_OPTIONS + options]
    blocks += [
        f'[[site]]\nname = "{name}"\nstart_urls = ["{url}/"]\n' for name, url in sites.items()
    ]
    (data / "sites.toml").write_text("\n".join(blocks), encoding="utf-8")
    return run_capped("crawl", *sites, "--no-index", data=data)


def crawl_served(
    data: Path, site: str, handler: type[http.server.BaseHTTPRequestHandler], options: str = ""
) -> tuple[subprocess.CompletedProcess, str]:
    """Crawl ``site``, served on loopback by ``handler`` while the crawl runs; and its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    data.mkdir()
    try:
        return crawl(data, {site: base}, options), base
    finally:
        server.shutdown()


def answer(
    handler: http.server.BaseHTTPRequestHandler,
    body: bytes,
    status: int = 200,
    headers: list[tuple[str, str]] | None = None,
    *,
    cut_at: int | None = None,
) -> None:
    """Send ``body`` as an HTML page (its first ``cut_at`` bytes only, then close)."""
    handler.send_response(status)
    for name, value in headers or []:
        handler.send_header(name, value)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[:cut_at])
    if cut_at is not None:
        handler.wfile.flush()
        handler.close_connection = True


def test_a_crawl_follows_no_link_to_another_port_and_obeys_an_unreachable_robots_txt(
    serve, tmp_path: Path
) -> None:
    service, service_asked = serve({"/": (200, b"<title>Redis</title>")})
    home = f'<a href="{service}/">cache</a><a href="/tin-tuc/a-1.html">tin</a>'.encode()
    portal, portal_asked = serve({"/": (200, home), "/robots.txt": (404, b"")})
    down, down_asked = serve({"/": (200, home), "/robots.txt": (503, b"busy")})
    closed, _ = serve({"/": (200, home), "/robots.txt": (200, b"User-agent: *\nDisallow: /\n")})
    refused = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    data = tmp_path / "data"
    data.mkdir()
    sites = {"open": portal, "down": down, "closed": closed, "refused": refused}
    result = crawl(data, sites)
    assert "/" in portal_asked and "/tin-tuc/a-1.html" in portal_asked
    assert service_asked == []  # another port of the portal's host is another site
    assert set(down_asked) == {"/robots.txt"}  # RFC 9309: unreachable disallows all
    for site in ("down", "refused"):
        # Unreachable is not "disallowed", and the failure names the whole URL.
        assert re.search(rf"{site}: cut off: robots.txt unreachable: \d+ request", result.stdout)
        assert re.search(rf"{sites[site]}/robots.txt +robots.txt unreachable", result.stdout)
    # A robots.txt disallowing all is said, not a silent "failed" with nothing.
    assert re.search(r"closed: cut off: robots.txt: \d+ request\(s\) disallowed", result.stdout)
    assert "open: cut off" not in result.stdout
    runs = json.loads(run_dna("crawls", "--json", data=data).stdout)
    said = {run["site"]: run["cut_off"] for run in runs}
    assert said["closed"][0].startswith("robots.txt: ") and said["open"] == []


def test_a_robots_txt_past_the_page_size_limit_is_read_from_its_start(
    serve, tmp_path: Path
) -> None:
    """A catch-all page answering /robots.txt, larger than the page size limit,
    was refused and so read as unreachable: the whole site disallowed, 0
    pages.  RFC 9309 asks for its first 500 KiB to be parsed."""
    huge = b"User-agent: *\nDisallow: /rieng/\n" + (b"# " + b"x" * 77 + b"\n") * 30_000
    home = b'<a href="/tin-tuc/a-1.html">tin</a> <a href="/rieng/b-2.html">rieng</a>'
    portal, asked = serve(
        {"/": (200, home), "/robots.txt": (200, huge), "/tin-tuc/a-1.html": (200, _ARTICLE)}
    )
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, {"huge": portal})  # max_page_size is 2 MB
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/tin-tuc/a-1.html" in asked and "/rieng/b-2.html" not in asked
    assert "unreachable" not in result.stdout
    robots = [
        record
        for path in (data / "warc" / "huge").glob("*.warc.gz")
        for record in ArchiveIterator(path.open("rb"))
        if record.rec_type == "response"
        and record.rec_headers.get_header("WARC-Target-URI").endswith("/robots.txt")
    ]
    assert [record.rec_headers.get_header("WARC-Truncated") for record in robots] == ["length"]


def test_a_site_whose_pages_link_nowhere_says_so(serve, tmp_path: Path) -> None:
    """A bot check that sets a cookie by script and reloads (or a portal built
    by JavaScript) answers 200 and links nowhere: the crawl "finished" with
    nothing archived, unseen among a fleet's crawls, until it said why."""
    check = (
        b'<html><head><script>document.cookie="D1N=3fa9";location.reload();</script></head></html>'
    )
    guarded, _ = serve({"/": (200, check), "/robots.txt": (404, b"")})
    home = b'<a href="/tin-tuc/a-1.html">tin</a>'
    portal, _ = serve({"/": (200, home), "/robots.txt": (404, b"")})
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, {"guarded": guarded, "open": portal})
    assert result.returncode == 0, result.stdout + result.stderr
    nowhere = "whole site: its pages link to nothing on the site"
    assert f"guarded: cut off: {nowhere}" in result.stdout
    assert "open: cut off" not in result.stdout
    runs = json.loads(run_dna("crawls", "--json", data=data).stdout)
    said = {run["site"]: run["cut_off"] for run in runs}
    assert said["guarded"][0].startswith(nowhere) and said["open"] == []


_ARTICLE = (
    "<html><head><title>Tin</title></head><body><h1>Hội nghị tổng kết công tác năm của xã</h1>"
    + "<div class='noidung'>"
    + "<p>Sáng nay, Ủy ban nhân dân xã tổ chức hội nghị tổng kết công tác năm, đánh giá"
    " kết quả đạt được và đề ra nhiệm vụ trọng tâm cho năm tới.</p>" * 3 + "</div></body></html>"
).encode()


def test_frames_and_a_root_that_moves_on_by_script_lead_into_the_portal(
    serve, tmp_path: Path
) -> None:
    """Old portals are framesets (menu and main page in frames, an article in
    an iframe), and many roots are a stub whose script sends the browser on:
    with links alone each crawl found nothing."""
    framed, _ = serve(
        {
            "/": (200, b'<frameset><frame src="menu.html"><frame src="main.html"></frameset>'),
            "/menu.html": (200, b'<a href="/tin/1.html" target="main">Tin 1</a>'),
            "/main.html": (200, b'<p>Xin chao</p><iframe src="/tin/2.html"></iframe>'),
            "/tin/1.html": (200, _ARTICLE),
            "/tin/2.html": (200, _ARTICLE.replace("năm của xã".encode(), "quý của xã".encode())),
            "/robots.txt": (404, b""),
        }
    )
    stub = b'<script type="text/javascript">window.location.href = "/portal/";</script>'
    moved, _ = serve(
        {
            "/": (200, stub),
            "/portal/": (200, b'<a href="/portal/tin-1.html">Tin 1</a>'),
            "/portal/tin-1.html": (200, _ARTICLE),
            "/robots.txt": (404, b""),
        }
    )
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, {"framed": framed, "moved": moved})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "whole site" not in result.stdout
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        assert len(list(store.articles(site="framed"))) == 2
        assert len(list(store.articles(site="moved"))) == 1
    finally:
        store.close()


def test_a_page_of_endless_links_is_read_up_to_the_cap_and_says_so(serve, tmp_path: Path) -> None:
    """A page of 200,000 links (15 MB) took half a minute of CPU and half a
    gigabyte, to queue 5,000 of them.  A page's links are read up to
    ``max_links_per_page`` distinct URLs, the first ones, and the rest is said."""
    articles = {
        f"/tin/{n}.html": (200, _ARTICLE.replace("xã".encode(), f"xã {n}".encode()))
        for n in range(3)
    }
    farm = "".join(f'<a href="/lien-ket/{n}.html">{n}</a>' for n in range(40))
    home = "".join(f'<a href="{path}">Tin</a>' for path in articles) + farm
    portal, asked = serve(
        {"/": (200, home.encode()), "/robots.txt": (404, b""), **articles}
        | {f"/lien-ket/{n}.html": (200, b"<p>Trang</p>") for n in range(40)}
    )
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, {"farm": portal}, options="max_links_per_page = 5\n")
    assert result.returncode == 0, result.stdout + result.stderr
    # The home page's first five URLs: its three articles and two more links.
    assert {path for path in asked if path.startswith("/lien-ket/")} == {
        "/lien-ket/0.html",
        "/lien-ket/1.html",
    }
    assert len(archived_articles(data, "farm")) == 3
    said = "link cap: 1 page(s) linked to more than 5 URLs; the rest of their links not followed"
    assert f"farm: cut off: {said} (max_links_per_page; e.g. {portal}/)" in result.stdout
    runs = json.loads(run_dna("crawls", "--json", data=data).stdout)
    assert any(line.startswith(said) for line in runs[0]["cut_off"])


def test_an_article_url_with_no_article_text_is_said(serve, tmp_path: Path) -> None:
    """Pages whose URL reads as an article's but that held no article text
    (too short, or a template no rule reads) were lost with "errors 0"."""
    short = "<html><body><h1>Tin ngắn</h1><p>Hai câu.</p><p>Ngắn.</p></body></html>".encode()
    articles = {
        "/tin-tuc/bai-viet-1.html": (200, _ARTICLE),
        "/tin-tuc/bai-viet-2.html": (200, short),
    }
    home = "".join(f'<a href="{path}">Tin</a>' for path in articles)
    portal, _ = serve({"/": (200, home.encode()), "/robots.txt": (404, b""), **articles})
    data = tmp_path / "data"
    data.mkdir()
    (data / "sites.toml").write_text(
        f'{TEST_CRAWLER_OPTIONS}\n[[site]]\nname = "short"\nstart_urls = ["{portal}/"]\n'
        "article_pattern = '/tin-tuc/bai-viet-'\n",
        encoding="utf-8",
    )
    result = run_capped("crawl", "short", "--no-index", data=data)
    assert result.returncode == 0, result.stdout + result.stderr
    said = "not articles: 1 page(s) whose URL reads as an article's held no article text"
    assert f"short: cut off: {said} (e.g. {portal}/tin-tuc/bai-viet-2.html)" in result.stdout


def test_a_feed_sent_as_html_is_read_as_a_feed(serve, tmp_path: Path) -> None:
    """``rss.aspx`` pages often say ``text/html`` (as this server says of
    everything): read as a page, the feed's items were never followed."""
    feed = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<?xml-stylesheet href="rss.xsl"?>'
        b"<rss><channel><item><link>/tin/4.html</link>"
        b"<pubDate>Mon, 01 Jan 2024 00:00:00 +0700</pubDate></item></channel></rss>"
    )
    home = b'<link rel="alternate" type="application/rss+xml" href="/rss.aspx"><p>Xin chao</p>'
    portal, asked = serve(
        {
            "/": (200, home),
            "/rss.aspx": (200, feed),
            "/tin/4.html": (200, _ARTICLE),
            "/robots.txt": (404, b""),
        }
    )
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, {"fed": portal})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/tin/4.html" in asked


def refusing_portal(retry_after: str) -> type[http.server.BaseHTTPRequestHandler]:
    """A home page of 20 article links, each answered 429 with ``retry_after``."""
    home = b"".join(b'<a href="/tin-tuc/bai-%d.html">Tin %d</a>' % (n, n) for n in range(20))

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body>" + home + b"</body></html>" if self.path == "/" else b""
            status = 200 if body else 404 if self.path == "/robots.txt" else 429
            answer(self, body, status, [("Retry-After", retry_after)])

        def log_message(self, *args: object) -> None:
            pass

    return Refusing


def test_a_portal_asking_to_wait_an_hour_stops_the_crawl_resumably(tmp_path: Path) -> None:
    """``Retry-After: 3600`` on every page: each request waited the longest wait
    and was refused again, and the crawl held on for its whole time budget
    (12 hours by default) fetching nothing."""
    data = tmp_path / "data"
    started = time.monotonic()
    result, base = crawl_served(data, "busy", refusing_portal("3600"), "retry_wait_max = 0.5\n")
    assert time.monotonic() - started < 60
    assert result.returncode == 1  # not crawled through, as on a full disk
    said = " ".join((result.stdout + result.stderr).split())
    assert f"{urlsplit(base).hostname} asked to wait 1.0 h before more requests" in said
    assert "resume later with: dna crawl busy --resume" in said
    [run] = json.loads(run_dna("crawls", "--json", data=data).stdout)
    assert (run["status"], run["reason"]) == ("interrupted", "rate_limited")


def test_a_budget_stops_a_crawl_paused_by_its_portal_on_time(tmp_path: Path) -> None:
    """Requests waiting behind a paused host, or in a retry's pause, went on
    being sent after the time budget (or SIGTERM): minutes past it."""
    data = tmp_path / "data"
    started = time.monotonic()
    result, _ = crawl_served(data, "slowed", refusing_portal("30"), "max_minutes = 0.1\n")
    assert time.monotonic() - started < 25  # the budget is 6 s; a retry's pause is 30 s
    assert result.returncode == 0
    assert "slowed: cut off: time budget: stopped after 0.1 minutes" in result.stdout


def test_a_portal_setting_thousands_of_cookies_loses_no_page(tmp_path: Path) -> None:
    """10,000 cookies from the home page made every later request carry a
    Cookie header of 64 KB and more, which the server refused (HTTP 431)."""
    home = b"<html><body><a href='/tin/1.html'>Tin 1</a><a href='/tin/2.html'>Tin 2</a>"
    longest_cookie_header: list[int] = [0]

    class Cookies(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent = len(self.headers.get("Cookie") or "")
            longest_cookie_header[0] = max(longest_cookie_header[0], sent)
            article = _ARTICLE.replace("Sáng nay".encode(), self.path.encode())
            body = home if self.path == "/" else article if self.path.startswith("/tin/") else b""
            cookies = [("Set-Cookie", f"c{n}=v{n}; Path=/") for n in range(10_000)]
            answer(self, body, 200 if body else 404, cookies if self.path == "/" else [])

        def log_message(self, *args: object) -> None:
            pass

    data = tmp_path / "data"
    result, _ = crawl_served(data, "cookies", Cookies)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(archived_articles(data, "cookies")) == 2
    assert 0 < longest_cookie_header[0] < 8192  # the session-sized first ones, still sent


def test_a_body_cut_short_once_is_asked_for_again(tmp_path: Path) -> None:
    """A connection reset half-way through a page's body was kept as a failure
    ("truncated body") and never retried, though a reset before it would be."""
    home = b"<html><body><a href='/tin/1.html'>Tin 1</a></body></html>"
    served: list[str] = []

    class CutOnce(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = {"/": home, "/tin/1.html": _ARTICLE}.get(self.path, b"")
            cut = self.path == "/tin/1.html" and self.path not in served
            served.append(self.path)
            answer(self, body, 200 if body else 404, cut_at=len(body) // 2 if cut else None)

        def log_message(self, *args: object) -> None:
            pass

    data = tmp_path / "data"
    result, _ = crawl_served(data, "cut", CutOnce)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "truncated body" not in result.stdout
    assert served.count("/tin/1.html") == 2
    assert [a.title for a in archived_articles(data, "cut")] == [
        "Hội nghị tổng kết công tác năm của xã"
    ]


def test_a_portal_sent_as_xhtml_is_crawled_as_pages(tmp_path: Path) -> None:
    """``application/xhtml+xml`` says XML: its pages were read as feeds, their
    links never followed and their articles never extracted."""
    xhtml = b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
    pages = {
        "/": xhtml + b"<head><title>Xa</title></head><body><a href='/tin/1.html'>Tin 1</a></body>",
        "/tin/1.html": xhtml + _ARTICLE.removeprefix(b"<html>"),
    }
    asked: list[str] = []

    class Xhtml(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/xhtml+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    data = tmp_path / "data"
    result, _ = crawl_served(data, "xhtml", Xhtml)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/tin/1.html" in asked
    titles = [article.title for article in archived_articles(data, "xhtml")]
    assert titles == ["Hội nghị tổng kết công tác năm của xã"]


def test_a_base_no_parser_reads_leaves_links_to_the_pages_url(serve, tmp_path: Path) -> None:
    """Scrapy's get_base_url raises on ``<base href="http://[::1/">``: the
    page was a failure, its links and its article lost."""
    home = b'<base href="http://[::1/"><a href="tin/1.html">Tin 1</a>' + _ARTICLE
    portal, asked = serve(
        {"/": (200, home), "/tin/1.html": (200, _ARTICLE), "/robots.txt": (404, b"")}
    )
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, {"based": portal})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/tin/1.html" in asked
    assert "failed" not in result.stdout


def test_a_redirect_no_parser_reads_fails_its_page_and_a_long_url_only_its_row(
    serve, tmp_path: Path
) -> None:
    """A Location of port 99999 raised ValueError from our own redirect
    guard; and a failed URL of 9,000 characters padded every row of the
    failures table to 9,000 columns."""
    long_path = "/tin?" + "a" * 9000
    home = b'<a href="/r1">1</a><a href="/r2">2</a>' + _ARTICLE
    portal, _ = serve(
        {
            "/": (200, home),
            "/r1": (302, b"http://127.0.0.1:99999/x"),
            "/r2": (302, long_path.encode()),
            "/robots.txt": (404, b""),
        }
    )
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, {"moved": portal})
    assert result.returncode == 0, result.stdout + result.stderr
    rows = result.stdout.split("Failed pages")[1].splitlines()
    assert any(row.endswith("redirect to a URL no parser reads") for row in rows)
    assert [len(row) for row in rows if len(row) > 200] == [
        len(f"moved  {portal}{long_path}  HTTP 404")
    ]


class _OddNumbersHandler(http.server.BaseHTTPRequestHandler):
    """Numbers that ``str.isdigit`` passes and ``int`` refuses: "²" (one byte,
    0xB2, in Latin-1) as a 503's Retry-After, as an image's width, ten of them
    as a link's parameter; and an image's height of 5,000 digits.  (As a
    Content-Length, Twisted refuses it, as RFC 9112 says: a failed page.)"""

    asked: ClassVar[list[str]]
    image = f'<img src="/anh.jpg" width="²" height="{"9" * 5000}">'

    def do_GET(self) -> None:
        self.asked.append(self.path)
        if self.path == "/":
            body = '<a href="/tin/1.html?t=²²²²²²²²²²">Tin 1</a><a href="/tin/2.html">Tin 2</a>'
            self._answer(200, body.encode(), {})
        elif self.path.startswith("/tin/1.html"):
            article = _ARTICLE.replace(b"</p>", b"</p>" + self.image.encode(), 1)
            self._answer(200, article, {})
        elif self.path == "/tin/2.html" and self.asked.count(self.path) == 1:
            self._answer(503, b"busy", {"Retry-After": "²"})
        elif self.path == "/tin/2.html":
            self._answer(200, _ARTICLE.replace("năm của xã".encode(), "quý".encode()), {})
        else:
            self._answer(404, b"", {})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)  # encoded as Latin-1
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_numbers_only_str_isdigit_takes_for_numbers_break_nothing(tmp_path: Path) -> None:
    """Each of these raised ValueError where the crawl read it: the article
    with the odd image or behind the odd link was lost, and the 503 was
    never retried."""
    asked: list[str] = []
    handler = type("Handler", (_OddNumbersHandler,), {"asked": asked})
    data = tmp_path / "data"
    result, base = crawl_served(data, "odd", handler)
    assert result.returncode == 0, result.stdout + result.stderr
    assert asked.count("/tin/2.html") == 2  # the 503, then the retry
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    try:
        articles = {urlsplit(a.url).path: a for a in store.articles(site="odd")}
    finally:
        store.close()
    assert sorted(articles) == ["/tin/1.html", "/tin/2.html"]
    assert [image.src for image in articles["/tin/1.html"].images] == [f"{base}/anh.jpg"]


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw deflate", "br", "identity"])
def test_payloads_decode_whole_under_the_limit_and_stop_past_it(encoding: str) -> None:
    """Old IIS and PHP servers send ``deflate`` without zlib's header, as
    browsers and the crawl read it: restore read it as stored, and lost
    every article of such a portal, saying nothing."""
    import io

    import brotli
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archive.warcbounds import BoundedIterator, RecordTooLarge, decoded_payload

    body = "Tin tức xã Thanh Liên. ".encode() * 1000
    encode = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "raw deflate": _raw_deflate,
        "br": brotli.compress,
        "identity": bytes,
    }[encoding]
    payload = encode(body)
    label = encoding.removeprefix("raw ")
    headers = [*HTML, *([("Content-Encoding", label)] if label != "identity" else [])]
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            BASE, "response", payload=io.BytesIO(payload), length=len(payload), http_headers=http
        )
    )
    for limit, expected in ((len(body), body), (len(body) - 1, None)):
        buffer.seek(0)
        record = next(iter(BoundedIterator(buffer)))
        if expected is None:
            with pytest.raises(RecordTooLarge):
                decoded_payload(record, limit)
        else:
            assert decoded_payload(record, limit) == expected


class _SoftNotFound(http.server.BaseHTTPRequestHandler):
    """A case-sensitive portal answering any unknown path with one 200 page
    ("soft 404"), its articles at mixed-case ids, as IIS portals name them."""

    ids: ClassVar[list[str]] = ["aB3xK9", "Qr7tY2", "mN4pL8"]

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            links = "".join(f'<a href="/Tin/{id_}">Tin {id_}</a>' for id_ in self.ids)
            answer(self, f"<html><head><title>Xã</title></head>{links}</html>".encode())
        elif path.startswith("/Tin/") and path[5:] in self.ids:
            answer(self, _ARTICLE.replace("của xã".encode(), f"của xã {path[5:]}".encode()))
        else:
            answer(self, b"<html><head><title>Trang chu</title></head><body>Xin chao</body></html>")

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_answering_any_path_alike_is_not_taken_for_one_ignoring_case(
    tmp_path: Path,
) -> None:
    """The case probe flipped a soft-404 page's path and got the same page: the
    crawl took the server for case-insensitive, asked every link in lower case,
    and stored 1 article of 3, under a URL the portal does not have."""
    result, base = crawl_served(tmp_path / "data", "soft", _SoftNotFound)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = sorted(article.url for article in archived_articles(tmp_path / "data", "soft"))
    assert stored == sorted(f"{base}/Tin/{id_}" for id_ in _SoftNotFound.ids)


class _SlowToTellCase(http.server.BaseHTTPRequestHandler):
    """An IIS-like portal (paths in any case are one page) that answers a path
    in capitals slowly, as the case probe asks it; its first article links the
    second in capitals, as some of its menus write it."""

    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        path = urlsplit(self.path).path
        if path != path.lower():
            time.sleep(1)
        path = path.lower()
        if path == "/":
            links = '<a href="/tin/bai-1.html">Tin 1</a><a href="/tin/bai-2.html">Tin 2</a>'
            answer(self, f"<html><head><title>Xã</title></head>{links}</html>".encode())
        elif path in ("/tin/bai-1.html", "/tin/bai-2.html"):
            number = path[-6]
            page = _ARTICLE.replace("của xã".encode(), f"của xã số {number}".encode())
            answer(self, page.replace(b"</body>", b'<a href="/Tin/Bai-2.html">Tin 2</a></body>'))
        else:
            answer(self, b"<html><body>Not found</body></html>", 404)

    def log_message(self, *args: object) -> None:
        pass


def test_a_capitalised_link_to_a_page_sent_waits_for_the_case_probe(tmp_path: Path) -> None:
    """Sent while the server's case was being asked, ``/Tin/Bai-2.html`` fetched
    the article ``/tin/bai-2.html`` again: the probe answered a moment later."""
    _SlowToTellCase.asked.clear()
    result, _ = crawl_served(tmp_path / "data", "slowcase", _SlowToTellCase)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/Tin/Bai-2.html" not in _SlowToTellCase.asked, " ".join(_SlowToTellCase.asked)
    assert len(archived_articles(tmp_path / "data", "slowcase")) == 2


class MovedPortal(http.server.BaseHTTPRequestHandler):
    """A portal moved to another address: every page redirects there."""

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            answer(self, b"", 404)
            return
        moved = f"http://127.0.0.2:{self.server.server_address[1]}{self.path}"
        answer(self, b"", 301, [("Location", moved)])

    def log_message(self, *args: object) -> None:
        pass


def test_a_portal_whose_start_page_redirects_off_the_site_is_said_to_have_moved(
    tmp_path: Path,
) -> None:
    """A commune's portal moved to the merged commune's address: its nightly
    crawl failed, listing the pages that redirected, and never said where to."""
    result, base = crawl_served(tmp_path / "data", "xa-cu", MovedPortal)
    assert result.returncode == 1  # nothing archived but redirects: a failed crawl
    moved = base.replace("127.0.0.1", "127.0.0.2")
    assert f"xa-cu: cut off: moved: a start page redirects off the site, to {moved}/" in (
        result.stdout
    )
