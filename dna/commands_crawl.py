"""Commands of the archivist: ``sites``, ``crawl`` and ``export``."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from archive.export import FORMATS, write_export
from archive.locks import LockHeld, PidLock
from crawler.sites import (
    CRAWL_MODES,
    FAMILIES,
    SiteConfig,
    SitesFile,
    SitesFileError,
    append_site,
    load_sites,
)
from dna.context import (
    Env,
    archive_options,
    console,
    err_console,
    fail,
    local_time,
    print_rows,
    update_search_index,
)
from extract.urls import host_of
from places.gazetteer import GazetteerError, PlaceError, gazetteer

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from archive.store import CrawlRun
    from crawler.runner import SiteProgress


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(sites)
    group.add_command(crawl)
    group.add_command(crawls)
    group.add_command(export)


def _load(env: Env) -> SitesFile:
    try:
        return load_sites(env.sites_path)
    except SitesFileError as exc:
        fail(str(exc))


def _report_problems(registry: SitesFile) -> None:
    for problem in registry.problems:
        err_console.print(f"[yellow]Skipped:[/] {problem}", soft_wrap=True)


# -- sites -------------------------------------------------------------------


@click.group(invoke_without_command=True)
@archive_options
@click.pass_context
def sites(ctx: click.Context, env: Env) -> None:
    """List the portals in sites.toml and explain any invalid entry.

    Exits 1 when an entry is invalid (it is skipped by crawls).

    Example:

        dna sites --data ~/dna-data
    """
    if ctx.invoked_subcommand is not None:
        return
    registry = _load(env)
    table = Table(title=f"Sites in {env.sites_path}", title_justify="left")
    for column in ("name", "family", "title", "start URLs", "place (old → new)", "limits"):
        table.add_column(column, overflow="fold")
    for site in registry.sites:
        limits = ", ".join(
            f"{key}={value}"
            for key in ("max_pages", "max_depth", "since")
            if (value := getattr(site, key)) is not None
        )
        place = _place_line(site.place) if site.place else ""
        table.add_row(
            site.name, site.family, site.title or "", "\n".join(site.start_urls), place, limits
        )
    if registry.sites:
        console.print(table)
    elif not registry.problems:
        console.print(f"No sites in {env.sites_path} yet. Add one with: dna sites add NAME URL")
    _report_problems(registry)
    if registry.problems:
        sys.exit(1)


@sites.command("add")
@click.argument("name")
@click.argument("url")
@click.option(
    "--family",
    type=click.Choice(FAMILIES),
    help="CMS family; detected from the home page when not given.",
)
@click.option("--title", help="Human title; taken from the home page when not given.")
@click.option("--province", metavar="NAME", help="The portal's province (before 2025).")
@click.option("--district", metavar="NAME", help="Its district (before 2025).")
@click.option("--commune", metavar="NAME", help="Its commune or ward, for commune portals.")
@archive_options
def sites_add(
    name: str,
    url: str,
    family: str | None,
    title: str | None,
    province: str | None,
    district: str | None,
    commune: str | None,
    env: Env,
) -> None:
    """Append a portal to sites.toml, detecting its family from the home page.

    The allowed domain is the URL's host.  When the home page cannot be
    fetched the site is added with family "auto" (detected at crawl time).
    The portal's province, district and commune (old units) are read from
    the host name when not given (thanhchuong.nghean.gov.vn is huyện Thanh
    Chương, Nghệ An) and printed: correct them in sites.toml if wrong.

    Example:

    \b
        dna sites add xa-thanh-lien https://thanhlien.thanhchuong.nghean.gov.vn/
        dna sites add huyen-nam-dan https://namdan.gov.vn/ --province "Nghệ An" --district "Nam Đàn"
    """
    place, inferred = _site_place(url, province, district, commune)
    from crawler.probe import ProbeError, probe_portal

    if family is None or title is None:
        try:
            probe = probe_portal(url)
        except ProbeError as exc:
            err_console.print(f"[yellow]Warning:[/] {exc}; family left to detect at crawl time.")
        else:
            family = family or probe.family
            title = title or probe.title
    family = family if family in FAMILIES else "auto"
    try:
        site = append_site(env.sites_path, name, url, family=family, title=title, place=place)
    except ValueError as exc:
        fail(str(exc), exit_code=2)
    console.print(
        f"Added [bold]{site.name}[/] ({site.family}) to {env.sites_path}: "
        f"{', '.join(site.start_urls)}"
    )
    if site.place:
        how = "read from the host name; correct it in sites.toml if wrong" if inferred else "given"
        console.print(f"Place: {_place_line(site.place)} ({how})", soft_wrap=True)
    else:
        console.print(
            "Place: unknown; add province, district and commune to its entry in sites.toml "
            "so searches by place find it",
            soft_wrap=True,
        )


@sites.command("refresh-places")
@click.argument("names", metavar="SITE...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every valid site in sites.toml.")
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
@archive_options
def sites_refresh_places(names: tuple[str, ...], every: bool, no_index: bool, env: Env) -> None:
    """Find the places mentioned in archived articles again.

    Crawls and restores find them as they store each article.  Run this after
    correcting a site's province, district or commune in sites.toml (the
    site's own place settles shared names), or after upgrading the
    gazetteer, or on an archive made before places existed.  Nothing is
    fetched; the search index is updated afterwards.

    Example:

        dna sites refresh-places xa-thanh-lien
    """
    from places.mentions import article_mentions

    if not names and not every:
        raise click.UsageError("name at least one SITE, or use --all")
    registry = _load(env)
    chosen = [registry.get(name) for name in names] if names else registry.sites
    if unknown := [name for name, site in zip(names, chosen, strict=False) if site is None]:
        fail(f"not in {env.sites_path}: {', '.join(unknown)}")
    store = env.open_store()
    try:
        known = {place.name for place in store.site_places()}
        for site in chosen:
            if site.name not in known:
                err_console.print(f"Skipped {site.name}: nothing archived yet.")
                continue
            count = store.refresh_mentions(
                site.name,
                site.place,
                lambda article, place=site.place: article_mentions(
                    place,
                    article.title,
                    article.summary,
                    article.body.split("\n"),
                    article.captions,
                    article.published,
                ),
            )
            where = _place_line(site.place) if site.place else "no place set"
            console.print(f"{site.name} ({where}): places found again in {count} article(s).")
    finally:
        store.close()
    if not no_index:
        update_search_index(env)


def _site_place(
    url: str, province: str | None, district: str | None, commune: str | None
) -> tuple[dict[str, str], bool]:
    """The place keys of a new site: as given (checked), else read from its host name."""
    try:
        places = gazetteer()
        if province or district or commune:
            unit = places.locate(province=province, district=district, commune=commune)
            return dict(places.site_keys(unit.code)), False
        unit = places.from_host(host_of(url))
    except (PlaceError, GazetteerError) as exc:
        fail(str(exc), exit_code=2)
    return (dict(places.site_keys(unit.code)), True) if unit else ({}, False)


def _place_line(code: str) -> str:
    """An old unit and the new units it now belongs to: "xã A, huyện B, tỉnh C → xã D, tỉnh C"."""
    places = gazetteer()
    now = "; ".join(places.label(new) for new in places.today(code))
    return f"{places.label(code)} → {now}" if now else places.label(code)


# -- crawl -------------------------------------------------------------------


def _progress_table(rows: list[SiteProgress], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("site")
    for column in ("pages", "new", "updated", "errors", "WARC MB"):
        table.add_column(column, justify="right")
    table.add_column("status")
    style = {"finished": "green", "failed": "red", "interrupted": "yellow", "running": "cyan"}
    for row in rows:
        table.add_row(
            row.site,
            str(row.pages),
            str(row.articles_new),
            str(row.articles_updated),
            str(row.errors),
            f"{row.warc_bytes / 1e6:.1f}",
            f"[{style.get(row.status, 'white')}]{row.status}[/]",
        )
    return table


@click.command()
@click.argument("names", metavar="SITE...", nargs=-1)
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
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop each site after N pages.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Skip articles published before this day (YYYY-MM-DD).",
)
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
@click.option(
    "--frontier",
    metavar="redis://HOST:PORT/DB",
    envvar="DNA_FRONTIER_URL",
    help="Share the request queue and duplicate filter with other workers through Redis "
    "(default: $DNA_FRONTIER_URL).",
)
@archive_options
def crawl(
    names: tuple[str, ...],
    crawl_all: bool,
    mode: str | None,
    resume: bool,
    max_pages: int | None,
    since: datetime | None,
    no_index: bool,
    frontier: str | None,
    env: Env,
) -> None:
    """Crawl portals into WARC files and the database, all sites at once.

    A "new" crawl (the default) walks the listings newest first, fetches
    the articles not archived yet, and stops paging where a listing holds
    only archived ones; on a site never crawled it fetches everything.  A
    "full" crawl revisits every page with conditional GETs and stores a new
    version of each article that changed.

    A crawl killed by SIGKILL or a reboot is picked up with --resume: what
    it fetched is recovered from its WARC files, not fetched again.  One
    crawl per site at a time: a site being crawled by a live process is
    skipped; a lock left by a dead one is cleared.

    Shows live progress per site, then a summary.  Exit status: 0 when every
    site was crawled (even if some pages failed: they are listed), 1 when a
    site could not be crawled at all or stopped on a full disk, 2 for usage
    errors, 130 if interrupted with Ctrl-C or SIGTERM (what was fetched is
    kept; --resume continues).

    With --frontier, any number of such workers, on any machines, crawl the
    same sites together into one database (see "Scaling out" in the README).

    Examples:

        dna crawl xa-thanh-lien huyen-thanh-chuong --max-pages 500

        dna crawl --all --mode full

        dna crawl xa-thanh-lien --resume

        dna crawl --all --frontier redis://10.0.0.5:6379/0 --db postgresql+psycopg://dna@10.0.0.5/dna
    """
    from crawler.frontier.redis import FrontierError, connect
    from crawler.runner import crawl_settings

    if not names and not crawl_all:
        raise click.UsageError("name at least one SITE, or use --all")
    registry = _load(env)
    _report_problems(registry)
    chosen: list[SiteConfig] = []
    unknown = []
    for name in names or [site.name for site in registry.sites]:
        site = registry.get(name)
        if site is None:
            unknown.append(name)
            err_console.print(f"[red]Unknown site:[/] {name!r} is not in {env.sites_path}")
        elif site not in chosen:
            chosen.append(site)
    if not chosen:
        fail(f"no site to crawl (see: dna sites --sites {env.sites_path})")
    chosen = [_with_limits(site, max_pages, since.date() if since else None) for site in chosen]

    if frontier is not None and resume:
        raise click.UsageError("--resume cannot be used with --frontier: the frontier resumes")
    with ExitStack() as locks:
        busy: list[str] = []
        if frontier is None:
            # Workers of a shared frontier crawl one site together; alone, one crawl a site.
            chosen, busy = _lock_sites(env, chosen, locks)
            if not chosen:
                fail("every site named is being crawled already")
        # Opens the database first: reachable and migrated before any crawler
        # starts (a one-line error otherwise; workers do not race to migrate).
        spider_args = _plan_runs(env, registry, chosen, mode, resume)
        overrides = _run_overrides(env)
        if frontier is not None:
            try:
                connect(frontier).close()
            except FrontierError as exc:
                fail(str(exc))
            overrides["DNA_FRONTIER_URL"] = frontier
        settings = crawl_settings(env.data.root, env.sites_path, overrides)
        for key, value in registry.scrapy_settings().items():
            settings.set(key, value, priority="project")
        results = _run_with_progress(chosen, settings, spider_args)

    if fatal := next((r.fatal for r in results if r.fatal), None):
        fail(fatal)

    if not no_index and any(r.articles_new or r.articles_updated for r in results):
        update_search_index(env)

    for row in results:
        if row.message:
            err_console.print(f"[red]{row.site}:[/] {escape(row.message)}", soft_wrap=True)
    if any(r.status == "interrupted" and not r.message for r in results):
        sys.exit(130)
    if unknown or busy or any(r.status == "failed" or r.message for r in results):
        sys.exit(1)


def _lock_sites(
    env: Env, sites: list[SiteConfig], locks: ExitStack
) -> tuple[list[SiteConfig], list[str]]:
    """Take each site's crawl lock; the sites a live process is crawling are left out."""
    free, busy = [], []
    for site in sites:
        lock = PidLock(env.data.lock_file(f"crawl-{site.name}"))
        try:
            locks.enter_context(lock)
        except LockHeld as exc:
            busy.append(site.name)
            err_console.print(
                f"[yellow]Skipped:[/] {site.name} is being crawled by {exc.owner} "
                f"(lock {exc.path})",
                soft_wrap=True,
            )
            continue
        if lock.cleared is not None:
            err_console.print(
                f"Cleared the stale lock of {site.name}: {lock.cleared} is gone.", soft_wrap=True
            )
        free.append(site)
    return free, busy


