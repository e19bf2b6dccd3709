"""Rebuild the archive database from WARC files alone.

The WARC files are the preservation master.  Restore reads each HTTP response
in them (ours, or wget's, Heritrix's, Browsertrix's), decides what it holds
with the very rules of the live crawl (:mod:`crawler.decide`) and stores
captures and articles through the same :class:`~archive.writer.ArchiveWriter`.

- **Sites.**  A file of ours names its site in ``warcinfo`` (``isPartOf``);
  that site's entry in ``sites.toml`` applies, if any.  Otherwise the entry
  whose start URL has the response's host and port, or whose allowed domains
  cover the host; failing all, a site named after the host and port, its
  CMS family detected from its first page, as a live crawl would.
- **Idempotence.**  Captures are keyed by ``WARC-Record-ID`` and article
  versions by content, so restoring a file twice adds nothing.
- **Beside the database** (:mod:`crawler.rebuild`): sites missing from
  ``sites.toml`` are appended to it, and each crawl named in ``dna``'s
  metadata records gets a crawl row (``restored``) unless one covers its
  time already.  (A resume, :mod:`crawler.resume`, ties the captures to the
  killed crawl instead.)
- **Foreign files.**  A WARC outside ``DATA/warc`` is copied, unchanged, to
  ``DATA/warc/<site>/`` (the site of its first response), and indexed
  (``.cdxj``), so every capture points at a file the archive holds.
- **Damaged foreign files** (cut short, garbage, a failed digest) would fail
  ``dna verify`` for ever once copied: their intact records are restored from,
  and copied in as, a new file of the same name, and the original is kept
  unchanged in ``DATA/warc-damaged/<site>/`` with a note
  (:mod:`archive.salvage`).
- **Two cores.**  With ``workers > 1`` extraction runs in a process pool
  while this process reads WARCs and writes the database.

Not restored: the date a sitemap or feed gave a URL (the live crawl's
``feed`` published source), which the WARC records do not tie to the page.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from archive.cdxj import cdxj_path, write_cdxj
from archive.layout import link_or_copy
from archive.salvage import Salvage, keep_damaged, salvage_warc
from archive.waczunpack import unpack_wacz
from archive.warcreader import RevisitRef
from archive.warcresponses import ArchivedResponse, ResponseScanner
from archive.warcscan import ScanProblem, find_warcs
from crawler.decide import Verdict, content_kind, judge_page
from crawler.rebuild import HistoryCollector, Rebuilt
from crawler.search_documents import search_documents_hook
from crawler.settings import DNA_SEARCH_DOCUMENTS, DOWNLOAD_MAXSIZE
from crawler.sites import SiteConfig, SitesFile, validate_name
from extract.families import Family, get_family
from extract.page import Page, fetched_page, page_family
from extract.urls import host_of, origin_entry, within_domains

if TYPE_CHECKING:
    from archive.layout import DataDir
    from archive.store import Store
    from archive.writer import ArchiveWriter

#: Pages sent to a worker at once, and batches in flight per worker.
BATCH = 16
WINDOW = 4
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_Done = TypeVar("_Done")


@dataclass(slots=True)
class RestoreReport:
    """What a restore read and added.

    :param files: WARC files read.
    :param bytes_read: their total size.
    :param responses: HTTP responses (and resolved revisits) met.
    :param pages: pages judged (2xx HTML, complete).
    :param added: rows this restore added per table (``captures``, ``articles``…),
        not counting other writers' at the same time.
    :param problems: damaged or unusable input, with file and offset.
    :param copied: foreign WARC files copied into ``DATA/warc``.
    :param skipped: inputs that gave no response at all: missing, empty,
        not WARC, or damaged from their start.
    :param damaged: damaged originals kept aside in ``DATA/warc-damaged``,
        their intact records copied into ``DATA/warc``.
    :param rebuilt: sites appended to ``sites.toml``, crawl rows recorded.
    """

    files: int = 0
    bytes_read: int = 0
    responses: int = 0
    pages: int = 0
    added: dict[str, int] = field(default_factory=dict)
    problems: list[ScanProblem] = field(default_factory=list)
    copied: list[Path] = field(default_factory=list)
    skipped: int = 0
    damaged: list[Path] = field(default_factory=list)
    rebuilt: Rebuilt = field(default_factory=Rebuilt)


@dataclass(slots=True)
class _Site:
    config: SiteConfig
    site_id: int
    writer: ArchiveWriter
    family: Family | None
    created: bool


@dataclass(frozen=True, slots=True)
class _Job:
    """A page to judge, small enough to send to a worker."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    family: str
    site: SiteConfig
    record_id: str
    listed_date: datetime | None
    path: Path
    offset: int


