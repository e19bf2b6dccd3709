"""Reading the archive: ``search`` it, ``show`` an article, ``index`` it, count it in ``stats``."""

from __future__ import annotations

import csv
import difflib
import json
import sys
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from archive.archived import ArchivedArticle, ArticleVersionInfo
from archive.database import StoreError
from archive.export import spreadsheet_cells
from archive.messages import one_line, printable
from archive.records import VIETNAM_TZ
from archive.replay import replay_url
from archive.store import Store
from dna.context import (
    Day,
    Env,
    Named,
    ProgressBar,
    SiteName,
    archive_options,
    check_period,
    console,
    err_console,
    export_articles,
    fail,
    load_gazetteer,
    option_once,
)
from dna.lookup import find_article
from dna.render import TIME_ZONE_LABEL, is_terminal, local_time, paged
from places.gazetteer import PlaceError
from search.backend import BACKENDS, POSTGRES, open_searcher
from search.indexdir import SearchIndexError
from search.indexer import not_indexed, rebuild_index, update_index
from search.pgdocuments import rebuild_documents, update_documents
from search.query import QuerySyntaxError
from search.searcher import COUNT_UP_TO, SORTS, Hit, SearchPage, SearchRequest
from search.snippets import Snippet, snippet, typed_first

#: Fields of each hit in ``--json`` and ``--csv`` output, in order.
HIT_FIELDS = ("id", "url", "site", "title", "published", "score", "snippet")

_BACKEND_HELP = "Search with this backend (default: postgres for PostgreSQL archives, else whoosh)."
_EMPTY_HINT = (
    "the search index is empty: crawl a site (`dna crawl SITE`) "
    "or build it from the archive with `dna index --rebuild`"
)


_NO_HITS_HINT = (
    "No hits: try fewer words, --fuzzy for typing mistakes, or fewer filters "
    "(diacritics are optional)."
)
_NO_PLACES_HINT = (
    "No portal of this archive has its place set, so --province and --district find "
    "nothing (a restore from bare WARC files does not set them): "
    "`dna sites refresh-places --all` finds them from sites.toml."
)
_NO_EXACT_HINT = "No hits with these spellings: without --exact, other diacritics match too."


def _isolocal_time(moment: datetime | None) -> str | None:
    return moment.astimezone(VIETNAM_TZ).isoformat() if moment else None


# -- search ------------------------------------------------------------------


