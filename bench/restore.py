"""Benchmark restoring from WARC: how close a full restore comes to the unavoidable work.

Crawls generated sample portals of every family (``--articles`` synthetic articles
each) with ``dna crawl --no-index`` into a data directory (kept with ``--keep DIR``
and reused when it already holds WARCs), then measures, in one run over the same
files:

1. Raw scan: warcio's ArchiveIterator reading every record's payload (the upper bound).
2. Scan plus extraction, in this one process: every response read (digests checked,
   revisits resolved) and every HTML page judged and extracted as restore does.
3. Full restore, one process, into a fresh SQLite database: 2 plus database writes,
   dedup and bookkeeping, not the index.  Target: at least 0.7x of 2.
4. Full restore with extraction spread over both cores (``--workers``).  Target: at
   least 1.2x of 2, and at least 250 articles/s on 2 workers.

Beside the figures: the load averages and the machine's parallel capacity (two
CPU-bound processes against one, as ``bench/scale.py`` measures it), since a shared
machine gives the workers less than its cores.

The index build over the restored database is timed separately.  MB/s counts the
WARC files' bytes on disk (gzip-compressed); articles/s the articles restored.

Examples::

    python -m bench.restore                   # about 60 MB of WARC, about 10 minutes
    python -m bench.restore --quick           # a smoke test
    python -m bench.restore --keep /tmp/bench-warcs   # reuse the crawl next time
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.layout import DataDir
from archive.store import Store
from archive.warcresponses import ArchivedResponse, ResponseScanner
from archive.warcscan import find_warcs
from bench.scale import parallel_capacity
from crawler.decide import content_kind, judge_page
from crawler.restore import Restorer, host_site_name
from crawler.sites import SiteConfig, load_sites
from extract.families import detect_family, get_family
from extract.page import Page
from sampleportal import PortalServer
from search.indexer import update_index

#: articles/s of a full restore on 2 workers (was 157 before issue 17).
TARGET_ARTICLES_PER_SECOND = 250
FAMILIES = ("vnportal", "liferay", "tandan", "nukeviet", "generic")
DNA = str(Path(sys.executable).parent / "dna")
CRAWLER_OPTIONS = """\
[crawler]
download_delay = 0.001
autothrottle = false
concurrency_per_host = 8
timeout = 10
"""


@dataclass
class Result:
    """One measured way of reading the WARCs."""

    name: str
    seconds: float
    megabytes: float
    articles: int

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds


def crawl(data: Path, articles: int) -> None:
    """Crawl a generated portal of each family into ``data``."""
    servers = {f: PortalServer(f, extra_articles=articles).start() for f in FAMILIES}
    try:
        blocks = [CRAWLER_OPTIONS] + [
            f'[[site]]\nname = "{f}"\nstart_urls = ["{s.base_url}"]\n' for f, s in servers.items()
        ]
        (data / "sites.toml").write_text("\n".join(blocks), encoding="utf-8")
        started = time.monotonic()
        subprocess.run(
            [DNA, "crawl", "--all", "--no-index", "--data", str(data)],
            check=True,
            cwd=data,
            stdout=subprocess.DEVNULL,
        )
        print(f"crawled in {time.monotonic() - started:.0f} s", file=sys.stderr)
    finally:
        for server in servers.values():
            server.stop()


def raw_scan(files: list[Path]) -> int:
    """Read every payload with warcio alone; extracts no article (returns 0)."""
    for path in files:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                record.content_stream().read()
    return 0


def scan_and_extract(files: list[Path], max_body: int) -> int:
    """What restore cannot avoid, in one process; returns the articles found.

    Every host counts as its own site with a detected family, as restore
    does for a site not in sites.toml (the portals here differ by port).
    """
    families: dict[str, str] = {}
    articles = 0
    scanner = ResponseScanner(
        files, want_body=lambda kind: content_kind(kind) == "html", max_body=max_body
    )
    for item in scanner:
        if not isinstance(item, ArchivedResponse) or item.body is None or item.truncated:
            continue
        if not 200 <= item.page_status < 300:
            continue
        page = Page(item.url, item.page_status, dict(item.page_headers), item.body, item.date)
        name = host_site_name(item.url)
        if name not in families:
            families[name] = detect_family(page.selector, page.url)
        family = families[name]
        site = SiteConfig(name=name, start_urls=(item.url,), allowed_domains=())
        articles += judge_page(page, get_family(family), site).article is not None
    return articles


def full_restore(data: Path, work: Path, workers: int) -> tuple[int, Store]:
    """Restore ``data``'s WARCs into a fresh database; returns articles and the store."""
    database = work / f"restore-{workers}.sqlite3"
    database.unlink(missing_ok=True)
    store = Store(f"sqlite:///{database}")
    restorer = Restorer(store, DataDir(data), load_sites(data / "sites.toml"), workers=workers)
    report = restorer.restore([data / "warc"])
    if report.problems:
        raise SystemExit(f"restore met problems: {report.problems[:3]}")
    return report.added["articles"], store


