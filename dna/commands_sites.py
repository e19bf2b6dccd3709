"""The portals to crawl: ``sites``, ``sites add``, ``sites remove``, ``sites refresh-places``."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from crawler.crawl import choose_sites
from crawler.portals import NewSiteError, add_site, refresh_places
from crawler.siteedits import remove_site
from crawler.sites import FAMILIES
from dna.context import (
    Env,
    Named,
    SiteName,
    archive_options,
    check_sites_or_all,
    console,
    err_console,
    fail,
    update_search_index,
)
from dna.render import Column, print_table, report_problems
from places.gazetteer import gazetteer


@click.group(invoke_without_command=True)
@archive_options("settings")
@click.pass_context
def sites(ctx: click.Context, env: Env) -> None:
    """List the portals in sites.toml and explain any invalid entry.

    Exits 1 when an entry is invalid (it is skipped by crawls).

    Example:

    \b
        dna sites --data ~/dna-data
    """
    if ctx.invoked_subcommand is not None:
        return
    registry = env.load_sites()
    rows = [
        [
            site.name,
            site.family,
            "\n".join(site.start_urls),
            site.title or "",
            _place_line(site.place) if site.place else "",
            ", ".join(
                f"{key}={value}"
                for key in ("max_pages", "max_depth", "since")
                if (value := getattr(site, key)) is not None
            ),
        ]
        for site in registry.sites
    ]
    columns = [
        Column("name", "key"),
        Column("family", "extra"),
        Column("start URLs", "key"),
        Column("title"),
        Column("place (old → new)", "extra"),
        Column("limits", "extra"),
    ]
    if registry.sites:
        print_table(f"Sites in {env.sites_path}", columns, rows)
    elif not registry.problems:
        console.print(f"No sites in {env.sites_path} yet. Add one with: dna sites add NAME URL")
    report_problems(registry)
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
@click.option(
    "--title",
    type=Named(),
    metavar="TEXT",
    help="Human title; taken from the home page when not given.",
)
@click.option(
    "--province", type=Named(), metavar="NAME", help="The portal's province (before 2025)."
)
@click.option("--district", type=Named(), metavar="NAME", help="Its district (before 2025).")
@click.option(
    "--commune", type=Named(), metavar="NAME", help="Its commune or ward, for commune portals."
)
@archive_options("write")
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
    try:
        added = add_site(
            env.sites_path,
            name,
            url,
            family=family,
            title=title,
            province=province,
            district=district,
            commune=commune,
            on_unreachable=lambda exc: err_console.print(
                f"[yellow]Warning:[/] {exc}; family left to detect at crawl time."
            ),
        )
    except NewSiteError as exc:
        fail(str(exc), exit_code=2)
    site = added.site
    console.print(
        f"Added [bold]{site.name}[/] ({site.family}) to {env.sites_path}: "
        f"{', '.join(site.start_urls)}"
    )
    if site.place:
        how = (
            "read from the host name; correct it in sites.toml if wrong"
            if added.place_inferred
            else "given"
        )
        console.print(f"Place: {_place_line(site.place)} ({how})", soft_wrap=True)
    else:
        console.print(
            "Place: unknown; add province, district and commune to its entry in sites.toml "
            "so searches by place find it",
            soft_wrap=True,
        )


@sites.command("remove")
@click.argument("name", metavar="SITE")
@archive_options("write")
def sites_remove(name: str, env: Env) -> None:
    """Take a portal out of sites.toml, so crawls and schedules skip it.

    Only its entry goes; every other line of sites.toml stays as written.
    What was archived of it (WARC files, articles, the search index) is
    kept and stays searchable.  Exits 1 if there is no such site or
    sites.toml cannot be parsed.

    Example:

    \b
        dna sites remove xa-thanh-lien
    """
    try:
        line = remove_site(env.sites_path, name)
    except ValueError as exc:
        fail(str(exc))
    console.print(
        f"Removed [bold]{escape(name)}[/] (line {line}) from {env.sites_path}; "
        "what was archived of it is kept.",
        soft_wrap=True,
    )


@sites.command("refresh-places")
@click.argument("names", metavar="SITE...", nargs=-1, type=SiteName(configured_only=True))
@click.option("--all", "every", is_flag=True, help="Every valid site in sites.toml.")
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
@archive_options("write")
def sites_refresh_places(names: tuple[str, ...], every: bool, no_index: bool, env: Env) -> None:
    """Find the places mentioned in archived articles again.

    Crawls and restores find them as they store each article.  Run this after
    correcting a site's province, district or commune in sites.toml (the
    site's own place settles shared names), or after upgrading the
    gazetteer, or on an archive made before places existed.  Nothing is
    fetched; the search index is updated afterwards.

    Example:

    \b
        dna sites refresh-places xa-thanh-lien
    """
    check_sites_or_all(names, every)
    chosen, _ = choose_sites(env.load_sites(), names)
    store = env.open_store()
    try:
        for site, count in refresh_places(store, chosen):
            if count is None:
                err_console.print(f"Skipped {site.name}: nothing archived yet.")
                continue
            where = _place_line(site.place) if site.place else "no place set"
            console.print(f"{site.name} ({where}): places found again in {count} article(s).")
    finally:
        store.close()
    if not no_index:
        update_search_index(env)


def _place_line(code: str) -> str:
    """An old unit and the new units it now belongs to: "xã A, huyện B, tỉnh C → xã D, tỉnh C";
    a new unit as it is."""
    places = gazetteer()
    if places[code].era == "new":
        return f"{places.label(code)} (since 2025)"
    now = "; ".join(places.label(new) for new in places.today(code))
    return f"{places.label(code)} → {now}" if now else places.label(code)
