"""Search inside PostgreSQL: the same answers as Whoosh, on the same archive.

One PostgreSQL archive is written through the writer's search-document hook
(as crawls and restores write it); the Whoosh index is built from the same
database, so both backends answer over identical articles.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, event, text

from archive.store import Store
from dna.cli import main
from search.backend import BackendError, choose_backend
from search.indexer import update_index
from search.pgdocuments import write_documents
from search.pgquery import keys_between
from search.postgres import SLICE_KEYS, PostgresSearcher
from search.query import QuerySyntaxError
from search.searcher import ArchiveSearcher, SearchPage, SearchRequest
from tests.corpus import CORPUS, Doc, add_articles, sample_portal_docs
from tests.judged import JUDGED, SAMPLE_JUDGED, THANH_LIEN, recall_and_mrr
from tests.services import postgres_database


@dataclass
class Archive:
    """One PostgreSQL archive and a Whoosh index of it."""

    url: str
    data: Path
    ids: dict[str, int]

    def ranked(self, backend: str, query: str, **options: object) -> list[str]:
        keys = {article_id: key for key, article_id in self.ids.items()}
        with self.searcher(backend) as searcher:
            page = searcher.search(SearchRequest(query, **options))  # type: ignore[arg-type]
        return [keys[hit.id] for hit in page.hits]

    def searcher(self, backend: str) -> PostgresSearcher | ArchiveSearcher:
        return PostgresSearcher(self.url) if backend == "postgres" else ArchiveSearcher(self.index)

    @property
    def index(self) -> Path:
        return self.data / "index"


def _archive(server: str, tmp: Path, docs: list[Doc]) -> Iterator[Archive]:
    with postgres_database(server) as url:
        store = Store(url)
        ids = add_articles(store, docs, search_documents=write_documents)
        update_index(store, tmp / "index")
        store.close()
        yield Archive(url, tmp, ids)


@pytest.fixture(scope="module")
def archive(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    yield from _archive(postgres_server, tmp_path_factory.mktemp("pg-search"), CORPUS)


@pytest.fixture(params=["whoosh", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def measure(archive: Archive, backend: str, judged: list[tuple[str, set[str]]]) -> tuple:
    """Recall@10 and MRR of ``backend`` over ``judged``."""
    return recall_and_mrr(lambda query: archive.ranked(backend, query), judged)[:2]


def test_postgres_answers_the_judged_set_as_well_as_whoosh(archive: Archive) -> None:
    whoosh = measure(archive, "whoosh", JUDGED)
    postgres = measure(archive, "postgres", JUDGED)
    print(f"fixture corpus, recall@10 and MRR: whoosh {whoosh}, postgres {postgres}")
    assert postgres[0] >= whoosh[0]
    assert postgres[1] >= whoosh[1]


def test_postgres_answers_the_sample_portals_as_well_as_whoosh(
    postgres_server: str, tmp_path: Path
) -> None:
    docs = sample_portal_docs()
    for sample in _archive(postgres_server, tmp_path, docs):
        whoosh = measure(sample, "whoosh", SAMPLE_JUDGED)
        postgres = measure(sample, "postgres", SAMPLE_JUDGED)
        print(f"sample portals, recall@10 and MRR: whoosh {whoosh}, postgres {postgres}")
        assert postgres[0] >= whoosh[0]
        assert postgres[1] >= whoosh[1]


def test_accented_query_ranks_exact_spelling_first(archive: Archive, backend: str) -> None:
    top = archive.ranked(backend, "bão")
    assert set(top[:2]) == {"bao-storm", "bao-storm-2"}
    assert {"bao-newspaper", "bao-protect", "bao-bag"} <= set(top[2:])
    assert {"bao-storm", "bao-newspaper", "bao-protect", "bao-bag"} <= set(
        archive.ranked(backend, "bao", limit=20)
    )


def test_the_count_says_how_many_are_spelled_as_typed_and_exact_keeps_them(
    archive: Archive, backend: str
) -> None:
    """ "bão" matched báo and bảo too, after bão, and the count took them all:
    a researcher citing "16 hits" cited 2 storms and 14 reports and insurances."""
    storms = {archive.ids["bao-storm"], archive.ids["bao-storm-2"]}
    with archive.searcher(backend) as searcher:
        loose = searcher.search(SearchRequest("bão", limit=50))
        exact = searcher.search(SearchRequest("bão", limit=50, exact=True))
        newest = searcher.search(SearchRequest("bão", limit=50, exact=True, sort="newest"))
        storm = searcher.search(SearchRequest("cơn bão", limit=50))
        other = searcher.search(SearchRequest("cơn -bão", limit=50, exact=True))
        bare = searcher.search(SearchRequest("bao", limit=50))
        bare_exact = searcher.search(SearchRequest("bao", limit=50, exact=True))
        bare_but = searcher.search(SearchRequest("bao -bão", limit=50))
    assert loose.as_typed == 2 < loose.total
    assert {hit.id for hit in exact.hits} == {hit.id for hit in newest.hits} == storms
    assert (exact.total, exact.as_typed) == (2, None)
    assert "báo" not in exact.terms
    # What -bão leaves out is what bão finds.
    assert storms & {hit.id for hit in storm.hits}
    assert storms.isdisjoint(hit.id for hit in other.hits)
    # Typed bare, a word has no spelling to keep: every one is "as typed".
    assert bare.total == bare_exact.total == loose.total
    assert bare.as_typed is None
    assert bare_but.as_typed is None  # only the word left out has diacritics


@pytest.mark.parametrize(
    ("query", "together", "scattered"),
    [
        ("nông thôn mới", {"ntm-dat-chuan", "ntm-nfd"}, "ntm-scattered"),
        ("hop tac xa", {"htx"}, "htx-scattered"),
        ("thanh lien", THANH_LIEN, "thanh-chuong"),
    ],
)
def test_adjacent_syllables_rank_above_scattered(
    archive: Archive, backend: str, query: str, together: set[str], scattered: str
) -> None:
    top = archive.ranked(backend, query, limit=20)
    assert scattered in top
    assert set(top[: len(together)]) == together


def test_phrases_numbers_and_typos(archive: Archive, backend: str) -> None:
    assert set(archive.ranked(backend, '"nông thôn mới"')) == {"ntm-dat-chuan", "ntm-nfd"}
    assert archive.ranked(backend, '"hop tac xa"') == ["htx"]
    assert archive.ranked(backend, "1.026") == ["seed"]
    assert archive.ranked(backend, "1026") == ["numbers"]
    assert archive.ranked(backend, "thanh lein") == []
    assert "seed" in archive.ranked(backend, "thanh lein", fuzzy=True)
    assert archive.ranked(backend, "đóng góp của nhân dân", fuzzy=True)[0] == "seed"
    assert archive.ranked(backend, "chuyển đổi số cải cách hành chính")[0] == "chuyen-doi-so"


def test_fielded_queries_and_filters(archive: Archive, backend: str) -> None:
    assert set(archive.ranked(backend, "title:hđnd OR title:mttq")) == {"hdnd", "mttq"}
    assert "bao-storm" not in archive.ranked(backend, "bão NOT dân")
    assert archive.ranked(backend, "bão AND site:huyen-thanh-chuong") == ["bao-newspaper"]
    assert "dang-uy" in archive.ranked(backend, "dang*", limit=50)
    assert "author" in archive.ranked(backend, "author:duyen")
    assert archive.ranked(backend, "bão", site="huyen-thanh-chuong") == ["bao-newspaper"]
    assert archive.ranked(backend, "bão", category="quoc phong - an ninh")[0] == "bao-storm-2"
    # Punctuation aside, on both: the researcher's guide's "tin tuc su kien".
    for written in ("quoc phong an ninh", "quoc-phong-an-ninh", "Quốc phòng, an ninh."):
        assert archive.ranked(backend, "bão", category=written)[0] == "bao-storm-2", written
    since = archive.ranked(backend, "bão", since=datetime(2024, 9, 6, tzinfo=UTC).date())
    assert "bao-storm" in since and "bao-storm-2" not in since
    until = archive.ranked(backend, "bão", until=datetime(2024, 9, 5, tzinfo=UTC).date())
    assert "bao-storm-2" in until and "bao-storm" not in until


def test_published_names_a_day_in_vietnam(
    postgres_server: str, tmp_path: Path, backend: str
) -> None:
    """Both backends filed an article of 00:00 (+07:00) on 12 May under 11 May,
    the UTC day, and one of 00:30 on New Year's Day under the year before."""
    docs = [
        Doc("midnight", "Ra mắt tổ công nghệ số xã", ["Tổ số."], "2024-05-12T00:00"),
        Doc("new-year", "Chúc mừng năm mới xã", ["Năm mới."], "2024-01-01T00:30"),
    ]
    for archive in _archive(postgres_server, tmp_path, docs):
        assert archive.ranked(backend, "xã published:2024-05-12") == ["midnight"]
        assert archive.ranked(backend, "xã published:20240511") == []
        assert set(archive.ranked(backend, "xã published:2024")) == {"midnight", "new-year"}
        assert archive.ranked(backend, "xã published:2023") == []
        assert archive.ranked(backend, "xã published:2024-01") == ["new-year"]


