"""WACZ packages: one verifiable file holding a collection, for anyone's replay tools.

A WACZ (Web Archive Collection Zipped, specification 1.1.1) is a ZIP that
ReplayWeb.page opens in a browser with no server::

    archive/<name>.warc.gz       the WARC files, byte for byte, stored (not deflated)
    indexes/index.cdx            one CDXJ index of every record, sorted
    pages/pages.jsonl            one line per article: url, ts, title and its text
    datapackage.json             every file's path, sha256 and size
    datapackage-digest.json      the sha256 of datapackage.json

- **Names.**  Resource names must match ``^[-a-z0-9._/]+$``; ours hold ``~``
  and capitals (``…-15226~vm.warc.gz``).  Members get a lowercase name with
  anything else made ``-``; each WARC resource keeps its archive name in
  ``dna_warc_file`` (:data:`ORIGINAL_NAME`), and a restore puts that name back,
  so captures point at the same file and offset as in the archive.
- **Streaming.**  WARC files are copied in 1 MB chunks, hashed while copied;
  the index is a merge of the per-file CDXJ files beside them; pages stream
  from the database.  Memory stays flat however large the archive.
- **Reading.**  :func:`unpack_wacz` takes the WARC files out of a package,
  ours or another tool's, checking every hash, and reports damage (a cut
  ZIP, a digest that does not match, a missing member) while keeping all
  that is intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import select

from archive.cdxj import merged_lines
from archive.messages import one_line
from archive.models import Article, ArticleVersion, Capture, Site
from archive.warcscan import RawRecord, ScanProblem, iter_records

if TYPE_CHECKING:
    from archive.layout import DataDir
    from archive.store import Store

WACZ_VERSION = "1.1.1"
INDEX_PATH = "indexes/index.cdx"
PAGES_PATH = "pages/pages.jsonl"
DATAPACKAGE = "datapackage.json"
DIGEST = "datapackage-digest.json"
#: The resource field that keeps a WARC member's name in the archive.
ORIGINAL_NAME = "dna_warc_file"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}
_CHUNK = 1 << 20
#: Large enough that handing a chunk to the hashing thread costs nothing.
_STORED_CHUNK = 4 << 20
_NAME_JUNK = re.compile(r"[^-a-z0-9._]+")
#: What ``zipfile`` raises for a damaged package: besides its own error, a
#: directory pointing outside the file, an unknown method or version, a
#: flag for encryption, or data ending early.
_ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
)
#: What may not be in a file name on the disks a restore writes to.
_FILE_JUNK = re.compile(r"[\x00-\x1f/\\]+")
_CLOSED_WARCS = ("*.warc.gz", "*.warc")


class WaczError(Exception):
    """A package that cannot be written: nothing to put in it, or no room."""


@dataclass(frozen=True, slots=True)
class WaczRequest:
    """What to package.

    :param sites: site names; empty with ``all_sites``: every site with captures.
    :param since: only WARC files holding a capture at or after it (UTC).
    :param until: only WARC files holding a capture before it (UTC).
    :param title: the package's title (default: names the sites).
    """

    sites: tuple[str, ...] = ()
    all_sites: bool = False
    since: datetime | None = None
    until: datetime | None = None
    title: str | None = None


@dataclass(slots=True)
class WaczReport:
    """What a package holds."""

    path: Path
    sites: list[str] = field(default_factory=list)
    warcs: int = 0
    pages: int = 0
    bytes: int = 0
    skipped_open: list[Path] = field(default_factory=list)


def member_name(original: str, taken: set[str]) -> str:
    """A member name that satisfies the Data Package rule, unique among ``taken``."""
    base = _NAME_JUNK.sub("-", original.lower()).strip("-.") or "warc"
    name, stem, number = base, base, 1
    while name in taken:
        number += 1
        dot = stem.find(".warc")
        name = f"{stem[:dot]}-{number}{stem[dot:]}" if dot > 0 else f"{stem}-{number}"
    taken.add(name)
    return name


class _Hashing:
    """A writable that hashes and counts what passes through it."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)

    def resource(self, path: str) -> dict[str, object]:
        return {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "hash": "sha256:" + self.sha256.hexdigest(),
            "bytes": self.size,
        }


# -- choosing what goes in ------------------------------------------------------