@click.command()
@click.argument("query")
@option_once("--site", type=SiteName(), metavar="NAME", help="Only articles of this site.")
@click.option("--since", type=Day(), help="Only articles published on or after it (Vietnam time).")
@click.option("--until", type=Day(), help="Only articles published on or before it (Vietnam time).")
@option_once(
    "--category",
    type=Named(),
    metavar="NAME",
    help="Only this category (case and accents ignored).",
)
@option_once(
    "--place",
    type=Named(),
    metavar="NAME",
    help="Only articles of this unit's portals or mentioning it; old or new name.",
)
@option_once(
    "--province", type=Named(), metavar="NAME", help="Only portals in this province (old or new)."
)
@option_once(
    "--district", type=Named(), metavar="NAME", help="Only portals in this (old) district."
)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one object per hit.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@click.option(
    "--export",
    "export_to",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Write every hit, not one page, as dna export's records (full text and "
    "provenance): CSV for FILE.csv, else JSON Lines; - is stdout.",
)
@click.option("--fuzzy", is_flag=True, help="Also match spellings one letter away (typos).")
@click.option(
    "--exact",
    is_flag=True,
    help="Of a query typed with diacritics, only the spellings typed (bão, not báo or bảo).",
)
@click.option(
    "--count-all",
    is_flag=True,
    help=f"Count every match, past {COUNT_UP_TO:,}: slower on a large PostgreSQL archive.",
)
@click.option("--backend", type=click.Choice(BACKENDS), help=_BACKEND_HELP)
@archive_options("read")
def search(
    query: str,
    site: str | None,
    since: date | None,
    until: date | None,
    category: str | None,
    place: str | None,
    province: str | None,
    district: str | None,
    sort: str,
    limit: int,
    page: int,
    as_json: bool,
    as_csv: bool,
    export_to: Path | None,
    fuzzy: bool,
    exact: bool,
    count_all: bool,
    backend: str | None,
    env: Env,
) -> None:
    """Search the archive, in Vietnamese, with or without diacritics.

    Type what you remember: "thanh lien" finds "Thanh Liên", hoà finds hòa.
    Typed with diacritics, exact spellings rank first, and the count says
    how many articles have them; --exact keeps those only.  Words typed next to
    each other rank articles where they stand together first; a "quoted
    phrase" requires it.  QUERY also takes AND, OR, NOT (or -word,
    -"a phrase"), field:term (title, lead, body, captions, author, site,
    category, published, id; body: is the whole text) and wildcards (li*;
    on PostgreSQL only at the end of a word).
    Quote the whole query as one argument; one starting with - needs --
    before it, after the options (dna search --site x -- '-x y').  Dates
    are Vietnam time (YYYY-MM-DD).

    A PostgreSQL archive is searched in the database itself (nothing to
    build; an article is found as soon as its crawl batch commits); a SQLite
    archive through the index in DATA/index.  --backend, $DNA_SEARCH_BACKEND
    or [search] backend in sites.toml choose explicitly.  PostgreSQL counts
    the matches up to 10,000 and says "more than" past it, unless --count-all.

    --place takes an old or a new unit, with or without diacritics: a new
    commune covers the old communes merged into it, an old district its
    communes.  Qualify a shared name with the units it lies in ("huyện
    Thanh Sơn, Phú Thọ"); an ambiguous one lists the choices.  --province
    and --district filter by where the portal sits.
    Exit status: 0, 1 if the index is missing or unreadable or the search
    took over 10 s, 2 for a malformed or over-long query or a place that is
    unknown or ambiguous.

    Example:

    \b
        dna search "nong thon moi" --since 2023-01-01 --sort newest
        dna search "bão" --place "Thanh Liên" --province "Nghệ An"
    """
    if sum(map(bool, (as_json, as_csv, export_to))) > 1:
        raise click.UsageError("choose one of --json, --csv and --export")
    if exact and fuzzy:
        raise click.UsageError("choose one of --exact (the spellings typed) and --fuzzy (others)")
    check_period(since, until)
    place_code, portal_places = _place_filters(place, province, district)
    # Full-width letters and ligatures pasted from a PDF read as typed.
    query = unicodedata.normalize("NFKC", query)
    request = SearchRequest(
        query=query,
        site=site,
        since=since,
        until=until,
        category=category,
        place=place_code,
        portal_places=portal_places,
        sort=sort,  # type: ignore[arg-type]
        limit=limit,
        page=page,
        fuzzy=fuzzy,
        exact=exact,
        # An export is every hit, so it needs them all counted.
        count_up_to=None if count_all or export_to is not None else COUNT_UP_TO,
    )
    chosen = env.search_backend(backend)
    try:
        with open_searcher(chosen, env.data.index_dir, env.db_url) as searcher:
            if not searcher.doc_count:
                fail(_EMPTY_HINT)
            result = searcher.search(request)
            if export_to is not None and result.total > len(result.hits):
                # Every hit, in the order asked: one page as long as the total.
                request = replace(request, limit=result.total, page=1)
                result = searcher.search(request)
    except QuerySyntaxError as exc:
        fail(f"malformed query: {exc}", exit_code=2)
    except (SearchIndexError, StoreError) as exc:
        fail(str(exc))
    # One database session for what the hits need: their texts, the hints.
    store = env.open_store()
    try:
        if export_to is not None:
            err_console.print(escape(one_line(_count_line(query, request, result))), soft_wrap=True)
            found = (store.article(hit.id) for hit in result.hits)
            export_articles((article for article in found if article), export_to, None)
            return
        rows = list(_with_snippets(store, query, result))
        if as_json:
            _print_json(rows)
        elif as_csv:
            _print_csv(rows)
        elif is_terminal():
            _print_hits(query, request, result, rows)
        else:
            _print_plain(query, request, result, rows)
        if as_json or as_csv:
            err_console.print(escape(one_line(_count_line(query, request, result))), soft_wrap=True)
        if not result.total:
            err_console.print(_NO_EXACT_HINT if exact else _NO_HITS_HINT, soft_wrap=True)
            if portal_places and (hint := _portal_hint(store, portal_places)):
                err_console.print(hint, soft_wrap=True)
        if chosen != POSTGRES and (behind := not_indexed(env.data.index_dir, store)):
            err_console.print(
                f"Note: {behind} article{'s' if behind != 1 else ''} archived since the index "
                f"was last updated {'are' if behind != 1 else 'is'} not searched: `dna index` "
                f"adds {'them' if behind != 1 else 'it'}.",
                soft_wrap=True,
            )
    finally:
        store.close()


