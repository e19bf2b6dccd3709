"""Reading damaged WARC files: every problem reported with file and offset, the rest read.

Broken files are made in the tests from a real WARC of the session
``harvest`` (each record is its own gzip member, so members can be cut,
separated and rewritten):

- truncated: the bytes up to the middle of the fifth record's member;
- garbage: 800 bytes of junk inserted between the fourth and fifth members;
- bad digest: one response member decompressed, one body byte changed
  (``</html>`` to ``</HTML>``, same length) and recompressed;
- no URI: the second response's ``WARC-Target-URI`` line removed, as a header
  block cut short or a careless tool leaves it;
- odd headers: headers no parser reads in two pages' records otherwise
  whole, a URI of port 99999 and a ``WARC-Date`` of "²²";
- not a WARC: a text file named ``.warc.gz``; empty: a zero-byte file;
- non-HTTP only: warcinfo, resource and metadata records written by warcio;
- unreadable: a dangling symlink named like a WARC.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import random
import re
import shutil
import zlib
from pathlib import Path

import pytest
from warcio.warcwriter import WARCWriter

from archive.cdxj import cdxj_path
from archive.warcscan import RawRecord, ScanProblem, find_warcs, iter_records
from tests.harness import Harvest, run_dna

GARBAGE = b"\x00not a record\r\n" * 50


def source_warc(harvest: Harvest, site: str = "generic") -> Path:
    return next(path for path in harvest.warc_files if path.parent.name == site)


def members(path: Path) -> list[RawRecord]:
    return [item for item in iter_records(path) if isinstance(item, RawRecord)]


def first_response(parts: list[RawRecord]) -> RawRecord:
    return next(part for part in parts if part.record.rec_type == "response")


def second_response(parts: list[RawRecord]) -> RawRecord:
    return [part for part in parts if part.record.rec_type == "response"][1]


def broken_files(source: Path, directory: Path) -> dict[str, Path]:
    """Each kind of damage, as a file in ``directory`` (see the module docstring)."""
    data = source.read_bytes()
    parts = members(source)
    made: dict[str, Path] = {}

    def write(name: str, content: bytes) -> None:
        made[name] = directory / f"{name}.warc.gz"
        made[name].write_bytes(content)

    cut = parts[4]
    write("truncated", data[: cut.offset + cut.length // 2])
    write("garbage", data[: cut.offset] + GARBAGE + data[cut.offset :])
    target = first_response(parts)
    member = bytearray(gzip.decompress(data[target.offset : target.end]))
    member[-5] ^= 0x20  # a byte of the payload, just before the closing CRLFs
    write("bad-digest", data[: target.offset] + gzip.compress(bytes(member)) + data[target.end :])
    nameless = second_response(parts)
    member = gzip.decompress(data[nameless.offset : nameless.end])
    member = re.sub(rb"WARC-Target-URI: [^\r]*\r\n", b"", member, count=1)
    write("no-uri", data[: nameless.offset] + gzip.compress(member) + data[nameless.end :])
    # Headers no parser reads, each in a page's record otherwise whole: a
    # port of 99999 in one's URI, a date of "²²" in the next one's.
    pages = [
        part
        for part in parts
        if part.record.rec_type == "response"
        and "text/html" in (part.record.http_headers.get_header("Content-Type") or "")
    ]
    odd = []
    for part, header, value in (
        (
            pages[0],
            rb"WARC-Target-URI: http://([^/:\r]*)(:\d+)?",
            rb"WARC-Target-URI: http://\1:99999",
        ),
        (pages[1], rb"WARC-Date: [^\r]*", "WARC-Date: ²²".encode()),
    ):
        member = gzip.decompress(data[part.offset : part.end])
        odd.append(gzip.compress(re.sub(header, value, member, count=1)))
    write(
        "odd-headers",
        data[: pages[0].offset] + odd[0] + data[pages[0].end : pages[1].offset] + odd[1]
        + data[pages[1].end :],
    )  # fmt: skip
    # Gzipped whole, as gzip(1) leaves it: warcio's offsets in it went negative.
    write("one-stream", gzip.compress(gzip.decompress(data)))
    write("not-a-warc", "Ghi chú: đây không phải WARC\n".encode())
    write("empty", b"")
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(writer.create_warcinfo_record("non-http.warc.gz", {"software": "test"}))
    for kind in ("resource", "metadata"):
        payload = io.BytesIO(b"note: about the crawl\r\n")
        writer.write_record(writer.create_warc_record("urn:x-note:1", kind, payload=payload))
    write("non-http", buffer.getvalue())
    made["unreadable"] = directory / "unreadable.warc.gz"
    made["unreadable"].symlink_to(directory / "gone")
    return made


@pytest.fixture
def broken(harvest: Harvest, tmp_path: Path) -> dict[str, Path]:
    directory = tmp_path / "broken"
    directory.mkdir()
    return broken_files(source_warc(harvest), directory)


def scan(path: Path) -> tuple[list[RawRecord], list[ScanProblem]]:
    items = list(iter_records(path, check_digests=True))
    return (
        [i for i in items if isinstance(i, RawRecord)],
        [i for i in items if isinstance(i, ScanProblem)],
    )


def test_a_clean_file_reads_whole(harvest: Harvest) -> None:
    source = source_warc(harvest)
    records, problems = scan(source)
    assert problems == []
    assert records[0].offset == 0 and records[-1].end == source.stat().st_size
    assert all(a.end == b.offset for a, b in itertools.pairwise(records))


def test_truncated_member_keeps_the_records_before_it(harvest: Harvest, broken: dict) -> None:
    parts = members(source_warc(harvest))
    records, problems = scan(broken["truncated"])
    assert [r.offset for r in records] == [p.offset for p in parts[:4]]
    assert [(p.offset, p.path) for p in problems] == [(parts[4].offset, broken["truncated"])]


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
def test_a_file_cut_at_any_byte_of_a_record_reports_it_and_keeps_those_before(
    tmp_path: Path, compressed: bool
) -> None:
    """Cut inside the header (even inside its gzip member before any byte of
    it comes out), warcio ends quietly or makes a record of the fragment: the
    cut is still reported, at the record's offset, and nothing else."""
    whole = tmp_path / ("whole.warc.gz" if compressed else "whole.warc")
    with whole.open("wb") as out:
        writer = WARCWriter(out, gzip=compressed)
        for n in range(2):
            body = io.BytesIO(f"<p>trang {n}</p>".encode())
            writer.write_record(
                writer.create_warc_record(f"http://xa.vn/{n}", "resource", payload=body)
            )
    data = whole.read_bytes()
    first, last = members(whole)
    cut = tmp_path / whole.name.replace("whole", "cut")

    def loses_bytes(size: int) -> bool:
        """Whether a cut at ``size`` loses any byte of the last record's block
        (the blank lines after it are no part of it, and a gzip member's
        last bytes may hold none of it)."""
        if not compressed:
            return size < len(data) - 4
        kept = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data[last.offset : size])
        return b"</p>" not in kept

    for size in filter(loses_bytes, range(last.offset + 1, len(data))):
        cut.write_bytes(data[:size])
        records, problems = scan(cut)
        assert [r.offset for r in records] == [first.offset], size
        assert [p.offset for p in problems] == [last.offset], size
    # No damage: half the blank lines closing an uncompressed file, or empty
    # gzip members after the last record, as some writers leave.
    cut.write_bytes(data + gzip.compress(b"") * 2 if compressed else data[: len(data) - 2])
    records, problems = scan(cut)
    assert ([r.offset for r in records], problems) == ([first.offset, last.offset], [])


