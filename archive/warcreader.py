"""Reading single records back out of WARC files.

Captures in the database point at ``(file, offset)``; this module seeks there
and reads one record, streaming, without scanning the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders

from archive.warcwriter import OPEN_SUFFIX


class WarcReadError(Exception):
    """A record could not be read; the message names the file and offset."""


@dataclass(slots=True)
class StoredResponse:
    """A response record as archived.

    :param payload: the entity body with content-encoding (gzip…) removed.
    """

    url: str
    date: str
    record_type: str
    http_headers: StatusAndHeaders | None
    payload: bytes


def open_warc(path: Path) -> Path:
    """``path``, or its ``.open`` twin while the file is still being written."""
    if path.exists():
        return path
    twin = path.with_name(path.name + OPEN_SUFFIX)
    if twin.exists():
        return twin
    raise WarcReadError(f"{path}: WARC file not found")


def read_response(path: Path, offset: int) -> StoredResponse:
    """The record at ``offset`` in ``path``, its payload decoded for reading."""
    actual = open_warc(path)
    try:
        with open(actual, "rb") as handle:
            handle.seek(offset)
            record = next(iter(ArchiveIterator(handle)), None)
            if record is None:
                raise WarcReadError(f"{actual}:{offset}: no WARC record there")
            return StoredResponse(
                url=record.rec_headers.get_header("WARC-Target-URI") or "",
                date=record.rec_headers.get_header("WARC-Date") or "",
                record_type=record.rec_type,
                http_headers=record.http_headers,
                payload=record.content_stream().read(),
            )
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        raise WarcReadError(f"{actual}:{offset}: cannot read record: {exc}") from None


def read_payload(path: Path, offset: int) -> bytes:
    """The HTTP entity body of the record at ``offset``, gzip removed."""
    return read_response(path, offset).payload