def test_a_typo_in_a_name_ranks_the_name_over_its_words_apart(
    postgres_server: str, tmp_path: Path, backend: str
) -> None:
    """ "thanh lein" is one typo from "thanh liên"; on Whoosh, articles saying
    "thanh tra" and "liên ngành" most often came first, the pair being looked
    for in the spellings typed alone, and Thanh Liên's articles after."""
    apart = "Đoàn thanh tra liên ngành làm việc; thanh tra viên và tổ liên ngành báo cáo."
    docs = [
        Doc(f"apart-{number}", f"Thanh tra liên ngành đợt {number}", [apart] * 3, "2024-05-12")
        for number in range(4)
    ] + [Doc("lien", "Họp dân ở xã", ["Xã Thanh Liên bàn kế hoạch năm."], "2023-05-12")]
    for archive in _archive(postgres_server, tmp_path, docs):
        assert archive.ranked(backend, "thanh lein", fuzzy=True)[0] == "lien"


def test_dotted_abbreviations_and_dates_with_zeros_are_found_as_written(
    postgres_server: str, tmp_path: Path, backend: str
) -> None:
    """ "TP.HCM" as written found nothing (its dot broke the pair), and
    "12/05/2024" missed an article writing "12/5/2024", and back."""
    docs = [
        Doc("tphcm", "Đoàn công tác TP.HCM thăm xã", ["Làm việc ngày 12/5/2024."], "2024-05-12"),
        Doc(
            "hcm", "Thành phố Hồ Chí Minh giúp xã", ["Họp TP. Vinh ngày 03/05/2024."], "2024-05-03"
        ),
    ]
    for archive in _archive(postgres_server, tmp_path, docs):
        for query in ("TP.HCM", '"TP.HCM"', "tp hcm", "12/05/2024", "12/5/2024"):
            assert archive.ranked(backend, query) == ["tphcm"], query
        assert archive.ranked(backend, "3/5/2024") == ["hcm"]


