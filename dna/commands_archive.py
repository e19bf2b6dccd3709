"""The archive as a whole: ``restore`` it from WARC files, ``verify`` it, ``export`` it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from archive.archived import CrawlSummary
from archive.database import StoreError
from archive.export import FORMATS
from archive.salvage import NOTE_SUFFIX
from dna.context import (
    EXPORT_OUTPUT_HELP,
    Env,
    ProgressBar,
    SiteName,
    archive_options,
    console,
    err_console,
    export_articles,
    fail,
    option_once,
    some_of,
    update_search_index,
    workers_option,
)
from dna.render import TIME_ZONE_LABEL, Column, local_time, print_table
from places.gazetteer import GazetteerError
from search.stats import ArchiveStats, archive_stats

#: Problems listed in full; the rest are counted.
SHOWN_PROBLEMS = 50


# -- restore -----------------------------------------------------------------


@click.command()
@click.argument("paths", metavar="WARC_WACZ_OR_DIR...", nargs=-1, required=True, type=Path)
@click.option(
    "--strict", is_flag=True, help="Exit 1 if any input was damaged, unreadable or not WARC."
)
@workers_option("Processes extracting articles.")
@click.option("--no-index", is_flag=True, help="Do not update the search index afterwards.")
@archive_options("write")
def restore(paths: tuple[Path, ...], strict: bool, workers: int, no_index: bool, env: Env) -> None:
    """Rebuild the database and search index from WARC files alone.

    Reads WARC files (ours, or wget's, Heritrix's, Browsertrix's),
    directories of them and WACZ packages (ours or other tools'), and
    extracts articles exactly as a crawl does.
    Sites come from sites.toml when they match, else from host names.
    WARCs from outside DATA/warc are copied into DATA/warc/SITE/ and indexed.
    A damaged one is not: its intact records are copied in as a new file of
    the same name, and the original is kept unchanged in
    DATA/warc-damaged/SITE/ with a note of what was wrong, so dna verify
    still passes.
    Restoring a file twice adds nothing.  Damaged input is reported with its
    file and offset and skipped; the rest is restored.  Exit status: 0 when
    something was restored (skipped inputs are counted), 1 when no input
    could be read at all, or with --strict when some input was damaged.

    Example:

    \b
        dna restore /mnt/backup/dna-data/warc --data ~/dna-data
        dna restore thanh-lien.wacz --data ~/dna-data
    """
    from archive.warcscan import find_warcs
    from crawler.portals import refresh_places
    from crawler.rebuild import not_recovered
    from crawler.restore import restore_warcs

    # Before the archive is opened: a typo must not leave a new one behind.
    names = some_of([str(path) for path in paths])
    if not any(path.exists() or path.is_symlink() for path in paths):
        fail(f"nothing to restore: no such file or directory: {names}")
    if not find_warcs(paths)[0]:
        fail(f"nothing to restore: no WARC or WACZ file in {names}")
    registry = env.load_sites()
    made_here = not env.archive_exists
    store = env.open_store()
    started = time.monotonic()
    try:
        with ProgressBar("Restoring", in_bytes=True) as progress:
            report = restore_warcs(
                list(paths),
                store,
                env.data,
                registry,
                workers=workers,
                on_progress=progress,
                on_problem=lambda problem: progress.print(
                    f"[yellow]{'Skipped' if problem.skipped else 'Note'}:[/] "
                    + escape(str(problem))
                ),
            )
        # Sites added with the place a package gave them: their articles'
        # mentions are read again knowing it, as `sites refresh-places` does.
        added = set(report.rebuilt.sites)
        placed = [site for site in env.load_sites().sites if site.name in added and site.place]
        for _ in refresh_places(store, placed):
            pass
    finally:
        store.close()
    seconds = max(time.monotonic() - started, 1e-6)
    added = report.added
    console.print(
        f"Restored {report.files} WARC file(s), {report.bytes_read / 1e6:.1f} MB in "
        f"{seconds:.1f} s ({report.bytes_read / 1e6 / seconds:.1f} MB/s): "
        f"{report.responses} responses, {report.pages} pages; added "
        f"{added.get('captures', 0)} captures, {added.get('articles', 0)} articles, "
        f"{added.get('article_versions', 0)} versions, {added.get('sites', 0)} sites."
    )
    if report.copied:
        # One file by its path; many by where they went (thousands for a province).
        where = report.copied[0] if len(report.copied) == 1 else env.data.warc_root
        console.print(
            f"Copied {len(report.copied)} WARC file(s) into the archive: {escape(str(where))}",
            soft_wrap=True,
        )
    for damaged in report.damaged:
        console.print(
            f"Damaged, kept aside unchanged: {escape(str(damaged))} (its intact records "
            f"are in the archive; what was wrong: {escape(str(damaged))}{NOTE_SUFFIX})",
            soft_wrap=True,
        )
    rebuilt = report.rebuilt
    if rebuilt.sites:
        console.print(
            f"Added to {escape(str(env.sites_path))}: {escape(some_of(rebuilt.sites))}",
            soft_wrap=True,
        )
    if rebuilt.crawls:
        console.print(f"Crawl history rebuilt: {rebuilt.crawls} crawl(s), status restored.")
    if rebuilt.sites or rebuilt.crawls:
        places_known = bool(rebuilt.sites) and len(placed) == len(rebuilt.sites)
        console.print(f"Note: {not_recovered(places_known)}.", soft_wrap=True)
    for line in rebuilt.problems:
        err_console.print(f"[yellow]Not rebuilt:[/] {escape(line)}", soft_wrap=True)
    if made_here and not report.responses and not report.copied:
        # An empty archive left behind made the next command talk of indexes.
        database = env.data.database_file
        for made in (database, *(database.with_name(database.name + end) for end in _SIDE)):
            made.unlink(missing_ok=True)
    if not report.files:
        fail("nothing restored: no input could be read as WARC or WACZ (see above)")
    if not report.responses:
        fail(
            "nothing restored: the input holds no HTTP response or revisit record that "
            "could be read (resource, metadata and dns: records are not pages)"
        )
    if report.problems:
        err_console.print(
            f"[yellow]{len(report.problems)} problem(s) in the input, "
            f"{report.skipped} input(s) skipped whole; see above.[/]"
        )
    if not no_index and (added.get("articles") or added.get("article_versions")):
        update_search_index(env)
    if strict and any(problem.skipped for problem in report.problems):
        sys.exit(1)


#: The files SQLite keeps beside a database in WAL mode.
_SIDE = ("-wal", "-shm")


# -- verify ------------------------------------------------------------------


@click.command()
@click.option("--site", type=SiteName(), help="Only this site's WARC files and captures.")
@click.option(
    "--repair",
    is_flag=True,
    help="Close .open files left by crashed crawls after their last complete record. "
    "Closed files are never modified.",
)
@archive_options("read")
def verify(site: str | None, repair: bool, env: Env) -> None:
    """Check that nothing has rotted: digests, database pointers, crashed files.

    Reads every record of every WARC file and checks its block and payload
    digests; checks that every capture in the database points at an intact
    record with the recorded id and digest; lists .open files left by
    crashed crawls.  Exit status: 0 when all is well, 1 on any problem.

    Example:

    \b
        dna verify --site xa-thanh-lien --repair
    """
    from archive.verify import verify_archive

    store = env.open_store()
    try:
        report = verify_archive(env.data, store, site=site, repair=repair)
    finally:
        store.close()
    per_site: dict[str, list[int]] = {}
    for check in report.files:
        row = per_site.setdefault(check.site, [0, 0, 0, 0])
        row[0] += 1
        row[1] += check.records
        row[2] += check.size
        row[3] += len(check.problems)
    print_table(
        "WARC files",
        [
            Column("site", "key"),
            Column("files", "number"),
            Column("records", "number"),
            Column("MB", "number"),
            Column("problems", "number"),
        ],
        [
            [
                name,
                str(files),
                str(records),
                f"{size / 1e6:.1f}",
                Text(str(problems), style="red" if problems else "green"),
            ]
            for name, (files, records, size, problems) in sorted(per_site.items())
        ],
    )
    for check in report.files:
        if check.repaired:
            console.print(f"Repaired {check.path}: {check.repaired}")
    console.print(
        f"Captures checked: {report.captures}; "
        f"pointing at a missing or different record: {len(report.capture_problems)}."
    )
    for path, writer in report.being_written:
        console.print(
            f"Being written by a running crawl ({writer}), not judged: {escape(str(path))}",
            soft_wrap=True,
        )
    if report.known_damaged:
        console.print(
            f"Known damage, kept aside and not checked: {len(report.known_damaged)} "
            "original(s) whose intact records were restored; see each one's "
            f"{NOTE_SUFFIX} note: " + ", ".join(escape(str(path)) for path in report.known_damaged),
            soft_wrap=True,
        )
    problems = report.problems
    for problem in problems[:SHOWN_PROBLEMS]:
        err_console.print(f"[red]Problem:[/] {escape(problem)}", soft_wrap=True)
    if len(problems) > SHOWN_PROBLEMS:
        err_console.print(f"… and {len(problems) - SHOWN_PROBLEMS} more.")
    if problems:
        fail(f"{len(problems)} problem(s) found")
    console.print("[green]All WARC records and captures verified.[/]")


# -- export ------------------------------------------------------------------


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Default: csv for -o FILE.csv, else jsonl.",
)
@option_once("--site", type=SiteName(), help="Only this site's articles.")
@click.option(
    "--versions",
    is_flag=True,
    help="Every stored version of each article, oldest first, numbered, the current one marked.",
)
@click.option(
    "--gone",
    is_flag=True,
    help="Only articles their portal has deleted (a full crawl found them 404 or 410).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help=EXPORT_OUTPUT_HELP,
)
@archive_options("read")
def export(
    fmt: str | None,
    site: str | None,
    versions: bool,
    gone: bool,
    output: Path | None,
    env: Env,
) -> None:
    """Write every article, one record each, as JSON Lines or CSV.

    The fields are a contract (see docs/commands.md): url, site, title, published,
    published_source, author, summary, body, captions, views, category,
    tags, warc_file, warc_offset, last_seen, gone_since and more.  An
    article's record is its latest version; with --versions, each of its
    versions is a record, with two more fields: version (1 the oldest) and
    current.  gone_since is when a full crawl found the article deleted from
    its portal; --gone exports those articles only.

    Example:

    \b
        dna export --format csv --site xa-thanh-lien -o thanh-lien.csv
        dna export --versions --site xa-thanh-lien -o thanh-lien-versions.jsonl
        dna export --gone --format csv -o deleted-from-portals.csv
    """
    store = env.open_store()
    try:
        articles = store.articles(site=site, every_version=versions)
        if gone:
            articles = (article for article in articles if article.gone_since is not None)
        export_articles(articles, output, fmt, versions=versions)
    finally:
        store.close()


# -- stats -------------------------------------------------------------------


@click.command()
@click.option(
    "--by",
    type=click.Choice(["site", "place"]),
    default="site",
    show_default=True,
    help="Count articles per site and year, or per province and district.",
)
@archive_options("read")
def stats(by: str, env: Env) -> None:
    """Show the archive's articles per site and year, its crawls, and its size.

    Years are publication years, Vietnam time.  --by place counts articles
    per province and district of their portals (old units, with the new
    province), and lists the place names mentioned that could not be settled.

    Example:

    \b
        dna stats --data ~/dna-data
        dna stats --by place
    """
    try:
        found = archive_stats(env.data, env.db_url, by_place=by == "place")
    except (StoreError, GazetteerError) as exc:
        fail(str(exc))

    if by == "place":
        _print_place_stats(found)
    else:
        per_year = found.per_site_year
        years = sorted({year for sites in per_year.values() for year in sites}, key=_year_order)
        print_table(
            "Articles per site and year",
            [
                Column("site", "key"),
                *(Column(str(year) if year else "undated", "number") for year in years),
                Column("total", "number"),
            ],
            [
                [site, *(str(counts.get(year, "")) for year in years), str(sum(counts.values()))]
                for site, counts in sorted(per_year.items())
            ],
        )
    print_table(
        "Crawls",
        [
            Column("site", "key"),
            Column("crawls", "extra"),
            Column(f"last started ({TIME_ZONE_LABEL})", "key"),
            Column("last status"),
            Column("pages", "number"),
            Column("new", "number"),
            Column("updated", "extra"),
            Column("errors", "extra"),
        ],
        [
            [
                summary.site,
                str(summary.crawls),
                local_time(summary.last_started, "%Y-%m-%d %H:%M"),
                summary.last_status or "",
                str(summary.pages),
                *(
                    _at_least(count, summary)
                    for count in (summary.articles_new, summary.articles_updated, summary.errors)
                ),
            ]
            for summary in found.crawls
        ],
    )
    counts = found.counts
    rows = [
        ["articles", _articles_held(counts)],
        ["captures", str(counts["captures"])],
        ["WARC files", f"{found.warc_files}, {_size(found.warc_bytes)}"],
    ]
    if found.search_documents_bytes is not None:
        rows.append(["search index (PostgreSQL)", _size(found.search_documents_bytes)])
    if found.index_bytes or found.search_documents_bytes is None:
        rows.append(["search index (Whoosh)", _size(found.index_bytes)])
    if found.indexed_through:
        through = local_time(found.indexed_through, "%Y-%m-%d %H:%M")
        rows.append(["indexed up to", f"articles updated {through} ({TIME_ZONE_LABEL})"])
    if found.database_bytes is not None:
        rows.insert(2, ["database", _size(found.database_bytes)])
    print_table("Size", [Column("", "key"), Column("")], rows)


def _articles_held(counts: dict[str, int]) -> str:
    held = f"{counts['articles']} ({counts['article_versions']} versions"
    if counts["gone"]:
        held += f"; {counts['gone']} gone from their portals: dna export --gone"
    return held + ")"


def _print_place_stats(found: ArchiveStats) -> None:
    """Articles per old province and district of their portals; then unsettled mentions."""
    print_table(
        "Articles per province and district (where their portals sit)",
        [
            Column("province"),
            Column("district"),
            Column("province now", "extra"),
            Column("portals", "number"),
            Column("articles", "number"),
        ],
        [
            [row.province, "(all)", row.province_now, str(row.portals), str(row.articles)]
            if row.district is None
            else ["", row.district, "", str(row.portals), str(row.articles)]
            for row in found.per_place
        ],
    )
    print_table(
        "Place names mentioned but not settled",
        [Column("mention", "key"), Column("times", "number"), Column("why")],
        [
            [
                mention.surface,
                str(mention.count),
                f"ambiguous: {len(mention.candidates)} units" if mention.candidates else "unknown",
            ]
            for mention in found.unsettled
        ],
    )


def _year_order(year: int | None) -> int:
    return year if year is not None else sys.maxsize


def _at_least(count: int, summary: CrawlSummary) -> str:
    """A sum over a site's crawls; restored crawls' counts are unknown."""
    if summary.restored == summary.crawls:
        return "?"
    return f"{count}+?" if summary.restored else str(count)


def _size(count: float) -> str:
    if count < 1024:
        return f"{count:.0f} B"
    for unit in ("KB", "MB", "GB"):
        count /= 1024
        if count < 1024 or unit == "GB":
            break
    return f"{count:.1f} {unit}"
