"""Prove that nothing has rotted: digests, database pointers, crashed files.

:func:`verify_archive` reads every record of every WARC in ``DATA/warc``
and checks its ``WARC-Block-Digest`` and ``WARC-Payload-Digest`` (warcio
computes them as it reads; a payload digest covers the body as sent,
content-encoding kept).  Then every capture in the database must point at
an intact record with its ``WARC-Record-ID`` and payload digest.  Files still
named ``.open`` were left by a crashed crawl; :func:`repair_open_file` cuts
one after its last complete record and closes it.  Closed files are never
written to.
"""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from archive.cdxj import cdxj_path, read_cdxj, write_cdxj
from archive.models import Capture, Site
from archive.salvage import NOTE_SUFFIX
from archive.warcscan import GZIP_MAGIC, RawRecord, ScanProblem, find_warcs, iter_records
from archive.warcwriter import OPEN_SUFFIX

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Row

    from archive.layout import DataDir
    from archive.locks import LockOwner
    from archive.store import Store

#: An ``.open`` file touched more recently than this may belong to a running
#: crawl, where no site lock says (a file outside the archive's folders).
REPAIR_MIN_AGE = 300.0


@dataclass(slots=True)
class FileCheck:
    """One WARC file's check.

    :param site: the directory it is in under ``DATA/warc``.
    :param records: intact records read.
    :param repaired: what ``--repair`` did to it, if anything.
    """

    path: Path
    site: str
    size: int = 0
    records: int = 0
    problems: list[ScanProblem] = field(default_factory=list)
    repaired: str | None = None


