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
- **Reading.**  :mod:`archive.waczunpack` takes the WARC files out of a
  package for a restore.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import select

from archive.cdxj import merged_lines
from archive.models import Article, ArticleVersion, Capture, Site
from archive.outputs import output_file
from archive.warcwriter import OPEN_SUFFIX

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
#: The package field that keeps each site's facts (:attr:`WaczRequest.site_facts`).
SITE_FACTS = "dna_sites"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}
_CHUNK = 1 << 20
#: Large enough that handing a chunk to the hashing thread costs nothing.
_STORED_CHUNK = 4 << 20
_NAME_JUNK = re.compile(r"[^-a-z0-9._]+")
_CLOSED_WARCS = ("*.warc.gz", "*.warc")


class WaczError(Exception):
    """A package that cannot be written: nothing to put in it, or no room."""


@dataclass(frozen=True, slots=True)
class WaczRequest:
    """What to package.

    :param sites: site names; empty with ``all_sites``: every site with captures.
    :param since: only WARC files holding a capture at or after it (time-zone aware).
    :param until: only WARC files holding a capture before it (time-zone aware).
    :param title: the package's title (default: names the sites).
    :param site_facts: what the archive's configuration says of each site
        (its title, where it sits), kept in ``datapackage.json`` as
        :data:`SITE_FACTS` so that a restore elsewhere knows it too.
    """

    sites: tuple[str, ...] = ()
    all_sites: bool = False
    since: datetime | None = None
    until: datetime | None = None
    title: str | None = None
    site_facts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class WaczReport:
    """What a package holds."""

    path: Path
    sites: list[str] = field(default_factory=list)
    warcs: int = 0
    pages: int = 0
    bytes: int = 0
    skipped_open: list[Path] = field(default_factory=list)
    #: WARC files the chosen captures point at that are not in the archive.
    missing: list[str] = field(default_factory=list)


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
        with_captures = set(
            session.scalars(select(Site.name).join(Capture, Capture.site_id == Site.id).distinct())
        )
    if request.all_sites:
        if not with_captures:
            raise WaczError("the archive has no captures yet: crawl a site first (`dna crawl`)")
        return sorted(with_captures)
    for name in request.sites:
        # A site never crawled is in sites.toml at most, not in the archive.
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


def _chosen_warcs(
    store: Store, data: DataDir, site: str, request: WaczRequest
) -> tuple[list[Path], list[str]]:
    """The site's closed WARC files holding a capture in the window (if one
    is set), and the names of those its captures point at that are not there."""
    folder = data.warc_dir(site)
    present = sorted({path for pattern in _CLOSED_WARCS for path in folder.glob(pattern)})
    query = (
        select(Capture.warc_file)
        .join(Site, Capture.site_id == Site.id)
        .where(Site.name == site)
        .distinct()
    )
    with store.session() as session:
        wanted = set(session.scalars(_window(query, request)))
    held = {path.name for path in present}
    writing = {path.name.removesuffix(OPEN_SUFFIX) for path in folder.glob(f"*{OPEN_SUFFIX}")}
    missing = sorted(wanted - held - writing)
    if request.since is None and request.until is None:
        return present, missing
    return [path for path in present if path.name in wanted], missing


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
    offload: ThreadPoolExecutor,
) -> _Hashing:
    """Copy ``source`` into a stored member, hashing each chunk in ``offload``'s thread.

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
            hashed = offload.submit(sink.sha256.update, chunk)
            member.write(chunk)
            hashed.result()
            sink.size += len(chunk)
            advance(len(chunk))
    if sink.size != size:
        raise WaczError(f"{path} changed size while being packaged; package again")
    return sink


def _write_text(
    archive: zipfile.ZipFile, path: str, lines: Iterable[str], offload: ThreadPoolExecutor
) -> _Hashing:
    """Write ``lines`` into a deflated member.

    Each chunk is hashed, compressed and written in ``offload``'s thread while
    the next is made here (zlib and sha256 release the GIL): making the page
    list reads the database and folds the texts, as costly as compressing it.
    """
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
        written = offload.submit(int)
        try:
            for chunk in _chunks(lines):
                written.result()
                written = offload.submit(sink.write, chunk)
        finally:  # the member is closed only once its last chunk is in
            wait([written])
        written.result()
    return sink


def _chunks(lines: Iterable[str]) -> Iterator[bytes]:
    """``lines`` joined and encoded, about :data:`_CHUNK` characters at a time."""
    buffer: list[str] = []
    held = 0
    for line in lines:
        buffer.append(line)
        held += len(line)
        if held >= _CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            held = 0
    yield "".join(buffer).encode("utf-8")


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

    The package is written whole or not at all
    (:func:`archive.outputs.output_file`): a failure never leaves a half
    package under its name.

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
    packed: set[tuple[int, int]] = set()  # a file of several sites is linked into each
    for site in report.sites:
        chosen, missing = _chosen_warcs(store, data, site, request)
        report.missing += missing
        for path in chosen:
            held = path.stat()
            if (held.st_dev, held.st_ino) not in packed:
                packed.add((held.st_dev, held.st_ino))
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
    try:
        with (
            output_file(output, "wb") as handle,
            zipfile.ZipFile(handle, "w", allowZip64=True) as archive,
            ThreadPoolExecutor(1, thread_name_prefix="wacz-writer") as offload,
        ):
            resources = []
            for path, member in warcs.items():
                with open(path, "rb") as source:
                    sink = _write_stored(
                        archive, f"archive/{member}", source, sizes[path], advance, offload
                    )
                resources.append({**sink.resource(f"archive/{member}"), ORIGINAL_NAME: path.name})
            resources.append(
                _write_text(archive, INDEX_PATH, merged_lines(warcs), offload).resource(INDEX_PATH)
            )
            files = {path.name for path in warcs}
            counted = _counting(_pages(store, report.sites, request, files, unaccented), report)
            lines = (json.dumps(entry, ensure_ascii=False) + "\n" for entry in counted)
            header = json.dumps(PAGES_HEADER) + "\n"
            resources.append(
                _write_text(archive, PAGES_PATH, _chain(header, lines), offload).resource(
                    PAGES_PATH
                )
            )
            package = _datapackage(report.sites, request, resources)
            archive.writestr(DATAPACKAGE, package, zipfile.ZIP_DEFLATED)
            digest = {"path": DATAPACKAGE, "hash": "sha256:" + hashlib.sha256(package).hexdigest()}
            archive.writestr(DIGEST, json.dumps(digest, indent=2), zipfile.ZIP_DEFLATED)
    except OSError as exc:
        raise WaczError(f"cannot write {output}: {exc.strerror or exc}") from exc
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
    facts = {site: dict(request.site_facts[site]) for site in sites if request.site_facts.get(site)}
    if facts:
        package[SITE_FACTS] = facts
    return json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")


# -- reading --------------------------------------------------------------------
