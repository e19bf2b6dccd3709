"""Benchmark search: our Vietnamese index against Whoosh's StandardAnalyzer and FTS5.

Generates realistic district-portal articles (2–3 KB each, with the hazards of
real text: old-style tone marks, NFD paragraphs, abbreviations, numbers), loads
them into a temporary archive database, then in one run measures:

- indexing docs/s: ``rebuild_index`` (our analysis) and a one-field Whoosh
  StandardAnalyzer index, both read from the same Store with the same writer
  settings; SQLite FTS5 (unicode61, remove_diacritics 2) as the peer baseline;
- query latency p50/p95 over mixed queries (single terms, diacritic-free,
  phrases, multi-syllable, filtered), each with its total hit count, on a
  warm searcher, for our index and for FTS5;
- with ``--postgres URL`` (default ``$DNA_TEST_POSTGRES_URL``), PostgreSQL
  search beside them on the same corpus, in a database of its own: docs/s
  of ``rebuild_documents``, the size of its tables and indexes, the same
  query latencies, and p95 with 8 concurrent searchers while a writer adds
  articles through the search-document hook.

Targets at 20,000 docs on 2 cores: ≥200 docs/s, build time ≤2× StandardAnalyzer,
query p95 ≤150 ms, phrase p95 ≤ single-term p95.  PostgreSQL, at 1,000,000
docs: p95 ≤150 ms per class, phrase p95 ≤ single-term p95, indexing ≥5×
Whoosh's docs/s (compare at 200,000), p95 under load ≤2× idle.

Example::

    python -m bench.search              # the full run, several minutes
    python -m bench.search --docs 2000  # a quick one
    python -m bench.search --docs 1000000 --postgres-only   # the scale run, hours
    python -m bench.search --archive postgresql+psycopg://…/dna  # queries on an archive
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text as sql
from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema

from archive.records import ArticleRecord, CaptureRecord, Image
from archive.store import Store
from search.indexer import POOL_MB, rebuild_index
from search.pgdocuments import rebuild_documents, write_documents
from search.postgres import PostgresSearcher, SearchTimeout
from search.searcher import ArchiveSearcher, SearchRequest
from tests.services import postgres_database

SITES = ("xa-thanh-lien", "huyen-thanh-chuong", "xa-dong-van", "phuong-hoa-binh", "xa-cam-son")
CATEGORIES = ("Tin tức - Sự kiện", "Kinh tế", "Văn hóa - Xã hội", "Quốc phòng - An ninh")
PLACES = (
    "Thanh Liên",
    "Thanh Chương",
    "Nghệ An",
    "Đô Lương",
    "Hà Tĩnh",
    "Cẩm Sơn",
    "Đồng Văn",
    "Hòa Bình",
    "Thủy Nguyên",
    "Quỳnh Lưu",
    "Diễn Châu",
    "Yên Thành",
    "Nam Đàn",
    "Hưng Nguyên",
)
NAMES = (
    "Nguyễn Văn Hùng",
    "Trần Thị Lan",
    "Lê Đình Thắng",
    "Phạm Quốc Khánh",
    "Hoàng Thị Thủy",
    "Võ Minh Đức",
    "Đặng Thị Hòa",
    "Bùi Văn Quý",
    "Ngô Thị Huyền",
    "Phan Đình Tuấn",
)
ORGS = (
    "UBND xã",
    "HĐND huyện",
    "Ủy ban MTTQ",
    "Đảng ủy xã",
    "Hội Nông dân",
    "Hội Liên hiệp Phụ nữ",
    "Đoàn Thanh niên",
    "Hội Cựu chiến binh",
    "Trung tâm VHTT&TT",
    "Ban Chỉ đạo",
)
#: What an article is about: its topic phrase, and sentences only such articles use.
THEMES: dict[str, tuple[str, ...]] = {
    "xây dựng nông thôn mới": (
        "Đến nay, xã đã đạt {n}/19 tiêu chí, phấn đấu về đích nông thôn mới nâng cao năm {year}.",
        "Người dân thôn {place} tích cực hiến đất, góp công làm đường giao thông nông thôn.",
        "Ban Chỉ đạo xây dựng nông thôn mới rà soát từng tiêu chí, chỉ rõ những việc còn tồn tại.",
    ),
    "hợp tác xã nông nghiệp": (
        "Hợp tác xã dịch vụ nông nghiệp {place} có {n} thành viên, doanh thu đạt {money} tỷ đồng.",
        "Ban quản trị hợp tác xã ký hợp đồng bao tiêu sản phẩm cho xã viên.",
        "Mô hình liên kết giữa hợp tác xã và doanh nghiệp giúp nông dân yên tâm sản xuất.",
    ),
    "bảo hiểm y tế": (
        "Báo cáo tại hội nghị cho biết tỷ lệ người dân tham gia bảo hiểm y tế đạt {pct}%.",
        "Cán bộ bảo hiểm xã hội huyện hướng dẫn người dân gia hạn thẻ bảo hiểm y tế trực tuyến.",
        "Hội Phụ nữ vận động hội viên tham gia bảo hiểm y tế hộ gia đình.",
    ),
    "chuyển đổi số": (
        "Chương trình chuyển đổi số giúp người dân làm thủ tục hành chính trực tuyến thuận tiện.",
        "Tổ công nghệ số cộng đồng hướng dẫn bà con cài đặt ứng dụng định danh điện tử.",
        "Xã đã số hóa {count} hồ sơ hộ tịch, phục vụ chuyển đổi số trong cải cách hành chính.",
    ),
    "phòng chống bão lũ": (
        "Cơn bão số {n} đổ bộ vào địa bàn {place} gây mưa lớn, làm tốc mái {count} ngôi nhà.",
        "Ủy ban nhân dân xã khuyến cáo bà con chủ động phòng chống bão lũ, bảo vệ sản xuất.",
        "Lực lượng dân quân xã đã giúp nhân dân khắc phục hậu quả mưa lũ, dọn dẹp vệ sinh.",
    ),
    "an ninh trật tự": (
        "Công an xã phối hợp với Đoàn Thanh niên ra quân đảm bảo an ninh trật tự trên địa bàn.",
        "Mô hình camera an ninh được lắp đặt tại {n} thôn, góp phần phòng ngừa tội phạm.",
        "Phong trào toàn dân bảo vệ an ninh Tổ quốc được nhân dân hưởng ứng tích cực.",
    ),
    "giáo dục mầm non": (
        "Trường mầm non {place} khai giảng năm học mới với {count} cháu ra lớp.",
        "Hội Khuyến học trao {n} suất học bổng cho học sinh nghèo vượt khó.",
        "Nhà trường tổng kết năm học, khen thưởng {n} học sinh giỏi cấp tỉnh.",
    ),
    "y tế cơ sở": (
        "Trạm y tế xã tổ chức khám sức khỏe miễn phí cho {count} người cao tuổi.",
        "Chiến dịch tiêm chủng mở rộng được triển khai tại {n} điểm tiêm trên địa bàn.",
        "Bác sĩ tuyến huyện về khám, tư vấn và cấp thuốc cho bà con vùng xa.",
    ),
    "vệ sinh môi trường": (
        "Đoàn viên thanh niên ra quân thu gom {n} tấn rác thải, khơi thông cống rãnh.",
        "Mỗi thôn xây dựng một tuyến đường hoa, cây xanh, sạch đẹp.",
        "Xã vận động người dân phân loại rác thải tại nguồn, hạn chế dùng túi ni lông.",
    ),
    "sản xuất nông nghiệp": (
        "Mô hình trồng bưởi, cam và chăn nuôi bò sinh sản mang lại thu nhập ổn định cho nông dân.",
        "Hội Nông dân tập huấn kỹ thuật trồng và chăm sóc chè cho {n} hội viên.",
        "Năm {year}, toàn xã trồng mới {n} héc-ta rừng, nâng tỷ lệ che phủ lên {pct}%.",
    ),
    "giảm nghèo bền vững": (
        "Nhân dịp này, {org} đã trao {n} suất quà cho các hộ nghèo, gia đình chính sách.",
        "Quỹ Vì người nghèo tiếp nhận {money} triệu đồng ủng hộ của các tổ chức, cá nhân.",
        "Tỷ lệ hộ nghèo toàn xã giảm còn {share},{n}%, hộ cận nghèo còn {pct} hộ.",
    ),
    "an toàn giao thông": (
        "Tuyến đường liên thôn dài {n} km được nâng cấp với kinh phí {money} tỷ đồng.",
        "Cảnh sát giao thông tuyên truyền Luật Giao thông đường bộ cho học sinh.",
        "Người dân góp ngày công mở rộng đường giao thông, lắp đèn chiếu sáng.",
    ),
}
TOPICS = tuple(THEMES)
GENERIC = (
    "Sáng ngày {date}, {org} {place} tổ chức hội nghị triển khai công tác {topic} năm {year}.",
    "Dự hội nghị có đồng chí {name}, Chủ tịch {org}, cùng đại diện các ban ngành, đoàn thể.",
    "Toàn xã hiện có {count} hộ dân với {people} nhân khẩu, sinh sống tại {n} thôn, xóm.",
    "Tổng kinh phí thực hiện là {money} tỷ đồng, trong đó nhân dân đóng góp {share} tỷ đồng.",
    "Trong năm qua, {org} đã tập trung chỉ đạo thực hiện có hiệu quả công tác {topic}.",
    "Phát biểu chỉ đạo, đồng chí {name} đề nghị các thôn tiếp tục đẩy mạnh {topic}.",
    "Hội nghị đã thông qua nghị quyết về nhiệm vụ {topic} giai đoạn {year}-{year2}.",
    "Theo thống kê, năm {year} thu nhập bình quân đầu người đạt {money} triệu đồng/người/năm.",
    "Các đại biểu đã thảo luận, đóng góp nhiều ý kiến tâm huyết, sát với thực tế cơ sở.",
    "Ban Chấp hành kiện toàn tổ chức, hướng dẫn hội viên tập hợp sản xuất, kinh doanh.",
)
#: The genre's commonest compound turns up in a third of all articles.
NTM_MENTION = "Kết quả này góp phần quan trọng vào việc xây dựng nông thôn mới của địa phương."
OLD_STYLE = {
    "hòa": "hoà",
    "Hòa": "Hoà",
    "thủy": "thuỷ",
    "Thủy": "Thuỷ",
    "khỏe": "khoẻ",
    "quý": "qúy",
}
TITLES = (
    "{place} đẩy mạnh {topic}",
    "Hội nghị triển khai {topic} năm {year}",
    "{org} {place} tổng kết công tác {topic}",
    "Xã {place} nâng cao hiệu quả {topic}",
    "{place}: kết quả {topic} năm {year}",
)


def _fill(template: str, rng: random.Random, cast: dict[str, str]) -> str:
    """``template`` with this article's place, organisation, person and topic."""
    year = rng.randint(2012, 2025)
    return template.format(
        date=f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
        year=year,
        year2=year + 5,
        count=f"{rng.randint(1, 3)}.{rng.randint(0, 999):03d}",
        people=f"{rng.randint(4, 12)}.{rng.randint(0, 999):03d}",
        money=rng.randint(2, 90),
        share=rng.randint(1, 9),
        pct=rng.randint(60, 99),
        n=rng.randint(2, 18),
        **cast,
    )


