"""The HTTP responses held in a set of WARC files, revisits resolved.

A revisit record stores no payload: it names an earlier response with the
same payload digest (or ``WARC-Refers-To-Target-URI`` and ``-Date``), possibly
in another file.  :class:`ResponseScanner` hands out revisits with their
original's payload, so restore treats every capture alike.  Request,
metadata, resource and conversion records are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcio.timeutils import iso_date_to_datetime

from archive.records import CaptureRecord
from archive.warcreader import RevisitRef, StoredResponse, WarcReadError, read_response
from archive.warcscan import RawRecord, ScanProblem, iter_records, warc_fields
from archive.warcwriter import OPEN_SUFFIX

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord


@dataclass(slots=True)
class ArchivedResponse:
    """One HTTP response as a WARC file holds it.

    :param path: the file holding the record (a revisit's own file).
    :param status: the record's HTTP status (a server-not-modified revisit's is 304).
    :param headers: the record's HTTP headers, in order.
    :param body: the entity, chunking and content-encoding removed (a revisit's
        from its original); ``None`` when not wanted, too long or not found.
    :param page_status: the status that describes ``body`` (a 304's original's).
    :param page_headers: the headers that describe ``body``.
    :param oversize: the body was wanted but too long to keep.
    :param truncated: the record's ``WARC-Truncated`` reason, if any.
    :param warcinfo: the fields of the file's ``warcinfo`` record.
    :param revisit: what a revisit record refers to; ``None`` for a response.
    :param refers_to: the record id of a revisit's original, once found.
    :param listed_date: the sitemap/RSS date the crawl's metadata record kept.
    :param crawl: the id of the crawl that fetched it, as its metadata record says
        (``dna``'s own files only).
    :param fetch_reason: why it was fetched (``seed``, ``listing``, ``article``…).
    :param unreadable: why a revisit's original payload could not be read.
    """

    path: Path
    offset: int
    length: int
    record_id: str
    url: str
    date: datetime
    status: int
    headers: list[tuple[str, str]]
    payload_digest: str | None
    body: bytes | None = None
    page_status: int = 0
    page_headers: list[tuple[str, str]] = field(default_factory=list)
    oversize: bool = False
    truncated: str | None = None
    warcinfo: dict[str, str] = field(default_factory=dict)
    revisit: RevisitRef | None = None
    refers_to: str | None = None
    listed_date: datetime | None = None
    crawl: str | None = None
    fetch_reason: str | None = None
    unreadable: str | None = None

    def header(self, name: str) -> str | None:
        """The record's first HTTP header called ``name`` (any case)."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def capture(self) -> CaptureRecord:
        """This response as the live crawl records its capture."""
        validators = not self.truncated
        return CaptureRecord(
            url=self.url,
            fetched_at=self.date,
            status=self.status,
            content_type=self.header("content-type"),
            payload_digest=self.payload_digest or "",
            warc_file=self.path.name.removesuffix(OPEN_SUFFIX),
            warc_offset=self.offset,
            warc_length=self.length,
            record_id=self.record_id,
            etag=self.header("etag") if validators else None,
            last_modified=self.header("last-modified") if validators else None,
            refers_to=self.refers_to,
        )


class _NotHttp(Exception):
    """The record carries no usable HTTP response."""


def _content_type(record: ArcWarcRecord) -> str:
    headers = record.http_headers
    return (headers.get_header("content-type") or "") if headers else ""


def _moment(date: str | None) -> str:
    """A WARC date as a comparable key (precision and format vary between writers)."""
    return iso_date_to_datetime(date or "").isoformat()


class ResponseScanner:
    """Every HTTP response in ``paths``, in file order, then deferred revisits.

    Iterating yields :class:`ArchivedResponse` and :class:`ScanProblem` items;
    :attr:`bytes_done` follows progress through the files.  A revisit whose
    original comes later is yielded at the end; one whose original is in
    none of the files is yielded without a body, with a problem.

    :param want_body: which Content-Types to read bodies of (HTML, say).
    :param max_body: longer bodies are not kept (``oversize``).
    :param check_digests: skip, as problems, records whose digests fail.
    :param archived: where a revisit's original already archived is
        (path, offset, record id), by the record id it refers to: an
        incremental crawl's files restored after the files of its first.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        want_body: Callable[[str], bool],
        max_body: int,
        check_digests: bool = True,
        archived: Callable[[RevisitRef], tuple[Path, int, str] | None] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.archived = archived
        self.want_body = want_body
        self.max_body = max_body
        self.check_digests = check_digests
        self.bytes_total = sum(_size(path) for path in self.paths)
        self.bytes_done = 0
        # Record id, payload digest and "URI date" of each response seen:
        # where revisits find their originals.
        self._originals: dict[str, tuple[Path, int, str]] = {}

    def _wanted(self, record: ArcWarcRecord) -> bool:
        if record.rec_type in ("warcinfo", "metadata"):
            return True
        return record.rec_type == "response" and self.want_body(_content_type(record))

    def __iter__(self) -> Iterator[ArchivedResponse | ScanProblem]:
        deferred: list[ArchivedResponse] = []
        held: ArchivedResponse | None = None
        finished = 0
        for path in self.paths:
            warcinfo: dict[str, str] = {}
            for item in iter_records(
                path,
                check_digests=self.check_digests,
                want_payload=self._wanted,
                max_payload=self.max_body,
            ):
                if isinstance(item, ScanProblem):
                    yield item
                    continue
                self.bytes_done = finished + item.end
                record = item.record
                if record.rec_type == "warcinfo":
                    warcinfo = warc_fields(item.payload or b"")
                    continue
                if record.rec_type == "metadata":
                    _take_metadata(held, record, item.payload)
                    continue
                if record.rec_type not in ("response", "revisit"):
                    continue
                # A response waits for the next one: its metadata record
                # (after its request) may still add the feed date.
                yield from self._release(held, deferred)
                held = None
                try:
                    response = self._response(item, warcinfo)
                except _NotHttp as exc:
                    yield ScanProblem(path, item.offset, str(exc))
                    continue
                if response is None:
                    continue
                if response.revisit is None:
                    self._remember(response)
                held = response
            yield from self._release(held, deferred)
            held = None
            finished += _size(path)
            self.bytes_done = finished
        for revisit in deferred:
            if not self._resolve(revisit):
                yield ScanProblem(
                    revisit.path,
                    revisit.offset,
                    f"revisit of {revisit.url}: original response not in these WARC files "
                    "nor in the archive; kept as a capture, not read as a page (restore "
                    "the file holding the original too)",
                    skipped=False,
                )
                revisit.refers_to = revisit.revisit.record_id  # type: ignore[union-attr]
            yield from self._reported(revisit)

    def _release(
        self, held: ArchivedResponse | None, deferred: list[ArchivedResponse]
    ) -> Iterator[ArchivedResponse | ScanProblem]:
        """Yield a held response now, or defer a revisit whose original is still to come."""
        if held is None:
            return
        if held.revisit is None or self._resolve(held):
            yield from self._reported(held)
        else:
            deferred.append(held)

    def _reported(self, response: ArchivedResponse) -> Iterator[ArchivedResponse | ScanProblem]:
        """A problem for a body that could not be read (bounded reads), then the response."""
        if response.unreadable:
            yield ScanProblem(response.path, response.offset, response.unreadable)
        elif response.oversize:
            message = (
                f"response for {response.url}: body longer than {self.max_body} bytes once "
                "decoded; kept as a capture, not read as a page"
            )
            yield ScanProblem(response.path, response.offset, message, skipped=False)
        yield response

    def _response(self, item: RawRecord, warcinfo: dict[str, str]) -> ArchivedResponse | None:
        record = item.record
        get = record.rec_headers.get_header
        uri = (get("WARC-Target-URI") or "").strip("<>")
        if not uri.startswith(("http://", "https://")):
            return None  # dns:, whois: and other non-HTTP captures
        if record.http_headers is None:
            raise _NotHttp(f"{record.rec_type} record for {uri} has no HTTP headers")
        try:
            urlsplit(uri).port  # noqa: B018 - raises where no parser reads the URL ([::1, :99999)
            status = int(record.http_headers.get_statuscode())
            date = iso_date_to_datetime(get("WARC-Date") or "")
        except (TypeError, ValueError, IndexError) as exc:
            raise _NotHttp(f"{record.rec_type} record for {uri} is malformed: {exc}") from None
        headers = list(record.http_headers.headers)
        return ArchivedResponse(
            path=item.path,
            offset=item.offset,
            length=item.length,
            record_id=get("WARC-Record-ID") or "",
            url=uri,
            date=date.replace(tzinfo=UTC),
            status=status,
            headers=headers,
            payload_digest=get("WARC-Payload-Digest"),
            body=item.payload,
            page_status=status,
            page_headers=headers,
            oversize=item.oversize,
            truncated=get("WARC-Truncated"),
            warcinfo=warcinfo,
            revisit=RevisitRef.of(record),
        )

    def _remember(self, response: ArchivedResponse) -> None:
        place = (response.path, response.offset, response.record_id)
        self._originals[response.record_id] = place
        if response.payload_digest:
            self._originals.setdefault(response.payload_digest, place)
        self._originals[f"{response.url} {response.date.isoformat()}"] = place

    def _original(self, ref: RevisitRef) -> tuple[Path, int, str] | None:
        try:
            moment = _moment(ref.date)
        except (TypeError, ValueError, IndexError):
            moment = ""
        if ref.record_id and ref.record_id in self._originals:
            return self._originals[ref.record_id]
        if ref.record_id and self.archived and (found := self.archived(ref)):
            return found
        keys = (ref.payload_digest, f"{(ref.target_uri or '').strip('<>')} {moment}")
        found = next((self._originals[key] for key in keys if key in self._originals), None)
        if found is None and not ref.record_id and self.archived:
            found = self.archived(ref)  # named by URI and date only: maybe archived
        return found

    def _locate(self, ref: RevisitRef) -> tuple[Path, int] | None:
        original = self._original(ref)
        return original[:2] if original else None

    def _resolve(self, revisit: ArchivedResponse) -> bool:
        """Give ``revisit`` its original's payload, if the original has been seen."""
        original = self._original(revisit.revisit) if revisit.revisit else None
        if original is None:
            return False
        if self.want_body(revisit.header("content-type") or "") or revisit.status == 304:
            try:
                stored = read_response(
                    revisit.path, revisit.offset, locate=self._locate, limit=self.max_body
                )
            except WarcReadError as exc:
                revisit.unreadable = f"revisit of {revisit.url}: {exc}"
            else:
                self._take_payload(revisit, stored)
        revisit.refers_to = original[2]
        return True

    def _take_payload(self, revisit: ArchivedResponse, stored: StoredResponse) -> None:
        headers = stored.http_headers
        if headers is None or not self.want_body(headers.get_header("content-type") or ""):
            return
        if len(stored.payload) > self.max_body:
            revisit.oversize = True
            return
        revisit.body = stored.payload
        revisit.page_status = int(headers.get_statuscode())
        revisit.page_headers = list(headers.headers)


def _take_metadata(
    held: ArchivedResponse | None, record: ArcWarcRecord, payload: bytes | None
) -> None:
    """Give ``held`` what its own metadata record says: crawl, fetch reason, ``listedDate``."""
    if held is None or record.rec_headers.get_header("WARC-Concurrent-To") != held.record_id:
        return
    fields = warc_fields(payload or b"")
    held.crawl = fields.get("crawl")
    held.fetch_reason = fields.get("fetchReason")
    listed = fields.get("listedDate")
    if listed:
        try:
            held.listed_date = datetime.fromisoformat(listed)
        except ValueError:
            return


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
