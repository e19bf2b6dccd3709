"""Damaged WARC files from elsewhere: keep the intact records verifiable, the original aside.

A WARC file given to ``dna restore`` may be cut short, hold garbage between
records or a record whose digest fails.  Copied into ``DATA/warc`` as it is,
it would fail ``dna verify`` for ever (closed files are never modified, so
``--repair`` cannot help).  So such a file is split in two before restore
reads it:

- its intact records, byte for byte (each record is its own gzip member, or
  its own run of bytes and the blank lines closing it in an uncompressed
  file), go into a new file of the same name, followed by one ``warcinfo``
  record saying what was salvaged from what: a well-formed WARC that restore
  reads and copies into ``DATA/warc/<site>/``, and that verifies;
- the original, unchanged, goes to ``DATA/warc-damaged/<site>/``, beside a
  note (``<name>.salvage.txt``) listing every problem with its offset.
  Nothing is dropped: whatever a better tool may recover later is still there.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import io
import shutil
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from warcio.warcwriter import WARCWriter

from archive.messages import one_line
from archive.warcscan import GZIP_MAGIC, ONE_STREAM, RawRecord, ScanProblem, iter_records

#: Suffix of the note kept beside a damaged original.
NOTE_SUFFIX = ".salvage.txt"
_COPY_CHUNK = 1 << 20
#: What ends each record of an uncompressed WARC file (WARC 1.1, section 4).
_RECORD_END = b"\r\n\r\n"
#: How many times its size a file gzipped as one stream may unpack to.
_MOST_EXPANSION = 100
_RECOMPRESSED = "one gzip stream held all its records: recompressed, each record its own member"


@dataclass(slots=True)
class Salvage:
    """A damaged file split into its intact records and the original kept aside.

    :param original: the damaged file as given.
    :param salvaged: the new file of its intact records (``None``: there were none).
    :param records: intact records copied.
    :param problems: every problem met, with offsets in the original.
    """

    original: Path
    salvaged: Path | None
    records: int = 0
    problems: list[ScanProblem] = field(default_factory=list)
    #: each copied record's offset in ``salvaged``, then in ``original``
    #: (none for a recompressed file: no offset of its original points at a record).
    moved: list[tuple[int, int]] = field(default_factory=list)

    def as_given(self, found: ScanProblem) -> ScanProblem:
        """``found``, met reading ``salvaged``, said of the file as given.

        Its salvaged copy is a temporary file, and its offsets are the
        copy's; a revisit whose original is missing may have lost it to
        this file's damage, not to a file left out.
        """
        starts = [copied for copied, _ in self.moved]
        at = bisect.bisect_right(starts, found.offset) - 1
        if at < 0:
            where = f"record at byte {found.offset} of its recompressed copy: "
            return replace(found, path=self.original, offset=0, message=where + found.message)
        copied, original = self.moved[at]
        note = "; the file is damaged (see above), and what it names may have been lost to that"
        return replace(
            found,
            path=self.original,
            offset=original + found.offset - copied,
            message=found.message + note,
        )


def salvage_warc(path: Path, into: Path) -> Salvage | None:
    """Copy the intact records of ``path`` into ``into/<same name>``, if ``path`` is damaged.

    A file gzipped whole after the fact (``gzip crawl.warc``) is one gzip
    stream: no offset in it points at a record, so it is recompressed, each
    record its own gzip member (:func:`_recompress`).

    :returns: ``None`` when ``path`` has no problem (it is used as it is).
    """
    intact, problems = _scan(path)
    if not problems:
        return None
    if not intact and problems[0].message.endswith(ONE_STREAM):
        return _recompress(path, into)
    salvage = Salvage(path, None, len(intact), problems)
    if not intact:
        return salvage
    target = into / path.name
    with open(path, "rb") as source, open(target, "xb") as out:
        compressed = source.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        for offset, length in intact:
            salvage.moved.append((out.tell(), offset))
            source.seek(offset)
            left = length
            while left > 0:
                chunk = source.read(min(_COPY_CHUNK, left))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
            if not compressed:
                # A record's length stops before the blank lines closing it;
                # without them the next record would run on from its end.
                out.write(_RECORD_END)
        out.write(_salvage_record(path.name, salvage, compressed))
    salvage.salvaged = target
    return salvage


def _scan(path: Path) -> tuple[list[tuple[int, int]], list[ScanProblem]]:
    """The (offset, length) of each intact record of ``path``, and its problems."""
    intact: list[tuple[int, int]] = []  # never the records themselves
    problems: list[ScanProblem] = []
    for item in iter_records(path, check_digests=True):
        if isinstance(item, ScanProblem):
            problems.append(item)
        elif isinstance(item, RawRecord):
            intact.append((item.offset, item.length))
    return intact, problems


def _recompress(path: Path, into: Path) -> Salvage:
    """``path``, one gzip stream, as ``into/<same name>``: each record its own member.

    The stream is unpacked to a scratch file first, up to
    :data:`_MOST_EXPANSION` times its size (a gzip bomb stops there), and its
    records are found there by the same scan as any file's: each is
    deflated as it was, byte for byte.  What the unpacked stream holds that
    is no record (a cut end) is a problem, as in any damaged file.
    """
    unpacked = into / f"{path.name}.unpacked"
    problems = [ScanProblem(path, 0, _RECOMPRESSED, skipped=False)]
    limit = _MOST_EXPANSION * max(path.stat().st_size, 1)
    try:
        with gzip.open(path, "rb") as source, open(unpacked, "xb") as out:
            while chunk := source.read(_COPY_CHUNK):
                out.write(chunk)
                if out.tell() > limit:
                    problems.append(
                        ScanProblem(path, 0, f"unpacks to over {_MOST_EXPANSION} times its size")
                    )
                    break
    except (OSError, EOFError, zlib.error) as exc:
        problems.append(ScanProblem(path, 0, f"gzip stream: {one_line(exc)}"))
    intact, found = _scan(unpacked)
    problems += [
        ScanProblem(
            path,
            0,
            f"byte {problem.offset} of the unpacked stream: {problem.message}",
            problem.skipped,
        )
        for problem in found
    ]
    salvage = Salvage(path, None, len(intact), problems)
    if intact:
        target = into / path.name
        with open(unpacked, "rb") as source, open(target, "xb") as out:
            for offset, length in intact:
                source.seek(offset)
                deflater = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
                left = length
                while left > 0 and (chunk := source.read(min(_COPY_CHUNK, left))):
                    out.write(deflater.compress(chunk))
                    left -= len(chunk)
                out.write(deflater.compress(_RECORD_END) + deflater.flush())
            out.write(_salvage_record(path.name, salvage, compressed=True, recompressed=True))
        salvage.salvaged = target
    unpacked.unlink()
    return salvage


def _salvage_record(
    name: str, salvage: Salvage, compressed: bool, recompressed: bool = False
) -> bytes:
    """A ``warcinfo`` record at the end of the salvaged file, saying what it is."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False, warc_version="1.1")
    if recompressed:
        made = (
            f"recompressed from {name}, one gzip stream holding all its records: the "
            f"{salvage.records} record(s) before this one, each now its own gzip member, "
            "their bytes unchanged"
        )
    else:
        made = (
            f"salvaged from a damaged {name}: the {salvage.records} intact record(s) "
            "before this one, copied byte for byte"
        )
    info = {
        "software": "dna (District News Archive) restore",
        "description": (
            f"{made}; {len(salvage.problems)} problem(s) noted; the original is kept "
            f"unchanged under warc-damaged/ with {name}{NOTE_SUFFIX}"
        ),
    }
    writer.write_record(writer.create_warcinfo_record(name, info))
    record = buffer.getvalue()
    if not compressed:
        return record
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(record) + compressor.flush()


def keep_damaged(salvage: Salvage, directory: Path, kept: Path | None) -> Path:
    """Copy the damaged original into ``directory`` with a note; returns the copy's path.

    :param kept: where its intact records now are in the archive, if anywhere.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / salvage.original.name
    if not target.exists():
        shutil.copyfile(salvage.original, target)
    digest = hashlib.sha256()
    with open(target, "rb") as handle:
        while chunk := handle.read(_COPY_CHUNK):
            digest.update(chunk)
    lines = [
        f"Damaged WARC file, kept unchanged: {target.name}",
        f"Given to dna restore as: {salvage.original}",
        f"Kept on: {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        f"Size: {target.stat().st_size} bytes; sha256: {digest.hexdigest()}",
        f"Intact records: {salvage.records}, "
        + (f"copied into the archive as {kept}" if kept else "none, nothing was restored"),
        f"Problems ({len(salvage.problems)}), at byte offsets of this file:",
        *(f"  {problem.offset}: {one_line(problem.message)}" for problem in salvage.problems),
    ]
    target.with_name(target.name + NOTE_SUFFIX).write_text("\n".join(lines) + "\n", "utf-8")
    return target