def host_site_name(url: str) -> str:
    """A site name for a host not in ``sites.toml``: ``127-0-0-1-8080``, at most 64 characters."""
    netloc = urlsplit(url).netloc.lower().rsplit("@", 1)[-1]
    return _SLUG_JUNK.sub("-", netloc).strip("-")[:64].rstrip("-") or "unknown-host"


def archived_page(response: ArchivedResponse) -> Page:
    """The :class:`Page` of an archived response, as the live crawl built it."""
    body = response.body or b""
    return fetched_page(
        response.url, response.page_status, response.page_headers, body, response.date
    )


def _judge_batch(jobs: list[_Job]) -> list[Verdict | str]:
    """Judge pages; runs in a worker process.  A page that crashes gives its error instead."""
    return [_judge(job) for job in jobs]


def _judge(job: _Job) -> Verdict | str:
    try:
        return judge_page(
            fetched_page(job.url, job.status, job.headers.items(), job.body, job.fetched_at),
            get_family(job.family),
            job.site,
            listed_date=job.listed_date,
        )
    except Exception as exc:  # one hostile page must not abort a restore
        return f"{type(exc).__name__}: {exc}"


def _pool(workers: int) -> multiprocessing.pool.Pool:
    # Fork where there is fork: workers start at once and need no importable
    # __main__; they only judge pages, never touch the database.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn").Pool(workers)


