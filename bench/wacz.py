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

The generated portals serve images of a few hundred bytes, so that archive
is mostly HTML, and the page list made from the database weighs about as
much as its WARC files.  A real portal's photos are tens to hundreds of KB,
and ``fetch_media`` archives them: ``--photos KB`` measures a copy of the
archive with one such photo per article added to each site (incompressible
bytes, as a JPEG's are, in a WARC file of their own with its CDXJ index).

Examples::

    python -m bench.wacz --quick
    python -m bench.wacz --keep /tmp/bench-warcs   # the restore benchmark's archive
    python -m bench.wacz --keep /tmp/bench-warcs --photos 120
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import func, select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.cdxj import write_cdxj
from archive.layout import DataDir
from archive.models import Article, Site
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


def with_photos(data: Path, target: Path, kilobytes: int) -> Path:
    """A copy of the archive at ``data`` with a photo of ``kilobytes`` per article added."""
    shutil.copytree(data, target, ignore=shutil.ignore_patterns("*.open", "locks"))
    store = Store(DataDir(target).database_url())
    with store.session() as session:
        per_site = dict(
            session.execute(
                select(Site.name, func.count(Article.id)).join(Article).group_by(Site.name)
            ).all()
        )
    store.close()
    randomness = random.Random(1)
    for site, articles in sorted(per_site.items()):
        warc = target / "warc" / site / f"{site}-photos-00001.warc.gz"
        with open(warc, "wb") as stream:
            writer = WARCWriter(stream, gzip=True)
            for number in range(articles):
                payload = b"\xff\xd8\xff\xe0" + randomness.randbytes(kilobytes * 1024)
                headers = StatusAndHeaders(
                    "200 OK", [("Content-Type", "image/jpeg")], protocol="HTTP/1.1"
                )
                record = writer.create_warc_record(
                    f"http://{site}.example/anh/{number}.jpg",
                    "response",
                    payload=io.BytesIO(payload),
                    http_headers=headers,
                )
                writer.write_record(record)
        write_cdxj(warc)
    return target


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
    parser.add_argument(
        "--photos", type=int, metavar="KB", help="add a photo of KB per article (see above)"
    )
    args = parser.parse_args(argv)
    if args.photos is not None and args.photos < 1:
        parser.error("--photos: the photos' size in KB, 1 or more")

    work = Path(tempfile.mkdtemp(prefix="dna-bench-wacz-"))
    data = args.keep or work / "data"
    data.mkdir(parents=True, exist_ok=True)
    try:
        if not any((data / "warc").glob("*/*.warc.gz")):
            crawl(data, 200 if args.quick else args.articles)
        if args.photos:
            data = with_photos(data, work / "photos", args.photos)
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
