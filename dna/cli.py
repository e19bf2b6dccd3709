"""The ``dna`` command: one front door to crawl, archive and search.

Each command parses its arguments, calls one library function and turns our
exceptions into a one-line error.  Usage errors exit 2, failures 1.
"""

from __future__ import annotations

import click

from dna import (
    commands_archive,
    commands_crawl,
    commands_places,
    commands_schedule,
    commands_search,
    commands_sites,
    commands_wacz,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="district-news-archive", prog_name="dna")
def main() -> None:
    """District News Archive: preserve Vietnam's commune and district news portals.

    Harvest portals into WARC files and a database, then search them in
    Vietnamese, with or without diacritics.

    Example:

        dna sites add xa-thanh-lien https://thanhlien.nghean.gov.vn/
        dna crawl xa-thanh-lien
        dna search "thanh lien"
    """


commands_sites.register(main)
commands_crawl.register(main)
commands_archive.register(main)
commands_wacz.register(main)
commands_search.register(main)
commands_places.register(main)
commands_schedule.register(main)
