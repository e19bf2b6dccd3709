"""Walking whole WARC files, ours or anyone's, record by record, through damage.

Restore and verify read every record of every file.  Files come from this
archive, wget, Heritrix or Browsertrix, and some are damaged: cut short by a
crash, with garbage between records, or not WARC at all.  :func:`iter_records`
reports each problem with its file and offset, skips to the next readable
record and carries on; it never raises on bad input.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archive import warcbounds
from archive.messages import one_line
from archive.warcbounds import READ_ERRORS, BoundedIterator, RecordTooLarge, decoded_payload
from archive.warcwriter import OPEN_SUFFIX

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
#: File names a directory walk picks up (``.open``: left by a crashed crawl).
WARC_SUFFIXES = (".warc", ".warc.gz", ".warc" + OPEN_SUFFIX, ".warc.gz" + OPEN_SUFFIX)
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """Something wrong in a WARC file: which file, which byte, and what.

    :param offset: where the damaged record or bytes start.
    :param skipped: whether what it names was left out; ``False`` for what
        was kept another way (a capture not read as a page, a file recompressed).
    """

    path: Path
    offset: int
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        # Names and messages can hold bytes of the file: never raw on a terminal.
        return one_line(f"{self.path}:{self.offset}: {self.message}")


@dataclass(slots=True)
class RawRecord:
    """One complete record and where it lies.

    :param record: warcio's record; its streams are already consumed.
    :param offset: where the record (its gzip member) starts in the file.
    :param length: its length in the file, compressed.
    :param payload: the HTTP entity with chunking and content-encoding
        removed, when the caller asked for it and it fitted.
    :param oversize: the payload was wanted but longer than the limit.
    """

    path: Path
    offset: int
    length: int
    record: ArcWarcRecord
    payload: bytes | None = None
    oversize: bool = False

    @property
    def end(self) -> int:
        """The offset just after this record."""
        return self.offset + self.length


def find_warcs(paths: Iterable[Path]) -> tuple[list[Path], list[ScanProblem]]:
    """The WARC files named, or found under the directories named, sorted.

    Files named directly are taken whatever their name (they are then checked
    as WARCs); directories contribute files named like WARCs (:data:`WARC_SUFFIXES`).
    """
    found: list[Path] = []
    problems: list[ScanProblem] = []

    def unreadable(error: OSError) -> None:
        where = Path(error.filename or ".")
        problems.append(ScanProblem(where, 0, f"cannot list directory: {error.strerror}"))

    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=unreadable):
                dirs.sort()
                found += [Path(root, n) for n in sorted(files) if n.endswith(WARC_SUFFIXES)]
        elif path.exists():
            found.append(path)
        else:
            problems.append(ScanProblem(path, 0, "no such file or directory; check the path"))
    return list(dict.fromkeys(found)), problems


#: Header fields no record lacks, whoever wrote it, that say what it is and how long.
_REQUIRED = ("WARC-Type", "Content-Length")


def _incomplete(record: ArcWarcRecord) -> str | None:
    """Why a fully read record is not whole or not intact, or ``None``."""
    # warcio makes a record of a header block cut short at the end of a file.
    absent = [name for name in _REQUIRED if not record.rec_headers.get_header(name)]
    if absent:
        return f"record header cut short or malformed: no {' and no '.join(absent)}"
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        return f"record cut short: {missing} byte(s) of its block are missing"
    not_http = _not_http_response(record)
    if not_http is not None:
        return not_http
    checker = record.digest_checker
    if checker is None or checker.passed is not False:
        return None
    if record.http_headers is None and _payload_only(checker.problems, record):
        # A dns:, ftp: or whois: block has no HTTP payload to digest apart:
        # tools disagree on what its payload digest covers, its block digest
        # alone says whether it is intact.
        return None
    return "digest mismatch: " + "; ".join(checker.problems)


def _payload_only(problems: list[str], record: ArcWarcRecord) -> bool:
    """Whether only the payload digest failed, beside a block digest that held."""
    has_block = bool(record.rec_headers.get_header("WARC-Block-Digest"))
    return has_block and all(problem.startswith("payload digest") for problem in problems)


def _not_http_response(record: ArcWarcRecord) -> str | None:
    """Why an http(s) response record's block is not an HTTP message, or ``None``.

    warcio parses any block of such a record as status line and headers, so
    a block that is something else would fail its payload digest and read as
    rot; it is a malformed record, reported as one.
    """
    headers = record.http_headers
    if record.rec_type != "response" or headers is None:
        return None
    if (headers.protocol or "").upper().startswith("HTTP/"):
        return None
    start = f"{headers.protocol or ''} {headers.statusline or ''}".strip()[:60]
    return f"not an HTTP response: its block starts {start!r}, not an HTTP status line"


def iter_records(
    path: Path,
    *,
    check_digests: bool = False,
    want_payload: Callable[[ArcWarcRecord], bool] | None = None,
    max_payload: int | None = None,
    start: int = 0,
) -> Iterator[RawRecord | ScanProblem]:
    """Every complete record of ``path`` in file order, and every problem met.

    :param check_digests: check each record's block and payload digests;
        a mismatch is a problem and the record is not yielded.
    :param want_payload: which records to read the decoded payload of.
    :param max_payload: longer decoded payloads are not kept (``oversize``);
        default :func:`archive.warcbounds.max_payload`.  Lines and header
        blocks are bounded too (:func:`archive.warcbounds.max_line`): a
        record past that limit is reported as damage and skipped.
    :param start: offset of the first record to read.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, across yields
    except OSError as exc:
        yield ScanProblem(path, 0, f"cannot open: {exc.strerror}; check its permissions")
        return
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            yield ScanProblem(path, 0, "empty file, no records; delete it")
            return
        handle.seek(start)
        head = handle.read(len(WARC_MAGIC))
        compressed = head.startswith(GZIP_MAGIC)
        if not compressed and not head.startswith(WARC_MAGIC):
            yield ScanProblem(path, start, "not a WARC file: neither gzip nor 'WARC/1.' here")
            return
        magic = GZIP_MAGIC if compressed else WARC_MAGIC
        limit = warcbounds.max_payload() if max_payload is None else max_payload
        position: int | None = start
        while position is not None:
            handle.seek(position)
            stopped_at, error = yield from _records_from(
                handle, path, check_digests, want_payload, limit, position, compressed
            )
            if error is None:
                # warcio ends quietly where a record was cut inside its header
                # (or its gzip member before any byte of it): say what is left.
                if problem := _cut_tail(handle, stopped_at, size, compressed):
                    yield ScanProblem(path, stopped_at, problem)
                return
            if error == ONE_STREAM or stopped_at < position:
                # Inside one gzip stream warcio's offsets mean nothing (it
                # gave -3355), and no record starts a member of its own.
                yield ScanProblem(path, position, f"unreadable from here: {error}")
                return
            if stopped_at == 0:
                yield ScanProblem(path, 0, f"not a WARC file: {error}")
                return
            position = _next_candidate(handle, stopped_at + 1, magic)
            skipped = f"bytes {stopped_at}–{position if position is not None else size}"
            yield ScanProblem(path, stopped_at, f"unreadable {skipped} skipped: {error}")


