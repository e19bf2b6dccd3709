"""Search inside PostgreSQL: documents written with the articles, queries run in the database.

When the archive is PostgreSQL there is no index to build or sync: the
documents are written with the articles (:mod:`search.pgdocuments`).

:class:`PostgresSearcher` answers :class:`~search.searcher.SearchRequest` as
:class:`~search.searcher.ArchiveSearcher` does, with the same tiers: a query
typed with diacritics ranks the spellings typed with words together, then
apart, then every spelling; without diacritics, words together, then apart.
Within a tier ``ts_rank`` orders by section weight and by how many of the
query's lexemes (exact spellings and pairs included) an article holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import Row, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from archive.database import StoreError
from archive.messages import one_line
from archive.models import SearchDocument
from archive.store import Store
from search.indexdir import SearchIndexError
from search.pglexicon import Lexicon
from search.pgquery import TsqueryBuilder, alternatives, keys_between
from search.query import parse
from search.searcher import Hit, SearchPage, SearchRequest, vietnam_midnight
from search.tsvector import RANK_WEIGHTS, category_keys, quote

#: A search taking longer is cancelled with a one-line error, not left to run.
TIMEOUT_MS = 10_000
#: By relevance, rank at most this many of the newest matches of each tier, and
#: as many of those matching in the title, lead or captions (more when paging
#: past them); every match is still found, on the pages after them.
RANK_POOL = 500
#: Of the pool, rank this many (the first by tier and title, lead and captions)
#: by their whole documents (more when paging past them).
RERANK = 100
#: What a hit shows, and the joins it needs.
_SHOWN = "a.url, s.name, v.title, d.published"
_JOINS = (
    "JOIN articles a ON a.id = d.article_id "
    "JOIN article_versions v ON v.id = d.version_id "
    "JOIN sites s ON s.id = a.site_id"
)
#: What testing one row newest first costs (its document read from TOAST,
#: about 13 µs) over what collecting one match from a GIN index costs (a bit
#: in a bitmap and its date, about 0.35 µs); testing a row's ``head`` (stored
#: uncompressed, a sixth of the size) costs about 10.  See :meth:`_Search._newest`.
WALK_COST = 37
HEAD_WALK_COST = 10
#: The most rows a walk tests before giving up for the GIN index (25–40 ms).
WALK_WINDOW = 2_000
HEAD_WALK_WINDOW = 8_000
#: A pool is first collected from the newest articles holding this many times
#: the matches it needs (see :meth:`_Search._slice`), and at most this many of
#: them (finding the oldest walks the date index: 2 ms for 40,000 rows once
#: cached), under at most this many year or month keys.
SLICE_MARGIN = 2
SLICE_ROWS = 50_000
SLICE_KEYS = 24
#: Of the articles matching a query, those matching in the title, lead or
#: captions: from an eighth ("hợp") to nearly all ("nông"); a third is assumed.
HEAD_SHARE = 3

_QUERY_CANCELED = "57014"


class SearchTimeout(SearchIndexError):
    """A search ran past :data:`TIMEOUT_MS`."""


def is_postgres(url: str) -> bool:
    """Whether a database URL names PostgreSQL."""
    return url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def sizes_on_server(store: Store) -> tuple[int, int]:
    """The bytes of the whole PostgreSQL database, and of its search documents.

    The search documents' share counts their table, TOAST and GIN indexes:
    what ``dna stats`` shows as the search index of an archive searched here.
    """
    with store.session() as session:
        database = session.scalar(text("SELECT pg_database_size(current_database())"))
        documents = session.scalar(
            text("SELECT pg_total_relation_size(:table)"),
            {"table": SearchDocument.__tablename__},
        )
    return int(database or 0), int(documents or 0)


# -- searching ---------------------------------------------------------------


class PostgresSearcher:
    """Searches the archive's own PostgreSQL database; use it as a context manager.

    :raises StoreError: the database cannot be opened.
    """

    def __init__(self, db_url: str) -> None:
        self.store = Store(db_url, create=False)
        if self.store.engine.dialect.name != "postgresql":
            self.store.close()
            raise StoreError(
                "the postgres search backend needs a PostgreSQL archive (--db postgresql://…)"
            )

    def __enter__(self) -> PostgresSearcher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    @property
    def doc_count(self) -> int:
        """Articles with a search document."""
        with self.store.session() as session:
            return session.scalar(select(func.count()).select_from(SearchDocument)) or 0

    def search(self, request: SearchRequest) -> SearchPage:
        """Run ``request``; see the module's docstring for the ranking.

        :raises search.query.QuerySyntaxError: the query is malformed, or
            holds what PostgreSQL cannot search (the message says which).
        :raises SearchTimeout: it ran longer than :data:`TIMEOUT_MS`.
        :raises SearchIndexError: the database failed.
        """
        parsed = parse(request.query)
        with self.store.session() as session, session.begin():
            session.execute(text(f"SET LOCAL statement_timeout = {TIMEOUT_MS}"))
            # The documents live in TOAST, so the heap looks tiny and the
            # planner prefers a sequential scan that detoasts every document
            # (1.3 s for 20,000) over the GIN index (9 ms): it cannot see
            # the detoasting cost.
            session.execute(text("SET LOCAL enable_seqscan = off"))
            try:
                return _Search(session, request).run(parsed)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == _QUERY_CANCELED:
                    raise SearchTimeout(
                        f"the search took longer than {TIMEOUT_MS // 1000} s and was stopped: "
                        "add words, quote a phrase, or narrow it with --site or --since"
                    ) from None
                raise SearchIndexError(
                    f"searching {self.store.safe_url} failed: {one_line(exc.orig)}"
                ) from None


class _Search:
    """One request against one session."""

    def __init__(self, session: Session, request: SearchRequest) -> None:
        self.session = session
        self.request = request
        self.lexicon = Lexicon(session)
        self._table_size: tuple[int, int] | None = None
        self._slices: dict[int, tuple[datetime | None, str | None]] = {}
        self._walking: bool | None = None
        #: The matches, or past a stopped count the planner's estimate: to plan by.
        self._total = 0
        self._counted = True

    def builder(
        self, *, exact: bool = False, adjacent: bool = False, typos: bool = True
    ) -> TsqueryBuilder:
        """A builder for this request; ``typos``: with ``--fuzzy``'s spellings, if asked."""
        return TsqueryBuilder(
            self.request.query,
            exact=exact,
            adjacent=adjacent,
            has_lexeme=self.lexicon.has_lexeme,
            near=self.lexicon.near if self.request.fuzzy and typos else None,
        )

    def run(self, parsed: object) -> SearchPage:
        request = self.request
        # Counting and looking words up read the GIN indexes: never the dates.
        self._plan(walk=False)
        loose = self.builder(exact=request.exact)
        query = loose.build(parsed)
        strictness = [(True, True), (True, False)] if loose.accented else [(False, True)]
        tiers: list[str] = []
        rank = [query, *loose.bonus]
        for exact, adjacent in strictness:
            builder = self.builder(exact=exact, adjacent=adjacent)
            tier = builder.build(parsed)
            rank += [tier, *builder.bonus]
            if tier != query and tier not in tiers:
                tiers.append(tier)
        counted, self._total = self._count(query)
        self._counted = counted is not None
        as_typed = None
        if loose.marked and not request.exact and counted is not None:
            # As typed: the exact spellings, without --fuzzy's.
            spelled = self.builder(exact=True, typos=False).build(parsed)
            as_typed, _ = self._count(spelled, guess=False)  # fewer than the total counted
        where, params = self._where(query)
        params |= {"limit": request.limit, "offset": (request.page - 1) * request.limit}
        if request.sort == "relevance":
            rank_query = " | ".join(f"({part})" for part in rank)
            rows = self._ranked([*tiers, query], rank_query, where, params)
        else:
            direction = "DESC" if request.sort == "newest" else "ASC"
            self._scan_for(request.page * request.limit, self._total)
            rows = self.session.execute(
                text(
                    f"SELECT d.article_id, {_SHOWN}, NULL AS score "
                    f"FROM search_documents d {_JOINS} WHERE {where} "
                    f"ORDER BY d.published {direction}, d.article_id "
                    "LIMIT :limit OFFSET :offset"
                ),
                params,
            )
        hits = [
            Hit(
                id=article_id,
                url=url,
                site=site,
                title=title,
                published=published.replace(tzinfo=UTC) if published else None,
                score=round(float(score), 4) if score is not None else None,
            )
            for article_id, url, site, title, published, score in rows
        ]
        total = counted if counted is not None else request.count_up_to or 0
        return SearchPage(total, hits, frozenset(loose.terms), as_typed, counted is None)

    def _count(self, query: str, *, guess: bool = True) -> tuple[int | None, int]:
        """Articles matching ``query`` and the filters (``None``: more than the
        request's bound), and about how many, to plan the statements by.

        A count reads every match's row: 130 ms for a word in nearly every
        one of a million articles, which is most of such a search.  So it
        stops past the request's ``count_up_to``.  With ``guess``, one word
        (in its spellings, with no filter) is not counted at all when the
        planner expects three times the bound for each spelling: its
        statistics hold the shares of common lexemes, and one of the
        spellings then matches more than the bound.  Of anything else the
        planner assumes words, dates and filters independent, which errs
        both ways ("phường thôn": words of wards and of villages, rarely
        together; ``published:2023 published:2024``), so that is counted:
        first among the newest articles (:meth:`_more_among_newest`), then
        up to the bound.  A count that stops has read the table's pages in
        order up to its last match, so the matches of the whole table are
        about as many again in proportion: closer than the planner's
        estimate for phrases (376,000 "nông thôn mới" in a million articles,
        estimated 141,000).
        """
        where, params = self._where(query)
        bound = self.request.count_up_to
        if bound is None:
            found = self.session.scalar(
                text(f"SELECT count(*) FROM search_documents d WHERE {where}"), params
            )
            return found, found
        if guess:
            estimate = self._estimate(where, params)
            spellings = 0 if self.request.narrowed else alternatives(query)
            if spellings and estimate >= 3 * spellings * max(bound, 1):
                return None, estimate
            if newest := self._more_among_newest(where, params, bound, estimate):
                return None, newest
        found, last_page = self.session.execute(
            text(
                "SELECT count(*), max(page) FROM (SELECT (d.ctid::text::point)[0] AS page "
                f"FROM search_documents d WHERE {where} LIMIT :past) AS matches"
            ),
            params | {"past": bound + 1},
        ).one()
        if found <= bound:
            return found, found
        pages, _ = self._table()
        return None, max(found, round(found * pages / (last_page + 1)))

    def _more_among_newest(
        self, where: str, params: dict[str, object], bound: int, estimate: int
    ) -> int | None:
        """About how many match, when more than ``bound`` are among the newest articles.

        Finding them there proves the count would stop, at a slice's cost
        (:meth:`_slice`): 10 ms for "hợp tác xã", in 826,000 of a million
        articles, where counting to the bound read all their posting lists
        in 105.  The slice is of the newest articles expected (by the
        planner, which may err either way) to hold twice the bound.
        """
        rows = SLICE_MARGIN * (bound + 1) * self._documents() // max(estimate, 1)
        _, keys = self._slice(rows)
        if keys is None:
            return None
        found = self.session.scalar(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM search_documents d WHERE "
                f"{where} AND d.document @@ CAST(:keys AS tsquery) LIMIT :past) AS matches"
            ),
            params | {"keys": keys, "past": bound + 1},
        )
        if found <= bound:
            return None
        return max(estimate, found * self._documents() // max(rows, 1))

    def _estimate(self, where: str, params: dict[str, object]) -> int:
        """The planner's estimate of the articles matching ``where``."""
        plan = self.session.scalar(
            text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_documents d WHERE {where}"),
            params,
        )
        return int(plan[0]["Plan"]["Plan Rows"])

    def _ranked(
        self, tiers: list[str], rank: str, where: str, params: dict[str, object]
    ) -> Sequence[Row]:
        """The page of hits by relevance: by tier, then ``ts_rank``, on a bounded pool.

        Ranking reads a whole document (12 KB for a 2.5 KB article, kept in
        TOAST) per article, so it must never read every match of a common
        term.  Three steps bound it:

        1. the pool: of each tier (strictest first), the newest
           :data:`RANK_POOL` matches, and the newest :data:`RANK_POOL` of
           those whose title, lead or captions match (``head``, a small
           vector read uncompressed), so the best-placed matches are in it
           however many others there are; an article's tier is the
           strictest whose pool holds it.  Choosing them reads the GIN
           indexes and the matches' rows, or, for a query matching much of
           a large archive, the newest rows until enough match
           (:meth:`_scan_for`);
        2. the shortlist: by tier and ``ts_rank`` of ``head``, the first
           :data:`RERANK` (a multiple of it when paging past them);
        3. the page: each :data:`RERANK` of the shortlist in turn, by tier
           and ``ts_rank`` of the whole document.

        The matches outside the pool follow it, newest first.  So every
        page is a slice of one order, whatever the page: a shortlist or pool
        grown for a deeper page reordered the first ones, and paging showed
        some hits twice and others never.

        With fewer matches than the pool, every match is in it and each
        tier is exact; with fewer than the shortlist, the order is exactly
        ``ts_rank``'s over the whole documents.
        """
        needed = self.request.page * self.request.limit
        chunks = -(-needed // RERANK)
        params |= {"rerank": chunks * RERANK, "chunk": RERANK, "rank": rank}
        params["weights"] = RANK_WEIGHTS
        tier_of: dict[int, int] = {}
        for number, tier in enumerate(tiers):
            matches, found = self._where(tier, f"tier{number}")
            head = matches.replace("d.document @@", "d.head @@", 1)
            if "!" in tier:  # what NOT leaves out is left out of the whole document
                head = f"{head} AND {matches}"
            for clause in (matches, head):
                for article_id in self._newest(clause, found, RANK_POOL, head=clause != matches):
                    tier_of.setdefault(article_id, number)  # the strictest tier first
        params["pool_ids"] = list(tier_of)
        params["pool_tiers"] = list(tier_of.values())
        self._plan(walk=False)  # the pool's rows are read by key
        score = "ts_rank(CAST(:weights AS real[]), d.{}, CAST(:rank AS tsquery), 1)"
        offset, limit = (self.request.page - 1) * self.request.limit, self.request.limit
        rows: list[Row] = []
        if offset < len(tier_of):
            rows += self.session.execute(
                text(
                    "WITH pool AS (SELECT * FROM unnest(CAST(:pool_ids AS integer[]), "
                    "CAST(:pool_tiers AS integer[])) AS p(article_id, tier)), "
                    "shortlist AS (SELECT pool.article_id, pool.tier, ROW_NUMBER() OVER ("
                    f"ORDER BY pool.tier, {score.format('head')} DESC, d.published DESC, "
                    "pool.article_id) - 1 AS place FROM pool "
                    "JOIN search_documents d ON d.article_id = pool.article_id "
                    "ORDER BY place LIMIT :rerank) "
                    f"SELECT d.article_id, {_SHOWN}, {score.format('document')} AS score "
                    "FROM shortlist JOIN search_documents d "
                    f"ON d.article_id = shortlist.article_id {_JOINS} "
                    "ORDER BY shortlist.place / :chunk, shortlist.tier, score DESC, d.article_id "
                    "LIMIT :limit OFFSET :offset"
                ),
                params,
            ).all()
        if len(rows) < limit and (self._total > len(tier_of) or not self._counted):
            # Past the pool: the other matches, newest first.
            outside = max(0, offset - len(tier_of))
            self._scan_for(outside + limit, self._total)
            rows += self.session.execute(
                text(
                    f"SELECT d.article_id, {_SHOWN}, NULL AS score "
                    f"FROM search_documents d {_JOINS} WHERE {where} "
                    "AND NOT d.article_id = ANY(CAST(:pool_ids AS integer[])) "
                    "ORDER BY d.published DESC, d.article_id DESC "
                    "LIMIT :rest OFFSET :outside"
                ),
                params | {"rest": limit - len(rows), "outside": outside},
            ).all()
        return rows

    def _newest(
        self, where: str, params: dict[str, object], count: int, *, head: bool
    ) -> list[int]:
        """The newest ``count`` articles matching ``where``, newest first.

        Collecting every match from the GIN index and sorting them costs
        about 0.35 µs a match: a third of a second for "xã" in a million
        articles.  Walking the dates newest first and testing each row
        stops at the ``count``-th match, but each test reads the row's
        document from TOAST (:data:`WALK_COST` times dearer).  The planner
        cannot see that cost, so the choice is made here, from the query's
        exact count: a walk is tried when the matches are many enough that
        the window (:data:`WALK_WINDOW` rows) should hold ``count`` of them
        and costs less than collecting them would; a walk that falls short
        is thrown away for the GIN index.  The GIN index is first asked for
        the matches among the newest articles only (:meth:`_slice`), then,
        if those are too few, for every match.  Either way the same articles
        come back, in the same order.
        """
        order = "ORDER BY d.published DESC, d.article_id DESC"
        window, cost, share = (
            (HEAD_WALK_WINDOW, HEAD_WALK_COST, HEAD_SHARE) if head else (WALK_WINDOW, WALK_COST, 1)
        )
        total = self._total
        if total * window >= count * self._documents() * share and window * cost < total:
            dates, dated = self._dates()
            self._plan(walk=True)
            walked = list(
                self.session.scalars(
                    text(
                        "SELECT d.article_id FROM (SELECT * FROM search_documents d "
                        f"WHERE {' AND '.join(dates) or 'TRUE'} {order} LIMIT :window) AS d "
                        f"WHERE {where} {order} LIMIT :count"
                    ),
                    params | dated | {"count": count, "window": window},
                )
            )
            if len(walked) == count:
                return walked
        self._plan(walk=False)
        collect = (
            "SELECT d.article_id, d.published FROM search_documents d "
            f"WHERE {where} {{}} {order} LIMIT :n"
        )
        # Never fewer than the matches wanted (an archive never analysed counts no rows).
        rows = SLICE_MARGIN * count * max(1, share * self._documents() / max(total, 1))
        for _ in range(2):
            edge, keys = self._slice(round(rows))
            if head:  # head lacks the date keys; the index of the dates joins its own
                newer = edge and "d.published >= :edge"
            else:  # the planner would test dates row by row, after the GIN index
                newer = keys and "d.document @@ CAST(:keys AS tsquery)"
            if not newer:
                break
            found = self.session.execute(
                text(collect.format(f"AND {newer}")),
                params | {"n": count, "edge": edge, "keys": keys},
            ).all()
            # The keys hold every article from the edge on, and some older:
            # the matches are the newest of all if the last is not older.
            if len(found) == count and found[-1].published >= edge:
                return [article_id for article_id, _ in found]
            # A stricter tier is rarer than the count says: slice by what was found.
            rows *= SLICE_MARGIN * count / max(len(found), 1)
        return list(self.session.scalars(text(collect.format("")), params | {"n": count}))

    def _slice(self, rows: int) -> tuple[datetime | None, str | None]:
        """The newest ``rows`` articles in the dates asked, as the oldest one's date
        and the year or month keys from it on; ``None`` for what would not slice.

        Collecting the newest matches of a query reads every match's row,
        then sorts them: 50 ms for one in a tenth of a million articles.  Its
        newest ones are those of the newest articles, and the documents hold
        the year and month of each: with those keys the GIN index itself
        keeps only the matches of the newest years or months, a few thousand
        rows to read.  The keys cover at least the ``rows`` newest, and some
        older articles, so when the matches under them are as many as wanted
        and the last is not older than the edge (the oldest of those rows),
        they are the newest matches of all; when not, the caller tries a
        wider slice, then collects them all.
        """
        if rows > SLICE_ROWS:
            return None, None
        if rows not in self._slices:
            dates, dated = self._dates()
            self._plan(walk=True)
            within = " AND ".join(dates) or "TRUE"
            newest, edge = self.session.execute(
                text(
                    f"SELECT (SELECT max(d.published) FROM search_documents d WHERE {within}), "
                    f"(SELECT d.published FROM search_documents d WHERE {within} "
                    "ORDER BY d.published DESC OFFSET :rows LIMIT 1)"
                ),
                dated | {"rows": rows},
            ).one()
            self._plan(walk=False)
            keys = None
            if edge is not None:
                keys = keys_between(
                    edge.replace(tzinfo=UTC), newest.replace(tzinfo=UTC), SLICE_KEYS
                )
            self._slices[rows] = edge, keys
        return self._slices[rows]

    def _scan_for(self, needed: int, matches: int) -> None:
        """Set how the next statement finds the first ``needed`` of ``matches`` by date.

        As :meth:`_newest` chooses, but with no window: the dates are walked
        when testing the ``needed·D/matches`` rows that hold them costs less
        than collecting all ``matches``.
        """
        rows = needed * self._documents() / max(matches, 1)
        self._plan(walk=rows * WALK_COST < matches)

    def _plan(self, *, walk: bool) -> None:
        """Let the next statements walk an index in order, or only use bitmap scans."""
        if walk == self._walking:
            return
        self._walking = walk
        self.session.execute(
            text(
                f"SET LOCAL enable_bitmapscan = {'off' if walk else 'on'}; "
                f"SET LOCAL enable_indexscan = {'on' if walk else 'off'}"
            )
        )

    def _documents(self) -> int:
        """About how many search documents there are (the planner's own count)."""
        _, documents = self._table()
        return documents

    def _table(self) -> tuple[int, int]:
        """About how many pages and rows ``search_documents`` has (the planner's own counts)."""
        if self._table_size is None:
            pages, rows = self.session.execute(
                text(
                    "SELECT relpages, reltuples FROM pg_class "
                    "WHERE oid = 'search_documents'::regclass"
                )
            ).one()
            # Never analysed (-1): taken as small (autovacuum analyses a growing one).
            self._table_size = max(int(pages or 0), 0), max(int(rows or 0), 0)
        return self._table_size

    def _where(self, query: str, name: str = "query") -> tuple[str, dict[str, object]]:
        """The WHERE clause of the query and the request's filters, and its parameters."""
        request = self.request
        required = [f"({query})"]
        if request.site:
            required.append(quote(f"@site:{request.site}"))
        if request.category:
            keys = [quote(f"@category:{key}") for key in category_keys(request.category)]
            required.append(f"({' | '.join(keys)})")
        if request.place:
            required.append(quote(f"@place:{request.place}"))
        required += [quote(f"@portal:{code}") for code in request.portal_places]
        dates, params = self._dates()
        params[name] = " & ".join(required)
        return " AND ".join([f"d.document @@ CAST(:{name} AS tsquery)", *dates]), params

    def _dates(self) -> tuple[list[str], dict[str, object]]:
        """The conditions of ``--since`` and ``--until``, and their parameters."""
        request = self.request
        conditions: list[str] = []
        params: dict[str, object] = {}
        if request.since:
            conditions.append("d.published >= :since")
            params["since"] = vietnam_midnight(request.since)
        if request.until:
            conditions.append("d.published < :until")
            params["until"] = vietnam_midnight(request.until + timedelta(days=1))
        return conditions, params