def _style(text: str, rng: random.Random) -> str:
    """Old-style tone marks in one article in ten, NFD in one in twenty."""
    if rng.random() < 0.1:
        for new, old in OLD_STYLE.items():
            text = text.replace(new, old)
    if rng.random() < 0.05:
        text = unicodedata.normalize("NFD", text)
    return text


def generate(count: int, seed: int = 20240305) -> Iterator[tuple[str, ArticleRecord]]:
    """``count`` (site, article) pairs of 2–3 KB of text each.

    Like a portal's news, each article is about one topic (now and then two),
    one place and one organisation, told in that topic's sentences and the
    genre's stock phrases.
    """
    rng = random.Random(seed)
    start = datetime(2012, 1, 1, 1, tzinfo=UTC)
    for number in range(count):
        site = SITES[number % len(SITES)]
        themes = rng.sample(TOPICS, 2 if rng.random() < 0.3 else 1)
        cast = {
            "topic": themes[0],
            "place": rng.choice(PLACES),
            "org": rng.choice(ORGS),
            "name": rng.choice(NAMES),
        }
        pool = [*GENERIC, *(line for theme in themes for line in THEMES[theme])]
        if rng.random() < 0.3:
            pool.append(NTM_MENTION)
        paragraphs: list[str] = []
        size = rng.randint(2000, 3000)
        while sum(len(p.encode()) for p in paragraphs) < size:
            sentences = [_fill(rng.choice(pool), rng, cast) for _ in range(rng.randint(2, 4))]
            paragraphs.append(_style(" ".join(sentences), rng))
        yield (
            site,
            ArticleRecord(
                url=f"https://{site}.gov.vn/tin-tuc/bai-{number}.html",
                title=_fill(rng.choice(TITLES), rng, cast),
                published=start + timedelta(hours=number * 6),
                published_source="page",
                author=rng.choice(NAMES) + " – Trung tâm VHTT&TT",
                summary=_fill(rng.choice(GENERIC[:1]), rng, cast),
                body=paragraphs,
                images=[
                    Image(f"https://{site}.gov.vn/anh/{number}.jpg", _fill(pool[-1], rng, cast))
                ],
                category=rng.choice(CATEGORIES),
                family="vnportal",
            ),
        )


