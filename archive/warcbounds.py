"""Bounded reading of WARC records: no file can make a read cost unbounded memory.

WARC files come from strangers, and a few kilobytes on disk can stand for
gigabytes: a gzip member inflating to one endless line, a header block of a
million lines, a gzip bomb kept compressed in a response body, a chunked body
announcing one 2 GiB chunk.  warcio reads a line, a chunk or a content-encoded
block whole, so every read here goes through these limits instead:

- **line** (``DNA_WARC_MAX_LINE``, default 1 MiB): the longest line, and the
  longest header block (WARC or HTTP headers) of one record;
- **payload** (``DNA_WARC_MAX_PAYLOAD``, default 64 MiB): the longest entity
  body once chunking and content-encoding are removed.

Past a limit a read raises :class:`RecordTooLarge` (a ``ValueError``, as other
damage is), and the caller reports the record as ``file:offset: problem`` and
skips it.  The environment variables exist so that tests (and archivists with
unusual files) can set other limits without a setting file.

Damage warcio would print to stderr and read past as an end of file (a gzip
member broken inside), or trip on (a response naming no URI), is raised here
as a read error too, and so reported and skipped like any other.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

MAX_LINE_VARIABLE = "DNA_WARC_MAX_LINE"
MAX_PAYLOAD_VARIABLE = "DNA_WARC_MAX_PAYLOAD"
DEFAULT_MAX_LINE = 1 << 20
DEFAULT_MAX_PAYLOAD = 64 << 20
#: What is read (and inflated) at a time.
BLOCK = 1 << 16

# warcio percent-encodes spaces in a WARC-Target-URI, the repair every reader
# makes, and logs the URI as it found it: a stranger's bytes, escape codes and
# all, on the terminal, once for each time the record is read.  The repair
# stays; the message goes.
logging.getLogger("warcio.recordloader").setLevel(logging.ERROR)


class RecordTooLarge(ValueError):
    """A line, header block or payload is longer than its limit."""


#: What reading a damaged or hostile record raises, here or in warcio: caught
#: by every reader, which reports the record and goes on.
READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError, IndexError, KeyError)


def _limit(variable: str, default: int) -> int:
    try:
        value = int(os.environ.get(variable, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def max_line() -> int:
    """The longest line or header block a record may have, in bytes."""
    return _limit(MAX_LINE_VARIABLE, DEFAULT_MAX_LINE)


def max_payload() -> int:
    """The longest decoded payload read back, in bytes."""
    return _limit(MAX_PAYLOAD_VARIABLE, DEFAULT_MAX_PAYLOAD)


class _BoundedLineReader(DecompressingBufferedReader):
    """warcio's gzip-member reader with every line bounded, and each header block too."""

    def __init__(self, *args: Any, line_limit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_limit = line_limit
        #: Bytes the current header block may still take; ``None`` outside headers.
        self.header_budget: int | None = None

    def readline(self, length: int | None = None) -> bytes:
        allowed = self.line_limit if self.header_budget is None else self.header_budget
        if length is not None and length < allowed:
            return self._counted(super().readline(length))
        line = super().readline(allowed + 1)
        if len(line) > allowed:
            what = "header block" if self.header_budget is not None else "line"
            raise RecordTooLarge(
                f"{what} longer than {self.line_limit} bytes ({MAX_LINE_VARIABLE})"
            )
        return self._counted(line)

    def _decompress(self, data: bytes) -> bytes:
        # Inside a member warcio writes a zlib error to stderr and reads on as
        # if the member had ended; raised, it is reported with file and offset.
        if self.decompressor is None or not data or self.num_block_read == 0:
            return super()._decompress(data)
        return self.decompressor.decompress(data)

    def _counted(self, line: bytes) -> bytes:
        if self.header_budget is not None:
            self.header_budget -= len(line)
        return line


class _CheckedLoader(ArcWarcRecordLoader):
    """warcio's record loader, refusing an HTTP record with no target URI.

    warcio assumes a response, request or revisit names its URI; a header
    block cut short or written by a careless tool need not, and warcio then
    fails with an ``AttributeError`` instead of a read error.
    """

    def load_http_headers(self, rec_type: str, uri: str | None, stream: Any, length: Any) -> Any:
        if uri is None and length != 0 and rec_type in self.HTTP_RECORDS:
            raise ArchiveLoadFailed(f"a {rec_type} record with no WARC-Target-URI")
        return super().load_http_headers(rec_type, uri, stream, length)


class BoundedIterator(ArchiveIterator):
    """An ``ArchiveIterator`` whose lines and header blocks are bounded (:func:`max_line`).

    It reads WARC only.  warcio falls back to the older ARC format for a first
    line that is not ``WARC/1.x``, and any line of five words passes as an ARC
    header: bytes from the middle of a gzip member sometimes do, and would
    come back as a "response" with no URL instead of an error.
    """

    # warcio prints a warning to stderr for a record not followed by blank
    # lines; the damage is reported by the parse error that follows.
    INC_RECORD = ""

    def __init__(self, fileobj: Any, **kwargs: Any) -> None:
        super().__init__(fileobj, **kwargs)
        self.reader = _BoundedLineReader(
            self.fh, block_size=kwargs.get("block_size", BLOCK), line_limit=max_line()
        )
        self.loader = _CheckedLoader(
            verify_http=kwargs.get("verify_http", False), arc2warc=kwargs.get("arc2warc", False)
        )

    def _next_record(self, next_line: bytes | None) -> ArcWarcRecord:
        reader = self.reader
        reader.header_budget = reader.line_limit
        try:
            record = super()._next_record(next_line)
        finally:
            reader.header_budget = None
        if record.format != "warc":
            raise ArchiveLoadFailed("not a WARC record (no WARC/1.x version line)")
        return record


def _raw_blocks(stream: Any) -> Iterator[bytes]:
    while block := stream.read(BLOCK):
        yield block


def _dechunked(stream: Any) -> Iterator[bytes]:
    """HTTP chunked transfer coding removed, chunk by bounded block.

    As warcio does, a body that is not validly chunked is passed on as it is.
    """
    first = True
    while True:
        line = stream.readline(64)
        try:
            size = int(line.split(b";")[0].strip(), 16)
            if size < 0 or not line.endswith(b"\n"):
                raise ValueError(line)
        except ValueError:
            if first:
                yield line
                yield from _raw_blocks(stream)
            return  # cut short after good chunks: keep what was whole
        first = False
        if size == 0:
            return
        while size:
            piece = stream.read(min(size, BLOCK))
            if not piece:
                return
            size -= len(piece)
            yield piece
        stream.readline(64)  # the CRLF after the chunk


def _inflater(encoding: str) -> Callable[[bytes, int], bytes] | None:
    """A function inflating the next input and pending output, at most ``n`` bytes per call."""
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)

        def inflate(data: bytes, most: int) -> bytes:
            return inflater.decompress(inflater.unconsumed_tail + data, most)

        return inflate
    if encoding == "deflate":
        return _deflate_inflater()
    if encoding == "br":
        decompressor = brotli.Decompressor()

        def unbrotli(data: bytes, most: int) -> bytes:
            if data and not decompressor.can_accept_more_data():
                raise RecordTooLarge("brotli stream stalled")
            return decompressor.process(data, output_buffer_limit=most)

        return unbrotli
    return None


