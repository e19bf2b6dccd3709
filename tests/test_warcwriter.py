"""The WARC writer: standard records, raw bytes kept, read back by two independent readers."""

from __future__ import annotations

import contextlib
import gzip
import random
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator

from archive.cdxj import cdxj_path, write_cdxj
from archive.warcreader import WarcReadError, read_payload, read_response
from archive.warcwriter import HttpRequestData, HttpResponseData, WarcFileWriter

MOMENT = datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC)
HTML = "<html><body><p>Xã Thanh Liên: nông thôn mới</p></body></html>"


def cp1258(text: str) -> bytes:
    """Encode as windows-1258 does: tone marks as combining characters."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", decomposed[:-1])
            out += base.encode("cp1258") + decomposed[-1].encode("cp1258")
    return out


def exchange(url: str, body: bytes, headers: list[tuple[str, str]]) -> tuple:
    request = HttpRequestData("GET", url, [("User-Agent", "dna-test"), ("Accept-Encoding", "gzip")])
    response = HttpResponseData(200, headers, body, ip_address="127.0.0.1")
    return request, response


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list]:
    gzipped = gzip.compress(HTML.encode("utf-8"))
    cp1258_body = cp1258("Thủy lợi, hoà bình")
    captures = []
    with WarcFileWriter(tmp_path, "xa-test", info={"operator": "tests"}) as writer:
        captures.append(
            writer.write_exchange(
                *exchange(
                    "http://127.0.0.1:8000/tin-tức/bài-1?pageindex=2",
                    gzipped,
                    [
                        ("Content-Type", "text/html; charset=utf-8"),
                        ("Content-Encoding", "gzip"),
                        ("Transfer-Encoding", "chunked"),
                        ("Content-Length", "9999"),
                    ],
                ),
                MOMENT,
                metadata=[("site", "xa-test"), ("via", "http://127.0.0.1:8000/")],
            )
        )
        captures.append(
            writer.write_exchange(
                *exchange(
                    "http://127.0.0.1:8000/cp1258",
                    cp1258_body,
                    [("Content-Type", "text/html; charset=windows-1258")],
                ),
                MOMENT,
            )
        )
        assert writer.files_closed == []
        assert next(tmp_path.glob("*.warc.gz.open"))
    files = list(tmp_path.glob("*.warc.gz"))
    assert len(files) == 1 and not list(tmp_path.glob("*.open"))
    return files[0], captures


def test_records_are_standard_and_paired(written: tuple[Path, list]) -> None:
    path, captures = written
    with open(path, "rb") as handle:
        records = [
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
            for r in ArchiveIterator(handle)
        ]
    types = [r[0] for r in records]
    assert types == ["warcinfo", "response", "request", "metadata", "response", "request"]
    warcinfo = records[0][1]
    assert warcinfo.get_header("WARC-Filename") == path.name
    assert records[0][3].decode().count("operator: tests") == 1

    _, response_headers, http, payload = records[1]
    assert response_headers.protocol == "WARC/1.1"
    assert response_headers.get_header("WARC-Date") == "2026-11-26T01:02:03.456789Z"
    assert response_headers.get_header("WARC-Target-URI") == (
        "http://127.0.0.1:8000/tin-t%E1%BB%A9c/b%C3%A0i-1?pageindex=2"
    )
    assert response_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert response_headers.get_header("WARC-Record-ID").startswith("<urn:uuid:")
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(gzip.compress(HTML.encode())))
    assert http.statusline == "200 OK"
    assert payload.decode("utf-8") == HTML  # content_stream() undoes the stored gzip

    request_headers, request_http = records[2][1], records[2][2]
    assert request_headers.get_header("WARC-Concurrent-To") == captures[0].record_id
    assert request_headers.get_header("WARC-Date") == response_headers.get_header("WARC-Date")
    assert request_http.protocol == "GET"
    assert request_http.statusline.startswith("/tin-t%E1%BB%A9c/b%C3%A0i-1?pageindex=2")
    assert request_http.get_header("Host") == "127.0.0.1:8000"
    assert b"via: http://127.0.0.1:8000/" in records[3][3]


def test_bodies_are_stored_byte_for_byte(written: tuple[Path, list]) -> None:
    path, captures = written
    with open(path, "rb") as handle:
        raw = [r.raw_stream.read() for r in ArchiveIterator(handle) if r.rec_type == "response"]
    assert gzip.decompress(raw[0]) == HTML.encode("utf-8")
    assert raw[1] == cp1258("Thủy lợi, hoà bình")
    assert raw[1].decode("cp1258") != "Thủy lợi, hoà bình"  # combining marks, as sent
    # Capture offsets point at the response records.
    assert read_payload(path, captures[1].warc_offset) == raw[1]
    stored = read_response(path, captures[0].warc_offset)
    assert stored.record_type == "response" and stored.payload == HTML.encode("utf-8")


def test_warcio_check_passes(written: tuple[Path, list]) -> None:
    path, _ = written
    result = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "digest pass" in result.stdout and "fail" not in result.stdout


def test_fastwarc_reads_and_verifies_digests(written: tuple[Path, list]) -> None:
    path, captures = written
    seen = []
    with open(path, "rb") as handle:
        for record in FastArchiveIterator(handle, parse_http=False):
            assert record.verify_block_digest(), record.record_id
            seen.append(
                (record.record_type, record.stream_pos, record.headers.get("WARC-Payload-Digest"))
            )
    assert len(seen) == 6
    responses = [(pos, digest) for kind, pos, digest in seen if kind == WarcRecordType.response]
    assert responses == [(c.warc_offset, c.payload_digest) for c in captures]


def test_a_payload_compressed_already_is_stored_not_deflated_again(tmp_path: Path) -> None:
    """A gzip transfer or a photo is stored as is inside its member (deflating
    it again costs 20 ms a megabyte for nothing); text is deflated, whatever
    its Content-Type claims.  Every member is one gzip member to any reader."""
    photo = random.Random(7).randbytes(64_000)
    text = ("<p>Xã Thanh Liên tổ chức hội nghị tổng kết công tác năm.</p>" * 1200).encode()
    bodies = {
        "photo": (photo, [("Content-Type", "image/jpeg")]),
        "gzipped": (gzip.compress(text), [("Content-Encoding", "gzip")]),
        "text": (text, [("Content-Type", "text/html; charset=utf-8")]),
        "mislabelled": (text, [("Content-Type", "image/jpeg")]),
    }
    with WarcFileWriter(tmp_path, "mix") as writer:
        captures = {
            name: writer.write_exchange(*exchange(f"http://a.vn/{name}", body, headers), MOMENT)
            for name, (body, headers) in bodies.items()
        }
    path = next(tmp_path.glob("*.warc.gz"))
    raw = path.read_bytes()
    for name, (body, _) in bodies.items():
        capture = captures[name]
        member = raw[capture.warc_offset : capture.warc_offset + capture.warc_length]
        record = gzip.decompress(member)
        assert record.endswith(body + b"\r\n\r\n"), name
        # read_payload undoes the transfer's Content-Encoding.
        assert read_payload(path, capture.warc_offset) == (text if name == "gzipped" else body)
        if name in ("photo", "gzipped"):
            # Stored: the payload's bytes stand in the member as they are.
            assert body in member and capture.warc_length < len(body) + 1_000, name
        else:
            assert capture.warc_length < len(body) / 10, name
    with open(path, "rb") as handle:
        assert all(r.verify_block_digest() for r in FastArchiveIterator(handle, parse_http=False))
    checked = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0 and "fail" not in checked.stdout, checked.stdout


def test_rotation_names_files_uniquely(tmp_path: Path) -> None:
    with WarcFileWriter(tmp_path, "rot", max_size=500) as writer:
        for number in range(4):
            writer.write_exchange(*exchange(f"http://a.vn/{number}", HTML.encode() * 3, []), MOMENT)
    names = sorted(p.name for p in tmp_path.glob("*.warc.gz"))
    assert len(names) == 4  # each exchange pushed its file past 500 bytes
    assert all(name.startswith("rot-") and "~" in name for name in names)
    assert len(set(names)) == len(names)
    for name in names:  # every file starts with its own warcinfo
        with open(tmp_path / name, "rb") as handle:
            assert next(iter(ArchiveIterator(handle))).rec_type == "warcinfo"


def test_the_index_made_while_writing_is_cdxj_indexers_own(tmp_path: Path) -> None:
    """Each file's .cdxj is made as its records are written: it must be the very
    index that cdxj-indexer (pywb's) writes reading the closed file back."""
    odd_headers = [
        ("content-type", "Text/HTML ;charset=UTF-8"),
        ("Content-Type", "application/json"),  # a second one: the first counts
        ("X-Note", "Thanh Liên"),
    ]
    with WarcFileWriter(tmp_path / "ours", "idx", max_size=3_000) as writer:
        first = writer.write_exchange(
            *exchange("http://a.vn/tin-tức/1", HTML.encode(), [("Content-Type", "text/html")]),
            MOMENT,
            metadata=[("site", "idx")],
        )
        request, response = exchange("http://a.vn/tin-tức/1?again", HTML.encode(), [])
        writer.write_revisit(request, response, MOMENT, first)
        request, _ = exchange("http://a.vn/tin-tức/1", b"", [])
        writer.write_revisit(request, HttpResponseData(304, [("ETag", '"x"')], b""), MOMENT, first)
        for number, (status, headers) in enumerate(
            [(404, []), (301, [("Location", "/moved")]), (200, odd_headers), (200, [])]
        ):
            writer.write_exchange(
                HttpRequestData("GET", f"http://b.vn/{number}?q=1&a=2", []),
                HttpResponseData(status, headers, HTML.encode() * number, reason="Xong"),
                MOMENT,
            )
        # A listing's page 2, posted back: its key holds the method and the form.
        form = [("Content-Type", "application/x-www-form-urlencoded")]
        writer.write_exchange(
            HttpRequestData("POST", "http://b.vn/tin?cat=1", form, b"__VIEWSTATE=%2F9j&p=Page%242"),
            HttpResponseData(200, [("Content-Type", "text/html")], HTML.encode()),
            MOMENT,
        )
    ours = sorted((tmp_path / "ours").glob("*.warc.gz"))
    assert len(ours) > 1  # rotated: every file has its own index
    (tmp_path / "theirs").mkdir()
    for path in ours:
        copy = tmp_path / "theirs" / path.name
        copy.write_bytes(path.read_bytes())
        expected = write_cdxj(copy).read_text(encoding="utf-8")
        assert cdxj_path(path).read_text(encoding="utf-8") == expected
    lines = [line for path in ours for line in cdxj_path(path).read_text().splitlines()]
    assert len(lines) == 8
    (posted,) = [line for line in lines if "__wb_method=post" in line]
    assert posted.startswith("vn,b)/tin?__viewstate=/9j&__wb_method=post&cat=1&p=page$2 ")


def test_crashed_open_file_reads_up_to_last_complete_record(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "crash")
    for number in range(3):
        writer.write_exchange(*exchange(f"http://a.vn/{number}", b"x" * 100, []), MOMENT)
    opened = next(tmp_path.glob("*.warc.gz.open"))
    complete = opened.read_bytes()
    writer.write_exchange(*exchange("http://a.vn/3", b"x" * 100, []), MOMENT)
    torn = opened.read_bytes()[len(complete) :]
    # The process dies a quarter of the way through the next record's gzip member.
    opened.write_bytes(complete + torn[: len(torn) // 4])
    read = []
    # What warcio makes of the torn member varies with its compressed bytes: an
    # error, a cut record or nothing. Every complete record before it must read.
    with open(opened, "rb") as handle, contextlib.suppress(Exception):
        for record in ArchiveIterator(handle):
            read.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI")))
    assert read[:7] == [("warcinfo", None)] + [
        (kind, f"http://a.vn/{n}") for n in range(3) for kind in ("response", "request")
    ]
    assert len(read) <= 8


def test_reader_errors_name_file_and_offset(written: tuple[Path, list], tmp_path: Path) -> None:
    path, captures = written
    with pytest.raises(WarcReadError, match=r"not found"):
        read_response(tmp_path / "missing.warc.gz", 0)
    middle = captures[0].warc_offset + 11
    # Mid-record bytes are gzip noise: either message, both naming file and offset.
    with pytest.raises(WarcReadError, match=rf"{path.name}:{middle}: (cannot read|no WARC record)"):
        read_response(path, middle)


def test_a_line_of_five_words_is_not_read_as_an_old_arc_record(tmp_path: Path) -> None:
    # warcio falls back to ARC, whose header is any five words on a line: one
    # offset in thirty into a gzip member's middle read as a URL-less response.
    path = tmp_path / "noise.warc.gz"
    path.write_bytes(b"\x91k A H$ E&;3 x\r\n" + bytes(range(256)))
    with pytest.raises(WarcReadError, match=r"noise\.warc\.gz:0: .*not a WARC record"):
        read_response(path, 0)
