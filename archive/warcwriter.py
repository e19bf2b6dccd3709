"""Writing HTTP exchanges to rotating WARC/1.1 files.

Each record is its own gzip member, so a file can be read (and a crashed one
recovered) record by record.  A file is written as ``….warc.gz.open`` and
renamed when closed, with its index beside it (:mod:`archive.cdxj`, made as
the records are written); readers know both names.  Bodies are never decoded:
what the server sent is what is stored.

A payload archived before is not stored again: :meth:`WarcFileWriter.write_revisit`
writes a ``revisit`` record (headers only) that points at the response holding it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import struct
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.client import responses
from pathlib import Path
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive.cdxj import CdxjLines, PostedBody
from archive.records import CaptureRecord

OPEN_SUFFIX = ".open"
DEFAULT_MAX_SIZE = 1_000_000_000

#: A payload at least this large is tried for compressibility before it is deflated.
_TRIAL_FROM = 16_384
#: How much of it is tried, and what share of that deflating must save to go on.
_TRIAL_SIZE = 4_096
_TRIAL_SAVING = 0.1
#: The start of each record's gzip member (RFC 1952): deflate, no name, no time, Unix.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"

#: Revisit profiles (WARC/1.1): the same payload digest seen again, or a 304.
IDENTICAL_PAYLOAD_DIGEST = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"

# Headers the transport consumed: they describe framing we no longer hold.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
# Characters left alone when percent-encoding a target URI.
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass(slots=True)
class HttpRequestData:
    """An HTTP request as it went on the wire.

    :param headers: header pairs in order; ``Host`` is added if missing.
    """

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass(slots=True)
class HttpResponseData:
    """An HTTP response as the server sent it, transfer framing removed.

    :param body: the entity body, content-encoding (gzip…) kept.
    :param protocol: e.g. ``HTTP/1.1``.
    :param truncated: a ``WARC-Truncated`` reason when the body is incomplete.
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    protocol: str = "HTTP/1.1"
    reason: str | None = None
    ip_address: str | None = None
    truncated: str | None = None


def warc_uri(url: str) -> str:
    """``url`` as a WARC-Target-URI: no brackets, non-ASCII percent-encoded."""
    return quote(url, safe=_URI_SAFE)