class Restorer:
    """Restores WARC files into ``store``, one file after another.

    :param registry: ``sites.toml``, for site names, families and patterns.
    :param workers: processes that extract articles (1: all in this one).
    :param crawl_id: the crawl that wrote the files, when known (a resume).
    """

    def __init__(
        self,
        store: Store,
        data: DataDir,
        registry: SitesFile,
        *,
        workers: int = 1,
        crawl_id: int | None = None,
    ) -> None:
        self.store = store
        self.crawl_id = crawl_id
        self.data = data
        self.registry = registry
        self.workers = workers
        settings = registry.scrapy_settings()
        self.max_body = int(settings.get("DOWNLOAD_MAXSIZE", DOWNLOAD_MAXSIZE)) or 1 << 40
        self._sites: dict[str, _Site] = {}
        self._by_origin: dict[tuple[str, str], _Site] = {}
        self._problem: Callable[[ScanProblem], None] = lambda found: None
        self._history = HistoryCollector()

    # -- sites ------------------------------------------------------------

    def _config_for(self, response: ArchivedResponse) -> SiteConfig:
        info = response.warcinfo
        ours = info.get("software", "").startswith("dna")
        part = info.get("isPartOf", "") if ours else ""
        if part and (known := self.registry.get(part)):
            return known
        netloc = urlsplit(response.url).netloc.lower()
        host = host_of(response.url)
        if not part:
            sites = self.registry.sites
            same = [s for s in sites if any(urlsplit(u).netloc == netloc for u in s.start_urls)]
            covering = [s for s in sites if within_domains(host, s.allowed_domains)]
            if same or covering:
                return (same or covering)[0]
        name = part if part and validate_name(part) is None else host_site_name(response.url)
        origin = f"{urlsplit(response.url).scheme}://{netloc}/"
        return SiteConfig(
            name=name, start_urls=(origin,), allowed_domains=(origin_entry(response.url),)
        )

    def _site_for(self, response: ArchivedResponse) -> _Site:
        key = (response.warcinfo.get("isPartOf", ""), urlsplit(response.url).netloc.lower())
        site = self._by_origin.get(key)
        if site is None:
            config = self._config_for(response)
            site = self._sites.get(config.name)
            if site is None:
                site_id, created = self.store.ensure_site(
                    config.name,
                    title=config.title,
                    family=config.family,
                    home_url=config.start_urls[0],
                    place=config.place,
                )
                family = None if config.family == "auto" else get_family(config.family)
                hook = search_documents_hook(DNA_SEARCH_DOCUMENTS, self.store.url)
                writer = self.store.writer(site_id, self.crawl_id, search_documents=hook)
                site = _Site(config, site_id, writer, family, created)
                self._sites[config.name] = site
            self._by_origin[key] = site
        return site

    # -- restoring --------------------------------------------------------

    def _job(self, response: ArchivedResponse, site: _Site) -> _Job | None:
        """The page to judge, if the live crawl would have parsed this response."""
        status, body = response.page_status, response.body
        if not 200 <= status < 300 or body is None or response.truncated:
            return None
        page = archived_page(response)
        site.family = page_family(page, site.family)
        return _Job(
            url=response.url,
            status=status,
            headers=dict(page.headers),
            body=body,
            fetched_at=response.date,
            family=site.family.name,
            site=site.config,
            record_id=response.record_id,
            listed_date=response.listed_date,
            path=response.path,
            offset=response.offset,
        )

    def restore(
        self,
        paths: Iterable[Path],
        *,
        on_progress: Callable[[int, int], None] | None = None,
        on_problem: Callable[[ScanProblem], None] | None = None,
    ) -> RestoreReport:
        """Restore every WARC file in ``paths`` (files, directories or WACZ packages).

        A WACZ's WARC files are unpacked into the data directory (checked
        against the package's hashes, damage reported) and restored like
        foreign files: copied into ``DATA/warc/<site>/`` under their archive
        names.

        :param on_progress: called with (bytes done, bytes total) as files are read.
        :param on_problem: called with each problem as it is found.
        """
        report = RestoreReport()

        members: dict[Path, Path] = {}

        def problem(found: ScanProblem) -> None:
            if found.path in members:  # named as in its package: the copy is temporary
                found = replace(found, path=members[found.path])
            report.problems.append(found)
            if on_problem is not None:
                on_problem(found)

        self._problem = problem
        paths = list(paths)
        with tempfile.TemporaryDirectory(prefix="restore-", dir=self._scratch_root()) as unpacked:
            packages = [path for path in paths if path.suffix == ".wacz" and path.is_file()]
            for number, package in enumerate(packages):
                paths.remove(package)
                into = Path(unpacked, str(number))
                into.mkdir()
                found = unpack_wacz(package, into)
                self._history.site_facts.update(found.sites)
                paths += found.warcs
                members.update(found.members)
                for each in found.problems:
                    problem(each)
            self._restore_files(paths, report, problem, on_progress, Path(unpacked))
        return report

    def _scratch_root(self) -> Path:
        """Where WACZ packages are unpacked and damaged files salvaged: in the data
        directory, on its disk."""
        self.data.root.mkdir(parents=True, exist_ok=True)
        return self.data.root

    def _restore_files(
        self,
        paths: list[Path],
        report: RestoreReport,
        problem: Callable[[ScanProblem], None],
        on_progress: Callable[[int, int], None] | None,
        scratch: Path,
    ) -> None:
        pool = _pool(self.workers) if self.workers > 1 else None
        try:
            self._restore_through(pool, paths, report, problem, on_progress, scratch)
        finally:
            if pool is not None:
                pool.terminate()

    def _restore_through(
        self,
        pool: multiprocessing.pool.Pool | None,
        paths: list[Path],
        report: RestoreReport,
        problem: Callable[[ScanProblem], None],
        on_progress: Callable[[int, int], None] | None,
        scratch: Path,
    ) -> None:
        """:meth:`_restore_files` with ``pool`` (if any) judging pages and reading whole files."""
        files, listing_problems = find_warcs(paths)
        if self.crawl_id is None:  # a resume recovers the files of the crawl it holds
            files, writing = self._not_being_written(files)
            listing_problems += writing
        for found in listing_problems:
            problem(found)
        files, salvages, unsalvageable = self._salvage_foreign(pool, files, scratch, problem)
        earlier = self._added()  # by an earlier call on this restorer
        scanner = ResponseScanner(
            files,
            want_body=lambda content_type: content_kind(content_type) == "html",
            max_body=self.max_body,
            archived=self._archived_original,
        )
        report.files, report.bytes_read = len(files), scanner.bytes_total
        names = self.data.names_for_foreign(files)
        #: the sites each file's captures went to, the first first.
        sites_of: dict[Path, dict[str, None]] = {}
        pending: deque[tuple[list[_Job], object]] = deque()
        batch: list[_Job] = []
        try:
            for item in scanner:
                if isinstance(item, ScanProblem):
                    salvage = salvages.get(item.path)
                    problem(salvage.as_given(item) if salvage else item)
                    continue
                report.responses += 1
                site = self._site_for(item)
                sites_of.setdefault(item.path, {})[site.config.name] = None
                self._history.saw(item, site.config.name, site.site_id, site.config.start_urls[0])
                capture = item.capture()
                if item.path in names:
                    capture = replace(capture, warc_file=names[item.path])
                site.writer.add_capture(capture)
                job = self._job(item, site)
                if job is not None:
                    report.pages += 1
                    batch.append(job)
                if len(batch) >= BATCH or (pool is None and batch):
                    pending.append((batch, self._submit(pool, batch)))
                    batch = []
                while len(pending) > WINDOW * self.workers or (pool is None and pending):
                    self._store(*pending.popleft())
                if on_progress is not None:
                    on_progress(scanner.bytes_done, scanner.bytes_total)
            if batch:
                pending.append((batch, self._submit(pool, batch)))
            while pending:
                self._store(*pending.popleft())
        finally:
            for site in self._sites.values():
                site.writer.flush()
        report.copied = self._copy_foreign(pool, sites_of, names, problem)
        families = {
            name: site.family.name if site.family else site.config.family
            for name, site in self._sites.items()
        }
        report.rebuilt = self._history.write(
            self.store, self.registry, families, history=self.crawl_id is None
        )
        self._history = HistoryCollector()
        for salvaged, salvage in salvages.items():
            if sites := sites_of.get(salvaged):
                site_name = next(iter(sites))
                kept = self.data.warc_dir(site_name) / names.get(salvaged, salvaged.name)
                aside = self.data.damaged_dir(site_name)
                report.damaged.append(keep_damaged(salvage, aside, kept))
        report.skipped = (
            len(listing_problems) + unsalvageable + sum(1 for path in files if path not in sites_of)
        )
        report.added = {table: n - earlier[table] for table, n in self._added().items()}
        report.added["crawls"] = report.rebuilt.crawls

    def _archived_original(self, ref: RevisitRef) -> tuple[Path, int, str] | None:
        """Where the response a revisit refers to is archived already, if it is:
        a dedup round's files restored after the round that holds its originals."""
        original = self.store.capture(ref.record_id) if ref.record_id else None
        if original is None and ref.target_uri and (moment := ref.original_time()):
            # Named by URI and date only, as warcio's revisits are.
            original = self.store.capture_at(ref.target_uri, moment, ref.payload_digest)
        if original is None or original.refers_to is not None:
            return None
        path = self.data.find_warc(original.warc_file)
        return (path, original.warc_offset, original.record_id) if path else None

    def _not_being_written(self, files: list[Path]) -> tuple[list[Path], list[ScanProblem]]:
        """``files`` without those a live crawl is still writing, and a problem for each:
        read now, their records would be restored again as the crawl stores them."""
        kept, writing = [], []
        for path in files:
            if writer := self.data.live_writer(path):
                why = f"being written by a running crawl ({writer}): restore it once that ends"
                writing.append(ScanProblem(path, 0, why))
            else:
                kept.append(path)
        return kept, writing

    def _salvage_foreign(
        self,
        pool: multiprocessing.pool.Pool | None,
        files: list[Path],
        scratch: Path,
        problem: Callable[[ScanProblem], None],
    ) -> tuple[list[Path], dict[Path, Salvage], int]:
        """Put the intact records of each damaged foreign file in a new file in ``scratch``.

        Reads each foreign file once more before restore does (a copy reads
        it anyway), files side by side in ``pool``; files in ``DATA/warc``
        are the archive's own, checked by ``dna verify`` and never rewritten.

        :returns: the files to restore, the salvaged ones by their new path,
            and how many damaged files held no intact record at all.
        """
        root = self.data.warc_root.resolve()
        foreign = {
            path: scratch / f"salvaged-{number}"
            for number, path in enumerate(files)
            if not path.resolve().is_relative_to(root)
        }
        for into in foreign.values():
            into.mkdir()
        found = _each_file(pool, salvage_warc, list(foreign.items()))
        salvaged = dict(zip(foreign, found, strict=True))
        kept: list[Path] = []
        salvages: dict[Path, Salvage] = {}
        unsalvageable = 0
        for path in files:
            salvage = salvaged.get(path)
            if salvage is None:
                kept.append(path)
                continue
            for found in salvage.problems:
                problem(found)
            if salvage.salvaged is None:
                unsalvageable += 1
                continue
            salvages[salvage.salvaged] = salvage
            kept.append(salvage.salvaged)
        return kept, salvages, unsalvageable

    def _added(self) -> dict[str, int]:
        """The rows this restore's own writers added (a crawl may write beside it)."""
        written = [site.writer.counts for site in self._sites.values()]
        return {
            "sites": sum(site.created for site in self._sites.values()),
            "crawls": 0,  # rebuilt apart, see RestoreReport.rebuilt
            "captures": sum(counts.captures for counts in written),
            "articles": sum(counts.new for counts in written),
            "article_versions": sum(counts.versions for counts in written),
        }

    def _submit(self, pool: object, batch: list[_Job]) -> object:
        if pool is None:
            return _judge_batch(batch)
        return pool.apply_async(_judge_batch, (batch,))  # type: ignore[attr-defined]

    def _store(self, batch: list[_Job], result: object) -> None:
        verdicts = result if isinstance(result, list) else result.get()  # type: ignore[attr-defined]
        for job, verdict in zip(batch, verdicts, strict=True):
            if isinstance(verdict, str):
                failed = f"page {job.url}: extraction failed, article not restored: {verdict}"
                self._problem(ScanProblem(job.path, job.offset, failed))
            elif verdict.article is not None:
                writer = self._sites[job.site.name].writer
                writer.add_article(verdict.article, job.record_id, job.fetched_at)

    def _copy_foreign(
        self,
        pool: multiprocessing.pool.Pool | None,
        sites_of: dict[Path, dict[str, None]],
        names: dict[Path, str],
        problem: Callable[[ScanProblem], None],
    ) -> list[Path]:
        """Copy WARCs from outside ``DATA/warc`` in, so captures point at held
        files, and index them (files side by side in ``pool``).

        A file holding several sites' captures (a crawl across subdomains) is
        in each site's folder: copied into the first, linked into the others.
        """
        copies: list[tuple[Path, Path]] = []
        links: list[tuple[Path, Path]] = []
        planned: set[Path] = set()
        root = self.data.warc_root.resolve()
        for path, sites in sites_of.items():
            if path.resolve().is_relative_to(root):
                continue
            name = names.get(path, path.name)
            first, *others = (self.data.warc_dir(site) / name for site in sites)
            # Named so that a file already there, or planned, holds these bytes.
            if first not in planned and not first.exists():
                first.parent.mkdir(parents=True, exist_ok=True)
                copies.append((path, first))
                planned.add(first)
            links += [(first, other) for other in others if other not in planned]
            planned.update(others)
        for (_, target), unindexed in zip(copies, _each_file(pool, _copy_in, copies), strict=True):
            if unindexed:
                problem(ScanProblem(target, 0, unindexed))
        for held, other in links:
            if other.exists():
                continue
            other.parent.mkdir(parents=True, exist_ok=True)
            for source, target in ((held, other), (cdxj_path(held), cdxj_path(other))):
                if source.exists():
                    link_or_copy(source, target)
        return [target for _, target in copies]