def load_store(
    store: Store, count: int, *, seed: int = 20240305, first: int = 0, hook: object = None
) -> None:
    """Write the generated articles into ``store``, as crawls would.

    :param seed: which articles; other seeds give other URLs.
    :param first: number of the first article (record ids stay unique).
    :param hook: the writers' search-document hook.
    """
    writers = {}
    for offset, (site, record) in enumerate(generate(count, seed)):
        number = first + offset
        record.url = record.url.replace("/bai-", f"/s{seed}-bai-")
        if site not in writers:
            site_id = store.site_id(site)
            writers[site] = store.writer(
                site_id, store.start_crawl(site_id), max_rows=1000, search_documents=hook
            )
        capture = CaptureRecord(
            url=record.url,
            fetched_at=datetime.now(UTC),
            status=200,
            content_type="text/html; charset=utf-8",
            payload_digest=f"sha1:{number}",
            warc_file=f"{site}.warc.gz",
            warc_offset=number * 4096,
            warc_length=4096,
            record_id=f"<urn:uuid:bench-{number}>",
        )
        writers[site].add_capture(capture)
        writers[site].add_article(record, capture.record_id, capture.fetched_at)
    for writer in writers.values():
        writer.flush()


def build_standard(store: Store, directory: Path, procs: int) -> int:
    """A one-field StandardAnalyzer index of the same text, same writer settings."""
    schema = Schema(id=ID(stored=True, unique=True), content=TEXT(analyzer=StandardAnalyzer()))
    index = whoosh_index.create_in(str(directory), schema)
    if procs > 1:
        writer = index.writer(procs=procs, multisegment=True, limitmb=POOL_MB)
    else:
        writer = index.writer(limitmb=POOL_MB)
    count = 0
    for article in store.articles():
        text = "\n".join([article.title, article.summary or "", article.body, *article.captions])
        writer.add_document(id=str(article.id), content=text)
        count += 1
    writer.commit()
    return count