def _records_from(
    handle: object,
    path: Path,
    check_digests: bool,
    want_payload: Callable[[ArcWarcRecord], bool] | None,
    max_payload: int,
    start: int,
    compressed: bool,
) -> Generator[RawRecord | ScanProblem, None, tuple[int, str | None]]:
    """Records from ``start``, the handle's position.

    :returns: where reading broke and why; or, read to the end, where the last
        record ended and ``None``.
    """
    iterator = BoundedIterator(handle, check_digests=check_digests)
    end = start
    first = compressed
    try:
        for record in iterator:
            payload, oversize = None, False
            if want_payload is not None and want_payload(record):
                try:
                    payload = decoded_payload(record, max_payload)
                except RecordTooLarge:
                    oversize = True
            iterator.read_to_end()
            offset, length = iterator.member_info
            end = offset + length
            if first and not _member_ends_at(handle, end):
                # A whole file gzipped as one stream: no offset points at a record.
                return offset, ONE_STREAM
            first = False
            problem = _incomplete(record)
            if problem is not None:
                yield ScanProblem(path, offset, problem)
                continue
            yield RawRecord(path, offset, length, record, payload, oversize)
    except READ_ERRORS as exc:
        return iterator.offset, _describe(exc)
    return end, None


#: Bytes after the last record that are no damage: the blank lines closing it.
_BLANK = b"\r\n\t \x00"