def _deflate_inflater() -> Callable[[bytes, int], bytes]:
    """``deflate`` as browsers (and Scrapy) read it: zlib's stream, or a raw
    one, as old IIS and PHP servers send, told apart by the first two bytes."""
    inflater: Any = None
    head = b""

    def inflate(data: bytes, most: int) -> bytes:
        nonlocal inflater, head
        if inflater is None:
            head += data
            if len(head) < 2:
                return b""
            wrapped = head[0] & 0x0F == 8 and int.from_bytes(head[:2]) % 31 == 0
            gzipped = head.startswith(b"\x1f\x8b")
            inflater = zlib.decompressobj(
                zlib.MAX_WBITS | 32 if wrapped or gzipped else -zlib.MAX_WBITS
            )
            data, head = head, b""
        return inflater.decompress(inflater.unconsumed_tail + data, most)

    return inflate


class WarcioBrotli:
    """Google's brotli in the shape warcio's readers ask of a decompressor.

    warcio reads ``br`` bodies through zlib's interface (``decompress``,
    ``flush``, ``unused_data``) and sets ``unused_data`` on brotli's own
    decompressor, a C type with no room for it: every ``br`` response then
    raises AttributeError (warcio#73), and cdxj-indexer, which reads each
    record's content, gave up on the whole file.
    """

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()
        #: what follows the stream: nothing, brotli has no members.
        self.unused_data: bytes | None = None

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.process(data)

    def flush(self) -> bytes:
        return b""


def decoded_payload(record: ArcWarcRecord, limit: int | None = None) -> bytes:
    """The HTTP entity of ``record``, chunking and content-encoding removed.

    :param limit: the longest result (default :func:`max_payload`).
    :raises RecordTooLarge: the decoded payload is longer; reading stops there.
    A body that does not inflate is returned as stored (old servers mislabel).
    """
    limit = max_payload() if limit is None else limit
    raw = record.raw_stream
    headers = record.http_headers
    if headers is None:
        return _collect(_raw_blocks(raw), limit)
    chunked = (headers.get_header("transfer-encoding") or "").lower() == "chunked"
    blocks = _dechunked(raw) if chunked else _raw_blocks(raw)
    inflate = _inflater((headers.get_header("content-encoding") or "").strip().lower())
    if inflate is None:
        return _collect(blocks, limit)
    return _collect(_inflated(blocks, inflate, limit), limit)


def _inflated(
    blocks: Iterator[bytes], inflate: Callable[[bytes, int], bytes], limit: int
) -> Iterator[bytes]:
    stored: list[bytes] = []
    produced = False
    for block in blocks:
        try:
            data = inflate(block, BLOCK)
            while data:
                produced = True
                yield data
                data = inflate(b"", BLOCK)
        except (zlib.error, brotli.error):
            if produced:
                return  # damaged after a good start: keep what inflated
            yield from stored
            yield block
            yield from blocks
            return
        if not produced:
            stored.append(block)
            if sum(map(len, stored)) > limit:
                raise RecordTooLarge(f"payload longer than {limit} bytes ({MAX_PAYLOAD_VARIABLE})")


def _collect(blocks: Iterator[bytes], limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    for block in blocks:
        size += len(block)
        if size > limit:
            raise RecordTooLarge(f"payload longer than {limit} bytes ({MAX_PAYLOAD_VARIABLE})")
        parts.append(block)
    return b"".join(parts)