def _chosen_sites(store: Store, request: WaczRequest) -> list[str]:
    with store.session() as session:
        known = set(session.scalars(select(Site.name)))
        with_captures = set(
            session.scalars(select(Site.name).join(Capture, Capture.site_id == Site.id).distinct())
        )
    if request.all_sites:
        if not with_captures:
            raise WaczError("the archive has no captures yet: crawl a site first (`dna crawl`)")
        return sorted(with_captures)
    for name in request.sites:
        if name not in known:
            raise WaczError(f"no site {name!r} in the archive (`dna sites list` lists them)")
        if name not in with_captures:
            raise WaczError(
                f"site {name!r} has no captures yet: crawl it first (`dna crawl {name}`)"
            )
    return list(dict.fromkeys(request.sites))


def _window(query, request: WaczRequest):  # type: ignore[no-untyped-def]
    if request.since is not None:
        query = query.where(Capture.fetched_at >= request.since)
    if request.until is not None:
        query = query.where(Capture.fetched_at < request.until)
    return query


def _chosen_warcs(store: Store, data: DataDir, site: str, request: WaczRequest) -> list[Path]:
    """The site's closed WARC files, only those holding a capture in the window if one is set."""
    folder = data.warc_dir(site)
    present = sorted({path for pattern in _CLOSED_WARCS for path in folder.glob(pattern)})
    if request.since is None and request.until is None:
        return present
    query = (
        select(Capture.warc_file)
        .join(Site, Capture.site_id == Site.id)
        .where(Site.name == site)
        .distinct()
    )
    with store.session() as session:
        wanted = set(session.scalars(_window(query, request)))
    return [path for path in present if path.name in wanted]


def _pages(
    store: Store,
    sites: list[str],
    request: WaczRequest,
    files: set[str],
    unaccented: Callable[[str], str] | None,
) -> Iterator[dict]:
    """One ``pages.jsonl`` entry per article whose current capture is in the package."""
    query = _window(
        select(Capture.url, Capture.fetched_at, Capture.record_id, Capture.warc_file)
        .add_columns(ArticleVersion.title, ArticleVersion.summary, ArticleVersion.body)
        .select_from(Article)
        .join(ArticleVersion, Article.current_version_id == ArticleVersion.id)
        .join(Capture, ArticleVersion.capture_id == Capture.id)
        .join(Site, Article.site_id == Site.id)
        .where(Site.name.in_(sites))
        .order_by(Article.id),
        request,
    )
    with store.session() as session:
        for url, fetched, record_id, warc_file, title, summary, body in session.execute(
            query.execution_options(yield_per=100)
        ):
            if warc_file not in files:
                continue
            text = "\n".join(part for part in (title, summary, body) if part)
            if unaccented is not None and (plain := unaccented(text)) != text:
                text = f"{text}\n{plain}"
            yield {
                "id": record_id.removeprefix("<urn:uuid:").rstrip(">"),
                "url": url,
                "ts": fetched.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "title": title,
                "text": text,
            }


# -- writing --------------------------------------------------------------------


