"""Benchmark crawling: the full ``dna crawl`` pipeline against bare Scrapy and wget.

Serves a generated vnPortal sample portal (``--articles`` synthetic articles, 2,000 by
default, plus the hand-written ones) on 127.0.0.1 in this process and crawls it, each
crawl a separate process in a fresh temporary data directory, in two scenarios:

A. CPU-bound: no server latency.  ``dna crawl --no-index`` (spider, WARC recorder,
   database pipeline) against the same spider with WARC and database off
   (``scrapy crawl portal -s DNA_WARC_ENABLED=0 -s DNA_STORE_ENABLED=0``), both with
   ``--a-concurrency`` (8) requests per host.  Target: full ≥ 0.6× bare.
B. Latency-bound: every response waits ``--latency`` (30 ms).  ``dna crawl`` at each
   per-host concurrency of ``--concurrency`` (2, the project default, and 4) against
   ``wget --mirror --warc-file --wait=0``, which is strictly sequential (one
   connection).  Target: full ≥ 3× wget.

C. A fleet: ``--fleet`` (8) portals on distinct loopback hosts (127.0.0.2, …), each
   answering after ``--latency`` with ``--fleet-articles`` (300) synthetic articles,
   crawled by ``dna crawl --all --no-index`` with ``--workers 1`` and ``--workers 2``
   at the same per-host politeness (``--concurrency``'s first level, 2).  Each site is
   crawled by one worker, so a portal is pressed no harder by two.  Target: 2 workers
   ≥ 1.8× one.  Beside it, the machine's parallel capacity now (two CPU-bound
   processes against one, as ``bench/scale.py`` measures it): the ceiling of the
   ratio on a shared machine.

CPU per page: scenario A's full pipeline against bare Scrapy on the same pages, in CPU
ms per page (user + system) and as a ratio.  Target: full ≤ 1.15× bare.

Politeness of dna and bare Scrapy: robots.txt obeyed, AutoThrottle off, the per-host
concurrency stated, and a download delay of 1 ms (``--delay``).  Not 0: since Scrapy
2.14 the per-host limit is not enforced when the delay is 0 (``Downloader._process_queue``
schedules each download as a task, which counts as transferring only once it runs,
so one pass sends the slot's whole queue: the portal saw 13-16 requests at once
under a limit of 2).  With a delay the queue is released one request at a time, and
1 ms costs nothing at these rates.  The table's "peak" is the most requests the portal
had in hand at once; a crawl over its limit is flagged.  (The project's default
politeness adds a 0.5 s delay and AutoThrottle, which cap a host at one request per
0.5 s or slower: at that setting dna and ``wget --wait=0.5`` both fetch under 2 pages/s.)

Pages are HTML pages fetched: GET responses with status 200 and a ``text/html`` type,
counted on the server, the same way for all three; pages/s divides them by the
wall-clock seconds of the crawl process (start-up included).  Cross-checks: the WARC
files of dna and wget, the spider's stats of bare Scrapy.  All three crawl the same
pages: dna and bare Scrapy run one spider with ``fetch_media = false`` (images and
documents linked from articles are not fetched); wget rejects images, styles and
documents by suffix, and by ``--reject-regex`` the duplicates and traps our spider
canonicalises away or skips (``?pageindex=0``, ``utm_*``, ``?print=1``), the ``?lich=``
calendar (which the spider stops after a few months each way) and the vnPortal pager
past one empty page after the last (the pager never ends).  The run prints how the
three sets of pages differ.

The server runs in this process (threads), so its CPU time is this process's; the
crawlers' CPU time is their own (user + system).  Other load on the machine changes
wall-clock figures: the table shows the 1-minute load average before each crawl, and
CPU ms per page, which load hardly changes.

Examples::

    python -m bench.crawl                # the full run, about 8 minutes on 2 cores
    python -m bench.crawl --quick        # 200 articles, a smoke test
    python -m bench.crawl --scenario B --concurrency 2,4,8 --repeat 3
    python -m bench.crawl --scenario C --fleet-articles 100
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from warcio.archiveiterator import ArchiveIterator

from sampleportal import PortalServer
from sampleportal.handler import PortalHandler

REPO = Path(__file__).resolve().parents[1]
SITE = "bench"
FAMILY = "vnportal"
#: wget --reject: what the spider never fetches with fetch_media = false.
WGET_REJECT = (
    "jpg,jpeg,png,gif,webp,svg,ico,bmp,css,js,pdf,doc,docx,xls,xlsx,ppt,pptx,odt,ods,zip,rar,"
    "mp3,mp4,avi,wmv,flv,swf,woff,woff2,ttf,exe"
)
#: wget --reject-regex: URLs our spider canonicalises into others, or skips.
WGET_TRAPS = (
    r"[?&]pageindex=0($|&)",  # the first page again (listings and article links)
    r"[?&]utm_",  # tracking parameters: the same page
    r"[?&]print=1",  # print views: the same article
    r"[?&]lich=",  # the calendar: endless (the spider fetches a few months)
)
TARGET_FULL_VS_BARE = 0.6
TARGET_FULL_VS_WGET = 3.0
#: scenario C: two workers against one, on a fleet of portals.
TARGET_TWO_WORKERS = 1.8
#: CPU ms per page of the full pipeline over bare Scrapy's: at most this.
TARGET_CPU_VS_BARE = 1.15


# -- the server, counting what it sends ---------------------------------------------


class Tally:
    """What the portal served: one row per response, and the most requests at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rows: list[tuple[str, str, int | None, str]] = []
        self.inflight = 0
        self.peak = 0

    def reset(self) -> None:
        with self._lock:
            self.rows = []
            self.peak = self.inflight

    def enter(self) -> None:
        with self._lock:
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)

    def leave(self, method: str, path: str, status: int | None, content_type: str) -> None:
        with self._lock:
            self.inflight -= 1
            self.rows.append((method, path, status, content_type))

    def html_pages(self) -> list[str]:
        """Paths of the GET 200 ``text/html`` responses, in order, normalised."""
        with self._lock:
            rows = list(self.rows)
        return [
            normalise(path)
            for method, path, status, content_type in rows
            if method == "GET" and status == 200 and content_type.startswith("text/html")
        ]