def test_garbage_between_records_is_skipped(harvest: Harvest, broken: dict) -> None:
    parts = members(source_warc(harvest))
    records, problems = scan(broken["garbage"])
    assert len(records) == len(parts)
    assert [p.offset for p in problems] == [parts[4].offset]
    assert f"bytes {parts[4].offset}–{parts[4].offset + len(GARBAGE)}" in problems[0].message
    assert records[4].offset == parts[4].offset + len(GARBAGE)


def test_digest_mismatch_is_a_problem_and_the_rest_is_read(harvest: Harvest, broken: dict) -> None:
    parts = members(source_warc(harvest))
    records, problems = scan(broken["bad-digest"])
    assert len(records) == len(parts) - 1
    assert len(problems) == 1 and "digest" in problems[0].message
    assert problems[0].offset == first_response(parts).offset


def test_a_response_naming_no_uri_is_a_problem_and_the_rest_is_read(
    harvest: Harvest, broken: dict
) -> None:
    parts = members(source_warc(harvest))
    records, problems = scan(broken["no-uri"])
    assert len(records) == len(parts) - 1
    assert [p.offset for p in problems] == [second_response(parts).offset]
    assert "a response record with no WARC-Target-URI" in problems[0].message


def test_a_member_damaged_past_its_first_block_is_a_problem_said_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    offsets = []
    for number in range(3):
        offsets.append(buffer.tell())
        payload = io.BytesIO(random.Random(number).randbytes(300_000))
        writer.write_record(writer.create_warc_record(f"urn:x-blob:{number}", "resource", payload))
    data = bytearray(buffer.getvalue())
    data[offsets[1] + 200_000] ^= 0xFF  # deep in the second member, past reading's first block
    damaged = tmp_path / "deep.warc.gz"
    damaged.write_bytes(data)

    records, problems = scan(damaged)

    assert [r.offset for r in records] == [offsets[0], offsets[2]]
    assert [p.offset for p in problems] == [offsets[1]]
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-a-warc", "not a WARC file"),
        ("one-stream", "one gzip stream holds many records; fix with: warcio recompress"),
        ("empty", "empty file"),
        ("unreadable", "cannot open"),
    ],
)
def test_unusable_files_are_one_problem_at_offset_0(broken: dict, name: str, message: str) -> None:
    records, problems = scan(broken[name])
    assert records == []
    assert [(p.path, p.offset) for p in problems] == [(broken[name], 0)]
    assert message in problems[0].message