def _write_stored(
    archive: zipfile.ZipFile,
    path: str,
    source: IO[bytes],
    size: int,
    advance: Callable[[int], None],
    hasher: ThreadPoolExecutor,
) -> _Hashing:
    """Copy ``source`` into a stored member, hashing each chunk in ``hasher``'s thread.

    sha256 and the ZIP's CRC-32 each cost about as much as the copy; both
    release the GIL, so the hash of one chunk runs beside the CRC and write
    of the same chunk, on another core.
    """
    info = zipfile.ZipInfo(path, date_time=datetime.now(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    with archive.open(info, "w") as member:
        sink = _Hashing(member)
        while chunk := source.read(_STORED_CHUNK):
            hashed = hasher.submit(sink.sha256.update, chunk)
            member.write(chunk)
            hashed.result()
            sink.size += len(chunk)
            advance(len(chunk))
    if sink.size != size:
        raise WaczError(f"{path} changed size while being packaged; package again")
    return sink


def _write_text(archive: zipfile.ZipFile, path: str, lines: Iterable[str]) -> _Hashing:
    info = zipfile.ZipInfo(path, date_time=datetime.now(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    # Fastest deflate: the text is a few times smaller all the same, and at the
    # default level it cost more than hashing and copying the WARC files.
    # (``_compresslevel``: the one spelling Python 3.11 to 3.14 all honour.)
    info._compresslevel = 1
    # No forced ZIP64: ReplayWeb.page misreads a local header with a ZIP64 extra
    # field that the central directory lacks (an index past 2 GB would need it).
    with archive.open(info, "w") as member:
        sink = _Hashing(member)
        buffer: list[str] = []
        held = 0
        for line in lines:
            buffer.append(line)
            held += len(line)
            if held >= _CHUNK:
                sink.write("".join(buffer).encode("utf-8"))
                buffer.clear()
                held = 0
        sink.write("".join(buffer).encode("utf-8"))
    return sink


def _software() -> str:
    try:
        return f"dna {version('district-news-archive')}"
    except PackageNotFoundError:
        return "dna"


def write_wacz(
    store: Store,
    data: DataDir,
    request: WaczRequest,
    output: Path,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    unaccented: Callable[[str], str] | None = None,
) -> WaczReport:
    """Package the chosen sites' WARC files into ``output``; see the module's docstring.

    The package is written beside ``output`` and renamed into place once
    complete, so a failure never leaves a half package under its name.

    :param on_progress: called with (bytes copied, bytes to copy).
    :param unaccented: the text without diacritics; when given, each page's
        text is followed by that form, so that ReplayWeb.page's page search
        (which only lowercases) finds "thanh lien" in "Thanh Liên".
    :raises WaczError: nothing to package, or the output cannot be written.
    """
    report = WaczReport(output)
    report.sites = _chosen_sites(store, request)
    warcs: dict[Path, str] = {}
    taken: set[str] = set()
    for site in report.sites:
        for path in _chosen_warcs(store, data, site, request):
            warcs[path] = member_name(path.name, taken)
        report.skipped_open += sorted(data.warc_dir(site).glob("*.open"))
    if not warcs:
        where = ", ".join(report.sites)
        raise WaczError(f"no WARC file of {where} holds a capture in the chosen dates")
    sizes = {path: path.stat().st_size for path in warcs}
    total, done = sum(sizes.values()), 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if on_progress is not None:
            on_progress(done, total)

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    try:
        with (
            zipfile.ZipFile(partial, "w", allowZip64=True) as archive,
            ThreadPoolExecutor(1, thread_name_prefix="sha256") as hasher,
        ):
            resources = []
            for path, member in warcs.items():
                with open(path, "rb") as source:
                    sink = _write_stored(
                        archive, f"archive/{member}", source, sizes[path], advance, hasher
                    )
                resources.append({**sink.resource(f"archive/{member}"), ORIGINAL_NAME: path.name})
            resources.append(
                _write_text(archive, INDEX_PATH, merged_lines(warcs)).resource(INDEX_PATH)
            )
            files = {path.name for path in warcs}
            counted = _counting(_pages(store, report.sites, request, files, unaccented), report)
            lines = (json.dumps(entry, ensure_ascii=False) + "\n" for entry in counted)
            header = json.dumps(PAGES_HEADER) + "\n"
            resources.append(
                _write_text(archive, PAGES_PATH, _chain(header, lines)).resource(PAGES_PATH)
            )
            package = _datapackage(report.sites, request, resources)
            archive.writestr(DATAPACKAGE, package, zipfile.ZIP_DEFLATED)
            digest = {"path": DATAPACKAGE, "hash": "sha256:" + hashlib.sha256(package).hexdigest()}
            archive.writestr(DIGEST, json.dumps(digest, indent=2), zipfile.ZIP_DEFLATED)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise WaczError(f"cannot write {output}: {exc.strerror or exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    report.warcs, report.bytes = len(warcs), output.stat().st_size
    return report


def _counting(entries: Iterator[dict], report: WaczReport) -> Iterator[dict]:
    for entry in entries:
        report.pages += 1
        yield entry


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _datapackage(sites: list[str], request: WaczRequest, resources: list[dict]) -> bytes:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = ""
    if request.since or request.until:
        since = request.since.date().isoformat() if request.since else "…"
        until = request.until.date().isoformat() if request.until else "…"
        window = f", captures from {since} until {until}"
    package = {
        "profile": "data-package",
        "title": request.title or f"District News Archive: {', '.join(sites)}",
        "description": (
            f"Web archive of {', '.join(sites)}{window}, made by District News Archive. "
            f"Each WARC resource's {ORIGINAL_NAME} is its file name in the archive."
        ),
        "created": created,
        "software": _software(),
        "wacz_version": WACZ_VERSION,
        "resources": resources,
    }
    return json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")


# -- reading --------------------------------------------------------------------


@dataclass(slots=True)
class Unpacked:
    """The WARC files taken out of a package, and what was wrong with it."""

    warcs: list[Path] = field(default_factory=list)
    problems: list[ScanProblem] = field(default_factory=list)
    #: each unpacked WARC's name for a reader: ``PACKAGE!/MEMBER`` (the copy is temporary)
    members: dict[Path, Path] = field(default_factory=dict)

    def add(self, package: Path, member: str, warc: Path) -> None:
        self.warcs.append(warc)
        self.members[warc] = Path(f"{package}!/{member}")


def unpack_wacz(path: Path, into: Path) -> Unpacked:
    """Copy the WARC members of package ``path`` into directory ``into``.

    Each WARC gets its archive name back when the package records it (ours),
    else its member name.  Every member is checked against the sha256 in
    ``datapackage.json``, and that file against ``datapackage-digest.json``;
    a mismatch is reported and the member is kept (a restore reads WARC
    files record by record, through damage).  A ZIP cut short has no
    central directory: its members are then found from their local headers,
    and the last one, cut, is kept as far as it goes; the files get their
    archive names back from their ``warcinfo`` records.
    """
    result = Unpacked()

    def problem(message: str, offset: int = 0) -> None:
        # Member names come from whoever made the package.
        result.problems.append(ScanProblem(path, offset, one_line(message)))

    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed with the ZipFile, or below
    except OSError as exc:
        problem(f"cannot open: {exc.strerror}")
        return result
    try:
        archive = zipfile.ZipFile(handle)
    except _ZIP_DAMAGE:
        handle.close()
        problem("not a whole ZIP (cut short?): reading its members one by one")
        _unpack_cut(path, into, result)
        return result
    taken: set[str] = set()
    unlisted = False
    with archive, handle:
        resources = _resources(archive, problem)
        names = set(archive.namelist())
        for member in resources:
            if member not in names and member.startswith("archive/"):
                problem(f"{member} is listed in {DATAPACKAGE} but missing from the package")
        for info in archive.infolist():
            if not _is_warc_member(info.filename):
                continue
            try:
                source = archive.open(info)
            except _ZIP_DAMAGE as exc:
                problem(
                    f"{info.filename}: its entry in the ZIP directory is damaged ({exc}); "
                    "looking for it by its own header"
                )
                unlisted = True
                continue
            resource = resources.get(info.filename, {})
            target = into / _unique(_local_name(info.filename, resource), taken)
            try:
                with source, open(target, "wb") as sink:
                    digest = _copy_hashing(source, sink)
            except _ZIP_DAMAGE as exc:
                problem(f"{info.filename} is damaged ({exc}); restoring what can be read")
                digest = None
            expected = resource.get("hash")
            if digest is not None and expected and expected != "sha256:" + digest:
                problem(f"{info.filename} does not match its sha256 in {DATAPACKAGE}")
            result.add(path, info.filename, target)
    if unlisted:
        _unpack_cut(path, into, result, skip={str(member) for member in result.members.values()})
    return result


def _unique(name: str, taken: set[str]) -> str:
    """``name`` as a file name no other member of the package took: members
    ``archive/a/x.warc.gz`` and ``archive/b/x.warc.gz`` must not overwrite
    each other."""
    name = _FILE_JUNK.sub("-", name)
    unique, number = name, 1
    while unique in taken:
        number += 1
        unique = f"{number}-{name}"
    taken.add(unique)
    return unique


def _is_warc_member(name: str) -> bool:
    return name.startswith("archive/") and name.endswith((".warc", ".warc.gz"))


def _local_name(member: str, resource: dict) -> str:
    original = str(resource.get(ORIGINAL_NAME, ""))
    if (
        original
        and "/" not in original
        and original not in (".", "..")
        and _is_warc_member("archive/" + original)
    ):
        return original
    return member.rsplit("/", 1)[-1]


def _resources(archive: zipfile.ZipFile, problem: Callable[[str], None]) -> dict[str, dict]:
    """``datapackage.json``'s resources by path, its digest checked; empty if unreadable."""
    try:
        package_bytes = archive.read(DATAPACKAGE)
        package = json.loads(package_bytes)
        listed = {str(item["path"]): item for item in package["resources"]}
    except KeyError:
        problem(f"no {DATAPACKAGE} (or no resources in it): WARC members are not checked")
        return {}
    except (TypeError, *_ZIP_DAMAGE) as exc:
        problem(f"{DATAPACKAGE} is unreadable ({type(exc).__name__}): WARC members are not checked")
        return {}
    try:
        expected = json.loads(archive.read(DIGEST)).get("hash")
    except KeyError:
        return listed
    except (AttributeError, *_ZIP_DAMAGE):
        expected = None
    if expected != "sha256:" + hashlib.sha256(package_bytes).hexdigest():
        problem(f"{DATAPACKAGE} does not match the digest in {DIGEST}: it was altered or damaged")
    return listed


def _copy_hashing(source: IO[bytes], sink: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        sink.write(chunk)
    return digest.hexdigest()


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_MAGIC = b"PK\x03\x04"


def _unpack_cut(path: Path, into: Path, result: Unpacked, skip: Collection[str] = ()) -> None:
    """WARC members of a ZIP without its central directory, from their local headers.

    :param skip: members taken out already, as ``PACKAGE!/MEMBER``.
    """
    taken = {warc.name for warc in result.warcs}
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        while True:
            start = handle.tell()
            header = handle.read(_LOCAL_HEADER.size)
            if len(header) < _LOCAL_HEADER.size or not header.startswith(_LOCAL_MAGIC):
                return
            fields = _LOCAL_HEADER.unpack(header)
            flags, method, compressed = fields[2], fields[3], fields[7]
            name_length, extra_length = fields[9], fields[10]
            name = handle.read(name_length).decode("utf-8", "replace")
            extra = handle.read(extra_length)
            if compressed == 0xFFFFFFFF:
                compressed = _zip64_size(extra)
            data_start = handle.tell()
            if flags & 0x08 or compressed is None:
                lost = "size unknown without the central directory; later members lost"
                message = f"{one_line(name)}: {lost}"
                result.problems.append(ScanProblem(path, start, message))
                return
            end = data_start + compressed
            wanted = _is_warc_member(name) and f"{path}!/{name}" not in skip
            if wanted and method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                target = into / _unique(name.rsplit("/", 1)[-1], taken)
                with open(target, "wb") as sink:
                    _copy_range(handle, sink, compressed, method)
                result.add(path, name, _named_as_in_archive(target, taken))
                if end > size:
                    message = (
                        f"{name} is cut short: {end - size} byte(s) missing; restoring the rest"
                    )
                    result.problems.append(ScanProblem(path, start, message))
            if end >= size:
                return
            handle.seek(end)


def _named_as_in_archive(warc: Path, taken: set[str]) -> Path:
    """``warc`` renamed as its ``warcinfo`` names it, if its member name was made from that.

    Without ``datapackage.json`` (a cut package), a WARC of ours still
    carries its archive name in ``WARC-Filename``.
    """
    first = next(iter_records(warc), None)
    if not isinstance(first, RawRecord) or first.record.rec_type != "warcinfo":
        return warc
    original = first.record.rec_headers.get_header("WARC-Filename") or ""
    if "/" in original or not _is_warc_member("archive/" + original):
        return warc
    if original in taken or member_name(original, set()) != warc.name:
        return warc
    taken.add(original)
    return warc.rename(warc.with_name(original))


def _zip64_size(extra: bytes) -> int | None:
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, position)
        if tag == 0x0001 and length >= 16:
            return struct.unpack_from("<Q", extra, position + 12)[0]
        position += 4 + length
    return None


def _copy_range(handle: IO[bytes], sink: IO[bytes], count: int, method: int) -> None:
    inflate = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else None
    while count > 0:
        chunk = handle.read(min(_CHUNK, count))
        if not chunk:
            return
        count -= len(chunk)
        try:
            sink.write(inflate.decompress(chunk) if inflate else chunk)
        except zlib.error:
            return