def build_fts5(store: Store, path: Path) -> tuple[sqlite3.Connection, int]:
    """The peer baseline: SQLite FTS5 with diacritics removed."""
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, body, site UNINDEXED, published UNINDEXED,"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    count = 0
    rows = []
    for article in store.articles():
        body = "\n".join([article.summary or "", article.body, *article.captions])
        published = article.published.isoformat() if article.published else ""
        rows.append((article.id, article.title, body, article.site, published))
        count += 1
        if len(rows) == 1000:
            connection.executemany(
                "INSERT INTO docs(rowid, title, body, site, published) VALUES (?, ?, ?, ?, ?)", rows
            )
            rows = []
    connection.executemany(
        "INSERT INTO docs(rowid, title, body, site, published) VALUES (?, ?, ?, ?, ?)", rows
    )
    connection.commit()
    return connection, count


#: (kind, query, filters).  Phrases are the common compounds of the genre.
QUERIES: list[tuple[str, str, dict[str, object]]] = [
    *[
        ("single", q, {})
        for q in (
            "bão",
            "hợp",
            "thôn",
            "nông",
            "xã",
            "UBND",
            "HĐND",
            "MTTQ",
            "1.026",
            "tỷ",
            "hòa",
            "thuỷ",
            "Thanh",
            "bưởi",
            "khám",
        )
    ],
    *[
        ("folded", q, {})
        for q in (
            "bao",
            "thanh lien",
            "nong dan",
            "hdnd",
            "bao hiem",
            "chuyen doi so",
            "dang uy",
            "hoa binh",
            "quynh luu",
            "khoe",
        )
    ],
    *[
        ("phrase", f'"{q}"', {})
        for q in (
            "nông thôn mới",
            "nông thôn mới nâng cao",
            "tỷ đồng",
            "hợp tác xã",
            "bảo hiểm y tế",
            "an ninh trật tự",
            "chuyển đổi số",
            "Thanh Liên",
            "phòng chống bão lũ",
            "34 tỷ",
            "nong thon moi",
            "hop tac xa",
        )
    ],
    *[
        ("multi", q, {})
        for q in (
            "nông thôn mới",
            "hợp tác xã",
            "bảo hiểm y tế",
            "thanh lien nong thon moi",
            "cơn bão số 3",
            "giáo dục mầm non",
        )
    ],
    *[
        ("filtered", q, filters)
        for q, filters in (
            ("bão", {"site": "xa-thanh-lien"}),
            ("nong thon moi", {"since": date(2020, 1, 1)}),
            ('"hợp tác xã"', {"site": "xa-cam-son", "since": date(2018, 1, 1)}),
            ("UBND", {"category": "kinh te"}),
            ("thanh lien", {"until": date(2015, 12, 31)}),
            ("bảo hiểm y tế", {"sort": "newest"}),
            ("chuyen doi so", {"site": "xa-dong-van", "sort": "oldest"}),
        )
    ],
]