def _plan_runs(
    env: Env, registry: SitesFile, sites: list[SiteConfig], mode: str | None, resume: bool
) -> dict[str, dict[str, Any]]:
    """Each site's spider arguments: its mode, and the crawl it resumes, recovered first."""
    from crawler.resume import prepare_resume

    store = env.open_store()
    args: dict[str, dict[str, Any]] = {}
    try:
        latest = store.latest_crawls()
        for site in sites:
            args[site.name] = {"mode": mode or "new"}
            previous = latest.get(site.name)
            if not resume:
                if previous is not None and previous.is_resumable:
                    err_console.print(
                        f"Note: the last crawl of {site.name} (#{previous.id}) did not finish; "
                        f"this is a new crawl (dna crawl {site.name} --resume picks it up).",
                        soft_wrap=True,
                    )
                continue
            plan = prepare_resume(
                store,
                env.data,
                registry,
                site.name,
                on_problem=lambda found: err_console.print(f"[yellow]Problem:[/] {found}"),
            )
            if plan is None:
                console.print(f"{site.name}: no unfinished crawl to resume; crawling anew.")
                continue
            args[site.name] = {"mode": mode or plan.crawl.mode, "resumes": plan.crawl.id}
            for line in plan.repaired:
                console.print(f"{site.name}: {line}", soft_wrap=True)
            console.print(
                f"Resuming crawl #{plan.crawl.id} of {site.name} ({args[site.name]['mode']}): "
                f"{len(plan.files)} WARC file(s); recovered {plan.recovered.get('captures', 0)} "
                f"capture(s) and {plan.recovered.get('articles', 0)} article(s) the database "
                "had not committed.",
                soft_wrap=True,
            )
    finally:
        store.close()
    return args