def test_the_two_spellings_of_a_lone_y_find_each_other(
    postgres_server: str, tmp_path: Path, backend: str
) -> None:
    """ "kỹ thuật" missed "kĩ thuật", "liệt sỹ" missed "liệt sĩ"; a reader
    types either, and portals write both."""
    docs = [
        Doc("ki", "Tập huấn kĩ thuật trồng lúa", ["Nông dân học kĩ thuật mới."], "2024-05-12"),
        Doc("sy", "Viếng nghĩa trang liệt sỹ", ["Thắp hương các anh hùng liệt sỹ."], "2024-07-27"),
    ]
    for archive in _archive(postgres_server, tmp_path, docs):
        for query in ("kỹ thuật", "kĩ thuật", '"ky thuat"', "ki thuat"):
            assert archive.ranked(backend, query) == ["ki"], query
        for query in ("liệt sĩ", '"liệt sỹ"', "liet si"):
            assert archive.ranked(backend, query) == ["sy"], query


def test_a_minus_in_front_of_a_word_or_phrase_leaves_it_out(
    postgres_server: str, tmp_path: Path, backend: str
) -> None:
    """ "-nông" and -"nông thôn" were read as the words themselves: the very
    articles to leave out came first.  And PostgreSQL's NOT held of an
    article's title and lead alone: one with the word in its body slipped
    through the pool of title matches."""
    docs = [
        Doc("ntm", "Hội nghị nông thôn mới", ["Bàn về nông thôn mới 2025-2030."], "2024-05-12"),
        Doc(
            "dt",
            "Hội nghị đối thoại",
            ["Nhân dân hỏi, lãnh đạo nông trường trả lời."],
            "2024-05-13",
        ),
    ]
    for archive in _archive(postgres_server, tmp_path, docs):
        assert archive.ranked(backend, 'hội nghị -"nông thôn"') == ["dt"]
        assert archive.ranked(backend, "hội nghị -nông") == []
        assert archive.ranked(backend, "hội nghị NOT nông") == []
        assert archive.ranked(backend, "hội nghị -(thôn OR trường)") == []
        assert archive.ranked(backend, "2025-2030") == ["ntm"]