def fts5_match(text: str) -> str:
    """Our query in FTS5 syntax; FTS5 strips the diacritics itself (though not đ)."""
    phrase = text.startswith('"')
    words = [w for w in text.strip('"').split()]
    quoted = " ".join(f'"{w}"' for w in words)
    return f'"{" ".join(words)}"' if phrase else quoted


def time_fts5(connection: sqlite3.Connection, text: str, filters: dict) -> float:
    where, params = ["docs MATCH ?"], [fts5_match(text)]
    if "site" in filters:
        where.append("site = ?")
        params.append(filters["site"])
    if "since" in filters:
        where.append("published >= ?")
        params.append(filters["since"].isoformat())
    if "until" in filters:
        where.append("published < ?")
        params.append((filters["until"] + timedelta(days=1)).isoformat())
    clause = " AND ".join(where)
    started = time.perf_counter()
    connection.execute(f"SELECT count(*) FROM docs WHERE {clause}", params).fetchone()
    order = "published DESC" if filters.get("sort") == "newest" else "rank"
    connection.execute(
        f"SELECT rowid, title FROM docs WHERE {clause} ORDER BY {order} LIMIT 10", params
    ).fetchall()
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(run: Callable[[str, str, dict], float], rounds: int) -> dict[str, list[float]]:
    """Latency samples per query kind, after one warm-up pass."""
    for kind, text, filters in QUERIES:
        run(kind, text, filters)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind, text, filters in QUERIES:
            samples.setdefault(kind, []).append(run(kind, text, filters))
    return samples


def tree_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def postgres_size_mb(store: Store) -> float:
    """Search documents and lexicon, with their indexes and TOAST, in MB."""
    with store.session() as session:
        size = session.scalar(
            sql(
                "SELECT pg_total_relation_size('search_documents')"
                " + pg_total_relation_size('search_terms')"
            )
        )
    return (size or 0) / 1e6


def _search_for(url: str, seconds: float, seed: int) -> list[float]:
    """One concurrent searcher: queries of the set at random until ``seconds`` pass."""
    rng = random.Random(seed)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    with PostgresSearcher(url) as searcher:
        while time.perf_counter() < deadline:
            _kind, query, filters = rng.choice(QUERIES)
            started = time.perf_counter()
            # A search stopped at the time limit counts at its full time.
            with suppress(SearchTimeout):
                searcher.search(SearchRequest(query, **filters))
            latencies.append(time.perf_counter() - started)
    return latencies


def _write_for(url: str, seconds: float, first: int) -> int:
    """The concurrent writer: batches of new articles, documents in the same transaction."""
    store = Store(url)
    added, round_ = 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        round_ += 1
        load_store(store, 100, seed=round_, first=first + added, hook=write_documents)
        added += 100
    store.close()
    return added