def _run_with_progress(
    sites: list[SiteConfig], settings: Settings, spider_args: dict[str, dict[str, Any]]
) -> list[SiteProgress]:
    from crawler.runner import run_crawls

    live = Live(console=console, auto_refresh=False) if console.is_terminal else None
    if live is not None:
        live.start()

    def show(rows: list[SiteProgress]) -> None:
        if live is not None:
            live.update(_progress_table(rows, "Crawling…"), refresh=True)

    try:
        results = run_crawls(sites, settings, spider_args=spider_args, on_progress=show)
    finally:
        if live is not None:
            live.stop()
    console.print(_progress_table(results, "Crawl summary"))
    _print_failures(results)
    console.print(f"Log: {settings.get('LOG_FILE')}")
    return results


def _with_limits(site: SiteConfig, max_pages: int | None, since: date | None) -> SiteConfig:
    changes: dict[str, object] = {}
    if max_pages is not None:
        changes["max_pages"] = max_pages
    if since is not None:
        changes["since"] = since
    return dataclasses.replace(site, **changes) if changes else site


def _run_overrides(env: Env) -> dict[str, object]:
    logs = env.data.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {
        "DNA_DATABASE_URL": env.db_url,
        # The PID keeps apart the logs of crawls started together (scheduler, workers).
        "LOG_FILE": str(logs / f"crawl-{stamp}-{os.getpid()}.log"),
        "LOG_FILE_APPEND": False,
    }


