"""Fleet soak: crawl many zoo portals unattended, as an archivist's scheduler would.

Each portal is a seeded :class:`sampleportal.zoo.ZooPortal` on its own
loopback host (127.0.0.x); all are crawled by one ``dna crawl --all`` with
the default settings (``--fast`` drops the politeness delay, for a quick
look).  Seeds from 0 are the ones tuned on; the held-out seeds (from 10000)
are never looked at while tuning and are reported on their own.

    python -m bench.fleet --portals 100 --held-out 20    # about 40 minutes on 2 cores
    python -m bench.fleet --fast --scale 10    # a quick look: portals of 120-300 articles

A trap costs a few pages whatever the portal's size, so its share of pages
fetched depends on the size: ``--scale`` gives each portal that many times
its 12-30 articles.  The default, 100, makes portals of 1,200-3,000
articles, the small end of the 2,000-50,000 a real portal holds
(``portal-families.md``); trap pages per trap, printed beside the share,
is what a trap costs at any size.

Prints, per group: whether every crawl ended by itself, trap pages as a
share of pages fetched (and per trap: what seeing a trap costs, whatever the
portal's size), duplicate articles, listings stored as articles,
article recall, body F1, author accuracy; then wall time, pages/s and the
crawl's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from archive.models import Capture, Site
from archive.store import Store
from sampleportal.zoo import ZooPortal

HELD_OUT_FROM = 10_000
FAST = """\
[crawler]
download_delay = 0
autothrottle = false
concurrency_per_host = 4
"""


@dataclass
class Figures:
    """One group's figures."""

    portals: int = 0
    ended: int = 0
    pages: int = 0
    trap_pages: int = 0
    traps: int = 0
    pages_by_trap: Counter[str] = field(default_factory=Counter)
    traps_by_kind: Counter[str] = field(default_factory=Counter)
    expected: int = 0
    found: int = 0
    duplicates: int = 0
    listings: int = 0
    f1_sum: float = 0.0
    authors_right: int = 0
    #: portals that lost articles, as "site found/expected": the seed to serve again.
    short: list[str] = field(default_factory=list)

    def lines(self, name: str) -> list[str]:
        found = max(self.found, 1)
        return [
            f"{name}: {self.portals} portals",
            f"  crawls ended by themselves  {self.ended}/{self.portals}",
            f"  trap pages / pages fetched  {self.trap_pages}/{self.pages} "
            f"= {self.trap_pages / max(self.pages, 1):.1%}",
            f"  trap pages per trap         {self.trap_pages}/{self.traps} "
            f"= {self.trap_pages / max(self.traps, 1):.1f}",
            "    by kind                   "
            + ", ".join(
                f"{kind} {self.pages_by_trap[kind] / count:.1f}"
                for kind, count in sorted(self.traps_by_kind.items())
            ),
            f"  duplicate articles          {self.duplicates}",
            f"  listings stored as articles {self.listings}",
            f"  article recall              {self.found}/{self.expected} "
            f"= {self.found / max(self.expected, 1):.1%}",
            f"  body F1                     {self.f1_sum / found:.3f}",
            f"  author accuracy             {self.authors_right / found:.1%}",
            *([f"  portals short of articles   {', '.join(self.short)}"] if self.short else []),
        ]


def _f1(found: str, truth: str) -> float:
    got, want = Counter(found.split()), Counter(truth.split())
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def score(store: Store, portal: ZooPortal, site: str, figures: Figures) -> None:
    """Add one portal's crawl to ``figures``."""
    figures.portals += 1
    run = store.latest_crawls().get(site)
    if run is not None and run.status == "finished":
        figures.ended += 1
    with store.session() as session:
        urls = session.scalars(
            select(Capture.url).join(Site, Capture.site_id == Site.id).where(Site.name == site)
        ).all()
    figures.pages += len(urls)
    kinds = Counter(portal.trap_of(url) for url in urls)
    del kinds[None]
    kinds["pager"] += portal.posted_past_end
    figures.pages_by_trap.update(kinds)
    figures.trap_pages += kinds.total()
    figures.traps += len(portal.traps)
    figures.traps_by_kind.update(portal.traps)
    truth = {article.title: article for article in portal.articles}
    figures.expected += len(truth)
    found_before = figures.found
    matched: Counter[str] = Counter()
    for article in store.articles(site=site):
        expected = truth.get(article.title)
        if expected is None:
            figures.listings += 1
            continue
        matched[article.title] += 1
        if matched[article.title] > 1:
            figures.duplicates += 1
            continue
        figures.found += 1
        figures.f1_sum += _f1(article.body, "\n".join(expected.body))
        figures.authors_right += article.author == expected.author
    if (found := figures.found - found_before) < len(truth):
        figures.short.append(f"{site} {found}/{len(truth)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portals", type=int, default=100, help="portals in all")
    parser.add_argument("--held-out", type=int, default=20, help="of which held out")
    parser.add_argument("--fast", action="store_true", help="no politeness delay")
    parser.add_argument(
        "--scale", type=int, default=100, help="times the 12-30 articles per portal (100)"
    )
    parser.add_argument("--keep", type=Path, help="crawl into this directory, and keep it")
    args = parser.parse_args()
    tuned = list(range(args.portals - args.held_out))
    held = list(range(HELD_OUT_FROM, HELD_OUT_FROM + args.held_out))
    portals = {seed: ZooPortal(seed, args.scale) for seed in tuned + held}
    with tempfile.TemporaryDirectory(prefix="dna-fleet-") as tmp:
        data = args.keep or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        blocks = [FAST if args.fast else ""]
        for number, (seed, portal) in enumerate(portals.items()):
            portal.serve(f"127.0.{1 + number // 200}.{10 + number % 200}")
            blocks.append(
                f'[[site]]\nname = "zoo-{seed}"\nstart_urls = {json.dumps(portal.start_urls)}\n'
            )
        (data / "sites.toml").write_text("\n".join(blocks), encoding="utf-8")
        dna = str(Path(sys.executable).parent / "dna")
        started = time.monotonic()
        result = subprocess.run(
            [dna, "crawl", "--all", "--no-index", "--data", str(data)],
            cwd=data,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "COLUMNS": "200"},
        )
        wall = time.monotonic() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        for portal in portals.values():
            portal.close()
        store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
        groups = {"tuned seeds": Figures(), "held-out seeds": Figures()}
        for seed, portal in portals.items():
            group = groups["held-out seeds" if seed >= HELD_OUT_FROM else "tuned seeds"]
            score(store, portal, f"zoo-{seed}", group)
        pages = sum(group.pages for group in groups.values())
        store.close()
    print(f"dna crawl --all exit status {result.returncode}")
    for name, group in groups.items():
        if group.portals:
            print("\n".join(group.lines(name)))
    print(f"wall time {wall:.1f}s, {pages / wall:.1f} pages/s, peak RSS {peak_mb:.0f} MB")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)


if __name__ == "__main__":
    main()