def _copy_in(source: Path, target: Path) -> str | None:
    """Copy ``source`` to ``target`` and index the copy; what was not indexed, if any."""
    shutil.copyfile(source, target)
    skipped: list[tuple[int, str]] = []
    try:
        write_cdxj(target, lambda offset, reason: skipped.append((offset, reason)))
    except Exception as exc:  # a stranger's file the indexer cannot read
        return f"not indexed ({type(exc).__name__}: {exc})"
    if skipped:
        offset, reason = skipped[0]
        return f"{len(skipped)} record(s) not indexed, the first at byte {offset} ({reason})"
    return None


def _each_file(
    pool: multiprocessing.pool.Pool | None,
    work: Callable[[Path, Path], _Done],
    pairs: list[tuple[Path, Path]],
) -> list[_Done]:
    """``work`` on each pair of paths, in order: side by side in ``pool``, if any.

    Whole-file passes (salvage's check, copying and indexing) are as long as
    the files, so with workers each file has its own core.
    """
    if pool is None or len(pairs) < 2:
        return [work(*pair) for pair in pairs]
    return pool.starmap(work, pairs, chunksize=1)


def restore_warcs(
    paths: Sequence[Path],
    store: Store,
    data: DataDir,
    registry: SitesFile,
    *,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    on_problem: Callable[[ScanProblem], None] | None = None,
) -> RestoreReport:
    """Restore the WARC files in ``paths`` into ``store``; see :class:`Restorer`."""
    restorer = Restorer(store, data, registry, workers=workers)
    return restorer.restore(paths, on_progress=on_progress, on_problem=on_problem)