def warc_date(moment: datetime) -> str:
    """A UTC ISO 8601 WARC-Date with microseconds (WARC/1.1)."""
    return datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def payload_digest(body: bytes) -> str:
    """The ``WARC-Payload-Digest`` of ``body`` as warcio writes it: ``sha1:<base32>``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _response_headers(response: HttpResponseData) -> StatusAndHeaders:
    reason = response.reason or responses.get(response.status, "")
    headers = [(k, v) for k, v in response.headers if k.lower() not in _FRAMING_HEADERS]
    # The transport removed chunking; the stored Content-Length must match
    # the stored body, or replay tools will cut or hang.
    headers.append(("Content-Length", str(len(response.body))))
    return StatusAndHeaders(
        f"{response.status} {reason}".strip(), headers, protocol=response.protocol
    )


def _record_headers(response: HttpResponseData, fetched_at: datetime) -> dict[str, str]:
    headers = {"WARC-Date": warc_date(fetched_at)}
    if response.ip_address:
        headers["WARC-IP-Address"] = response.ip_address
    if response.truncated:
        headers["WARC-Truncated"] = response.truncated
    return headers


def _request_headers(request: HttpRequestData, protocol: str) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = warc_uri(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(request.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(
        f"{request.method} {target}", headers, protocol=protocol, is_http_request=True
    )


@dataclass
class _OpenFile:
    path: Path
    handle: io.BufferedWriter
    index: CdxjLines
    size: int = 0
    records: int = field(default=0)

    @property
    def final_name(self) -> str:
        return self.path.name.removesuffix(OPEN_SUFFIX)


def writer_suffix(pid: int, host: str | None = None) -> str:
    """How a WARC file name ends: the writing process and its short host name.

    Workers on many machines never pick the same name, and a resume finds the
    files of the crawl it picks up by it.
    """
    short = (host or socket.gethostname()).split(".")[0] or "localhost"
    return f"-{pid}~{short}.warc.gz"


class WarcFileWriter:
    """Writes exchanges to ``directory``, rotating files at ``max_size`` bytes.

    :param directory: where the files go (``DATA/warc/<site>``).
    :param prefix: file name prefix, normally the site name.
    :param info: fields of each file's ``warcinfo`` record (software, operator…).
    :param max_size: rotate once a file has reached this many bytes.
    :param compress_level: zlib level of each record's gzip member (a payload
        that does not deflate is stored: see :func:`deflates`).
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        info: dict[str, str] | None = None,
        max_size: int = DEFAULT_MAX_SIZE,
        compress_level: int = 6,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.info = dict(info or {})
        self.max_size = max_size
        self.compress_level = compress_level
        self.bytes_written = 0
        self.files_closed: list[Path] = []
        self._serial = 0
        self._file: _OpenFile | None = None
        # warcio builds the records; we compress each one ourselves so every
        # record is its own gzip member at a sensible level (warcio uses 9),
        # and a payload compressed already is stored, not deflated again.
        self._buffer = io.BytesIO()
        self._builder = WARCWriter(self._buffer, gzip=False, warc_version="1.1")

    # -- files ------------------------------------------------------------

    def _new_file(self) -> _OpenFile:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        name = f"{self.prefix}-{stamp}-{self._serial:05d}{writer_suffix(os.getpid())}"
        path = self.directory / (name + OPEN_SUFFIX)
        # The index first: it imports the indexer, a quarter of a second a
        # killed crawl should not spend with an empty file on disk.
        index = CdxjLines(name)
        opened = _OpenFile(path, open(path, "xb"), index)  # noqa: SIM115 - closed in close()
        self._file = opened
        info = {
            "software": "dna (District News Archive)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        }
        info.update(self.info)
        record = self._builder.create_warcinfo_record(name, info)
        self._append(opened, record)
        return opened

    def _current(self) -> _OpenFile:
        return self._file or self._new_file()

    def _append(
        self, opened: _OpenFile, record: object, stored: int = 0, posted: PostedBody | None = None
    ) -> tuple[int, int]:
        """Write ``record`` as one gzip member; its last ``stored`` payload bytes
        stored as is.  ``posted``: what its request sent (see :meth:`CdxjLines.add`)."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._builder.write_record(record)
        data = self._buffer.getvalue()
        # The record ends with its payload and the blank line closing it.
        member = gzip_member(data, self.compress_level, len(data) - stored - 4 if stored else None)
        offset = opened.size
        opened.handle.write(member)
        opened.index.add(record, offset, len(member), posted)
        opened.size += len(member)
        opened.records += 1
        self.bytes_written += len(member)
        return offset, len(member)

    def close(self) -> None:
        """Close the current file, drop its ``.open`` suffix and index it (CDXJ)."""
        opened, self._file = self._file, None
        if opened is None:
            return
        opened.handle.close()
        final = opened.path.with_name(opened.final_name)
        os.replace(opened.path, final)
        opened.index.save(final)
        self.files_closed.append(final)

    def __enter__(self) -> WarcFileWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- records ----------------------------------------------------------

    def write_exchange(
        self,
        request: HttpRequestData,
        response: HttpResponseData,
        fetched_at: datetime,
        metadata: list[tuple[str, str]] | None = None,
    ) -> CaptureRecord:
        """Store a response, then its request, then optional crawl facts.

        :param metadata: ``application/warc-fields`` pairs about the fetch
            (site, crawl, via, why it was fetched), kept in a ``metadata``
            record concurrent to the response.
        """
        record = self._builder.create_warc_record(
            warc_uri(request.url),
            "response",
            payload=io.BytesIO(response.body),
            length=len(response.body),
            warc_headers_dict=_record_headers(response, fetched_at),
            http_headers=_response_headers(response),
        )
        return self._write(request, response, fetched_at, record, metadata)

    def write_revisit(
        self,
        request: HttpRequestData,
        response: HttpResponseData,
        fetched_at: datetime,
        original: CaptureRecord,
        metadata: list[tuple[str, str]] | None = None,
    ) -> CaptureRecord:
        """Store a response whose payload ``original`` holds: its headers, no body.

        A 304 answer gets the server-not-modified profile, any other the
        identical-payload-digest one (``response.body`` must then have
        ``original``'s payload digest).  The record names ``original`` by
        record id, URI and date, which replay tools need to find the payload.
        The request and metadata records follow as for a response.

        :param original: a response stored in full, never another revisit.
        :returns: the capture, with ``refers_to`` set and ``original``'s digest.
        """
        if original.refers_to is not None:
            raise ValueError(f"{original.record_id} is a revisit: refer to its original")
        if response.status == 304:
            profile = SERVER_NOT_MODIFIED
        elif payload_digest(response.body) == original.payload_digest:
            profile = IDENTICAL_PAYLOAD_DIGEST
        else:
            raise ValueError(f"{request.url}: payload differs from {original.record_id}'s")
        headers = _record_headers(response, fetched_at)
        headers["WARC-Refers-To"] = original.record_id
        record = self._builder.create_revisit_record(
            warc_uri(request.url),
            original.payload_digest,
            warc_uri(original.url),
            warc_date(original.fetched_at),
            http_headers=_response_headers(response),
            warc_headers_dict=headers,
        )
        record.rec_headers.replace_header("WARC-Profile", profile)
        capture = self._write(request, response, fetched_at, record, metadata)
        return replace(capture, refers_to=original.record_id)

    def _write(
        self,
        request: HttpRequestData,
        response: HttpResponseData,
        fetched_at: datetime,
        record: object,
        metadata: list[tuple[str, str]] | None,
    ) -> CaptureRecord:
        """Append ``record`` (response or revisit), its request and metadata."""
        rec_headers = record.rec_headers  # type: ignore[attr-defined]
        record_type = rec_headers.get_header("WARC-Type")
        uri = rec_headers.get_header("WARC-Target-URI")
        date = rec_headers.get_header("WARC-Date")
        record_id = rec_headers.get_header("WARC-Record-ID")
        request_record = self._builder.create_warc_record(
            uri,
            "request",
            payload=io.BytesIO(request.body),
            length=len(request.body),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
            http_headers=_request_headers(request, response.protocol),
        )
        opened = self._current()
        stored = 0 if record_type == "revisit" or deflates(response) else len(response.body)
        posted = None
        if request.body:
            content_type = _header(request.headers, "content-type") or ""
            posted = PostedBody(request.method, content_type, request.body)
        offset, length = self._append(opened, record, stored, posted)
        self._append(opened, request_record)
        if metadata:
            self._append(opened, self._metadata_record(uri, date, record_id, metadata))
        opened.handle.flush()
        # A truncated body must not become the basis of a 304 on recrawl.
        validators = not response.truncated
        capture = CaptureRecord(
            url=request.url,
            fetched_at=fetched_at.astimezone(UTC),
            status=response.status,
            content_type=_header(response.headers, "content-type"),
            payload_digest=rec_headers.get_header("WARC-Payload-Digest"),
            warc_file=opened.final_name,
            warc_offset=offset,
            warc_length=length,
            record_id=record_id,
            etag=_header(response.headers, "etag") if validators else None,
            last_modified=_header(response.headers, "last-modified") if validators else None,
        )
        if opened.size >= self.max_size:
            self.close()
        return capture

    def _metadata_record(
        self, uri: str, date: str, concurrent_to: str, fields: list[tuple[str, str]]
    ) -> object:
        body = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")
        return self._builder.create_warc_record(
            uri,
            "metadata",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to},
        )


def gzip_member(data: bytes, level: int, stored_from: int | None = None) -> bytes:
    """``data`` as one gzip member, deflated at ``level``, from ``stored_from`` on stored.

    Any gzip reader reads it as any other member: the deflate stream is the
    head deflated and flushed to a byte boundary, then stored blocks.
    """
    view = memoryview(data)
    deflated = len(data) if stored_from is None else stored_from
    compressor = zlib.compressobj(level, zlib.DEFLATED, *_window_for(deflated))
    if stored_from is None:
        stream = compressor.compress(view) + compressor.flush()
    else:
        # A sync flush ends the deflated part on a byte boundary, not final:
        # stored blocks continue it.
        stream = compressor.compress(view[:stored_from]) + compressor.flush(zlib.Z_SYNC_FLUSH)
        stream += _stored_blocks(view[stored_from:])
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return b"".join((_GZIP_HEADER, stream, trailer))


#: The most bytes one stored deflate block holds (RFC 1951, 3.2.4).
_STORED_BLOCK = 0xFFFF


def _stored_blocks(data: memoryview) -> bytes:
    """``data`` as deflate's stored blocks from a byte boundary, the last final.

    Each is a header byte (final or not, type 00), the length and its
    complement, then the bytes as they are: what zlib writes at level 0,
    without allocating a compressor for bytes it will not compress.
    """
    blocks = []
    for start in range(0, max(len(data), 1), _STORED_BLOCK):
        chunk = data[start : start + _STORED_BLOCK]
        final = start + _STORED_BLOCK >= len(data)
        blocks += (struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF), chunk)
    return b"".join(blocks)


#: zlib's smallest window for raw deflate: 2**9 bytes.
_SMALLEST_WINDOW = 9


def _window_for(size: int) -> tuple[int, int]:
    """The raw-deflate window bits and memory level for ``size`` bytes of input.

    zlib's defaults allocate about 256 KiB a stream, and three of a page's
    four streams deflate well under 1 KiB (a request, a response's headers
    before its stored body, a metadata record): that allocation was most of
    their cost.  A window no larger than the input compresses it as well,
    and any inflater reads it.
    """
    bits = min(max(_SMALLEST_WINDOW, (size - 1).bit_length()), zlib.MAX_WBITS)
    return -bits, min(8, bits - 6)


def deflates(response: HttpResponseData) -> bool:
    """Whether deflating ``response``'s payload is worth its CPU.

    A payload compressed already (a gzip or brotli transfer, a photo, a
    ZIP) shrinks by well under 1% at any zlib level, at about 20 ms a
    megabyte; stored, it costs a copy.  A Content-Encoding says so outright;
    a large body without one is judged by deflating a sample from its
    middle, whatever its type claims.
    """
    encoding = _header(response.headers, "content-encoding")
    if encoding and encoding.strip().lower() != "identity":
        return False
    body = response.body
    if len(body) < _TRIAL_FROM:
        return True
    middle = (len(body) - _TRIAL_SIZE) // 2
    sample = body[middle : middle + _TRIAL_SIZE]
    trial = zlib.compressobj(1, zlib.DEFLATED, -12, 4)
    return len(trial.compress(sample) + trial.flush()) <= (1 - _TRIAL_SAVING) * len(sample)


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None