def _cut_tail(handle: object, end: int, size: int, compressed: bool) -> str | None:
    """Why the bytes from ``end`` (where the last record ended) to ``size`` are
    damage, or ``None`` when there are none, or only blank lines."""
    if end >= size:
        return None
    handle.seek(end)  # type: ignore[attr-defined]
    tail = handle.read(min(size - end, _CHUNK))  # type: ignore[attr-defined]
    text, whole = tail, True
    while compressed and tail.strip(_BLANK):  # members holding blank lines, or nothing
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            text = inflater.decompress(tail, _CHUNK)
        except zlib.error:
            whole = False
            break
        whole = inflater.eof and not text.strip(_BLANK)
        if not whole:
            break
        tail = inflater.unused_data
    if whole and size - end <= _CHUNK and not text.strip(_BLANK):
        return None
    return (
        f"cut short: bytes {end}–{size} hold the start of a record and not its end "
        "(the file was truncated, or is still being written)"
    )


#: Why a file gzipped whole, as one stream, cannot be read record by record.
ONE_STREAM = "one gzip stream holds many records; fix with: warcio recompress IN OUT"


def _member_ends_at(handle: object, end: int) -> bool:
    """Whether a gzip member ends at ``end``: another member starts there (or
    the start of one, in a file cut short), or the file ends, maybe after a
    few blank lines."""
    if end <= 0:
        return False
    reading = handle.tell()  # type: ignore[attr-defined]
    handle.seek(end)  # type: ignore[attr-defined]
    after = handle.read(64)  # type: ignore[attr-defined]
    handle.seek(reading)  # type: ignore[attr-defined]
    if after.startswith(GZIP_MAGIC) or GZIP_MAGIC.startswith(after):  # a member, maybe cut
        return True
    return len(after) < 64 and not after.strip(_BLANK)


def _describe(error: BaseException) -> str:
    text = one_line(error)
    if "non-chunked gzip" in text:
        return ONE_STREAM
    head, said, line = text.partition("first line: ")
    if said and _looks_binary(line):
        # warcio shows the bytes it met as Latin-1: gibberish on a terminal.
        text = f"{head}first line: binary data, not a WARC header"
    return f"{type(error).__name__}: {text}"[:200]


def _looks_binary(text: str) -> bool:
    """Whether ``text`` (bytes read as Latin-1) is no header line but compressed data."""
    odd = sum(1 for char in text if not char.isascii() or not char.isprintable())
    return odd > len(text) // 10


def _next_candidate(handle: object, position: int, magic: bytes) -> int | None:
    """The offset of the next ``magic`` at or after ``position``, or ``None``."""
    handle.seek(position)  # type: ignore[attr-defined]
    carry = b""
    base = position
    while chunk := handle.read(_CHUNK):  # type: ignore[attr-defined]
        buffer = carry + chunk
        found = buffer.find(magic)
        if found >= 0:
            return base - len(carry) + found
        carry = buffer[-(len(magic) - 1) :]
        base += len(chunk)
    return None


def warc_fields(payload: bytes) -> dict[str, str]:
    """``application/warc-fields`` (warcinfo, metadata) as a dict, first value wins."""
    fields: dict[str, str] = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip(), value.strip())
    return fields
