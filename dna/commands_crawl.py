"""Crawling: ``crawl`` runs crawls, ``crawls`` lists them."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING

import click
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from archive.locks import LockHeld, LockOwner
from crawler.crawl import CrawlError, CrawlObserver, CrawlRequest, choose_sites, crawl_sites
from crawler.progress import NOT_STARTED, WAITING
from crawler.schedule.rules import CRAWL_MODES
from crawler.sites import future_since
from dna.context import (
    Day,
    Env,
    SiteName,
    archive_options,
    check_sites_or_all,
    console,
    err_console,
    fail,
    update_search_index,
    workers_option,
)
from dna.render import (
    TIME_ZONE_LABEL,
    Cell,
    Column,
    fitted_table,
    local_time,
    print_line,
    print_table,
    report_problems,
)

if TYPE_CHECKING:
    from archive.archived import CrawlRun
    from archive.warcscan import ScanProblem
    from crawler.progress import SiteProgress
    from crawler.resume import ResumePlan


# -- crawl -------------------------------------------------------------------


@click.command()
@click.argument("names", metavar="SITE...", nargs=-1, type=SiteName(configured_only=True))
@click.option("--all", "crawl_all", is_flag=True, help="Crawl every valid site in sites.toml.")
@click.option(
    "--mode",
    type=click.Choice(CRAWL_MODES),
    help="new: listings and unseen articles only (default); full: revisit everything.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Pick up each site's killed or interrupted crawl; crawl anew if there is none.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    help="Send each site at most N requests (pages, feeds, robots.txt: the page budget).",
)
@click.option(
    "--since",
    type=Day(),
    help="Skip articles published before this day (Vietnam time).",
)
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
@click.option(
    "--frontier",
    metavar="redis://HOST:PORT/DB",
    envvar="DNA_FRONTIER_URL",
    help="Share the request queue and duplicate filter with other workers through Redis "
    "(default: $DNA_FRONTIER_URL).",
)
@workers_option("Spread the sites over N processes, each site crawled by one.")
@archive_options("write")
def crawl(
    names: tuple[str, ...],
    crawl_all: bool,
    mode: str | None,
    resume: bool,
    max_pages: int | None,
    since: date | None,
    no_index: bool,
    frontier: str | None,
    workers: int,
    env: Env,
) -> None:
    """Crawl portals into WARC files and the database, many sites together.

    A "new" crawl (the default) walks the listings newest first, fetches
    the articles not archived yet, and stops paging where a listing holds
    only archived ones; on a site never crawled it fetches everything.  A
    "full" crawl revisits every page with conditional GETs and stores a new
    version of each article that changed.

    A crawl killed by SIGKILL or a reboot is picked up with --resume: what
    it fetched is recovered from its WARC files, not fetched again.  One
    crawl per site at a time: a site being crawled by a live process is
    skipped; a lock left by a dead one is cleared.

    The sites are spread over --workers processes (one per core by
    default; never more than there are sites), each site crawled by one, so
    per-host politeness is the same.  Each process crawls at most
    sites_at_once of them at a time ([crawler] in sites.toml, 50), the
    longest first; the others wait their turn.  A worker killed outright is
    reported as killed; the others finish, and --resume picks its sites up.

    Shows live progress per site, then a summary, with what was cut off on
    purpose: URL shapes stopped as traps, a page or time budget reached.
    Exit status: 0 when every site was crawled (even if some pages failed,
    a trap was stopped or a budget reached: they are listed), 1 when a
    site could not be crawled at all or stopped on a full disk, 2 for usage
    errors, 130 if interrupted with Ctrl-C or SIGTERM (what was fetched is
    kept and its WARC files closed, even after a second Ctrl-C, which stops
    at once; --resume continues).

    With --frontier, any number of such workers, on any machines, crawl the
    same sites together into one database (see docs/scaling-out.md).

    Examples:

    \b
        dna crawl xa-thanh-lien huyen-thanh-chuong --max-pages 500
        dna crawl --all --mode full
        dna crawl xa-thanh-lien --resume
        dna crawl --all --frontier redis://10.0.0.5:6379/0 --db postgresql+psycopg://dna@10.0.0.5/dna
    """
    check_sites_or_all(names, crawl_all)
    if since and (why := future_since(since)):
        raise click.UsageError(f"--{why}")
    registry = env.load_sites()
    report_problems(registry)
    chosen, _ = choose_sites(registry, names)
    if not chosen:
        fail(f"no site to crawl (see: dna sites --sites {env.sites_path})")
    try:
        request = CrawlRequest(
            chosen,
            mode=mode,
            resume=resume,
            max_pages=max_pages,
            since=since,
            frontier=frontier,
            workers=workers,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with _CrawlView() as view:
        try:
            outcome = crawl_sites(env.data, env.sites_path, env.db_url, registry, request, view)
        except CrawlError as exc:
            fail(str(exc))
    results = outcome.results
    _print_summary(results, time.monotonic() - view.started)
    _print_failures(results)
    for row in results:
        for line in row.cut_off:
            print_line(f"{escape(row.site)}: cut off: {escape(line)}")
    print_line(f"Log: {escape(', '.join(outcome.log_files))}")

    # Every site left unfinished: stopped (by a full disk, a server gone), killed, never started.
    left = [
        r.site for r in results if r.status in ("interrupted", "killed", NOT_STARTED) or r.fatal
    ]
    # A shared frontier keeps what is left itself, and refuses --resume.
    again = (
        "the same command again (the frontier keeps what is left)"
        if frontier
        else f"dna crawl {' '.join(left)} --resume"
    )
    if fatal := next((r.fatal for r in results if r.fatal), None):
        fail(f"{fatal}; once it is back, continue with: {again}" if left else fatal)

    # Why a site stopped (a full disk) shows before the index update, which may fail too.
    for row in results:
        if row.message:
            err_console.print(f"[red]{row.site}:[/] {escape(row.message)}", soft_wrap=True)

    if not no_index and any(r.articles_new or r.articles_updated for r in results):
        update_search_index(env)
    if left:
        err_console.print(
            f"Interrupted: what was fetched is kept. Continue with: {again}", soft_wrap=True
        )
        if not any(r.message for r in results):  # else a full disk or a killed worker: 1
            sys.exit(130)
    if crawl_all and registry.problems:
        # A cron job reads the status alone: a site left out by a typo must show.
        err_console.print(
            f"{len(registry.problems)} problem(s) in {escape(str(env.sites_path))} left "
            "entries out of --all (above): fix them, `dna sites` lists all",
            soft_wrap=True,
        )
    if (
        outcome.busy
        or any(r.status == "failed" or r.message for r in results)
        or (crawl_all and registry.problems)
    ):
        sys.exit(1)


class _CrawlView(CrawlObserver):
    """Shows a crawl as it goes: notes as they come, a live table per site on a terminal."""

    def __init__(self) -> None:
        self._live: Live | None = None
        self.started = time.monotonic()

    def __enter__(self) -> _CrawlView:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.stop()

    def site_busy(self, site: str, held: LockHeld) -> None:
        err_console.print(
            f"[yellow]Skipped:[/] {site} is being crawled by {held.owner} (lock {held.path})",
            soft_wrap=True,
        )

    def stale_lock_cleared(self, site: str, owner: LockOwner) -> None:
        err_console.print(f"Cleared the stale lock of {site}: {owner} is gone.", soft_wrap=True)

    def not_resumed(self, site: str, unfinished: CrawlRun) -> None:
        err_console.print(
            f"Note: the last crawl of {site} (#{unfinished.id}) did not finish; "
            f"this is a new crawl (dna crawl {site} --resume picks it up).",
            soft_wrap=True,
        )

    def nothing_to_resume(self, site: str) -> None:
        console.print(f"{site}: no unfinished crawl to resume; crawling anew.")

    def resume_problem(self, problem: ScanProblem) -> None:
        err_console.print(f"[yellow]Problem:[/] {problem}")

    def resuming(self, site: str, plan: ResumePlan, mode: str) -> None:
        for line in plan.repaired:
            console.print(f"{site}: {line}", soft_wrap=True)
        console.print(
            f"Resuming crawl #{plan.crawl.id} of {site} ({mode}): "
            f"{len(plan.files)} WARC file(s); recovered {plan.recovered.get('captures', 0)} "
            f"capture(s) and {plan.recovered.get('articles', 0)} article(s) the database "
            "had not committed.",
            soft_wrap=True,
        )

    def progress(self, rows: list[SiteProgress]) -> None:
        if not console.is_terminal:
            return
        if self._live is None:
            # Transient: the last frame goes when the summary comes, not above it.
            self._live = Live(console=console, auto_refresh=False, transient=True)
            self._live.start()
        seconds = time.monotonic() - self.started
        title = "Crawling… (Ctrl-C stops; --resume continues)"
        if len(rows) > max(console.height - 8, 10):
            # Thousands of sites: the crawling ones, and the others counted.
            others = Counter(row.status for row in rows if row.status != "running")
            rows = [row for row in rows if row.status == "running"]
            counts = ", ".join(f"{count} {status}" for status, count in sorted(others.items()))
            title = f"{title}\n{len(rows)} crawling, {counts}"
        table = fitted_table(title, _progress_columns(seconds), _progress_rows(rows, seconds))
        self._live.update(table, refresh=True)


_STATUS_STYLE = {
    "finished": "green",
    "failed": "red",
    "killed": "red",
    "interrupted": "yellow",
    NOT_STARTED: "yellow",
    "running": "cyan",
    WAITING: "dim",
}


def _progress_columns(seconds: float | None) -> list[Column]:
    columns = [
        Column("site", "key"),
        Column("pages", "number"),
        Column("new", "number"),
        Column("updated", "extra"),
        Column("errors", "extra"),
        Column("WARC MB", "extra"),
        Column("status", "text"),
    ]
    if seconds is not None:
        columns[6:6] = [Column("pages/s", "extra"), Column("elapsed", "extra")]
    return columns


def _progress_rows(rows: list[SiteProgress], seconds: float | None) -> list[list[Cell]]:
    table: list[list[Cell]] = []
    for row in rows:
        cells: list[Cell] = [
            row.site,
            str(row.pages),
            str(row.articles_new),
            str(row.articles_updated),
            str(row.errors),
            f"{row.warc_bytes / 1e6:.1f}",
            Text(row.status, style=_STATUS_STYLE.get(row.status, "")),
        ]
        if seconds is not None:
            cells[6:6] = [f"{row.pages / max(seconds, 1e-6):.1f}", _format_duration(seconds)]
        table.append(cells)
    return table


def _print_summary(results: list[SiteProgress], seconds: float) -> None:
    """The crawl summary: a table on a terminal, plain lines in a pipe."""
    print_table("Crawl summary", _progress_columns(None), _progress_rows(results, None))
    pages = sum(row.pages for row in results)
    print_line(
        f"Took {_format_duration(seconds)}: {pages} page(s), "
        f"{pages / max(seconds, 1e-6):.1f} pages/s."
    )


def _print_failures(results: list[SiteProgress], shown: int = 20) -> None:
    failures = [[row.site, url, reason] for row in results for url, reason in row.failures]
    if not failures:
        return
    print_table(
        f"Failed pages ({len(failures)})",
        [Column("site", "key"), Column("URL", "key"), Column("reason")],
        failures[:shown],
    )
    if len(failures) > shown:
        print_line(f"… and {len(failures) - shown} more: see the log.")


# -- crawls ------------------------------------------------------------------


def _run_status(run: CrawlRun) -> str:
    if run.is_orphaned:
        return "killed (resume with --resume)"
    if run.status == "interrupted":
        return f"interrupted ({run.reason})" if run.reason else "interrupted"
    return run.status


@click.command()
@click.option("--site", type=SiteName(), help="Only this site's crawls.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N runs."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@archive_options("read")
def crawls(site: str | None, limit: int, as_json: bool, env: Env) -> None:
    """List past and running crawls, newest first.

    For each run: site, mode, start (Vietnam time), duration, pages fetched,
    new and updated articles, errors, how it ended, and what it cut off on
    purpose (URL shapes stopped as traps, a page or time budget reached).  A crawl whose
    process died (SIGKILL, a reboot) shows as killed until resumed; one rebuilt
    from WARC by `dna restore` shows "?" (null in --json) for what WARC does
    not say: its new and updated articles and errors.  An unknown --site
    is a usage error (exit 2).

    Example:

    \b
        dna crawls --site xa-thanh-lien --limit 5
    """
    store = env.open_store()
    try:
        runs = store.crawl_runs(site, limit)
    finally:
        store.close()
    if as_json:
        rows = [
            {
                "id": run.id,
                "site": run.site,
                "mode": run.mode,
                "started": run.started_at.isoformat(),
                "ended": run.ended_at.isoformat() if run.ended_at else None,
                "duration_seconds": round(run.seconds, 3),
                "pages": run.pages,
                # null: not known (a crawl rebuilt from WARC)
                "articles_new": run.articles_new if run.counts_known else None,
                "articles_updated": run.articles_updated if run.counts_known else None,
                "errors": run.errors if run.counts_known else None,
                "status": "killed" if run.is_orphaned else run.status,
                "reason": run.reason,
                "resumes": run.resumes,
                "cut_off": run.cut_off.splitlines() if run.cut_off else [],
                "host": run.host,
                "pid": run.pid,
            }
            for run in runs
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not runs:
        console.print("No crawls yet. Start one with: dna crawl SITE")
        return
    rows = [
        [
            str(run.id),
            run.site,
            run.mode,
            local_time(run.started_at, "%Y-%m-%d %H:%M"),
            _format_duration(run.seconds),
            str(run.pages),
            *(
                (str(run.articles_new), str(run.articles_updated), str(run.errors))
                if run.counts_known
                else ("?", "?", "?")
            ),
            _run_status(run) + (f" (resumes #{run.resumes})" if run.resumes else ""),
            "; ".join(run.cut_off.splitlines()) if run.cut_off else "",
        ]
        for run in runs
    ]
    columns = [
        Column("id", "key"),
        Column("site", "key"),
        Column("mode", "extra"),
        Column(f"started ({TIME_ZONE_LABEL})", "key"),
        Column("took", "extra"),
        Column("pages", "number"),
        Column("new", "number"),
        Column("updated", "extra"),
        Column("errors", "extra"),
        Column("status", "text"),
        Column("cut off", "extra"),
    ]
    print_table("Crawls", columns, rows)


def _format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