def _portal_hint(store: Store, portal_places: tuple[str, ...]) -> str | None:
    """Why --province or --district found nothing, when it is the portals' places."""
    placed = [site.place for site in store.site_places() if site.place]
    if not placed:
        return _NO_PLACES_HINT
    places = load_gazetteer()
    if any(set(portal_places) <= places.cover(place) for place in placed if place in places.units):
        return None
    where = " and ".join(places.label(code) for code in portal_places)
    return f"No portal of this archive sits in {where}: `dna stats --by place` shows where they do."


def _place_filters(
    place: str | None, province: str | None, district: str | None
) -> tuple[str | None, tuple[str, ...]]:
    """The gazetteer codes of the place options; one-line error if one is unknown or ambiguous."""
    if not (place or province or district):
        return None, ()
    places = load_gazetteer()
    try:
        code = places.pick(place).code if place else None
        portal = tuple(
            places.pick(name, (level,)).code
            for name, level in ((province, "province"), (district, "district"))
            if name
        )
    except PlaceError as exc:
        fail(str(exc), exit_code=2)
    return code, portal


def _with_snippets(store: Store, query: str, result: SearchPage) -> Iterator[tuple[Hit, Snippet]]:
    if not result.hits:
        return
    first = typed_first(query, result.terms)
    for hit in result.hits:
        article = store.article(hit.id)
        yield hit, snippet(article, result.terms, first=first) if article else Snippet("")


def _record(hit: Hit, found: Snippet) -> dict[str, object]:
    return {
        "id": hit.id,
        "url": printable(hit.url),
        "site": hit.site,
        "title": printable(hit.title),
        "published": _isolocal_time(hit.published),
        "score": hit.score,
        "snippet": printable(found.text),
    }


def _print_json(rows: list[tuple[Hit, Snippet]]) -> None:
    out = sys.stdout
    for hit, found in rows:
        out.write(json.dumps(_record(hit, found), ensure_ascii=False) + "\n")


