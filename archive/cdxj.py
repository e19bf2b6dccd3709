"""CDXJ indexes beside WARC files, in the format pywb and OpenWayback read.

Each closed ``….warc.gz`` gets a ``….warc.gz.cdxj``: one line per response,
revisit and resource record, ``<SURT key> <14-digit timestamp> <JSON>``, sorted.
A record can then be fetched by URL and time without scanning its file.  The
lines come from ``cdxj-indexer`` (pywb's own indexer), so replay tools read
them as they read their own.
"""

from __future__ import annotations

import heapq
import io
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.warcbounds import WarcioBrotli, max_line, max_payload

SUFFIX = ".cdxj"
#: Bytes of a request body held in memory before it spills to disk, and read at once.
_SPOOLED = 1 << 16


def cdxj_path(warc: Path) -> Path:
    """Where the index of ``warc`` lives: beside it, named after it."""
    return warc.with_name(warc.name + SUFFIX)


def _indexer() -> Any:
    """``cdxj_indexer.main``, imported on first use.

    The indexer brings requests, pyamf and pkg_resources, a quarter of a
    second that commands never writing an index should not pay.  It reads
    each record's content through warcio, taught brotli here (see
    :class:`WarcioBrotli`).
    """
    with warnings.catch_warnings():
        # pyamf imports pkg_resources: setuptools 80 (as Scrapyd needs) warns
        # about that on every command's stderr.
        warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
        import cdxj_indexer.main
    import cdxj_indexer.bufferiter
    from warcio.bufferedreaders import BufferedReader

    BufferedReader.DECOMPRESSORS["br"] = WarcioBrotli
    cdxj_indexer.bufferiter.buffer_record_content = _buffer_request_body
    return cdxj_indexer.main


def _buffer_request_body(record: Any) -> None:
    """Keep what ``cdxj-indexer`` reads of a record's content: a request's
    body (a POST's form goes into its URL key), up to :func:`max_payload`.

    Its own version copies every record's content, decoded, to a temporary
    file: a gzip bomb's response, 4 MB in the WARC, wrote 4 GB to disk
    during a restore.  Nothing reads a response's copy.
    """
    spool = tempfile.SpooledTemporaryFile(_SPOOLED)  # noqa: SIM115 (the indexer closes it)
    if record.rec_type == "request":
        stream, left = record.content_stream(), max_payload()
        while left > 0 and (chunk := stream.read(min(_SPOOLED, left))):
            spool.write(chunk)
            left -= len(chunk)
    spool.seek(0)
    record.buffered_stream = spool


def _post_query() -> Any:
    """``cdxj_indexer.postquery``, once the indexer is imported."""
    _indexer()
    import cdxj_indexer.postquery

    return cdxj_indexer.postquery


@dataclass(slots=True, frozen=True)
class PostedBody:
    """What a request sent with its body: method, ``Content-Type`` and the body."""

    method: str
    content_type: str
    body: bytes


def write_cdxj(warc: Path, on_bad: Callable[[int, str], None] | None = None) -> Path:
    """Index the closed file ``warc``, reading it; returns the index's path.

    For files from elsewhere (a restore, a repair): the crawler's own files
    are indexed as they are written (:class:`CdxjLines`).  The indexer
    streams the file and sorts in bounded memory (spilling to temporary
    files past 32 MB of lines); the index appears under its final name only
    once complete.  A record it cannot index (a ``WARC-Date`` of "²²²") is
    left out, and ``on_bad`` told its offset and why: the indexer's own
    loop gave up on the whole file.
    """
    target = cdxj_path(warc)
    partial = target.with_name(target.name + ".part")
    indexer = _indexer().CDXJIndexer(str(partial), [str(warc)], sort=True, post_append=True)
    index_entry = indexer.process_index_entry

    def index_or_skip(records: Any, record: Any, filename: str, output: Any) -> None:
        try:
            index_entry(records, record, filename, output)
        except (TypeError, ValueError, IndexError) as exc:
            if on_bad is not None:
                on_bad(records.get_record_offset(), f"{type(exc).__name__}: {exc}")

    indexer.process_index_entry = index_or_skip
    indexer.process_all()
    os.replace(partial, target)
    return target