class CountingHandler(PortalHandler):
    """The portal's handler, reporting each response to a :class:`Tally`."""

    tally: ClassVar[Tally]
    #: Whether this request is counted out (an error page sent before any
    #: answer began was never counted in).
    _counted_out = True

    def _answer(self, *, with_body: bool) -> None:
        self._status: int | None = None
        self._content_type = ""
        self._counted_out = False
        self.tally.enter()
        try:
            super()._answer(with_body=with_body)
        finally:
            self._count_out()

    def end_headers(self) -> None:
        # Counted out before any byte of the answer goes: counted after the
        # last, a thread descheduled between its write and the count let the
        # client's next request in first, and a polite crawl read as 3 at once.
        self._count_out()
        super().end_headers()

    def _count_out(self) -> None:
        if not self._counted_out:
            self._counted_out = True
            self.tally.leave(self.command, self.path, self._status, self._content_type)

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-type":
            self._content_type = value.lower()
        super().send_header(keyword, value)


def normalise(path: str) -> str:
    """A request target with its query sorted, to compare clients that order it apart."""
    parts = urlsplit(path)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path + (f"?{query}" if query else "")


def start_portal(articles: int, latency: float) -> tuple[PortalServer, Tally]:
    portal = PortalServer(FAMILY, extra_articles=articles, latency=latency).start()
    tally = Tally()
    # PortalServer has no hook for its handler; new connections take this class.
    portal._httpd.RequestHandlerClass = type(  # type: ignore[union-attr]
        "BenchHandler", (CountingHandler,), {"tally": tally}
    )
    return portal, tally


