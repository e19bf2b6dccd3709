"""Benchmark WACZ packaging: how close ``dna wacz`` comes to copying the WARC files.

Uses the restore benchmark's archive (generated portals of every family,
crawled by :func:`bench.restore.crawl`; ``--keep DIR`` reuses one), then in
one run over the same files:

1. Plain copy of every WARC file (``shutil.copyfile``): the baseline.
   (1 and 2 run ``--repeat`` times, interleaved; the best time of each counts.)
2. ``write_wacz`` of every site: the WARCs stored and hashed, the CDXJ
   merged, the page list written from the database.  Target: at least 0.5x
   the MB/s of 1.
3. Peak memory (tracemalloc) of packaging a growing share of the archive,
   one site, then more: it must stay flat as the archive grows.

The files are read once before timing, so both runs read from the page cache.

Examples::

    python -m bench.wacz --quick
    python -m bench.wacz --keep /tmp/bench-warcs   # the restore benchmark's archive
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from archive.layout import DataDir
from archive.store import Store
from archive.wacz import WaczRequest, write_wacz
from archive.warcscan import find_warcs
from bench.restore import crawl
from places.folding import unaccented

TARGET = 0.5


def plain_copy(files: list[Path], target: Path) -> None:
    target.mkdir()
    for path in files:
        shutil.copyfile(path, target / path.name)


def package(store: Store, data: Path, sites: list[str], output: Path) -> None:
    """What ``dna wacz`` does: page texts followed by their accent-free form."""
    request = WaczRequest(sites=tuple(sites))
    write_wacz(store, DataDir(data), request, output, unaccented=unaccented)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1600, help="synthetic articles per portal")
    parser.add_argument("--quick", action="store_true", help="200 articles per portal")
    parser.add_argument("--keep", type=Path, help="data directory to crawl into and reuse")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; best counts")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="dna-bench-wacz-"))
    data = args.keep or work / "data"
    data.mkdir(parents=True, exist_ok=True)
    try:
        if not any((data / "warc").glob("*/*.warc.gz")):
            crawl(data, 200 if args.quick else args.articles)
        files, _ = find_warcs([data / "warc"])
        files = [path for path in files if path.name.endswith(".warc.gz")]
        megabytes = sum(path.stat().st_size for path in files) / 1e6
        sites = sorted({path.parent.name for path in files})
        for path in files:  # into the page cache, for both runs alike
            with open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass
        load = os.getloadavg()[0]
        print(
            f"{len(files)} WARC files, {megabytes:.1f} MB, {len(sites)} sites, "
            f"{os.cpu_count()} cores, load {load:.1f}\n"
        )

        store = Store(DataDir(data).database_url())  # opened (and migrated) before timing
        copy_seconds = wacz_seconds = float("inf")
        for attempt in range(args.repeat):  # interleaved, best of each: the machine is shared
            started = time.perf_counter()
            plain_copy(files, work / f"copy{attempt}")
            copy_seconds = min(copy_seconds, time.perf_counter() - started)
            started = time.perf_counter()
            package(store, data, sites, work / f"all{attempt}.wacz")
            wacz_seconds = min(wacz_seconds, time.perf_counter() - started)
            shutil.rmtree(work / f"copy{attempt}")
            (work / f"all{attempt}.wacz").unlink()
        copy_rate, wacz_rate = megabytes / copy_seconds, megabytes / wacz_seconds
        ratio = wacz_rate / copy_rate
        print(f"{'':<28} {'MB/s':>8} {'vs copy':>8} {'target':>7}")
        print(f"{'1. plain copy':<28} {copy_rate:8.1f}")
        verdict = "ok" if ratio >= TARGET else "MISSED"
        print(
            f"{'2. dna wacz (all sites)':<28} {wacz_rate:8.1f} {ratio:7.2f}x {TARGET:6}x {verdict}"
        )

        print(f"\n3. peak memory while packaging\n{'sites':>6} {'MB of WARC':>11} {'peak MB':>8}")
        peaks = []
        for count in sorted({1, (len(sites) + 1) // 2, len(sites)}):
            chosen = sites[:count]
            size = sum(p.stat().st_size for p in files if p.parent.name in chosen) / 1e6
            tracemalloc.start()
            package(store, data, chosen, work / f"{count}.wacz")
            peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
            tracemalloc.stop()
            print(f"{count:>6} {size:>11.1f} {peaks[-1]:>8.1f}")
        flat = peaks[-1] <= 2 * peaks[0] + 1
        print(f"peak memory {'flat' if flat else 'GROWS'} as the archive grows")
        store.close()
        return 0 if ratio >= TARGET and flat else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