@dataclass(slots=True)
class VerifyReport:
    """Everything :func:`verify_archive` found."""

    files: list[FileCheck] = field(default_factory=list)
    captures: int = 0
    capture_problems: list[str] = field(default_factory=list)
    #: damaged originals kept aside by restore (known damage, not verified),
    #: each beside its note; their intact records are in the checked files.
    known_damaged: list[Path] = field(default_factory=list)
    #: ``.open`` files a live crawl is writing, and who: read, not judged.
    being_written: list[tuple[Path, LockOwner]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Every problem, files' first, as one line each."""
        found = [str(problem) for check in self.files for problem in check.problems]
        return found + self.capture_problems

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems


def verify_archive(
    data: DataDir, store: Store, *, site: str | None = None, repair: bool = False
) -> VerifyReport:
    """Check the WARC files (of ``site``, or all) and the captures pointing into them.

    :param repair: close ``.open`` files after their last complete record.
    """
    report = VerifyReport()
    root = data.warc_dir(site) if site else data.warc_root
    paths, listing = find_warcs([root]) if root.exists() else ([], [])
    if listing:
        report.files.append(FileCheck(root, site or "", problems=listing))
    # (file name, offset) -> (record id, payload digest) of each intact response.
    records: dict[tuple[str, int], tuple[str, str]] = {}
    for path in paths:
        repaired = None
        writer = data.live_writer(path)
        if writer is not None:
            # Its last record is still being written, and it is not crashed:
            # its records serve the captures' check, its end is no damage.
            _check_file(path, records)
            report.being_written.append((path, writer))
            continue
        if repair and path.name.endswith(OPEN_SUFFIX):
            # No live process holds its site's crawl lock: none writes it,
            # however recently it was written (a crawl killed a minute ago).
            min_age = 0.0 if data.holds(path) else REPAIR_MIN_AGE
            try:
                repaired, path = repair_open_file(path, min_age=min_age)
            except RepairError as exc:
                failed = FileCheck(path, path.parent.name, size=_size(path))
                failed.problems.append(exc.problem)
                report.files.append(failed)
                continue
        check = _check_file(path, records)
        check.repaired = repaired
        report.files.append(check)
    report.known_damaged = sorted(
        note.with_name(note.name.removesuffix(NOTE_SUFFIX))
        for note in data.damaged_dir(site or "").glob(f"**/*{NOTE_SUFFIX}")
    )
    for found in _captures(store, site):
        report.captures += 1
        name, offset, record_id, digest, url = found
        held = records.get((name, offset))
        where = f"capture of {url} ({name}:{offset})"
        if held is None:
            fix = "restore the file, or run: dna restore DATA/warc to rebuild the database"
            if data.find_warc(name) is None:
                report.capture_problems.append(f"{where}: WARC file missing; {fix}")
            else:
                report.capture_problems.append(f"{where}: no intact response there; {fix}")
        elif held != (record_id, digest):
            report.capture_problems.append(
                f"{where}: record there is {held[0]} with digest {held[1]!r}, database says "
                f"{record_id} with {digest!r}; rebuild with: dna restore DATA/warc"
            )
    return report


def _check_file(path: Path, records: dict[tuple[str, int], tuple[str, str]]) -> FileCheck:
    check = FileCheck(path, path.parent.name, size=_size(path))
    name = path.name.removesuffix(OPEN_SUFFIX)
    if path.name.endswith(OPEN_SUFFIX):
        message = "left open by a crashed crawl; close it with: dna verify --repair"
        check.problems.append(ScanProblem(path, check.size, message))
    # offset -> (URL, HTTP status, payload digest) of each intact record, for the index.
    indexed: dict[int, tuple[str, str, str]] = {}
    for item in iter_records(path, check_digests=True):
        if isinstance(item, ScanProblem):
            check.problems.append(item)
            continue
        check.records += 1
        record = item.record
        headers = record.rec_headers
        digest = headers.get_header("WARC-Payload-Digest") or ""
        if record.rec_type in ("response", "revisit"):
            records[(name, item.offset)] = (headers.get_header("WARC-Record-ID") or "", digest)
        status = record.http_headers.get_statuscode() if record.http_headers else ""
        indexed[item.offset] = (headers.get_header("WARC-Target-URI") or "", status or "", digest)
    if not path.name.endswith(OPEN_SUFFIX):
        check.problems += _check_index(path, indexed)
    return check


def _check_index(path: Path, indexed: dict[int, tuple[str, str, str]]) -> list[ScanProblem]:
    """Whether the ``.cdxj`` beside ``path`` says what the records say (replay trusts it)."""
    index = cdxj_path(path)
    if not index.exists():
        return []  # files from other tools come without one
    problems: list[ScanProblem] = []
    fix = f"the WARC is the master: rebuild the index with: cdxj-indexer --sort {path.name}"
    for line in read_cdxj(
        index, on_bad=lambda at, why: problems.append(ScanProblem(index, at, why))
    ):
        fields = line.fields
        url = fields.get("url", "")
        try:
            offset = int(fields.get("offset", ""))
        except ValueError:
            problems.append(ScanProblem(index, 0, f"line for {url} has no offset; {fix}"))
            continue
        held = indexed.get(offset)
        if held is None:
            problems.append(ScanProblem(index, offset, f"{url}: no intact record there; {fix}"))
            continue
        for what, said, actual in zip(
            ("URL", "status", "digest"),
            (url, fields.get("status", ""), fields.get("digest", "")),
            held,
            strict=True,
        ):
            if said and actual and said not in ("-", actual):
                problems.append(
                    ScanProblem(
                        index,
                        offset,
                        f"{url}: index says {what} {said}, the record {actual}; {fix}",
                    )
                )
    return problems


def _captures(store: Store, site: str | None) -> Iterator[Row[tuple[str, int, str, str, str]]]:
    """Where each capture says its record is: file, offset, record id, digest, URL."""
    query = select(
        Capture.warc_file,
        Capture.warc_offset,
        Capture.record_id,
        Capture.payload_digest,
        Capture.url,
    ).order_by(Capture.id)
    if site is not None:
        query = query.join(Site, Capture.site_id == Site.id).where(Site.name == site)
    with store.session() as session:
        yield from session.execute(query.execution_options(yield_per=2000))


class RepairError(Exception):
    """An ``.open`` file cannot be repaired safely; the message says why and what to do."""

    def __init__(self, problem: ScanProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def repair_open_file(path: Path, *, min_age: float = REPAIR_MIN_AGE) -> tuple[str, Path]:
    """Cut ``path`` (a ``.open`` WARC) after its last complete record and close it.

    :param min_age: refuse files modified more recently (a running crawl's).
    :returns: what was done, and the closed file's path.
    :raises RepairError: the file is not ``.open``, is in use, is damaged
        before its end, or holds no complete record.
    """
    if not path.name.endswith(OPEN_SUFFIX):
        raise RepairError(
            ScanProblem(path, 0, "not an .open file; closed files are never modified")
        )
    age = time.time() - path.stat().st_mtime
    if age < min_age:
        why = f"written {age:.0f} s ago, maybe by a running crawl; stop it, or repair later"
        raise RepairError(ScanProblem(path, 0, why))
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    if final.exists():
        why = f"{final.name} exists too; move one away and repair again"
        raise RepairError(ScanProblem(path, 0, why))
    end, records, first_problem = 0, 0, None
    for item in iter_records(path):
        if isinstance(item, RawRecord):
            end, records = item.end, records + 1
        elif first_problem is None:
            first_problem = item
    if first_problem is not None and first_problem.offset < end:
        why = (
            f"{first_problem.message}: damage before the last complete record; not repaired "
            "(cutting would lose good records): copy them out with warcio recompress"
        )
        raise RepairError(ScanProblem(path, first_problem.offset, why))
    end = _complete_gzip_end(path, end)
    if records == 0 or end == 0:
        raise RepairError(
            ScanProblem(path, 0, "no complete record; nothing to keep, delete the file")
        )
    size = _size(path)
    with open(path, "r+b") as handle:
        handle.truncate(end)
    os.replace(path, final)
    write_cdxj(final)
    return f"cut {size - end} byte(s) after record {records} at {end}; closed", final


def _complete_gzip_end(path: Path, limit: int) -> int:
    """The end of the last whole gzip member at or before ``limit`` (``limit`` if not gzip)."""
    with open(path, "rb") as handle:
        if handle.read(len(GZIP_MAGIC)) != GZIP_MAGIC:
            return limit
        handle.seek(0)
        position, complete = 0, 0
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        while position < limit:
            chunk = handle.read(min(1 << 20, limit - position))
            if not chunk:
                break
            data = chunk
            while data:
                try:
                    decompressor.decompress(data)
                except zlib.error:
                    return complete
                if not decompressor.eof:
                    break
                unused = decompressor.unused_data
                complete = position + len(chunk) - len(unused)
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
                data = unused
            position += len(chunk)
        return complete


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
