"""``dna verify``: digests, captures pointing at their records, crashed ``.open`` files.

Each test works on a copy of the session ``harvest``.  A crashed crawl's file
is simulated by copying a closed WARC to ``….warc.gz.open`` and cutting it in
the middle of a record's gzip member; its mtime is set an hour back, as a
leftover's would be.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from warcio.warcwriter import WARCWriter

from archive.locks import PidLock
from archive.store import Store
from archive.verify import RepairError, repair_open_file
from archive.warcscan import RawRecord, ScanProblem, iter_records
from tests.harness import Harvest, run_dna


@pytest.fixture
def data(harvest: Harvest, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(harvest.data, copy, ignore=shutil.ignore_patterns("logs"))
    return copy


def warcs(data: Path) -> list[Path]:
    return sorted((data / "warc").glob("*/*.warc.gz*"))


def crashed_copy(source: Path, age: float = 3600) -> tuple[Path, int]:
    """A ``.open`` twin of ``source`` cut mid-record; returns it and the last good end."""
    records = [item for item in iter_records(source) if isinstance(item, RawRecord)]
    cut = records[6]
    leftover = source.with_name(source.name.replace(".warc.gz", "-crashed.warc.gz.open"))
    leftover.write_bytes(source.read_bytes()[: cut.offset + cut.length // 2])
    past = time.time() - age
    os.utime(leftover, (past, past))
    return leftover, cut.offset


def test_a_sound_archive_verifies(data: Path) -> None:
    result = run_dna("verify", data=data)
    assert result.returncode == 0, result.stderr
    assert "All WARC records and captures verified." in result.stdout
    for site in ("vnportal", "liferay", "tandan", "nukeviet", "generic"):
        assert site in result.stdout


def test_a_rotten_record_fails_with_its_file_and_offset(data: Path) -> None:
    path = next(p for p in warcs(data) if p.parent.name == "liferay")
    record = next(
        item
        for item in iter_records(path)
        if isinstance(item, RawRecord) and item.record.rec_type == "response"
    )
    content = path.read_bytes()
    member = bytearray(gzip.decompress(content[record.offset : record.end]))
    member[-5] ^= 0x20
    path.write_bytes(
        content[: record.offset] + gzip.compress(bytes(member)) + content[record.end :]
    )

    result = run_dna("verify", "--site", "liferay", data=data)

    assert result.returncode == 1
    flat = " ".join(result.stderr.split())
    assert f"{path}:{record.offset}: digest mismatch" in flat
    # The capture pointing at it is reported too.
    assert "no intact response there" in flat
    assert "Traceback" not in result.stdout + result.stderr


def test_a_changed_status_in_a_cdxj_index_fails(data: Path) -> None:
    """Replay tools trust the .cdxj: an index that lies about a record is rot too."""
    path = next(p for p in warcs(data) if p.name.endswith(".warc.gz"))
    index = path.with_name(path.name + ".cdxj")
    lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = next(i for i, line in enumerate(lines) if '"status": "200"' in line)
    lines[changed] = lines[changed].replace('"status": "200"', '"status": "404"')
    index.write_text("".join(lines), encoding="utf-8")
    result = run_dna("verify", data=data)
    assert result.returncode == 1
    [problem] = [line for line in result.stderr.splitlines() if line.startswith("Problem:")]
    assert f"{index.name}:" in problem and "index says status 404, the record 200" in problem


def test_a_capture_pointing_elsewhere_fails(data: Path) -> None:
    with sqlite3.connect(data / "archive.sqlite3") as connection:
        connection.execute("UPDATE captures SET payload_digest = 'sha1:ROTTEN' WHERE id = 3")
    result = run_dna("verify", data=data)
    assert result.returncode == 1
    assert "sha1:ROTTEN" in result.stderr


def test_non_http_records_are_not_digest_mismatches(tmp_path: Path) -> None:
    """dns: and ftp: blocks are checked on their block digest; a non-HTTP block is named."""
    data = tmp_path / "data"
    path = data / "warc" / "foreign" / "foreign.warc.gz"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        # Heritrix-style: the payload digest covers the answer without its timestamp line.
        answer = b"20250101000000\nexample.com. 300 IN A 127.0.0.1\n"
        digest = "sha1:" + base64.b32encode(hashlib.sha1(answer[15:]).digest()).decode()
        for uri, block, kind, fields in (
            ("dns:example.com", answer, "response", {"WARC-Payload-Digest": digest}),
            ("ftp://127.0.0.1/a.txt", b"hello over ftp\n", "response", {}),
            ("http://127.0.0.1/x", b"just some bytes\r\n\r\nmore", "resource", {}),
        ):
            record = writer.create_warc_record(
                uri,
                kind,
                payload=io.BytesIO(block),
                length=len(block),  # kept, so are the digests given
                warc_content_type="application/octet-stream",
                warc_headers_dict=fields,
            )
            # A response record whose block is not an HTTP message.
            record.rec_headers.replace_header("WARC-Type", "response")
            writer.write_record(record)
    Store(f"sqlite:///{data / 'archive.sqlite3'}").close()  # an archive, nothing restored
    not_http = [item for item in iter_records(path) if isinstance(item, ScanProblem)]

    result = run_dna("verify", data=data)

    assert result.returncode == 1
    flat = " ".join(result.stderr.split())
    assert "digest mismatch" not in flat
    [problem] = [line for line in result.stderr.splitlines() if line.startswith("Problem:")]
    assert f":{not_http[0].offset}: not an HTTP response" in problem
    assert "'just some bytes'" in problem


def test_repair_closes_a_crashed_file_after_its_last_complete_record(data: Path) -> None:
    source = next(p for p in warcs(data) if p.parent.name == "tandan")
    leftover, good_end = crashed_copy(source)
    closed = {path: (path.read_bytes(), path.stat().st_mtime) for path in warcs(data)}
    closed.pop(leftover)

    found = run_dna("verify", data=data)
    assert found.returncode == 1
    assert "crashed crawl" in found.stderr and "dna verify --repair" in found.stderr

    repaired = run_dna("verify", "--repair", data=data)

    assert repaired.returncode == 0, repaired.stderr
    final = leftover.with_name(leftover.name.removesuffix(".open"))
    assert not leftover.exists()
    assert final.stat().st_size == good_end
    assert "Repaired" in repaired.stdout
    # The closed file is indexed like any other; closed files are never touched.
    index = final.with_name(final.name + ".cdxj")
    assert index.read_text().count("\n") >= 1
    assert {
        p: (p.read_bytes(), p.stat().st_mtime) for p in warcs(data) if p not in (final, index)
    } == closed


def test_a_file_written_a_moment_ago_is_repaired_once_no_crawl_holds_its_site(
    data: Path,
) -> None:
    """A crawl killed a minute ago left its file: no live process holds its
    site's crawl lock, so it is repaired at once (it was refused for five
    minutes, "maybe by a running crawl").  A file no lock speaks for, outside
    the archive's folders, is still refused while recent."""
    closed = next(path for path in warcs(data) if path.name.endswith(".warc.gz"))
    leftover, _ = crashed_copy(closed, age=0)
    with pytest.raises(RepairError, match="running crawl"):
        repair_open_file(leftover)
    with pytest.raises(RepairError, match="never modified"):
        repair_open_file(closed, min_age=0)
    repaired = run_dna("verify", "--repair", data=data)
    assert repaired.returncode == 0, repaired.stderr
    assert "Repaired" in repaired.stdout and not leftover.exists()