def test_a_minus_leaves_out_an_article_whatever_comes_first(
    postgres_server: str, tmp_path: Path, backend: str
) -> None:
    """Whoosh's own ANDNOT kept an article to leave out when an article with
    the word left out came before any with the word searched: "lễ -hội"
    listed "Lễ hội truyền thống", which "lễ NOT hội" left out."""
    docs = [
        Doc("hn", "Hội nghị tổng kết năm", ["Bàn nhiệm vụ năm tới."], "2024-05-11"),
        Doc("lh", "Lễ hội truyền thống làng", ["Dân làng rước kiệu."], "2024-05-12"),
        Doc("lk", "Lễ khánh thành cầu", ["Cầu mới nối hai thôn."], "2024-05-13"),
    ]
    for archive in _archive(postgres_server, tmp_path, docs):
        for query in ("lễ -hội", "lễ NOT hội", "le -hoi"):
            assert archive.ranked(backend, query) == ["lk"], query
        # Typed bare, a word left out is every spelling, whatever the others.
        assert archive.ranked(backend, "lễ -hoi") == ["lk"]
        assert set(archive.ranked(backend, "lễ -hỏi")) == {"lh", "lk"}


def test_tiers_neither_repeat_nor_lose_hits(archive: Archive) -> None:
    with PostgresSearcher(archive.url) as searcher:
        for query in ("nông thôn mới", "thanh lien", "bão", "34 tỷ"):
            everything = searcher.search(SearchRequest(query, limit=100))
            ids = [hit.id for hit in everything.hits]
            assert len(ids) == len(set(ids)) == everything.total
            paged = [
                hit.id
                for page in range(1, 5)
                for hit in searcher.search(SearchRequest(query, limit=2, page=page)).hits
            ]
            assert paged == ids[:8]
            newest = searcher.search(SearchRequest(query, sort="newest", limit=100))
            assert newest.total == everything.total
            dates = [hit.published for hit in newest.hits]
            assert dates == sorted(dates, reverse=True)


def test_an_article_is_searchable_once_its_batch_commits(archive: Archive) -> None:
    late = Doc("late", "Khánh thành cầu Bến Thủy mới", ["Cây cầu dài 500 mét."], "2024-10-01")
    store = Store(archive.url)
    try:
        with PostgresSearcher(archive.url) as searcher:
            assert searcher.search(SearchRequest("ben thuy")).total == 0
            ids = add_articles(store, [late], search_documents=write_documents)
            hits = searcher.search(SearchRequest("ben thuy")).hits
        assert [hit.id for hit in hits] == [ids["late"]]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('nông "thôn mới', "unclosed quote"),
        ("bão AND", "nothing after the operator"),
        ("tieude:bão", "unknown field 'tieude'"),
        ("*", "a lone wildcard would match every article"),
        ("title:*", "a lone wildcard would match every article"),
        ("x" * 10_000, "the query is 10000 characters long"),
        ("l?en", "a wildcard only at the end of a word"),
        ("published:[2023 to 2024]", "use --since and --until for ranges"),
        ("b*", "at least 2 letters before a wildcard"),
        ('"thanh liên"~3', "not ~N words apart: drop ~N"),
        # A range of words, named by the query's own words, not the index's field.
        ("[a TO b]", r"cannot read this part of the query: \[a TO b\]"),
        ("'; DROP TABLE articles; --", ""),
    ],
)
def test_malformed_or_unbounded_queries_are_one_line_errors(
    archive: Archive, query: str, message: str
) -> None:
    with PostgresSearcher(archive.url) as searcher:
        if not message:
            assert searcher.search(SearchRequest(query)).total == 0
            return
        with pytest.raises(QuerySyntaxError, match=message):
            searcher.search(SearchRequest(query))


