"""Our WARCs replay in pywb, the archivists' tool: articles, gzip-encoded pages, revisits.

pywb pins an old redis, so it lives in its own virtualenv (``make pywb``
creates ``.venv-pywb``); without it these tests skip, saying so.
"""

from __future__ import annotations

import gzip
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from archive.cdxj import cdxj_path
from archive.warcreader import read_payload
from tests.harness import DNA, Harvest, run_dna

PYWB_BIN = Path(__file__).resolve().parents[1] / ".venv-pywb" / "bin"
SEED_TITLE = "Thanh Liên: UBMTTQ huyện và các đoàn thể làm việc với Đảng ủy - UBND"

pytestmark = pytest.mark.skipif(
    not (PYWB_BIN / "wayback").exists(),
    reason=f"pywb is not installed in {PYWB_BIN.parent} (run `make pywb`; it needs network)",
)


@dataclass(frozen=True)
class Capture:
    """A record to replay: where it is, and what it holds."""

    path: Path
    offset: int
    url: str
    timestamp: str
    type: str
    encoding: str | None


def _captures(warcs: list[Path]) -> list[Capture]:
    found = []
    for path in warcs:
        with open(path, "rb") as handle:
            records = ArchiveIterator(handle)
            for record in records:
                if record.rec_type not in ("response", "revisit"):
                    continue
                if record.http_headers.get_statuscode() != "200":
                    continue
                get = record.rec_headers.get_header
                found.append(
                    Capture(
                        path,
                        records.get_record_offset(),
                        get("WARC-Target-URI"),
                        iso_date_to_timestamp(get("WARC-Date")),
                        record.rec_type,
                        record.http_headers.get_header("Content-Encoding"),
                    )
                )
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def wayback(harvest: Harvest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pywb serving the harvest twice: ``c`` indexed by pywb, ``ours`` by our CDXJ files."""
    root = tmp_path_factory.mktemp("pywb")
    files = [str(path) for path in harvest.warc_files]
    for command in (["wb-manager", "init", "c"], ["wb-manager", "add", "c", *files]):
        subprocess.run([str(PYWB_BIN / command[0]), *command[1:]], cwd=root, check=True)
    ours = root / "collections" / "ours"
    (ours / "archive").mkdir(parents=True)
    (ours / "indexes").mkdir()
    lines: list[str] = []
    for path in harvest.warc_files:
        shutil.copy(path, ours / "archive" / path.name)
        lines += cdxj_path(path).read_text(encoding="utf-8").splitlines()
    (ours / "indexes" / "index.cdxj").write_text("\n".join(sorted(lines)) + "\n")

    port = _free_port()
    server = subprocess.Popen(
        [str(PYWB_BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("pywb's wayback did not start")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _replay(base: str, collection: str, capture: Capture) -> bytes:
    """The payload pywb replays for ``capture`` (``id_``: as archived, no rewriting)."""
    url = f"{base}/{collection}/{capture.timestamp}id_/{capture.url}"
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    return body


@pytest.mark.parametrize("collection", ["c", "ours"])
def test_article_replays(harvest: Harvest, wayback: str, collection: str) -> None:
    store = harvest.store()
    [seed] = [a for a in store.articles() if a.title.startswith(SEED_TITLE)]
    store.close()
    [capture] = [
        c
        for c in _captures(harvest.warc_files)
        if c.path.name == seed.warc_file and c.offset == seed.warc_offset
    ]
    html = _replay(wayback, collection, capture).decode("utf-8")
    assert SEED_TITLE in html
    assert "Xứng đáng là địa chỉ tin cậy của đoàn viên, hội viên." in html


@pytest.mark.parametrize("collection", ["c", "ours"])
def test_gzip_page_and_revisit_replay_their_payload(
    harvest: Harvest, wayback: str, collection: str
) -> None:
    captures = _captures(harvest.warc_files)
    gzipped = next(c for c in captures if c.type == "response" and c.encoding == "gzip")
    revisit = next(c for c in captures if c.type == "revisit")
    for capture in (gzipped, revisit):
        assert _replay(wayback, collection, capture) == read_payload(capture.path, capture.offset)


def test_dna_replay_serves_every_site_at_the_address_dna_show_prints(
    harvest: Harvest, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(harvest.data, data, ignore=shutil.ignore_patterns("logs"))
    store = harvest.store()
    [seed] = [a for a in store.articles() if a.title.startswith(SEED_TITLE)]
    store.close()
    shown = run_dna("show", str(seed.id), data=data)
    [address] = [line.split()[1] for line in shown.stdout.splitlines() if "replay " in line]
    port = _free_port()
    server = subprocess.Popen(
        [DNA, "replay", "--port", str(port), "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = server.stdout.readline()
        assert f"on http://127.0.0.1:{port}/" in ready, server.stderr.read()
        listed = [server.stdout.readline().strip() for _ in harvest.portals]
        assert listed == [f"http://127.0.0.1:{port}/{site}/" for site in sorted(harvest.portals)]
        address = address.replace(":8080/", f":{port}/", 1)
        with urllib.request.urlopen(address, timeout=30) as response:
            assert response.status == 200
        site, stamp, url = address.split("/", 5)[3:]
        framed = f"http://127.0.0.1:{port}/{site}/{stamp}mp_/{url}"
        with urllib.request.urlopen(framed, timeout=30) as response:
            assert SEED_TITLE in response.read().decode("utf-8")
        # SIGTERM (kill, systemd) stops pywb too, as Ctrl-C does: it was left
        # serving, its parent gone.
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
        assert "Replay stopped." in server.stdout.read()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)
