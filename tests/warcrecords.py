"""Response and revisit records read back from WARC files, with their offsets."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders


class Stored(NamedTuple):
    """One response or revisit record as found in a WARC file."""

    path: Path
    kind: str
    uri: str
    status: str
    record_id: str
    digest: str
    offset: int
    raw: bytes
    http: StatusAndHeaders


def answers(path: Path) -> list[Stored]:
    """The response and revisit records of ``path``, with their offsets."""
    found = []
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            if record.rec_type not in ("response", "revisit"):
                continue
            headers = record.rec_headers
            raw = record.raw_stream.read()  # before get_record_offset(), which drains it
            found.append(
                Stored(
                    path,
                    record.rec_type,
                    headers.get_header("WARC-Target-URI"),
                    record.http_headers.get_statuscode(),
                    headers.get_header("WARC-Record-ID"),
                    headers.get_header("WARC-Payload-Digest"),
                    iterator.get_record_offset(),
                    raw,
                    record.http_headers,
                )
            )
    return found
