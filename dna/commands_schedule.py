"""Scheduled crawls: ``schedule`` (list), ``schedule run`` and ``schedule install``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import click

from archive.archived import CrawlRun
from crawler.schedule.daemon import dna_executable, site_history, zone_name
from crawler.schedule.install import Invocation, crontab, scheduler_service, systemd_timers
from crawler.schedule.rules import Schedule, due_slots, is_running, last_served, next_slot
from crawler.schedule.service import SchedulerError, SchedulerRunning, run_scheduler
from crawler.sites import SitesFile
from dna.context import Env, archive_options, console, err_console, fail, workers_option
from dna.render import Column, print_table, report_problems

#: The scheduler's --workers; --max-concurrent was its first name.
scheduler_workers = workers_option(
    "Most crawls the scheduler runs at once, each a process crawling one site "
    "(--max-concurrent is the older name).",
    "--max-concurrent",
)


def _registry(env: Env) -> SitesFile:
    registry = env.load_sites()
    report_problems(registry)
    return registry


def _when(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _run_state(run: CrawlRun) -> str:
    if is_running(run):
        return f"running (process {run.pid})"
    if run.is_orphaned:
        return "killed, resumable"
    return f"{run.status}, resumable" if run.is_resumable else run.status


def _next_run(schedule: Schedule, runs: list[CrawlRun], now: datetime, zone: tzinfo) -> str:
    latest = runs[0] if runs else None
    if latest is not None and latest.is_resumable:
        return f"now: resume #{latest.id}"
    if due_slots([schedule], runs, now, zone):
        return "now (never crawled)" if not runs else "now (missed its last slot)"
    return _when(next_slot(schedule, now, zone), zone)


@click.group(invoke_without_command=True)
@archive_options("settings")
@click.pass_context
def schedule(ctx: click.Context, env: Env) -> None:
    """List scheduled sites: cron, mode, last run and next run.

    Schedules are set per site in sites.toml (see
    docs/archivists-guide.md).  Times are in [crawler] timezone, else the machine's local
    time.  Exits 1 when an entry in sites.toml is invalid.

    Example:

    \b
        dna schedule --data ~/dna-data
    """
    if ctx.invoked_subcommand is not None:
        return
    registry = _registry(env)
    zone = registry.timezone
    now = datetime.now(UTC)
    scheduled = [site for site in registry.sites if site.schedules]
    if scheduled:
        rows: list[list[str]] = []
        store = env.open_store()
        try:
            for site in scheduled:
                runs = site_history(store, site, now, zone)
                for item in site.schedules:
                    served = last_served(item, runs)
                    rows.append(
                        [
                            site.name,
                            item.cron,
                            item.mode,
                            _when(served.started_at, zone) if served else "never",
                            _run_state(served) if served else "",
                            _next_run(item, runs, now, zone),
                        ]
                    )
        finally:
            store.close()
        print_table(
            f"Schedules (times in {zone_name(zone)})",
            [
                Column("site", "key"),
                Column("cron", "key"),
                Column("mode", "extra"),
                Column("last run"),
                Column("status", "extra"),
                Column("next run"),
            ],
            rows,
        )
    else:
        # Entries left out above may be the ones with schedules: not "yet".
        why = " yet"
        if registry.problems:
            why = f" ({len(registry.problems)} problem(s) above: fix them)"
        console.print(
            f"No valid site in {env.sites_path} has a schedule{why} (see: dna schedule --help)."
        )
    unscheduled = [site.name for site in registry.sites if not site.schedules]
    if unscheduled:
        console.print(f"Not scheduled (crawled by hand): {', '.join(unscheduled)}")
    if registry.problems:
        sys.exit(1)


@schedule.command("run")
@scheduler_workers
@archive_options("write")
def schedule_run(workers: int, env: Env) -> None:
    """Run scheduled crawls until stopped (foreground; SIGTERM or Ctrl-C stops it).

    Starts each due crawl as a "dna crawl" process, resumes unfinished
    crawls, skips (and logs) a slot that comes due while its site is being
    crawled, catches up missed slots once, and re-reads sites.toml when it
    changes.  Each crawl is a process of its own crawling one site, so
    --workers spreads the sites over processes as dna crawl --workers does.
    On SIGTERM it starts nothing more and waits for running crawls to close
    their WARC files.  Logs go to stderr and
    DATA/logs/scheduler.log.  One scheduler per data directory.

    Example:

    \b
        dna schedule run --workers 3 --data /srv/dna-data
    """
    try:
        run_scheduler(env.data, env.sites_path, env.db_url, workers)
    except SchedulerRunning as exc:
        fail(f"a scheduler is already running on {env.data.root}: {exc.owner}; stop it first")
    except SchedulerError as exc:
        fail(str(exc))


@schedule.command("install")
@click.option(
    "--service",
    "kind",
    flag_value="service",
    default=True,
    help="A systemd service running 'dna schedule run' (the default, and the one "
    "that keeps all three rules).",
)
@click.option(
    "--systemd", "kind", flag_value="systemd", help="A systemd .service and .timer per schedule."
)
@click.option("--cron", "kind", flag_value="cron", help="Crontab lines, one per schedule.")
@scheduler_workers
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the systemd unit files into DIR (e.g. /etc/systemd/system) instead of printing.",
)
@archive_options("settings")
def schedule_install(kind: str, workers: int, output_dir: Path | None, env: Env) -> None:
    """Print what the OS scheduler needs: a systemd service, timers or crontab lines.

    Paths to dna, the data directory and sites.toml are absolute.  Crawls
    run with --resume, so a crawl killed by a reboot is finished next time.

    Example:

    \b
        dna schedule install --data /srv/dna-data --output-dir /etc/systemd/system
        dna schedule install --cron --data /srv/dna-data
    """
    dna = Invocation(dna_executable(), env.data, env.sites_path, env.db_url)
    if kind == "service":
        units = scheduler_service(dna, workers)
    else:
        registry = _registry(env)
        if not any(site.schedules for site in registry.sites):
            fail(f"no site in {env.sites_path} has a schedule to install")
        if kind == "cron":
            if output_dir is not None:
                raise click.UsageError("--output-dir is for systemd units; cron lines are printed")
            sys.stdout.write(crontab(registry, dna))
            err_console.print("Add these lines with: crontab -e")
            return
        units = systemd_timers(registry, dna)
    if output_dir is None:
        for name, text in units.items():
            sys.stdout.write(f"# ---- {name} ----\n{text}\n")
    else:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            (output_dir / name).write_text(text, encoding="utf-8")
            err_console.print(f"Wrote {output_dir / name}")
    enable = " ".join(name for name in units if not name.endswith(".service") or kind == "service")
    err_console.print(
        f"Then: systemctl daemon-reload && systemctl enable --now {enable}", soft_wrap=True
    )