def under_load(url: str, searchers: int, seconds: float, first: int) -> tuple[list[float], int]:
    """Latencies of ``searchers`` processes searching while one writes; and articles written."""
    with ProcessPoolExecutor(max_workers=searchers + 1) as pool:
        writer = pool.submit(_write_for, url, seconds, first)
        running = [pool.submit(_search_for, url, seconds, n) for n in range(searchers)]
        latencies = [value for future in running for value in future.result()]
        return latencies, writer.result()


def bench_postgres(server_url: str, docs: int, rounds: int) -> dict[str, object]:
    """Load the corpus into a scratch PostgreSQL archive, build its documents, time queries."""
    with postgres_database(server_url) as url:
        store = Store(url)
        started = time.perf_counter()
        load_store(store, docs)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        rebuild_documents(store)
        build_s = time.perf_counter() - started
        with store.session() as session, session.begin():
            session.execute(sql("ANALYZE"))
        size = postgres_size_mb(store)
        store.close()
        print(f"postgres: corpus loaded in {load_s:.1f} s, documents built in {build_s:.1f} s")
        timings = time_postgres(url, rounds)
    return {"docs_s": docs / build_s, "seconds": build_s, "size": size, **timings}


def time_postgres(url: str, rounds: int) -> dict[str, object]:
    """Query latencies of an archive with search documents, idle and under load."""
    with PostgresSearcher(url) as searcher:

        def run(kind: str, query: str, filters: dict) -> float:
            started = time.perf_counter()
            searcher.search(SearchRequest(query, **filters))
            return time.perf_counter() - started

        samples = measure(run, rounds)
        first = searcher.doc_count + 10_000_000
    seconds = 30.0
    loaded, written = under_load(url, 8, seconds, first)
    return {"samples": samples, "loaded": loaded, "written_s": written / seconds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20_000, help="articles to generate")
    parser.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("DNA_TEST_POSTGRES_URL"),
        help="a PostgreSQL server whose role may create databases "
        "(default: $DNA_TEST_POSTGRES_URL; without one, PostgreSQL is left out)",
    )
    parser.add_argument(
        "--archive",
        metavar="URL",
        help="time the queries on this PostgreSQL archive, already loaded and indexed "
        "(by an earlier run, or a copy of a real one), instead of loading a corpus; "
        "the concurrent writer adds articles to it",
    )
    parser.add_argument(
        "--postgres-only",
        action="store_true",
        help="measure PostgreSQL search alone (the scale run: Whoosh would take days)",
    )
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(
        f"load average at start: {os.getloadavg()[0]:.2f} (other work on the machine skews timings)"
    )

    if args.archive:
        with PostgresSearcher(args.archive) as searcher:
            print(f"archive: {searcher.doc_count} articles with search documents")
        report_postgres_only(time_postgres(args.archive, args.rounds))
        return
    postgres = None
    if args.postgres:
        postgres = bench_postgres(args.postgres, args.docs, args.rounds)
    if args.postgres_only:
        if postgres is None:
            parser.error("--postgres-only needs --postgres URL or $DNA_TEST_POSTGRES_URL")
        report_postgres_only(postgres)
        return

    with tempfile.TemporaryDirectory(prefix="dna-bench-") as tmp:
        root = Path(tmp)
        store = Store(f"sqlite:///{root / 'archive.sqlite3'}")
        started = time.perf_counter()
        load_store(store, args.docs)
        corpus_mb = sum(len(a.body.encode()) for a in store.articles()) / 1e6
        print(
            f"corpus: {args.docs} articles, {corpus_mb:.1f} MB of body text, "
            f"loaded into the store in {time.perf_counter() - started:.1f} s; "
            f"{args.procs} indexing processes"
        )

        started = time.perf_counter()
        ours = rebuild_index(store, root / "index", procs=args.procs)
        ours_s = time.perf_counter() - started
        (root / "standard").mkdir()
        started = time.perf_counter()
        build_standard(store, root / "standard", args.procs)
        standard_s = time.perf_counter() - started
        started = time.perf_counter()
        connection, _ = build_fts5(store, root / "fts5.sqlite3")
        fts5_s = time.perf_counter() - started

        print("\nindexing           docs/s   seconds   size MB")
        builds = [
            ("dna (Vietnamese)", ours_s, tree_mb(root / "index")),
            ("Whoosh Standard", standard_s, tree_mb(root / "standard")),
            ("SQLite FTS5", fts5_s, (root / "fts5.sqlite3").stat().st_size / 1e6),
        ]
        if postgres:
            builds.append(("dna PostgreSQL", postgres["seconds"], postgres["size"]))
        for name, seconds, size in builds:
            print(f"{name:<17} {ours / seconds:>7.0f}  {seconds:>8.1f}  {size:>8.1f}")
        print(f"build time, dna / StandardAnalyzer: {ours_s / standard_s:.2f}x (target ≤ 2)")
        if postgres:
            print(
                f"indexing, PostgreSQL / dna Whoosh: {ours_s / postgres['seconds']:.1f}x "
                "docs/s (target ≥ 5 at 200k)"
            )

        with ArchiveSearcher(root / "index") as searcher:

            def run_ours(kind: str, text: str, filters: dict) -> float:
                started = time.perf_counter()
                searcher.search(SearchRequest(text, **filters))
                return time.perf_counter() - started

            ours_samples = measure(run_ours, args.rounds)
        fts5_samples = measure(
            lambda _, text, filters: time_fts5(connection, text, filters), args.rounds
        )
        pg_samples = postgres["samples"] if postgres else {}

        print(
            f"\nqueries: {len(QUERIES)} ({args.rounds} timed passes), ms    "
            "dna p50   dna p95   FTS5 p50  FTS5 p95" + ("    PG p50    PG p95" if postgres else "")
        )
        flat = [
            [s for v in samples.values() for s in v]
            for samples in (ours_samples, fts5_samples, pg_samples)
        ]
        for kind, *columns in [
            *[(k, ours_samples[k], fts5_samples[k], pg_samples.get(k)) for k in ours_samples],
            ("all", *flat),
        ]:
            cells = "".join(f"{p:>10.1f}" for c in columns if c for p in percentiles(c))
            print(f"  {kind:<10}{cells}")
        single95 = percentiles(ours_samples["single"])[1]
        phrase95 = percentiles(ours_samples["phrase"])[1]
        all50, all95 = percentiles(flat[0])
        f50, f95 = percentiles(flat[1])
        print(f"phrase p95 / single-term p95: {phrase95 / single95:.2f} (target ≤ 1)")
        print(
            f"query p95: {all95:.0f} ms (target ≤ 150); dna / FTS5: p50 {all50 / f50:.1f}x, "
            f"p95 {all95 / f95:.1f}x; indexing FTS5 / dna: {ours_s / fts5_s:.1f}x"
        )
        if postgres:
            report_postgres_goals(postgres)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        connection.close()
        store.close()