class CdxjLines:
    """The index of a WARC file being written, line by line as its records are.

    Reading a closed file back to index it costs about 0.5 ms a record, a
    twentieth of a crawl's CPU, and pauses the crawl when its file rotates.
    The records are at hand as they are written, so their lines are made
    then, by ``cdxj-indexer``'s own code (the same lines, field for field,
    as it writes reading the file), and sorted in its bounded memory.

    :param filename: the name the lines give the file (its final name).
    """

    def __init__(self, filename: str) -> None:
        main = _indexer()
        self._indexer = main.CDXJIndexer(None, [])
        self._indexer.curr_filename = filename
        self._lines = main.SortingWriter(None)

    def add(self, record: Any, offset: int, length: int, posted: PostedBody | None = None) -> None:
        """Index ``record`` (warcio's, as written) if replay looks it up.

        :param posted: for the response to a POST or PUT, what was sent.  Its
            line's key then carries the method and the form, as cdxj-indexer's
            ``--post-append`` writes it and pywb looks it up: without them, a
            listing's page 2 posted back would be replayed for its page 1.
        """
        if posted is not None and posted.method.upper() in ("POST", "PUT"):
            url = record.rec_headers.get_header("WARC-Target-URI")
            query, appended = _post_query().append_method_query(
                posted.method.upper(),
                posted.content_type,
                str(len(posted.body)),
                io.BytesIO(posted.body),
                url,
            )
            record.method = posted.method.upper()
            record.requestBody = query
            record.urlkey = self._indexer.get_url_key(url + appended)
        if self._indexer.filter_record(record):
            position = _Position(offset, length)
            self._indexer.process_index_entry(position, record, None, self._lines)

    def save(self, warc: Path) -> Path:
        """Write the sorted index beside ``warc``; it appears only once complete."""
        target = cdxj_path(warc)
        partial = target.with_name(target.name + ".part")
        with open(partial, "w", encoding="utf-8") as handle:
            self._lines.out = handle
            self._lines.flush()
        os.replace(partial, target)
        return target


@dataclass(slots=True, frozen=True)
class _Position:
    """Where a record sits in its file, as the indexer asks its reader."""

    offset: int
    length: int

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


@dataclass(slots=True, frozen=True)
class CdxjLine:
    """One index line: the SURT key, the timestamp, and the JSON fields.

    :param fields: ``url``, ``mime``, ``status``, ``digest``, ``length``,
        ``offset``, ``filename`` (all strings, as pywb writes them).
    """

    key: str
    timestamp: str
    fields: dict[str, str]


def read_cdxj(
    path: Path,
    timestamp: str | None = None,
    on_bad: Callable[[int, str], None] | None = None,
) -> Iterator[CdxjLine]:
    """The lines of index ``path``, only those at ``timestamp`` if given.

    Lines are read bounded (:func:`archive.warcbounds.max_line`); an overlong
    or malformed line is skipped, and ``on_bad`` told its byte offset and why.
    """
    limit = max_line()
    with open(path, "rb") as handle:
        while True:
            offset = handle.tell()
            raw = handle.readline(limit + 1)
            if not raw:
                return
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (rest := handle.readline(limit)) and not rest.endswith(b"\n"):
                    pass
                if on_bad is not None:
                    on_bad(offset, f"index line longer than {limit} bytes")
                continue
            try:
                key, stamp, data = raw.decode("utf-8").rstrip("\n").split(" ", 2)
                if timestamp is not None and stamp != timestamp:
                    continue
                fields = json.loads(data)
                if not isinstance(fields, dict):
                    raise ValueError("fields are not a JSON object")
            except ValueError as exc:
                if on_bad is not None:
                    on_bad(offset, f"malformed index line: {exc}")
                continue
            yield CdxjLine(key, stamp, {str(k): str(v) for k, v in fields.items()})


def merged_lines(warcs: Mapping[Path, str]) -> Iterator[str]:
    """One sorted CDXJ index of several WARC files, each line's ``filename`` renamed.

    :param warcs: each WARC file and the name its lines give it (its name in a
        WACZ package or a pywb collection).  A file with no index beside it
        (restored from elsewhere) is indexed on the way, in a scratch folder.

    The per-file indexes are merged, never loaded: memory stays flat.
    """
    with tempfile.TemporaryDirectory(prefix="dna-cdxj-") as scratch:
        yield from heapq.merge(
            *(_renamed(warc, name, Path(scratch)) for warc, name in warcs.items())
        )


def _renamed(warc: Path, name: str, scratch: Path) -> Iterator[str]:
    index = cdxj_path(warc)
    if not index.exists():
        link = scratch / warc.name
        link.symlink_to(warc.absolute())
        index = write_cdxj(link)
    # The indexer writes the file's own name: swapping that text is enough,
    # and five times faster than decoding and encoding every line.
    ours, theirs = f'"filename": {json.dumps(warc.name)}', f'"filename": {json.dumps(name)}'
    with open(index, encoding="utf-8") as handle:
        for line in handle:
            if ours in line:
                yield line.replace(ours, theirs)
                continue
            key, stamp, data = line.rstrip("\n").split(" ", 2)
            fields = json.loads(data)
            fields["filename"] = name
            yield f"{key} {stamp} {json.dumps(fields, ensure_ascii=False)}\n"
