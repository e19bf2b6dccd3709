"""Places, old and new: ``places`` shows one and what the archive holds of it."""

from __future__ import annotations

import click
from rich.markup import escape

from dna.context import Env, Named, archive_options, console, fail, load_gazetteer
from dna.render import Column, print_table
from places.gazetteer import Gazetteer, shown_name
from places.overview import place_overview


@click.command()
@click.argument("name", type=Named())
@archive_options("lookup")
def places(name: str, env: Env) -> None:
    """Show a place: its old and new names, the units it lies in, its portals and articles.

    NAME is an old or a new unit, with or without diacritics and unit word;
    add the units it lies in after commas when the name is shared ("Thanh
    Sơn, Phú Thọ"), and "cũ" or "mới" for the old or new map.  A shared name
    lists every unit it names.  Exits 1 if no unit has the name.

    Example:

    \b
        dna places "Thanh Liên"
        dna places "xã Tam Đồng, Nghệ An"
    """
    gazette = load_gazetteer()
    found = gazette.resolve(name)
    if not found:
        fail(f"no place called {shown_name(name)} (old or new names; check the spelling)")
    if len(found) > 1:
        console.print(f"{escape(shown_name(name))} names {len(found)} places; ask for one of:")
        for unit in found:
            console.print(f'  dna places "{escape(gazette.qualified(unit.code))}"', soft_wrap=True)
        return
    unit = found[0]
    _print_place(gazette, unit.code)
    if not env.has_archive:
        console.print(
            f"No archive in {escape(str(env.data.root))}: its portals and articles are not shown."
        )
        return
    store = env.open_store()
    try:
        overview = place_overview(gazette, store, unit.code)
    finally:
        store.close()
    if overview.portals:
        print_table(
            "Portals",
            [
                Column("site", "key"),
                Column("title"),
                Column("serves"),
                Column("articles", "number"),
            ],
            [
                [site.name, site.title or "", gazette.label(site.place), str(site.articles)]
                for site in overview.portals
            ],
        )
    else:
        console.print("Portals: none in the archive serves it (add one with: dna sites add)")
    console.print(f"Articles mentioning it (or a unit it covers): {overview.mentioning}")
    console.print(f'Search them: dna search QUERY --place "{escape(gazette.qualified(unit.code))}"')


def _print_place(gazette: Gazetteer, code: str) -> None:
    unit = gazette[code]
    era = "before" if unit.era == "old" else "since"
    console.print(f"[bold]{escape(gazette.label(code))}[/] ({era} the 2025 reorganisation)")
    if unit.era == "old":
        now = gazette.today(code)
        became = "; ".join(gazette.label(new) for new in now) or "(abolished: no districts)"
        console.print(f"  now part of   {escape(became)}", soft_wrap=True)
        children = gazette.children.get(code, [])
        if children:
            console.print(f"  units in it   {len(children)}")
    else:
        olds = gazette.predecessors.get(code, ())
        units = "old unit" if len(olds) == 1 else "old units"
        console.print(f"  formed from   {len(olds)} {units}", soft_wrap=True)
        for old in olds:
            console.print(f"    {escape(gazette.label(old))}", soft_wrap=True)