def build_index(store: Store, directory: Path) -> int:
    """Index the restored database; returns the articles indexed."""
    return update_index(store, directory)


def timed(name: str, megabytes: float, run: Callable[[], int]) -> Result:
    started = time.perf_counter()
    articles = run()
    result = Result(name, time.perf_counter() - started, megabytes, articles)
    print(
        f"{name:<34} {result.seconds:7.1f} s {result.mb_per_second:7.2f} MB/s "
        f"{result.articles_per_second:8.1f} articles/s",
        file=sys.stderr,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1600, help="synthetic articles per portal")
    parser.add_argument("--quick", action="store_true", help="200 articles per portal")
    parser.add_argument("--keep", type=Path, help="data directory to crawl into and reuse")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    articles = 200 if args.quick else args.articles

    work = Path(tempfile.mkdtemp(prefix="dna-bench-restore-"))
    data = args.keep or work / "data"
    data.mkdir(parents=True, exist_ok=True)
    try:
        if not any((data / "warc").glob("*/*.warc.gz")):
            crawl(data, articles)
        files, _ = find_warcs([data / "warc"])
        megabytes = sum(path.stat().st_size for path in files) / 1e6
        max_body = Restorer(Store("sqlite://"), DataDir(data), load_sites(data / "sites.toml"))
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        print(
            f"{len(files)} WARC files, {megabytes:.1f} MB, {os.cpu_count()} cores, load {load}, "
            f"parallel capacity now {parallel_capacity():.2f}× (2 CPU-bound processes / 1)\n"
        )

        raw = timed("1. raw scan (warcio)", megabytes, lambda: raw_scan(files))
        floor = timed(
            "2. scan + extraction (1 process)",
            megabytes,
            lambda: scan_and_extract(files, max_body.max_body),
        )
        one = timed(
            "3. full restore (1 process)", megabytes, lambda: full_restore(data, work, 1)[0]
        )
        store_holder: list[Store] = []

        def spread() -> int:
            count, store = full_restore(data, work, args.workers)
            store_holder.append(store)
            return count

        many = timed(f"4. full restore ({args.workers} workers)", megabytes, spread)
        store = store_holder[0]
        started = time.perf_counter()
        indexed = build_index(store, work / "index")
        index_seconds = time.perf_counter() - started

        print()
        print(f"{'':<34} {'MB/s':>8} {'articles/s':>11} {'vs 2':>6} {'target':>7}")
        rows = [(raw, None), (floor, None), (one, 0.7), (many, 1.2)]
        for result, target in rows:
            ratio = result.seconds and floor.seconds / result.seconds
            verdict = "" if target is None else ("ok" if ratio >= target else "MISSED")
            print(
                f"{result.name:<34} {result.mb_per_second:8.2f} {result.articles_per_second:11.1f}"
                f" {ratio:5.2f}x {'' if target is None else f'{target}x':>6} {verdict}"
            )
        rate = many.articles_per_second
        reached = "ok" if rate >= TARGET_ARTICLES_PER_SECOND else "MISSED"
        print(
            f"\nfull restore on {args.workers} workers: {rate:.0f} articles/s, target ≥ "
            f"{TARGET_ARTICLES_PER_SECOND}: {reached}"
            f" (load now {os.getloadavg()[0]:.2f})"
        )
        print(
            f"\nindex build (separate): {indexed} articles in {index_seconds:.1f} s, "
            f"{indexed / index_seconds:.0f} articles/s"
        )
        if not (floor.articles == one.articles == many.articles):
            print(f"articles differ: {floor.articles}, {one.articles}, {many.articles}")
            return 1
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