def test_non_http_records_are_read_without_problems(broken: dict) -> None:
    records, problems = scan(broken["non-http"])
    assert [r.record.rec_type for r in records] == ["warcinfo", "resource", "metadata"]
    assert problems == []


def test_directories_yield_warc_names_only(broken: dict, tmp_path: Path) -> None:
    (tmp_path / "broken" / "notes.txt").write_text("not picked up")
    found, problems = find_warcs([tmp_path / "broken", tmp_path / "missing"])
    assert {path.name for path in found} == {f"{name}.warc.gz" for name in broken}
    assert [p.path for p in problems] == [tmp_path / "missing"]


def test_restore_reports_every_bad_input_and_restores_the_rest(
    harvest: Harvest, broken: dict, tmp_path: Path
) -> None:
    broken_dir = tmp_path / "broken"
    shutil.copy(source_warc(harvest, "vnportal"), broken_dir)
    data = tmp_path / "data"
    data.mkdir()

    result = run_dna("restore", str(broken_dir), "--workers", "1", data=data)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    flat = " ".join(output.split())
    for name in set(broken) - {"non-http"}:
        assert f"{broken[name]}:" in flat, name
    assert f"{broken['truncated']}:{members(broken['truncated'])[-1].end}:" in flat
    exported = run_dna("export", "--site", "vnportal", data=data)
    urls = {json.loads(line)["url"] for line in exported.stdout.splitlines()}
    store = harvest.store()
    try:
        assert urls == {article.url for article in store.articles(site="vnportal")}
    finally:
        store.close()

    # Damaged originals are kept aside, byte for byte, with a note; their
    # intact records (and every clean file) are in DATA/warc, indexed, and verify.
    for name in ("truncated", "garbage", "bad-digest", "no-uri", "one-stream"):
        aside = data / "warc-damaged" / "generic" / broken[name].name
        assert aside.read_bytes() == broken[name].read_bytes(), name
        note = aside.with_name(aside.name + ".salvage.txt").read_text("utf-8")
        assert f"Given to dna restore as: {broken[name]}" in note
        assert f"Damaged, kept aside unchanged: {aside}" in flat
        kept = data / "warc" / "generic" / broken[name].name
        assert kept.with_name(kept.name + ".cdxj").exists()
    # A record whose URI or date no parser reads is skipped, and the file's
    # other records restored and indexed (the indexer gave up on the file).
    assert f"{broken['odd-headers']}:" in flat and "is malformed: Port out of range" in flat
    odd = data / "warc" / "generic" / broken["odd-headers"].name
    assert f"{odd}:0: 1 record(s) not indexed" in flat  # the date; a SURT takes any port
    indexed = odd.with_name(odd.name + ".cdxj").read_text("utf-8").splitlines()
    whole = cdxj_path(source_warc(harvest)).read_text("utf-8").splitlines()
    assert len(indexed) == len(whole) - 1
    salvaged = data / "warc" / "generic" / broken["truncated"].name
    records, problems = scan(salvaged)
    assert problems == [] and len(records) == 4 + 1  # the four before the cut, and the note
    assert records[-1].record.rec_type == "warcinfo"
    note_record = gzip.decompress(salvaged.read_bytes()[records[-1].offset :])
    assert b"salvaged from a damaged" in note_record
    # A file gzipped whole (gzip(1) after the crawl) is recompressed, every
    # record its own member, bytes unchanged: it was skipped whole.
    recompressed = data / "warc" / "generic" / broken["one-stream"].name
    records, problems = scan(recompressed)
    assert problems == [] and len(records) == len(members(source_warc(harvest))) + 1
    original = gzip.decompress(broken["one-stream"].read_bytes())
    assert (
        b"".join(gzip.decompress(part) for part in _members_bytes(recompressed))[: len(original)]
        == original
    )
    verified = run_dna("verify", data=data)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stderr == ""
    assert "Known damage, kept aside and not checked: 5 original(s)" in verified.stdout

    strict = run_dna("restore", str(broken_dir), "--strict", data=data)
    assert strict.returncode == 1
    assert "Traceback" not in strict.stdout + strict.stderr
    again = run_dna("verify", data=data)
    assert again.returncode == 0, again.stdout + again.stderr