def wget_reject_regex(portal: PortalServer) -> str:
    """WGET_TRAPS, and each category's pager past its first empty page.

    Our spider follows a listing's "next" link only from a page that showed new
    articles, so it fetches each category's pages 1 to last + 1 (the empty one).
    """
    site = portal._site  # the served Site: categories, articles, page size
    family = site.family
    parts = list(WGET_TRAPS)
    for slug, listed in site.by_category.items():
        if not re.fullmatch(r"[a-z0-9-]+", slug) or family.listing_url(slug, 2) != (
            f"/{slug}?pageindex=2"
        ):
            raise SystemExit(f"unexpected listing URL shape for category {slug!r}")
        last = max(1, -(-len(listed) // family.page_size))
        beyond = last + 1 if listed else 1
        parts.append(f"/{slug}[?]pageindex={greater_than(beyond)}($|&)")
    return "|".join(f"({part})" for part in parts)


def greater_than(number: int) -> str:
    """A POSIX ERE matching the decimal integers (no leading zeros) above ``number``."""
    digits = str(number)
    options = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - i - 1
            options.append(
                digits[:i] + f"[{int(digit) + 1}-9]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    return "(" + "|".join(options) + ")"


# -- the crawls ----------------------------------------------------------------------


@dataclass
class Crawl:
    """One crawl's measurements."""

    way: str
    concurrency: int | None
    pages: int
    seconds: float
    cpu: float
    server_cpu: float
    peak: int
    load: float
    check: str
    exit_code: int
    notes: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list, repr=False)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu / self.pages if self.pages else 0.0


def tool(name: str) -> str:
    """A console script of this venv, else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH")
    return found


@dataclass(frozen=True)
class Politeness:
    """How hard dna and bare Scrapy may press the portal: the same for both."""

    concurrency: int
    delay: float

    def sites_toml(self, base_url: str) -> str:
        return f"""[crawler]
download_delay = {self.delay!r}
autothrottle = false
obey_robots = true
concurrency_per_host = {self.concurrency}
fetch_media = false

[[site]]
name = "{SITE}"
start_urls = ["{base_url}"]
"""

    def scrapy_args(self) -> list[str]:
        """The same settings on the command line, for bare Scrapy."""
        values = {
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrency,
            "DOWNLOAD_DELAY": self.delay,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": True,
            "DNA_FETCH_MEDIA": False,
        }
        return [arg for key, value in values.items() for arg in ("-s", f"{key}={value}")]

    def describe(self) -> str:
        return (
            f"concurrency_per_host = {self.concurrency}, download_delay = {self.delay:g} s, "
            "autothrottle = false, robots.txt obeyed, fetch_media = false"
        )


def write_sites(data: Path, base_url: str, politeness: Politeness) -> None:
    data.mkdir(parents=True)
    (data / "sites.toml").write_text(politeness.sites_toml(base_url), encoding="utf-8")


def timed(way: str, concurrency: int | None, command: list[str], log: Path, tally: Tally) -> Crawl:
    """Run ``command`` and measure it.

    From the repository: ``dna crawl`` finds the project's Scrapy settings through
    ``scrapy.cfg`` in the working directory, and runs without them elsewhere.
    """
    load = os.getloadavg()[0]
    tally.reset()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = time.process_time()
    started = time.perf_counter()
    with open(log, "wb") as output:
        code = subprocess.call(command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    server_cpu = time.process_time() - server_cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    paths = tally.html_pages()
    notes = []
    if code:
        notes.append(f"exit status {code}, see {log}")
    if concurrency and tally.peak > concurrency:
        notes.append(f"the server saw {tally.peak} requests at once, over the limit {concurrency}")
    return Crawl(
        way=way,
        concurrency=concurrency,
        pages=len(paths),
        seconds=seconds,
        cpu=cpu,
        server_cpu=server_cpu,
        peak=tally.peak,
        load=load,
        check="",
        exit_code=code,
        notes=notes,
        paths=paths,
    )


def scrapy_stats(log: Path) -> dict[str, float]:
    """The numbers of the last stats dump in a Scrapy log."""
    text = log.read_text(encoding="utf-8", errors="replace")
    start = text.rfind("Dumping Scrapy stats:")
    if start < 0:
        return {}
    end = text.find("}", start)
    return {
        key: float(value)
        for key, value in re.findall(r"'([^']+)': (-?[0-9.]+)[,}\n]", text[start : end + 1])
    }


def warc_html_pages(paths: Iterable[Path]) -> int:
    """Pages of status 200 and an HTML type in WARC files: response records,
    and revisits (a page whose body equals one archived before, such as the
    calendar's current month and the home page, is stored as a revisit)."""
    count = 0
    for path in paths:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                    continue
                content_type = record.http_headers.get_header("Content-Type") or ""
                if record.http_headers.get_statuscode() == "200" and "html" in content_type:
                    count += 1
    return count


def crawl_full(
    base_url: str, tally: Tally, work: Path, politeness: Politeness, expected: int, label: str
) -> Crawl:
    data = work / label
    write_sites(data, base_url, politeness)
    concurrency = politeness.concurrency
    command = [tool("dna"), "crawl", SITE, "--data", str(data), "--no-index"]
    crawl = timed("dna crawl (full)", concurrency, command, data / "dna.out", tally)
    warcs = sorted((data / "warc" / SITE).glob("*.warc.gz"))
    in_warc = warc_html_pages(warcs)
    logs = sorted((data / "logs").glob("crawl-*.log"))
    stats = scrapy_stats(logs[-1]) if logs else {}
    stored = int(stats.get("dna/articles_new", 0))
    crawl.check = f"WARC {in_warc}"
    if in_warc != crawl.pages:
        crawl.notes.append(f"WARC has {in_warc} HTML pages, the server sent {crawl.pages}")
    if stored != expected:
        crawl.notes.append(f"{stored} articles stored, {expected} expected")
    return crawl


def crawl_bare(
    base_url: str, tally: Tally, work: Path, politeness: Politeness, expected: int, label: str
) -> Crawl:
    data = work / label
    write_sites(data, base_url, politeness)
    concurrency = politeness.concurrency
    log = data / "scrapy.log"
    command = [
        tool("scrapy"),
        "crawl",
        "portal",
        "-a",
        f"site={SITE}",
        "-s",
        f"DNA_HOME={data}",
        "-s",
        "DNA_WARC_ENABLED=0",
        "-s",
        "DNA_STORE_ENABLED=0",
        "-s",
        f"LOG_FILE={log}",
        *politeness.scrapy_args(),
    ]
    crawl = timed("bare Scrapy", concurrency, command, data / "scrapy.out", tally)
    stats = scrapy_stats(log)
    parsed = int(stats.get("dna/pages_ok", 0) - stats.get("dna/non_html", 0))
    scraped = int(stats.get("item_scraped_count", 0))
    crawl.check = f"stats {parsed}"
    if parsed != crawl.pages:
        crawl.notes.append(f"the spider parsed {parsed} pages, the server sent {crawl.pages}")
    if scraped != expected:
        crawl.notes.append(f"{scraped} articles extracted, {expected} expected")
    if list(data.glob("warc")) or (data / "archive.sqlite3").exists():
        crawl.notes.append("bare Scrapy wrote a WARC or a database")
    return crawl


def crawl_wget(base_url: str, tally: Tally, work: Path, reject_regex: str, label: str) -> Crawl:
    data = work / label
    data.mkdir(parents=True)
    command = [
        tool("wget"),
        "--mirror",
        "--no-verbose",
        f"--output-file={data / 'wget.log'}",
        f"--directory-prefix={data / 'files'}",
        f"--warc-file={data / 'wget'}",
        "--wait=0",
        "--execute=robots=on",
        f"--reject={WGET_REJECT}",
        f"--reject-regex={reject_regex}",
        base_url,
    ]
    crawl = timed("wget --mirror", 1, command, data / "wget.out", tally)
    in_warc = warc_html_pages(sorted(data.glob("wget*.warc.gz")))
    crawl.check = f"WARC {in_warc}"
    if in_warc != crawl.pages:
        crawl.notes.append(f"WARC has {in_warc} HTML pages, the server sent {crawl.pages}")
    return crawl


def best(runs: list[Crawl]) -> Crawl:
    """The fastest of repeated runs, with every run's seconds noted."""
    chosen = min(runs, key=lambda run: run.seconds)
    if len(runs) > 1:
        chosen.notes.append("runs: " + ", ".join(f"{run.seconds:.1f} s" for run in runs))
    return chosen


# -- the report ----------------------------------------------------------------------


def table(crawls: list[Crawl]) -> str:
    header = (
        f"{'way':<18} {'conc.':>5} {'peak':>4} {'pages':>6} {'cross-check':>12} "
        f"{'seconds':>8} {'pages/s':>8} {'CPU s':>7} {'CPU ms/page':>11} "
        f"{'server CPU s':>12} {'load':>5}"
    )
    lines = [header, "-" * len(header)]
    for crawl in crawls:
        lines.append(
            f"{crawl.way:<18} {crawl.concurrency or '':>5} {crawl.peak:>4} {crawl.pages:>6} "
            f"{crawl.check:>12} {crawl.seconds:>8.1f} {crawl.rate:>8.1f} {crawl.cpu:>7.1f} "
            f"{crawl.cpu_ms_per_page:>11.1f} {crawl.server_cpu:>12.1f} {crawl.load:>5.2f}"
        )
        lines.extend(f"{'':<18}   ! {note}" for note in crawl.notes)
    return "\n".join(lines)


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio >= target else "below"


def compare(reference: Crawl, other: Crawl, shown: int = 5) -> tuple[str, bool]:
    """How the pages ``other`` fetched differ from ``reference``'s."""
    mine, theirs = set(reference.paths), set(other.paths)
    dupes = len(other.paths) - len(theirs)
    only_ref, only_other = sorted(mine - theirs), sorted(theirs - mine)
    if not only_ref and not only_other and not dupes:
        return f"  same {len(mine)} pages: {reference.way} and {other.way}", True
    text = (
        f"  {reference.way} vs {other.way}: {len(mine & theirs)} in common, "
        f"{len(only_ref)} only in {reference.way}, {len(only_other)} only in {other.way}"
        + (f", {dupes} fetched twice by {other.way}" if dupes else "")
    )
    for name, paths in ((reference.way, only_ref), (other.way, only_other)):
        if paths:
            text += f"\n    only {name}: " + ", ".join(paths[:shown])
            text += " …" if len(paths) > shown else ""
    # A handful of the empty pages past a listing's end may differ; more is a bug.
    return text, len(only_ref) + len(only_other) + dupes <= 10


# -- the scenarios -------------------------------------------------------------------


def scenario_a(args: argparse.Namespace, work: Path) -> dict[str, object]:
    politeness = Politeness(args.a_concurrency, args.delay)
    portal, tally = start_portal(args.articles, 0.0)
    try:
        expected = len(portal.expected_articles())
        print(
            f"\nA. CPU-bound: no server latency, {expected} articles at {portal.base_url}\n"
            "   dna crawl --no-index, and bare Scrapy (the same spider, WARC and database off), "
            f"alike:\n   {politeness.describe()}",
            flush=True,
        )
        fulls: list[Crawl] = []
        bares: list[Crawl] = []
        for n in range(args.repeat):
            bares.append(
                crawl_bare(portal.base_url, tally, work, politeness, expected, f"a-bare-{n}")
            )
            print(f"   bare Scrapy: {bares[-1].seconds:.1f} s", flush=True)
            fulls.append(
                crawl_full(portal.base_url, tally, work, politeness, expected, f"a-full-{n}")
            )
            print(f"   dna crawl: {fulls[-1].seconds:.1f} s", flush=True)
        full, bare = best(fulls), best(bares)
        index_seconds = time_index(work / f"a-full-{fulls.index(full)}") if args.index else None
    finally:
        portal.stop()
    print()
    print(table([full, bare]))
    ratio = full.rate / bare.rate if bare.rate else 0.0
    print(
        f"\n  full / bare = {ratio:.2f}×   target ≥ {TARGET_FULL_VS_BARE}×   "
        f"{verdict(ratio, TARGET_FULL_VS_BARE)}"
    )
    cpu_ratio = full.cpu_ms_per_page / bare.cpu_ms_per_page if bare.cpu_ms_per_page else 0.0
    print(
        f"  CPU per page: full {full.cpu_ms_per_page:.1f} ms, bare {bare.cpu_ms_per_page:.1f} ms "
        f"= {cpu_ratio:.2f}×   target ≤ {TARGET_CPU_VS_BARE}×   "
        f"{'PASS' if cpu_ratio <= TARGET_CPU_VS_BARE else 'above'}"
    )
    same, same_ok = compare(full, bare)
    print(same)
    if index_seconds is not None:
        print(
            f"  then `dna index` (Whoosh; in no ratio): {index_seconds:.1f} s, so crawl + index "
            f"= {full.pages / (full.seconds + index_seconds):.1f} pages/s"
        )
    return {
        "settings": politeness.describe(),
        "crawls": [summary(full), summary(bare)],
        "full_vs_bare": ratio,
        "target": TARGET_FULL_VS_BARE,
        "pass": ratio >= TARGET_FULL_VS_BARE,
        "cpu_full_vs_bare": cpu_ratio,
        "cpu_target": TARGET_CPU_VS_BARE,
        "cpu_pass": 0 < cpu_ratio <= TARGET_CPU_VS_BARE,
        "index_seconds": index_seconds,
        "valid": same_ok and not problems(full, bare),
    }


def scenario_b(args: argparse.Namespace, work: Path) -> dict[str, object]:
    portal, tally = start_portal(args.articles, args.latency)
    try:
        expected = len(portal.expected_articles())
        reject = wget_reject_regex(portal)
        levels = ", ".join(map(str, args.concurrency))
        print(
            f"\nB. Latency-bound: {1000 * args.latency:g} ms per response, {expected} articles "
            f"at {portal.base_url}\n"
            f"   dna crawl --no-index: concurrency_per_host = {levels} (2 is the project "
            f"default), download_delay = {args.delay:g} s,\n"
            "   autothrottle = false, robots.txt obeyed, fetch_media = false\n"
            "   wget --mirror --warc-file --wait=0: one connection (keep-alive), robots.txt "
            "obeyed,\n   images and documents rejected by suffix, duplicates and traps by "
            "--reject-regex",
            flush=True,
        )
        wgets: list[Crawl] = []
        fulls: dict[int, list[Crawl]] = {c: [] for c in args.concurrency}
        for n in range(args.repeat):
            wgets.append(crawl_wget(portal.base_url, tally, work, reject, f"b-wget-{n}"))
            print(f"   wget: {wgets[-1].seconds:.1f} s", flush=True)
            for concurrency, runs in fulls.items():
                politeness = Politeness(concurrency, args.delay)
                label = f"b-full-c{concurrency}-{n}"
                runs.append(crawl_full(portal.base_url, tally, work, politeness, expected, label))
                print(f"   dna crawl ×{concurrency}: {runs[-1].seconds:.1f} s", flush=True)
        wget = best(wgets)
        chosen = [best(runs) for runs in fulls.values()]
    finally:
        portal.stop()
    print()
    print(table([wget, *chosen]))
    print()
    ratios: dict[str, float] = {}
    valid = not problems(wget, *chosen)
    for full in chosen:
        ratio = full.rate / wget.rate if wget.rate else 0.0
        ratios[str(full.concurrency)] = ratio
        by_latency = (full.concurrency or 1) / args.latency
        by_cpu = 1000 / full.cpu_ms_per_page if full.cpu_ms_per_page else float("inf")
        print(
            f"  full ×{full.concurrency} / wget = {ratio:.2f}×   target ≥ {TARGET_FULL_VS_WGET}×   "
            f"{verdict(ratio, TARGET_FULL_VS_WGET)}\n"
            f"    ceilings: {by_latency:.0f} pages/s by latency ({full.concurrency} in flight / "
            f"{args.latency:g} s) = {by_latency / wget.rate:.1f}× wget; {by_cpu:.0f} pages/s "
            f"by the crawler's CPU ({full.cpu_ms_per_page:.1f} ms/page) = "
            f"{by_cpu / wget.rate:.1f}× wget"
        )
    for full in chosen:
        text, same_ok = compare(full, wget)
        print(text)
        valid = valid and same_ok
    return {
        "latency": args.latency,
        "delay": args.delay,
        "crawls": [summary(wget), *map(summary, chosen)],
        "full_vs_wget": ratios,
        "target": TARGET_FULL_VS_WGET,
        "pass": {key: ratio >= TARGET_FULL_VS_WGET for key, ratio in ratios.items()},
        "wget_reject_regex": reject,
        "valid": valid,
    }


def crawl_fleet(
    portals: list[tuple[PortalServer, Tally]], work: Path, per_host: int, workers: int
) -> tuple[float, int, float, float]:
    """``dna crawl --all --workers N`` of the fleet: seconds, pages, crawler and server CPU s.

    The portals are served by this process, on the same cores as the workers: their
    CPU is shown so that a ratio short of the machine's capacity can be read.
    """
    from bench.scale import sites_toml as fleet_sites_toml  # bench.scale imports this module

    data = work / f"c-workers-{workers}"
    data.mkdir(parents=True)
    (data / "sites.toml").write_text(fleet_sites_toml(portals, per_host), encoding="utf-8")
    for _, tally in portals:
        tally.reset()
    command = [tool("dna"), "crawl", "--all", "--workers", str(workers), "--no-index"]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = time.process_time()
    started = time.perf_counter()
    with open(data / "dna.out", "wb") as output:
        code = subprocess.call(
            [*command, "--data", str(data)], cwd=REPO, stdout=output, stderr=subprocess.STDOUT
        )
    seconds = time.perf_counter() - started
    server_cpu = time.process_time() - server_cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    if code:
        raise SystemExit(f"dna crawl --workers {workers} failed ({code}): see {data / 'dna.out'}")
    pages = sum(len(tally.html_pages()) for _, tally in portals)
    return seconds, pages, cpu, server_cpu


def scenario_c(args: argparse.Namespace, work: Path) -> dict[str, object]:
    from bench.scale import parallel_capacity, start_portals

    per_host = args.concurrency[0]
    portals = start_portals(args.fleet, args.fleet_articles, args.latency)
    try:
        print(
            f"\nC. A fleet: {args.fleet} portals on 127.0.0.2-{args.fleet + 1}, "
            f"{1000 * args.latency:g} ms per response, {args.fleet_articles} synthetic "
            f"articles each;\n   dna crawl --all --no-index, concurrency_per_host = {per_host}, "
            f"download_delay = {args.delay:g} s, --workers 1 then 2",
            flush=True,
        )
        capacity = parallel_capacity()
        runs: dict[int, dict[str, float]] = {}
        # --repeat interleaves 1, 2, 1, 2 …: drift in the machine's load
        # falls on both; the fastest run of each counts.
        for n in range(args.repeat):
            for workers in (1, 2):
                load = os.getloadavg()[0]
                seconds, pages, cpu, server_cpu = crawl_fleet(
                    portals, work / f"run-{n}", per_host, workers
                )
                print(
                    f"   --workers {workers}: {pages} pages in {seconds:.1f} s = "
                    f"{pages / seconds:.1f} pages/s, crawler CPU {cpu:.1f} s, "
                    f"portals' CPU {server_cpu:.1f} s, load {load:.2f}",
                    flush=True,
                )
                if workers not in runs or pages / seconds > (
                    runs[workers]["pages"] / runs[workers]["seconds"]
                ):
                    runs[workers] = {
                        "seconds": seconds,
                        "pages": pages,
                        "cpu": cpu,
                        "server_cpu": server_cpu,
                        "load": load,
                    }
        capacity = (capacity + parallel_capacity()) / 2
    finally:
        for portal, _ in portals:
            portal.stop()
    one, two = (runs[n]["pages"] / runs[n]["seconds"] for n in (1, 2))
    ratio = two / one if one else 0.0
    print(
        f"\n  2 workers / 1 = {ratio:.2f}× (fastest of {args.repeat} each)   "
        f"target ≥ {TARGET_TWO_WORKERS}×   "
        f"{verdict(ratio, TARGET_TWO_WORKERS)}\n"
        f"  parallel capacity of this machine now (2 CPU-bound processes / 1): {capacity:.2f}×; "
        f"2 workers got {ratio / capacity:.0%} of it"
    )
    # A trap shape is stopped with requests in flight, so which of its pages are
    # fetched, and how many, depends on timing: up to each host's concurrency.
    in_flight = args.fleet * per_host
    same = abs(runs[1]["pages"] - runs[2]["pages"]) <= in_flight
    if not same:
        print(f"  ! the runs fetched {runs[1]['pages']} and {runs[2]['pages']} pages")
    return {
        "runs": runs,
        "two_vs_one": ratio,
        "capacity": capacity,
        "target": TARGET_TWO_WORKERS,
        "pass": ratio >= TARGET_TWO_WORKERS,
        "valid": same,
    }


def problems(*crawls: Crawl) -> list[str]:
    """Notes that make a crawl's figures incomparable (all but the list of runs)."""
    return [note for crawl in crawls for note in crawl.notes if not note.startswith("runs:")]


def time_index(data: Path) -> float | None:
    started = time.perf_counter()
    with open(data / "index.out", "wb") as output:
        code = subprocess.call(
            [tool("dna"), "index", "--data", str(data)],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return time.perf_counter() - started if code == 0 else None


def summary(crawl: Crawl) -> dict[str, object]:
    data = asdict(crawl)
    del data["paths"]
    data["pages_per_second"] = crawl.rate
    data["cpu_ms_per_page"] = crawl.cpu_ms_per_page
    return data


# -- main ----------------------------------------------------------------------------


def versions() -> str:
    import scrapy

    first = subprocess.run(
        [tool("wget"), "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    wget = first[0] if first else "wget ?"
    return f"Python {sys.version.split()[0]}, Scrapy {scrapy.__version__}, {wget}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Crawl a generated sample portal with dna, bare Scrapy and wget.",
    )
    parser.add_argument("--articles", type=int, default=2000, help="synthetic articles (2000)")
    parser.add_argument(
        "--latency", type=float, default=0.03, help="scenario B seconds per response (0.03)"
    )
    parser.add_argument(
        "--concurrency",
        default="2,4",
        help="scenario B: per-host concurrencies of dna crawl, comma-separated (2,4)",
    )
    parser.add_argument(
        "--a-concurrency", type=int, default=8, help="scenario A per-host concurrency (8)"
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.001,
        help="download_delay of dna and bare Scrapy, seconds (0.001: see the module doc)",
    )
    parser.add_argument("--fleet", type=int, default=8, help="scenario C portals (8)")
    parser.add_argument(
        "--fleet-articles", type=int, default=300, help="scenario C articles per portal (300)"
    )
    parser.add_argument("--scenario", choices=("A", "B", "C", "all"), default="all", help="(all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each crawl; best counts")
    parser.add_argument("--quick", action="store_true", help="200 articles: a smoke test")
    parser.add_argument(
        "--no-index", dest="index", action="store_false", help="skip timing `dna index`"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.articles = 200
        args.fleet_articles = 50
    args.concurrency = [int(c) for c in str(args.concurrency).split(",") if c.strip()]
    if args.articles < 0 or args.repeat < 1 or not args.concurrency:
        parser.error("--articles ≥ 0, --repeat ≥ 1 and one --concurrency at least")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"Crawl benchmark: {FAMILY} sample portal with {args.articles} synthetic articles, "
        f"{os.cpu_count()} CPUs, load {', '.join(f'{n:.2f}' for n in os.getloadavg())} "
        "(the machine may be shared: figures under load are noisy)\n"
        f"{versions()}\n"
        "pages = HTML pages fetched (GET 200 text/html, counted by the server); "
        "pages/s = pages / wall-clock seconds of the crawl process",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="dna-bench-crawl-"))
    results: dict[str, dict[str, object]] = {}
    valid = False
    try:
        for name, scenario in (("A", scenario_a), ("B", scenario_b), ("C", scenario_c)):
            if args.scenario in (name, "all"):
                results[name] = scenario(args, work)
        valid = all(part["valid"] for part in results.values())
    finally:
        if args.keep or (results and not valid):
            print(f"\nData directories and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        report = {"articles": args.articles, "cpus": os.cpu_count(), "valid": valid, **results}
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    if not valid:
        print("Some cross-checks failed (marked !): the figures above are not comparable.")
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