def _print_csv(rows: list[tuple[Hit, Snippet]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=HIT_FIELDS)
    writer.writeheader()
    for hit, found in rows:
        writer.writerow(spreadsheet_cells(_record(hit, found)))


def _count_line(query: str, request: SearchRequest, result: SearchPage) -> str:
    noun = "hit" if result.total == 1 else "hits"
    line = f"{result.total} {noun} for {query!r}"
    if result.at_least:
        line = f"more than {line} (--count-all counts them)"
    if result.as_typed is not None and result.as_typed < result.total:
        if result.as_typed:
            line += f", {result.as_typed} of them spelled as typed (--exact: those only)"
        else:
            line += ", none spelled as typed: all with other diacritics"
    if result.hits:
        first = (request.page - 1) * request.limit + 1
        line += f", showing {first}–{first + len(result.hits) - 1}"
    elif result.total:
        line += f", none on page {request.page}"
    return line


def _print_plain(
    query: str, request: SearchRequest, result: SearchPage, rows: list[tuple[Hit, Snippet]]
) -> None:
    out = sys.stdout
    out.write(printable(_count_line(query, request, result)) + "\n")
    for hit, found in rows:
        title = one_line(hit.title)
        out.write(f"\n{local_time(hit.published)}  {hit.site}  {title}\n")
        out.write(f"    {one_line(found.text)}\n" if found.text else "")
        out.write(f"    {one_line(hit.url)}  (id {hit.id})\n")


def _print_hits(
    query: str, request: SearchRequest, result: SearchPage, rows: list[tuple[Hit, Snippet]]
) -> None:
    """Hits as blocks, readable at any width: the id and the URL are never cut.

    Title and snippet wrap at words; the URL is printed whole and the
    terminal wraps it if it must.
    """
    console.print(Text(one_line(_count_line(query, request, result)), style="italic"))
    for hit, found in rows:
        console.print()
        head = Text.assemble(
            (f"{hit.id}", "bold magenta"),
            "  ",
            (local_time(hit.published), ""),
            "  ",
            (hit.site, "cyan"),
        )
        console.print(head, soft_wrap=True)
        console.print(Text(one_line(hit.title), style="bold"))
        if found.text:
            # Same length as the snippet, so its highlight spans still fit.
            text = Text(printable(found.text).replace("\n", " ").replace("\t", " "))
            for start, end in found.spans:
                text.stylize("bold yellow", start, end)
            console.print(text)
        console.print(Text(one_line(hit.url), style="dim"), soft_wrap=True)
    if result.hits:
        console.print(Text("\nRead one: dna show ID", style="dim"))


# -- show --------------------------------------------------------------------


@click.command()
@click.argument("key", metavar="ID|URL")
@click.option("--raw", is_flag=True, help="Print the archived HTML bytes from the WARC record.")
@click.option(
    "--versions", "all_versions", is_flag=True, help="Also show what changed in each version."
)
@archive_options("read")
def show(key: str, raw: bool, all_versions: bool, env: Env) -> None:
    """Print one archived article: metadata, provenance, text and versions.

    ID is the number search prints; a URL may be the canonical or captured
    one, another URL the same article was found under (listed as "also
    at"), or a link that redirected to it when it was captured.  Times are
    Vietnam time.  The text is the latest version; a full recrawl that finds
    an article changed stores a new version and keeps the old ones, which
    --versions lists with the paragraphs each added and removed.  Exits 1 if
    there is no such article.

    Example:

    \b
        dna show 42
        dna show 42 --versions
        dna show https://thanhlien.nghean.gov.vn/tin-tuc/bai-1.html --raw > bai-1.html
    """
    key = key.strip()  # an id pasted with the space before it
    store = env.open_store()
    try:
        article = find_article(store, env.data, key)
        if article is None:
            fail(f"no article {key} in the archive (ids are printed by `dna search`)")
        if raw:
            _print_raw(env, article)
            return
        versions = store.versions(article.id)
    finally:
        store.close()
    with paged():
        _print_article(article)
        console.print(f"\n[bold]Versions[/] ({len(versions)}), times in {TIME_ZONE_LABEL}")
        for number, version in enumerate(versions, 1):
            current = ""
            if version.id == article.version_id:
                # An earlier text seen again (an edit undone) is current once more.
                again = number < len(versions)
                since = local_time(article.updated_at, "%Y-%m-%d %H:%M")
                current = f"  (current again since {since})" if again else "  (current)"
            console.print(
                f"  {number}. {local_time(version.seen_at, '%Y-%m-%d %H:%M')}  "
                f"{escape(one_line(version.title))}  {version.warc_file}@{version.warc_offset}  "
                f"{version.content_hash[:19]}{current}",
            )
            if all_versions and number > 1:
                _print_changes(versions[number - 2], version)


def _print_changes(before: ArticleVersionInfo, after: ArticleVersionInfo) -> None:
    """What ``after`` changed against ``before``: each field, then the paragraphs."""

    def stamp(moment: datetime | None) -> str | None:
        return None if moment is None else local_time(moment, "%Y-%m-%d %H:%M")

    fields = (
        ("title", before.title, after.title),
        ("published", stamp(before.published), stamp(after.published)),
        ("author", before.author, after.author),
        ("lead", before.summary, after.summary),
        ("captions", " | ".join(before.captions), " | ".join(after.captions)),
    )
    for label, old_value, new_value in fields:
        if (old_value or "") != (new_value or ""):
            console.print(f"     [red]- {label}: {escape(one_line(old_value or '(none)'))}[/]")
            console.print(f"     [green]+ {label}: {escape(one_line(new_value or '(none)'))}[/]")
    old, new = before.body.split("\n"), after.body.split("\n")
    for line in difflib.ndiff(old, new):
        if line[:2] in ("- ", "+ "):
            colour = "red" if line[0] == "-" else "green"
            console.print(f"     [{colour}]{escape(one_line(line))}[/]")


def _print_raw(env: Env, article: ArchivedArticle) -> None:
    from archive.warcreader import WarcReadError, read_payload

    path = env.data.find_warc(article.warc_file)
    if path is None:
        fail(f"WARC file {article.warc_file} not found under {env.data.warc_root}")
    try:
        payload = read_payload(path, article.warc_offset)
    except WarcReadError as exc:
        fail(str(exc))
    sys.stdout.buffer.write(payload)


def _print_article(article: ArchivedArticle) -> None:
    def line(label: str, value: object) -> None:
        # Values are never cut: a long URL folds onto the next line.
        if value not in (None, "", []):
            text = Text.assemble((f"  {label:<13}", "dim"), one_line(str(value)))
            text.overflow = "fold"
            console.print(text)

    def when(moment: datetime | None) -> str:
        return local_time(moment, f"%Y-%m-%d %H:%M ({TIME_ZONE_LABEL})")

    console.print(Text(one_line(article.title), style="bold"))
    line("id", article.id)
    line("site", article.site)
    line("url", article.url)
    for url in article.other_urls:
        line("also at", url)
    published = when(article.published)
    line("published", f"{published} (from {article.published_source})" if published else "")
    line("author", article.author)
    line("category", article.category)
    line("tags", ", ".join(article.tags))
    line("views", article.views)
    line("extracted by", article.family)
    line("first seen", when(article.first_seen))
    line("last seen", when(article.last_seen))
    if article.gone_since is not None:
        since = when(article.gone_since)
        line("gone", f"deleted from the portal: HTTP {article.gone_status} since {since}")
    console.print("\n[bold]Provenance[/]")
    line("WARC file", article.warc_file)
    line("offset", article.warc_offset)
    line("length", article.warc_length)
    line("record", article.warc_record_id)
    line("captured", local_time(article.fetched_at, f"%Y-%m-%d %H:%M:%S ({TIME_ZONE_LABEL})"))
    line("capture URL", article.capture_url)
    line("replay", replay_url(article.site, article.fetched_at, article.capture_url))
    console.print("\n[bold]Text[/]")
    # Paragraphs word-wrap at the screen's edge.
    for paragraph in [article.summary, *article.body.split("\n")]:
        if paragraph:
            console.print(Text(one_line(paragraph)))
    for image in article.images:
        text = Text.assemble(("Image: ", "dim"), one_line(f"{image.caption or ''} {image.src}"))
        text.overflow = "fold"
        console.print(text)


# -- index -------------------------------------------------------------------


@click.command()
@click.option("--rebuild", is_flag=True, help="Index every article afresh.")
@click.option("--backend", type=click.Choice(BACKENDS), help=_BACKEND_HELP)
@archive_options("write")
def index(rebuild: bool, backend: str | None, env: Env) -> None:
    """Bring the search index up to date with the archive.

    Without options, indexes the articles new or changed since the last
    update, as every crawl does when it ends.  --rebuild indexes everything
    again, with a progress bar: needed when dna says the index is outdated
    or unreadable.  Searches keep working meanwhile.

    With PostgreSQL search (the default for PostgreSQL archives) crawls and
    restores write each article's search document with the article; this
    writes those missing (an archive from before dna had them), and
    --rebuild rewrites them all.

    Example:

    \b
        dna index --rebuild --data ~/dna-data
        dna index --rebuild --db postgresql://dna@db.example/dna
    """
    chosen = env.search_backend(backend)
    store = env.open_store()
    started = time.monotonic()
    try:
        if chosen == POSTGRES:
            with ProgressBar() as progress:
                write = rebuild_documents if rebuild else update_documents
                count = write(store, progress)
        elif rebuild:
            with ProgressBar() as progress:
                count = rebuild_index(store, env.data.index_dir, progress, on_wait=_waiting)
        else:
            with ProgressBar() as progress:
                count = update_index(store, env.data.index_dir, progress, on_wait=_waiting)
    except (SearchIndexError, StoreError) as exc:
        fail(str(exc))
    finally:
        store.close()
    noun = "article" if count == 1 else "articles"
    console.print(f"Indexed {count} {noun} in {time.monotonic() - started:.1f} s.")


def _waiting() -> None:
    err_console.print("Waiting for another indexer to finish…")


# -- stats -------------------------------------------------------------------