def test_a_file_a_live_crawl_is_writing_is_neither_damage_nor_repaired_nor_restored(
    data: Path,
) -> None:
    """Found by its site's crawl lock, whatever its age: a crawl waiting out a
    portal's Retry-After writes nothing for minutes, and a repair then would
    cut and rename the file under it."""
    closed = next(path for path in warcs(data) if path.name.endswith(".warc.gz"))
    leftover, _ = crashed_copy(closed, age=3600)
    before = leftover.read_bytes()
    with PidLock(data / "locks" / f"crawl-{closed.parent.name}.lock"):
        result = run_dna("verify", "--repair", data=data)
        # Nor does a restore read it: the crawl stores its records itself.
        restored = run_dna("restore", "warc", data=data)  # relative: run from data
    assert "being written by a running crawl" in " ".join(restored.stderr.split())
    assert "1 input(s) skipped whole" in " ".join(restored.stderr.split()), restored.stderr
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stdout.split())
    assert f"Being written by a running crawl (process {os.getpid()} on" in said
    assert leftover.name in said and leftover.read_bytes() == before
    # The crawl gone, the same file is a crashed crawl's, and repaired.
    assert "Repaired" in run_dna("verify", "--repair", data=data).stdout
    assert not leftover.exists()


@pytest.mark.parametrize("command", ["restore", "verify"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    from click.testing import CliRunner

    from dna.cli import main

    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