def _print_failures(results: list[SiteProgress], shown: int = 20) -> None:
    failures = [(row.site, url, reason) for row in results for url, reason in row.failures]
    if not failures:
        return
    table = Table(title=f"Failed pages ({len(failures)})", title_justify="left")
    for column in ("site", "URL", "reason"):
        table.add_column(column, overflow="fold")
    for row in failures[:shown]:
        table.add_row(*row)
    console.print(table)
    if len(failures) > shown:
        console.print(f"… and {len(failures) - shown} more: see the log.")


# -- crawls ------------------------------------------------------------------


def _run_status(run: CrawlRun) -> str:
    if run.is_orphaned:
        return "killed (resume with --resume)"
    if run.status == "interrupted":
        return f"interrupted ({run.reason})" if run.reason else "interrupted"
    return run.status


def _duration(run: CrawlRun) -> float:
    end = run.ended_at or datetime.now(UTC)
    return max(0.0, (end - run.started_at).total_seconds())


@click.command()
@click.option("--site", help="Only this site's crawls.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N runs."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@archive_options
def crawls(site: str | None, limit: int, as_json: bool, env: Env) -> None:
    """List past and running crawls, newest first.

    For each run: site, mode, start (Vietnam time), duration, pages fetched,
    new and updated articles, errors and how it ended.  A crawl whose
    process died (SIGKILL, a reboot) shows as killed until resumed.  Exits 1
    for an unknown --site.

    Example:

        dna crawls --site xa-thanh-lien --limit 5
    """
    store = env.open_store()
    try:
        if site is not None and site not in store.latest_crawls():
            fail(f"no crawls of site {site!r} in the archive")
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
                "duration_seconds": round(_duration(run), 3),
                "pages": run.pages,
                "articles_new": run.articles_new,
                "articles_updated": run.articles_updated,
                "errors": run.errors,
                "status": "killed" if run.is_orphaned else run.status,
                "reason": run.reason,
                "resumes": run.resumes,
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
            _format_duration(_duration(run)),
            str(run.pages),
            str(run.articles_new),
            str(run.articles_updated),
            str(run.errors),
            _run_status(run) + (f" (resumes #{run.resumes})" if run.resumes else ""),
        ]
        for run in runs
    ]
    headers = ["id", "site", "mode", "started", "took", "pages", "new", "updated", "errors"]
    print_rows("Crawls", [*headers, "status"], rows)


def _format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


# -- export ------------------------------------------------------------------


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@click.option("--site", help="Only this site's articles.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE instead of stdout.",
)
@archive_options
def export(fmt: str, site: str | None, output: Path | None, env: Env) -> None:
    """Write every article, one record each, as JSON Lines or CSV.

    The fields are a contract (see README): url, site, title, published,
    published_source, author, summary, body, captions, views, category,
    tags, warc_file, warc_offset and more.

    Example:

        dna export --format csv --site xa-thanh-lien -o thanh-lien.csv
    """
    store = env.open_store()
    try:
        if output is None:
            count = write_export(store.articles(site=site), sys.stdout, fmt)
        else:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                count = write_export(store.articles(site=site), handle, fmt)
    finally:
        store.close()
    err_console.print(f"Exported {count} article(s).")