def report_postgres_only(postgres: dict) -> None:
    if "docs_s" in postgres:
        print(f"\nPostgreSQL indexing: {postgres['docs_s']:.0f} docs/s, {postgres['size']:.1f} MB")
    print("queries, ms      p50       p95")
    for kind, samples in postgres["samples"].items():
        p50, p95 = percentiles(samples)
        print(f"  {kind:<10}{p50:>8.1f}{p95:>10.1f}")
    report_postgres_goals(postgres)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def report_postgres_goals(postgres: dict) -> None:
    samples = postgres["samples"]
    worst = max(percentiles(v)[1] for v in samples.values())
    phrase = percentiles(samples["phrase"])[1] / percentiles(samples["single"])[1]
    idle = percentiles([s for v in samples.values() for s in v])[1]
    loaded = percentiles(postgres["loaded"])[1]
    print(f"PostgreSQL: worst class p95 {worst:.0f} ms (target ≤ 150 at 1M)")
    print(f"PostgreSQL: phrase p95 / single-term p95: {phrase:.2f} (target ≤ 1)")
    p50 = percentiles(postgres["loaded"])[0]
    print(
        f"PostgreSQL: p95 with 8 searchers and a writer ({postgres['written_s']:.0f} docs/s "
        f"written): {loaded:.0f} ms, {loaded / idle:.1f}x idle {idle:.0f} ms (target ≤ 2); "
        f"p50 {p50:.0f} ms over {len(postgres['loaded'])} searches"
    )


if __name__ == "__main__":
    main()
