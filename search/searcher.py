"""Running a search: filters, sorting, paging and the total hit count.

>>> with ArchiveSearcher(Path("dna-data/index")) as searcher:  # doctest: +SKIP
...     page = searcher.search(SearchRequest("thanh lien", limit=5))
...     print(page.total, [hit.title for hit in page.hits])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Literal

from whoosh import query as wq
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher
from whoosh.util.times import datetime_to_long

from archive.records import VIETNAM_TZ
from search.analysis import words_only
from search.indexdir import open_for_search
from search.query import QueryBuilder, parse

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
#: How many matches a search counts exactly by default; past it, "more than".
COUNT_UP_TO = 10_000


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search, as ``dna search`` takes it.

    :param query: Whoosh query syntax, with or without diacritics.
    :param site: only this site (its name in ``sites.toml``).
    :param since: only articles published on or after this day (Vietnam time).
    :param until: only articles published on or before this day (Vietnam time).
    :param category: only this category, matched without case or diacritics.
    :param place: only articles of this unit's portals or mentioning it (a gazetteer code).
    :param portal_places: only articles of portals lying in all these units (codes).
    :param sort: relevance, newest or oldest first.
    :param limit: hits per page.
    :param page: which page, from 1.
    :param fuzzy: also match spellings one edit away.
    :param exact: of a query typed with diacritics, only the spellings typed
        ("bão" then finds no "báo" or "bảo"); a query typed without has no
        other spellings to leave out.
    :param count_up_to: count the matches exactly up to this many, and past it
        say only that there are more (``None``: count them all).  Where
        counting is dear, as in PostgreSQL, where it reads every match's row,
        a backend stops there, the way Elasticsearch counts to 10,000: a page
        of hits needs no exact count of a word in most of a million articles.
    """

    query: str
    site: str | None = None
    since: date | None = None
    until: date | None = None
    category: str | None = None
    place: str | None = None
    portal_places: tuple[str, ...] = ()
    sort: Sort = "relevance"
    limit: int = 10
    page: int = 1
    fuzzy: bool = False
    exact: bool = False
    count_up_to: int | None = COUNT_UP_TO

    @property
    def narrowed(self) -> bool:
        """Whether a filter bounds the articles searched."""
        return any(
            (self.site, self.since, self.until, self.category, self.place, self.portal_places)
        )


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching article.

    :param score: relevance score; ``None`` when sorted by date.
    """

    id: int
    url: str
    site: str
    title: str
    published: datetime | None
    score: float | None


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results.

    :param total: every matching article, not just this page's.
    :param terms: the canonical syllables the query matched on, for snippets.
    :param as_typed: of ``total``, the articles holding the spellings typed;
        ``None`` unless a word searched was typed with diacritics (and not
        ``exact``, where they are all of them).  "bão" matches báo and bảo too, after
        bão: a count to cite is this one.
    :param at_least: counting stopped at the request's ``count_up_to``, which
        ``total`` then is: more match.  ``as_typed`` is then not counted.
    """

    total: int
    hits: list[Hit]
    terms: frozenset[str] = field(default_factory=frozenset)
    as_typed: int | None = None
    at_least: bool = False


