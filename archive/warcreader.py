"""Reading single records back out of WARC files.

Captures in the database point at ``(file, offset)``; this module seeks there
and reads one record, streaming, without scanning the file.  A ``revisit``
record holds no payload: reading one resolves it to the response it refers
to, found through a :data:`Locate` function (by default, the CDXJ indexes
beside the WARC file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_datetime, iso_date_to_timestamp

from archive.cdxj import cdxj_path, read_cdxj
from archive.messages import one_line
from archive.warcbounds import READ_ERRORS, BoundedIterator, decoded_payload
from archive.warcwriter import OPEN_SUFFIX, SERVER_NOT_MODIFIED


class WarcReadError(Exception):
    """A record could not be read; the message names the file and offset.

    Messages quote the file (URLs, parse errors): they print on one line, controls neutralised.
    """

    def __str__(self) -> str:
        return one_line(super().__str__())


@dataclass(slots=True, frozen=True)
class RevisitRef:
    """What a revisit record says about the response that holds its payload.

    :param profile: the ``WARC-Profile`` (identical-payload-digest or server-not-modified).
    :param record_id: ``WARC-Refers-To``, if the writer knew it (ours always do).
    :param target_uri: ``WARC-Refers-To-Target-URI``.
    :param date: ``WARC-Refers-To-Date``.
    :param payload_digest: ``WARC-Payload-Digest``: the original's.
    """

    profile: str
    record_id: str | None
    target_uri: str | None
    date: str | None
    payload_digest: str | None

    @classmethod
    def of(cls, record: ArcWarcRecord) -> RevisitRef | None:
        """The reference of a revisit ``record``; ``None`` for other record types."""
        if record.rec_type != "revisit":
            return None
        get = record.rec_headers.get_header
        return cls(
            profile=get("WARC-Profile") or "",
            record_id=get("WARC-Refers-To"),
            target_uri=get("WARC-Refers-To-Target-URI"),
            date=get("WARC-Refers-To-Date"),
            payload_digest=get("WARC-Payload-Digest"),
        )

    def original_time(self) -> datetime | None:
        """``WARC-Refers-To-Date`` as a UTC time; ``None`` if absent or unreadable."""
        try:
            return iso_date_to_datetime(self.date).replace(tzinfo=UTC) if self.date else None
        except (ValueError, IndexError):
            return None


#: Finds the ``(path, offset)`` of the response a revisit refers to, or ``None``.
#: A restore or verify that scans files can answer from what it has seen.
Locate = Callable[[RevisitRef], "tuple[Path, int] | None"]


@dataclass(slots=True)
class StoredResponse:
    """A response as archived; for a revisit, resolved to its original's payload.

    :param url: the record's ``WARC-Target-URI``.
    :param date: the record's ``WARC-Date``.
    :param record_type: ``response``, ``revisit``, or whatever else was there.
    :param http_headers: the headers describing ``payload``.  A server-not-modified
        revisit's are its original's (a 304 describes no body).
    :param payload: the entity body with content-encoding (gzip…) removed.
    :param record_id: the record's ``WARC-Record-ID``.
    :param payload_digest: the record's ``WARC-Payload-Digest``, if it has one.
    :param revisit: for a revisit, what it refers to (and where the payload came from).
    """

    url: str
    date: str
    record_type: str
    http_headers: StatusAndHeaders | None
    payload: bytes
    record_id: str = ""
    payload_digest: str = ""
    revisit: RevisitRef | None = None


def open_warc(path: Path) -> Path:
    """``path``, or its ``.open`` twin while the file is still being written."""
    if path.exists():
        return path
    twin = path.with_name(path.name + OPEN_SUFFIX)
    if twin.exists():
        return twin
    raise WarcReadError(f"{path}: WARC file not found")


def _read(
    path: Path, offset: int, limit: int | None = None
) -> tuple[Path, StoredResponse, RevisitRef | None]:
    actual = open_warc(path)
    try:
        with open(actual, "rb") as handle:
            handle.seek(offset)
            record = next(iter(BoundedIterator(handle)), None)
            if record is None:
                raise WarcReadError(f"{actual}:{offset}: no WARC record there")
            get = record.rec_headers.get_header
            stored = StoredResponse(
                url=get("WARC-Target-URI") or "",
                date=get("WARC-Date") or "",
                record_type=record.rec_type,
                http_headers=record.http_headers,
                payload=decoded_payload(record, limit),
                record_id=get("WARC-Record-ID") or "",
                payload_digest=get("WARC-Payload-Digest") or "",
            )
            return actual, stored, RevisitRef.of(record)
    except READ_ERRORS as exc:
        raise WarcReadError(f"{actual}:{offset}: cannot read record: {exc}") from None


def read_response(
    path: Path, offset: int, locate: Locate | None = None, *, limit: int | None = None
) -> StoredResponse:
    """The record at ``offset`` in ``path``, its payload decoded for reading.

    Every read is bounded (:mod:`archive.warcbounds`): a payload longer than
    ``limit`` once decoded (default :func:`~archive.warcbounds.max_payload`),
    or an overlong line, raises :class:`WarcReadError` instead of filling memory.

    A revisit is resolved to the payload of its original response, found by
    ``locate`` (default: :func:`locate_beside` ``path``).  Raises
    :class:`WarcReadError` if the original cannot be found, is itself a
    revisit, or holds another payload.
    """
    actual, stored, ref = _read(path, offset, limit)
    if ref is None:
        return stored
    where = (locate or locate_beside(actual))(ref)
    if where is None:
        raise WarcReadError(
            f"{actual}:{offset}: revisit of {ref.target_uri} at {ref.date}: original not found"
            " (are all of the site's WARC files and their .cdxj indexes in one directory?)"
        )
    _, original, original_ref = _read(*where, limit)
    if original.record_type != "response" or original_ref is not None:
        raise WarcReadError(
            f"{actual}:{offset}: revisit refers to a {original.record_type} record, not a response"
        )
    # Another record of the same payload serves as well: the digest is the point.
    same_payload = bool(ref.payload_digest) and original.payload_digest == ref.payload_digest
    if ref.record_id and original.record_id != ref.record_id and not same_payload:
        raise WarcReadError(
            f"{actual}:{offset}: revisit of {ref.record_id}, but the record at "
            f"{where[0]}:{where[1]} is {original.record_id or 'unnamed'}, of another payload"
        )
    stored.payload = original.payload
    stored.revisit = ref
    if ref.profile == SERVER_NOT_MODIFIED:
        stored.http_headers = original.http_headers
    return stored


def read_payload(path: Path, offset: int, locate: Locate | None = None) -> bytes:
    """The HTTP entity body of the record at ``offset``, gzip removed, revisits resolved."""
    return read_response(path, offset, locate).payload


def locate_beside(warc: Path) -> Locate:
    """A :data:`Locate` searching the WARC files in ``warc``'s directory.

    Closed files are searched through their CDXJ index; a file without one
    (still ``.open``, or written by another tool) is scanned.  Fine for one
    lookup (``dna show --raw``); for many, build a map while scanning instead.
    """
    directory = warc.parent

    def locate(ref: RevisitRef) -> tuple[Path, int] | None:
        if not ref.target_uri or not ref.date:
            return None
        timestamp = iso_date_to_timestamp(ref.date)
        for path in sorted(directory.iterdir()):
            if not path.name.endswith((".warc.gz", ".warc.gz" + OPEN_SUFFIX)):
                continue
            index = cdxj_path(path)
            offsets = (
                _indexed_offsets(index, ref, timestamp)
                if index.exists()
                else _scanned_offsets(path, ref)
            )
            for offset in offsets:
                if _is_original(path, offset, ref):
                    return path, offset
        return None

    return locate


def _indexed_offsets(index: Path, ref: RevisitRef, timestamp: str) -> Iterator[int]:
    for line in read_cdxj(index, timestamp):
        fields = line.fields
        if (
            fields.get("url") == ref.target_uri
            and fields.get("mime") != "warc/revisit"
            and (not ref.payload_digest or fields.get("digest") == ref.payload_digest)
        ):
            yield int(fields["offset"])


def _scanned_offsets(path: Path, ref: RevisitRef) -> Iterator[int]:
    try:
        with open(path, "rb") as handle:
            records = BoundedIterator(handle)
            for record in records:
                get = record.rec_headers.get_header
                if record.rec_type == "response" and (
                    get("WARC-Record-ID") == ref.record_id
                    or (get("WARC-Target-URI"), get("WARC-Date")) == (ref.target_uri, ref.date)
                ):
                    yield records.get_record_offset()
    except READ_ERRORS:
        return  # a crashed file: what was readable has been searched


def _is_original(path: Path, offset: int, ref: RevisitRef) -> bool:
    if not ref.record_id:
        return True
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            record = next(iter(BoundedIterator(handle)), None)
            return record is not None and record.rec_headers.get_header("WARC-Record-ID") == (
                ref.record_id
            )
    except READ_ERRORS:
        return False