def dna(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_cli_searches_postgres_by_default_and_whoosh_when_asked(
    archive: Archive, tmp_path: Path
) -> None:
    result = dna("search", "nong thon moi", "--json", "--db", archive.url, "--data", str(tmp_path))
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits[0]["url"].endswith("/ntm-dat-chuan.html")
    assert "nông thôn mới" in hits[0]["snippet"]
    # No Whoosh index in tmp_path: asking for it says so.
    result = dna(
        "search", "bão", "--backend", "whoosh", "--db", archive.url, "--data", str(tmp_path)
    )
    assert result.exit_code == 1
    assert "no search index" in result.output
    result = dna("search", "l?en", "--db", archive.url, "--data", str(tmp_path))
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_dna_index_writes_missing_documents_with_progress(
    postgres_server: str, tmp_path: Path
) -> None:
    with postgres_database(postgres_server) as url:
        store = Store(url)
        add_articles(store, CORPUS[:5])  # written without the hook, like an older dna
        store.close()
        data = str(tmp_path)
        assert dna("search", "xã", "--db", url, "--data", data).exit_code == 1
        result = dna("index", "--db", url, "--data", data)
        assert result.exit_code == 0, result.output
        assert "Indexed 5 articles" in result.output
        assert dna("search", "xã", "--db", url, "--data", data).exit_code == 0
        result = dna("index", "--rebuild", "--db", url, "--data", data)
        assert "Indexed 5 articles" in result.output
        store = Store(url)
        with store.session() as session:
            assert session.scalar(text("SELECT count(*) FROM search_documents")) == 5
        store.close()
        # Its search index lives in the database, and stats measures it there.
        stats = dna("stats", "--db", url, "--data", data).output
        measured = dict(re.findall(r"^(database|search index \(\w+\))\s+(.+?)\s*$", stats, re.M))
        assert set(measured) == {"database", "search index (PostgreSQL)"}, stats
        assert all(re.fullmatch(r"\d+\.\d (KB|MB|GB)", size) for size in measured.values())


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DNA_SEARCH_BACKEND", raising=False)
    assert choose_backend("sqlite:///a.db") == "whoosh"
    assert choose_backend("postgresql+psycopg://u@h/db") == "postgres"
    assert choose_backend("postgresql://u@h/db", configured="whoosh") == "whoosh"
    monkeypatch.setenv("DNA_SEARCH_BACKEND", "whoosh")
    assert choose_backend("postgresql://u@h/db", configured="postgres") == "whoosh"
    assert choose_backend("postgresql://u@h/db", "postgres") == "postgres"
    with pytest.raises(BackendError, match="needs a PostgreSQL archive"):
        choose_backend("sqlite:///a.db", "postgres")
    with pytest.raises(BackendError, match="unknown search backend 'solr'"):
        choose_backend("sqlite:///a.db", "solr")


def test_ranking_a_bounded_pool_keeps_the_strict_tiers_and_the_total(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = {query: archive.ranked("postgres", query) for query in ("bão", "nông thôn mới")}
    with PostgresSearcher(archive.url) as searcher:
        totals = {query: searcher.search(SearchRequest(query)).total for query in full}
    monkeypatch.setattr("search.postgres.RANK_POOL", 2)
    monkeypatch.setattr("search.postgres.RERANK", 1)
    assert set(archive.ranked("postgres", "bão", limit=2)) == {"bao-storm", "bao-storm-2"}
    assert set(archive.ranked("postgres", "nông thôn mới", limit=2)) == {"ntm-dat-chuan", "ntm-nfd"}
    with PostgresSearcher(archive.url) as searcher:
        for query, total in totals.items():
            page = searcher.search(SearchRequest(query, limit=2))
            assert page.total == total > 2
        # Paging past the pool widens it: every hit is still reachable.
        deep = searcher.search(SearchRequest("bão", limit=1, page=totals["bão"]))
        assert len(deep.hits) == 1


@pytest.mark.parametrize("query", ["xã", "bao", "bão", "thanh liên"])
def test_paging_by_relevance_shows_each_hit_once(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """Pages are slices of one order.  A deeper page grew the pool and the
    shortlist, which reordered the first hits: paging 10 at a time through
    295 hits showed 142 of them, some twice."""
    monkeypatch.setattr("search.postgres.RANK_POOL", 3)
    monkeypatch.setattr("search.postgres.RERANK", 2)
    with PostgresSearcher(archive.url) as searcher:
        whole = searcher.search(SearchRequest(query, limit=100))
        assert whole.total == len(whole.hits) > 4
        # A count stopped early still pages through every hit.
        for limit, count_up_to in ((1, None), (3, None), (3, 2)):
            paged = [
                hit.id
                for page in range(1, whole.total // limit + 2)
                for hit in searcher.search(
                    SearchRequest(query, limit=limit, page=page, count_up_to=count_up_to)
                ).hits
            ]
            assert paged == [hit.id for hit in whole.hits], limit


@pytest.mark.parametrize("filters", [{}, {"site": "xa-thanh-lien"}, {"since": date(2020, 1, 1)}])
def test_a_count_stops_at_its_bound_and_the_hits_stay_the_same(
    archive: Archive, filters: dict[str, object]
) -> None:
    """Counting every match of a common word in a million articles was most
    of the search's time.  Past ``count_up_to`` a count stops, says so, and
    leaves the spellings typed uncounted; the hits are the same."""
    with PostgresSearcher(archive.url) as searcher:

        def search(count_up_to: int | None) -> SearchPage:
            return searcher.search(
                SearchRequest("bão", limit=3, count_up_to=count_up_to, **filters)
            )  # type: ignore[arg-type]

        every = search(None)
        stopped = search(2)
        roomy = search(every.total)
    assert every.total > 2 and not every.at_least and every.as_typed is not None
    assert (stopped.total, stopped.at_least, stopped.as_typed) == (2, True, None)
    assert stopped.hits == every.hits
    assert (roomy.total, roomy.at_least, roomy.as_typed) == (every.total, False, every.as_typed)
    assert roomy.hits == every.hits


def test_words_the_planner_thinks_common_together_are_counted_not_guessed(
    postgres_server: str,
) -> None:
    """The planner takes words, dates and filters as independent.  Ward and
    village news rarely share a word ("phường", "thôn"), and no article is
    of two years: guessed from its estimate, each was "more than" the bound
    with no hits at all.  Only one word in its spellings is guessed."""
    docs = [
        Doc(
            f"d{n}",
            f"Tin số {n}",
            ["Phường tổ chức hội nghị." if n % 2 else "Thôn tổ chức hội nghị."],
            f"{2023 + n % 2}-03-{1 + n % 28:02d}",
        )
        for n in range(400)
    ]
    with postgres_database(postgres_server) as url:
        store = Store(url)
        add_articles(store, docs, search_documents=write_documents)
        with store.session() as session:
            session.execute(text("ANALYZE search_documents"))
            session.commit()
        store.close()
        log: list[str] = []
        sent: dict[str, list[str]] = {}

        def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            log.append(statement)

        pages = {}
        event.listen(Engine, "before_cursor_execute", record)
        try:
            with PostgresSearcher(url) as searcher:
                for query in (
                    "phường thôn",
                    "published:2023 published:2024",
                    "thôn",
                    "phường tổ chức",  # the 2024 articles: the newest
                    "thôn tổ chức",
                ):
                    start = len(log)
                    pages[query] = searcher.search(SearchRequest(query, count_up_to=30))
                    sent[query] = log[start:]
        finally:
            event.remove(Engine, "before_cursor_execute", record)
    assert (pages["phường thôn"].total, pages["phường thôn"].at_least) == (0, False)
    assert pages["published:2023 published:2024"].total == 0
    for query in ("thôn", "phường tổ chức", "thôn tổ chức"):
        assert (pages[query].total, pages[query].at_least) == (30, True), query

    def counted(query: str) -> list[str]:
        return [statement for statement in sent[query] if "count(*)" in statement]

    # More than the bound among the newest articles is proof enough...
    assert ["%(keys)s" in statement for statement in counted("phường tổ chức")] == [True]
    # ...and fewer there is none: the count goes on.
    assert ["%(keys)s" in statement for statement in counted("thôn tổ chức")] == [True, False]


#: A document as dna wrote it before 4 December 2026: 1 February 00:00 in
#: Vietnam keyed under January (UTC).
_UTC_KEYED = (
    "UPDATE search_documents SET document = ts_delete(document, "
    "ARRAY['@month:2025-02', '@day:2025-02-01']) "
    "|| CAST($$'@month:2025-01' '@day:2025-01-31'$$ AS tsvector) WHERE article_id = :id"
)


def test_a_slice_keeps_articles_keyed_in_utc_by_older_documents(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents written before 4 December 2026 keyed the first seven hours
    of a Vietnam month under the month before (UTC's).  A slice starting in
    those hours left such an article out, and another took its place."""
    storm = ["Cơn bão số ba."]
    docs = [
        *(Doc(f"jan{n}", f"Tin {n}", storm, f"2025-01-{5 + n:02d}") for n in range(20)),
        Doc("x", "Tin X", storm, "2025-02-01T00:00"),
        Doc("y", "Tin Y", storm, "2025-02-01T00:00"),
        *(Doc(f"feb{n}", f"Tin {20 + n}", storm, f"2025-02-{10 + n}") for n in range(10)),
    ]
    with _keyed_in_utc(postgres_server, docs, "y") as (url, _):
        monkeypatch.setattr("search.postgres.SLICE_MARGIN", 1)
        sliced, collected = _sliced_and_collected(url, monkeypatch, pool=11, limit=13)
    assert sliced == collected


def test_a_slice_is_taken_only_when_its_last_match_is_from_the_edge_on(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys of a slice hold every article from its edge on, and some
    older ones: an article keyed in Vietnam's February just before it, but
    not one keyed in UTC's January just after.  A pool whose last match was
    such an older article held x (1 February 00:00) and left out y (01:00)."""
    storm = ["Cơn bão số ba."]
    docs = [
        *(Doc(f"jan{n}", f"Tin {n}", storm, f"2025-01-{5 + n:02d}") for n in range(20)),
        Doc("x", "Tin X", storm, "2025-02-01T00:00"),
        Doc("y", "Tin Y", storm, "2025-02-01T01:00"),
        *(Doc(f"feb{n}", f"Tin {20 + n}", storm, f"2025-02-{10 + n}") for n in range(5)),
        *(
            Doc(f"sun{n}", f"Khác {n}", ["Trời nắng đẹp."], f"2025-02-{3 + n:02d}")
            for n in range(20)
        ),
    ]
    with _keyed_in_utc(postgres_server, docs, "y") as (url, ids):
        sliced, collected = _sliced_and_collected(url, monkeypatch, pool=6, limit=8)
    assert sliced == collected
    assert ids["y"] in sliced


@contextmanager
def _keyed_in_utc(server: str, docs: list[Doc], key: str) -> Iterator[tuple[str, dict[str, int]]]:
    """An archive of ``docs`` and their ids, ``key``'s keyed as before 4 December 2026."""
    with postgres_database(server) as url:
        store = Store(url)
        ids = add_articles(store, docs, search_documents=write_documents)
        with store.session() as session:
            session.execute(text(_UTC_KEYED), {"id": ids[key]})
            session.commit()
        store.close()
        yield url, ids


def _sliced_and_collected(
    url: str, monkeypatch: pytest.MonkeyPatch, *, pool: int, limit: int
) -> tuple[list[int], list[int]]:
    """The hits of "bão" with pools of ``pool`` from slices, and collected whole."""
    monkeypatch.setattr("search.postgres.RANK_POOL", pool)
    for name in ("WALK_COST", "HEAD_WALK_COST"):
        monkeypatch.setattr(f"search.postgres.{name}", 10**9)  # never walk

    def hits() -> list[int]:
        with PostgresSearcher(url) as searcher:
            return [hit.id for hit in searcher.search(SearchRequest("bão", limit=limit)).hits]

    sliced = hits()
    monkeypatch.setattr("search.postgres.SLICE_ROWS", 0)  # never slice
    return sliced, hits()


def test_an_archive_never_analysed_is_counted(postgres_server: str) -> None:
    """Before autovacuum first analyses a new archive, the planner counts no
    rows in it; finding more than the bound among its newest articles then
    divided by zero."""
    docs = [
        Doc(f"d{n}", f"Tin {n}", ["Cơn bão số ba."], f"2025-02-{1 + n % 28:02d}") for n in range(40)
    ]
    with postgres_database(postgres_server) as url:
        store = Store(url)
        add_articles(store, docs, search_documents=write_documents)
        store.close()
        with PostgresSearcher(url) as searcher:
            stopped = searcher.search(SearchRequest("cơn bão", count_up_to=5))
            every = searcher.search(SearchRequest("cơn bão", count_up_to=None))
    assert (stopped.total, stopped.at_least, every.total) == (5, True, 40)


def _published_index_scans(url: str) -> int:
    """Scans of the date index so far, once the searchers' sessions have reported them."""
    store = Store(url)
    with store.session() as session:
        scans = session.scalar(
            text(
                "SELECT idx_scan FROM pg_stat_user_indexes "
                "WHERE indexrelname = 'ix_search_documents_published'"
            )
        )
    store.close()
    return scans or 0


def test_walking_the_dates_finds_what_the_gin_index_finds(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query matching much of a large archive walks the dates newest first
    instead of collecting every match: the same hits, in the same order."""
    requests = [
        SearchRequest("bão"),
        SearchRequest("nông thôn mới"),
        SearchRequest("xã", limit=2, page=2),
        SearchRequest('"hợp tác xã"'),
        SearchRequest("thanh lien", sort="newest"),
        SearchRequest("xã", sort="oldest", since=date(2020, 1, 1)),
    ]

    def answers() -> list[list[tuple[int, float | None]]]:
        with PostgresSearcher(archive.url) as searcher:
            return [[(hit.id, hit.score) for hit in searcher.search(r).hits] for r in requests]

    def walking(cost: int, window: int) -> None:
        for name, value in (("WALK_COST", cost), ("HEAD_WALK_COST", cost)):
            monkeypatch.setattr(f"search.postgres.{name}", value)
        for name in ("WALK_WINDOW", "HEAD_WALK_WINDOW"):
            monkeypatch.setattr(f"search.postgres.{name}", window)

    monkeypatch.setattr("search.postgres.RANK_POOL", 3)  # pools cut: their order counts
    walking(cost=10**9, window=1000)  # never walk
    before = _published_index_scans(archive.url)
    collected = answers()
    walking(cost=0, window=1000)  # walk whatever matches
    walked = answers()
    walking(cost=0, window=4)  # walks that fall short, and fall back
    cut_short = answers()
    assert walked == collected == cut_short and all(collected)
    # A closed session reports its statistics: the walks used the date index.
    deadline = time.monotonic() + 10
    while _published_index_scans(archive.url) <= before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _published_index_scans(archive.url) > before


def test_slices_of_the_newest_dates_find_what_collecting_finds(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool is first collected among the newest articles, named by their
    year or month keys in the GIN index (by their dates for heads): the same
    hits, in the same order, whether a slice holds enough, falls short, or
    is not taken."""
    requests = [
        SearchRequest("bão"),
        SearchRequest("nông thôn mới"),
        SearchRequest("xã", limit=2, page=2),
        SearchRequest('"hợp tác xã"'),
        SearchRequest("thanh lien", since=date(2020, 1, 1)),
        SearchRequest("bão", site="xa-thanh-lien"),
    ]
    sent: list[str] = []

    def answers() -> list[list[tuple[int, float | None]]]:
        sent.clear()
        with PostgresSearcher(archive.url) as searcher:
            return [[(hit.id, hit.score) for hit in searcher.search(r).hits] for r in requests]

    def collects() -> int:
        """Pool statements over every match, not a slice."""
        return sum(
            statement.startswith("SELECT d.article_id, d.published FROM search_documents d")
            and "%(keys)s" not in statement
            and "%(edge)s" not in statement
            for statement in sent
        )

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    monkeypatch.setattr("search.postgres.RANK_POOL", 3)  # pools cut: their order counts
    for name in ("WALK_COST", "HEAD_WALK_COST"):
        monkeypatch.setattr(f"search.postgres.{name}", 10**9)  # never walk
    event.listen(Engine, "before_cursor_execute", record)
    try:
        monkeypatch.setattr("search.postgres.SLICE_ROWS", 0)  # never slice
        collected, collected_all = answers(), collects()
        monkeypatch.setattr("search.postgres.SLICE_ROWS", 10**9)
        sliced, sliced_all = answers(), collects()
        keys_used = any("%(keys)s" in statement for statement in sent)
        dates_used = any("%(edge)s" in statement for statement in sent)
        monkeypatch.setattr("search.postgres.SLICE_MARGIN", 0)  # slices too thin: fall back
        cut_short = answers()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert sliced == collected == cut_short and all(collected)
    assert keys_used and dates_used
    assert sliced_all < collected_all


@pytest.mark.parametrize(
    ("oldest", "newest", "keys"),
    [
        # Vietnam is 7 hours ahead: 18:00 on 31 December is January there, and
        # documents older than 4 December 2026 keyed it December (UTC).
        (
            datetime(2023, 12, 31, 18, tzinfo=UTC),
            datetime(2024, 2, 1, tzinfo=UTC),
            "2023-12 2024-01 2024-02",
        ),
        (
            datetime(2024, 1, 31, 18, tzinfo=UTC),
            datetime(2024, 1, 31, 18, tzinfo=UTC),
            "2024-01 2024-02",
        ),
        (
            datetime(2023, 11, 5, tzinfo=UTC),
            datetime(2024, 1, 9, tzinfo=UTC),
            "2023-11 2023-12 2024-01",
        ),
        (datetime(2021, 3, 1, tzinfo=UTC), datetime(2023, 3, 1, tzinfo=UTC), "2021 2022 2023"),
        (datetime(1990, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC), None),
    ],
)
def test_a_slice_names_each_month_or_year_from_its_oldest_date_on(
    oldest: datetime, newest: datetime, keys: str | None
) -> None:
    named = keys_between(oldest, newest, SLICE_KEYS)
    if keys is None:
        assert named is None
    else:
        kind = "month" if "-" in keys else "year"
        assert named == " | ".join(f"'@{kind}:{key}'" for key in keys.split())


def test_the_database_keeps_each_documents_head(archive: Archive) -> None:
    """head is the title, lead and captions part of the document, for every article."""
    store = Store(archive.url)
    with store.session() as session:
        missing, heads, title_only = session.execute(
            text(
                "SELECT count(*) FILTER (WHERE head IS NULL), count(*) FILTER "
                "(WHERE head = ts_filter(document, '{a,b,c}')), "
                "count(*) FILTER (WHERE length(head) < length(document)) FROM search_documents"
            )
        ).one()
        total = session.scalar(text("SELECT count(*) FROM search_documents"))
    store.close()
    assert missing == 0
    assert heads == title_only == total > 0
