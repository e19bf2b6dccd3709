"""Benchmark incremental and resumed crawls against a full recrawl, in one run.

Serves a vnPortal sample portal (``--articles`` synthetic articles plus the
hand-written ones) on 127.0.0.1 with ``--latency`` per response, and runs
``dna crawl`` as a user would, each a separate process on one data directory:

1. the first crawl (``new`` on an empty archive: everything);
2. the editor publishes ``--publish`` articles; a ``new`` crawl;
3. a ``full`` crawl of the same, now unchanged, portal (the baseline);
4. in a second data directory, a first crawl killed with SIGKILL half-way,
   then ``--resume``; against crawl 1, the requests the portal answered.

Prints requests served and wall-clock seconds, and the ratios: new / full
(target: a small fraction) and resumed / uninterrupted requests (target: 1.0,
nothing fetched twice but what was in flight at the kill).

Example::

    python -m bench.recrawl --articles 600
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sampleportal import PortalServer

DNA = str(Path(sys.executable).parent / "dna")
OPTIONS = """\
[crawler]
download_delay = 0.001
autothrottle = false
concurrency_per_host = 4
min_free_mb = 20
fetch_media = false
"""


def sites_toml(portal: PortalServer) -> str:
    return OPTIONS + f'\n[[site]]\nname = "bench"\nstart_urls = ["{portal.base_url}"]\n'


def crawl(data: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [DNA, "crawl", "bench", "--no-index", "--data", str(data), *args],
        cwd=data,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def measure(portal: PortalServer, data: Path, *args: str) -> tuple[int, float]:
    portal.hits.clear()
    seconds = crawl(data, *args)
    return len(portal.hits), seconds


def killed_and_resumed(portal: PortalServer, data: Path, kill_at: int) -> tuple[int, float]:
    portal.hits.clear()
    started = time.perf_counter()
    process = subprocess.Popen(
        [DNA, "crawl", "bench", "--no-index", "--data", str(data)],
        cwd=data,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while len(portal.hits) < kill_at and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed = len(portal.hits)
    portal.hits.clear()
    crawl(data, "--resume")
    return killed + len(portal.hits), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--publish", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.03)
    args = parser.parse_args()

    server = PortalServer("vnportal", extra_articles=args.articles, latency=args.latency)
    with server as portal, tempfile.TemporaryDirectory() as temporary:
        data, other = Path(temporary, "one"), Path(temporary, "two")
        for directory in (data, other):
            directory.mkdir()
            (directory / "sites.toml").write_text(sites_toml(portal), encoding="utf-8")
        initial, initial_s = measure(portal, data)
        portal.publish(args.publish)
        new, new_s = measure(portal, data)
        full, full_s = measure(portal, data, "--mode", "full")
        resumed, resumed_s = killed_and_resumed(portal, other, kill_at=initial // 2)

    print(f"portal: {args.articles} synthetic articles, {args.latency * 1000:.0f} ms latency")
    print(f"{'crawl':<34}{'requests':>10}{'seconds':>10}")
    rows = [
        ("first crawl (everything)", initial, initial_s),
        (f"new, after {args.publish} published", new, new_s),
        ("full recrawl (baseline)", full, full_s),
        ("first crawl, SIGKILL half-way + resume", resumed, resumed_s),
    ]
    for name, requests, seconds in rows:
        print(f"{name:<34}{requests:>10}{seconds:>10.1f}")
    print(f"new / full: {new / full:.3f}× requests, {new_s / full_s:.3f}× time")
    print(f"killed + resumed / uninterrupted: {resumed / initial:.3f}× requests")


if __name__ == "__main__":
    main()