def _members_bytes(path: Path) -> list[bytes]:
    """Each gzip member of ``path``, as its bytes."""
    data = path.read_bytes()
    return [data[part.offset : part.end] for part in members(path)]


def test_a_damaged_uncompressed_file_salvages_every_record_before_the_damage(
    harvest: Harvest, tmp_path: Path
) -> None:
    """The salvage of an uncompressed file copied each record without the blank
    lines closing it: each record ran on from the one before, the copy held
    no readable record after the first, and it failed `dna verify` for ever."""
    plain = tmp_path / "in" / "generic.warc"
    plain.parent.mkdir()
    whole = gzip.decompress(source_warc(harvest).read_bytes())
    (tmp_path / "whole.warc").write_bytes(whole)
    parts = members(tmp_path / "whole.warc")
    cut = parts[6]
    plain.write_bytes(whole[: cut.offset + cut.length // 2])
    data = tmp_path / "data"
    data.mkdir()

    result = run_dna("restore", str(plain), "--workers", "1", data=data)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "unreadable" not in output and "WARNING" not in output
    salvaged = data / "warc" / "generic" / plain.name
    records, problems = scan(salvaged)
    assert problems == []
    assert [r.record.rec_headers.get_header("WARC-Record-ID") for r in records[:-1]] == [
        part.record.rec_headers.get_header("WARC-Record-ID") for part in parts[:6]
    ]
    verified = run_dna("verify", data=data)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_problem_in_a_salvaged_file_names_the_file_given_at_its_own_offset(
    tmp_path: Path,
) -> None:
    """A revisit whose original was lost to the file's damage was reported at
    a temporary salvaged copy (deleted by the end of the run), at that copy's
    offset, with advice to restore a file that does not exist (restorer probe)."""
    from warcio.statusandheaders import StatusAndHeaders

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    page = "<html><body><h1>Xã Thanh Liên</h1><p>Đoạn một.</p></body></html>".encode()
    offsets = []
    for url in ("http://xa.vn/bai-0.html", "http://xa.vn/bai-1.html", "http://xa.vn/bai-2.html"):
        offsets.append(buffer.tell())
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=io.BytesIO(page + url.encode()), http_headers=headers
            )
        )
    damaged_at = offsets[1]
    offsets.append(buffer.tell())
    digest = "sha1:" + "A" * 32
    revisit = writer.create_revisit_record(
        "http://xa.vn/bai-1.html?lan=2",
        digest,
        "http://xa.vn/bai-1.html",
        "2024-06-01T03:00:00Z",
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1"),
    )
    writer.write_record(revisit)
    data = bytearray(buffer.getvalue())
    data[damaged_at + 30 : damaged_at + 60] = bytes(30)  # the first response's member
    given = tmp_path / "in" / "xa.warc.gz"
    given.parent.mkdir()
    given.write_bytes(data)

    result = run_dna("restore", str(given), "--workers", "1", data=tmp_path / "data")

    flat = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0, flat
    assert "salvaged-" not in flat
    assert f"{given}:{offsets[3]}: revisit of http://xa.vn/bai-1.html?lan=2" in flat
    assert "the file is damaged (see above)" in flat