class ArchiveSearcher:
    """An open index to run searches on; use it as a context manager.

    :raises search.indexdir.SearchIndexError: missing, outdated or corrupt index.
    """

    def __init__(self, index_dir: Path) -> None:
        self.index = open_for_search(index_dir)
        self._searcher: Searcher = self.index.searcher()

    def __enter__(self) -> ArchiveSearcher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the index files."""
        self._searcher.close()

    @property
    def doc_count(self) -> int:
        """Articles in the index."""
        return self._searcher.doc_count()

    def search(self, request: SearchRequest) -> SearchPage:
        """Run ``request``.

        By relevance, hits come in tiers, each ranked on its own.  A query
        typed with diacritics: the spellings typed, with words typed next to
        each other found together; then apart; then everything else, other
        spellings that fold alike included.  Without diacritics: words found
        together, then apart.  That orders hits as people expect, and keeps
        the common case fast: the first tier is a few rare terms (pairs), and
        later tiers are only scored when the page reaches them.

        :raises search.query.QuerySyntaxError: the query is malformed.
        """
        searcher = self._searcher = self._searcher.refresh()
        parsed = parse(request.query, narrowed=request.narrowed)
        builder = QueryBuilder(
            searcher.reader(), request.query, fuzzy=request.fuzzy, exact=request.exact
        )
        query = builder.build(parsed)
        terms = frozenset(builder.terms)
        end = request.page * request.limit
        start = end - request.limit
        allowed = self._filter(request)
        if allowed is not None and not allowed:
            # Whoosh reads an empty filter as no filter at all.
            return SearchPage(0, [], terms)
        as_typed = None
        if builder.marked and not request.exact:
            spelled = QueryBuilder(searcher.reader(), request.query, exact=True)
            as_typed = _count(searcher, spelled.build(parsed), allowed)
        if request.sort != "relevance":
            results = searcher.search(
                query,
                limit=end,
                filter=allowed,
                sortedby="published",
                reverse=request.sort == "newest",
            )
            hits = [_hit(hit, False) for hit in results[start:]]
            return SearchPage(len(results), hits, terms, as_typed)

        hits: list[Hit] = []
        seen, previous = 0, None
        for tier in self._tiers(builder, parsed, query):
            if len(hits) == request.limit:
                break
            results = searcher.search(tier, limit=end - seen, filter=allowed, mask=previous)
            hits += [_hit(hit, True) for hit in results[max(0, start - seen) :]]
            seen += len(results)
            previous = tier
        total = seen if previous is query else _count(searcher, query, allowed)
        return SearchPage(total, hits, terms, as_typed)

    def _tiers(self, builder: QueryBuilder, parsed: wq.Query, query: wq.Query) -> list[wq.Query]:
        """Ever looser queries, each matching every document the one before does.

        So each tier need only mask the one before it.
        """
        strictness = [(True, True), (True, False)] if builder.accented else [(False, True)]
        tiers: list[wq.Query] = []
        for exact, adjacent in strictness:
            tier = QueryBuilder(
                builder.reader,
                builder.text,
                fuzzy=builder.fuzzy,
                exact=exact,
                adjacent=adjacent,
            ).build(parsed)
            if not tiers or tier != tiers[-1]:
                tiers.append(tier)
        return [*tiers[:-1], query] if query == tiers[-1] else [*tiers, query]

    def _filter(self, request: SearchRequest) -> set[int] | None:
        """The documents the filters allow, or ``None`` for all."""
        searcher = self._searcher
        allowed: list[set[int]] = []
        if request.site:
            allowed.append(set(searcher.docs_for_query(wq.Term("site", request.site))))
        if request.category:
            allowed.append(self._in_category(request.category))
        if request.place:
            allowed.append(set(searcher.docs_for_query(wq.Term("places", request.place))))
        for code in request.portal_places:
            allowed.append(set(searcher.docs_for_query(wq.Term("portal", code))))
        if request.since or request.until:
            allowed.append(self._published_between(request.since, request.until))
        return set.intersection(*allowed) if allowed else None

    def _in_category(self, category: str) -> set[int]:
        """Documents of every category that reads as ``category`` once case, accents
        and punctuation are set aside: "tin tuc su kien" is "Tin tức - Sự kiện".

        Categories are few, so their index terms are compared one by one; the
        terms themselves keep their punctuation, and old indexes still match.
        """
        searcher = self._searcher
        wanted = {words_only(key) for key in searcher.schema["category"].process_text(category)}
        documents: set[int] = set()
        for term in searcher.lexicon("category"):
            key = term.decode("utf-8") if isinstance(term, bytes) else term
            if words_only(key) in wanted:
                documents.update(searcher.docs_for_query(wq.Term("category", key)))
        return documents

    def _published_between(self, since: date | None, until: date | None) -> set[int]:
        # Reading the sortable column is ten times faster than a DateRange
        # query, whose numeric terms cover every second of the years asked for.
        low = datetime_to_long(vietnam_midnight(since)) if since else None
        high = datetime_to_long(vietnam_midnight(until + timedelta(days=1))) if until else None
        column = self._searcher.reader().column_reader("published", translate=False)
        return {
            docnum
            for docnum, moment in enumerate(column)
            if (low is None or moment >= low) and (high is None or moment < high)
        }


def _count(searcher: Searcher, query: wq.Query, allowed: set[int] | None) -> int:
    """How many documents match, without scoring them."""
    matched = searcher.docs_for_query(query)
    if allowed is None:
        return sum(1 for _ in matched)
    return sum(1 for docnum in matched if docnum in allowed)


def vietnam_midnight(day: date) -> datetime:
    """Midnight of ``day`` in Vietnam, as the naive UTC both backends store."""
    return datetime.combine(day, time(), VIETNAM_TZ).astimezone(UTC).replace(tzinfo=None)


def _hit(hit: WhooshHit, scored: bool) -> Hit:
    published = hit.get("published")
    return Hit(
        id=int(hit["id"]),
        url=hit["url"],
        site=hit["site"],
        title=hit["title"],
        published=published.replace(tzinfo=UTC) if published else None,
        score=round(hit.score, 4) if scored and hit.score is not None else None,
    )
