"""Handing the archive on and looking at it: ``wacz`` packages, ``replay`` serves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
from rich.markup import escape

from archive.records import VIETNAM_TZ
from crawler.sites import PLACE_KEYS, SiteConfig
from dna.context import (
    Day,
    Env,
    ProgressBar,
    SiteName,
    archive_options,
    check_period,
    check_sites_or_all,
    console,
    err_console,
    fail,
)

# -- wacz --------------------------------------------------------------------


@click.command()
@click.argument("sites", metavar="SITE...", nargs=-1, type=SiteName())
@click.option("--all", "all_sites", is_flag=True, help="Every site with captures.")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The package to write (FILE.wacz); replaced if it exists.",
)
@click.option(
    "--since", type=Day(), help="Only WARC files with captures on or after it (Vietnam time)."
)
@click.option(
    "--until",
    type=Day(),
    help="Only WARC files with captures on or before it (Vietnam time).",
)
@click.option("--title", help="The package's title (default: the sites' names).")
@archive_options("read")
def wacz(
    sites: tuple[str, ...],
    all_sites: bool,
    output: Path,
    since: date | None,
    until: date | None,
    title: str | None,
    env: Env,
) -> None:
    """Package sites' WARC files as one WACZ file, for ReplayWeb.page and other archives.

    The WACZ (specification 1.1.1) holds the WARC files unchanged, a CDXJ
    index, a page list with each article's URL, capture time, title and
    text (followed by its accent-free form, so ReplayWeb.page's search finds
    "thanh lien" too) and the sha256 of every file.
    --since/--until (days in Vietnam time, as everywhere) keep the WARC files holding a capture in
    those days (capture dates, not publication dates); the page list keeps
    the articles captured in them.  Files
    still being written by a crawl (.open) are left out.  `dna restore`
    reads the package back.

    Example:

    \b
        dna wacz xa-thanh-lien -o thanh-lien.wacz
        dna wacz --all --since 2025-01-01 -o district-2025.wacz
    """
    from archive.wacz import WaczError, WaczRequest, write_wacz
    from places.folding import unaccented

    check_sites_or_all(sites, all_sites)
    if output.suffix != ".wacz":
        raise click.UsageError(f"the output must be named FILE.wacz, not {output.name}")
    check_period(since, until)
    known = env.load_sites().sites
    request = WaczRequest(
        site_facts={site.name: _site_facts(site) for site in known},
        sites=sites,
        all_sites=all_sites,
        since=_start_of(since) if since else None,
        until=_start_of(until + timedelta(days=1)) if until else None,
        title=title,
    )
    store = env.open_store()
    try:
        with ProgressBar("Packaging", in_bytes=True) as progress:
            report = write_wacz(
                store,
                env.data,
                request,
                output,
                on_progress=progress,
                unaccented=unaccented,
            )
    except WaczError as exc:
        fail(str(exc))
    finally:
        store.close()
    for skipped in report.skipped_open:
        if env.data.live_writer(skipped):
            err_console.print(f"[yellow]Left out, still being written:[/] {escape(str(skipped))}")
        else:
            err_console.print(
                f"[yellow]Left out, left open by a crawl that was killed:[/] "
                f"{escape(str(skipped))} (`dna crawl {escape(skipped.parent.name)} --resume` "
                "closes it)",
                soft_wrap=True,
            )
    if report.missing:
        err_console.print(
            f"[yellow]Warning:[/] {len(report.missing)} WARC file(s) the archive's captures "
            f"point at are missing, so their pages are not in the package "
            f"({escape(', '.join(report.missing[:3]))}{'…' if len(report.missing) > 3 else ''}"
            "): run `dna verify`",
            soft_wrap=True,
        )
    console.print(
        f"Wrote {output}: {report.warcs} WARC file(s) of {', '.join(report.sites)}, "
        f"{report.pages} page(s), {report.bytes / 1e6:.1f} MB."
    )


# -- replay ------------------------------------------------------------------


@click.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Port to serve on.",
)
@archive_options("read")
def replay(port: int, env: Env) -> None:
    """Browse the archived pages as they were, with pywb on 127.0.0.1.

    Every site is a collection: http://127.0.0.1:PORT/SITE/ lists and
    searches its URLs, and `dna show` prints the replay address of an
    article.  pywb runs from its own virtualenv: $DNA_PYWB, else the
    checkout's .venv-pywb (`make pywb`), else one installed on first use
    in ~/.cache/dna/pywb.  Runs until Ctrl-C.

    Example:

    \b
        dna replay --port 8090
    """
    from archive.replay import HOST, ReplayError, check_port, find_pywb, serve

    def installing(target: Path) -> None:
        err_console.print(f"Installing pywb into {target} (once)…")

    def ready(sites: list[str]) -> None:
        console.print(f"Replaying {len(sites)} site(s) on http://{HOST}:{port}/ (Ctrl-C stops):")
        for site in sites:
            console.print(f"  http://{HOST}:{port}/{site}/")

    try:
        check_port(port)
        bin_dir = find_pywb(install=installing)
        serve(env.data, bin_dir, port, on_ready=ready)
    except ReplayError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        console.print("Replay stopped.")


def _start_of(day: date) -> datetime:
    """The moment ``day`` begins in Vietnam, as the captures' times are compared."""
    return datetime.combine(day, time(), VIETNAM_TZ)


def _site_facts(site: SiteConfig) -> dict[str, str]:
    """What sites.toml says of ``site`` that a restore elsewhere should know too."""
    facts = {"title": site.title, **{key: getattr(site, key) for key in PLACE_KEYS}}
    return {key: value for key, value in facts.items() if value}
