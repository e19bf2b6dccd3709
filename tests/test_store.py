"""The archive database: one article per canonical URL, versions when content changes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text, update

from archive.database import (
    StoreError,
    archive_url,
    create_archive_engine,
    shown_url,
    sqlite_url,
)
from archive.export import FIELDS, VERSION_FIELDS, write_export
from archive.migrations import HEAD, alembic_config, current_revision
from archive.models import Base, Crawl
from archive.records import VIETNAM_TZ, ArticleRecord, CaptureRecord, Image
from archive.store import Store

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def capture(n: int, when: datetime, url: str = "https://xa.gov.vn/tin/bai-1") -> CaptureRecord:
    return CaptureRecord(
        url, when, 200, "text/html", f"sha1:{n}", "f.warc.gz", n * 1000, 900, f"<urn:uuid:{n}>"
    )


def article(**changes: object) -> ArticleRecord:
    fields: dict[str, object] = {
        "url": "https://xa.gov.vn/tin/bai-1",
        "title": "Xã Thanh Liên họp dân",
        "body": ["Đoạn một.", "Đoạn hai."],
        "images": [Image("https://xa.gov.vn/a.jpg", "Toàn cảnh hội nghị.")],
        "author": "Hữu Thịnh",
        "views": 50,
        "family": "vnportal",
    }
    fields.update(changes)
    return ArticleRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An empty archive on SQLite, then on PostgreSQL: the same tests pass on both."""
    opened = Store(database_url)
    yield opened
    opened.close()


def save(store: Store, items: list[tuple[ArticleRecord, CaptureRecord]]):
    site = store.site_id("xa", title="Xã", family="vnportal")
    writer = store.writer(site, store.start_crawl(site))
    for record, cap in items:
        writer.add_capture(cap)
        writer.add_article(record, cap.record_id, cap.fetched_at)
    return writer.flush()


def test_schema_is_created_by_migrations(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "sites",
        "crawls",
        "captures",
        "articles",
        "article_versions",
        "alembic_version",
    } <= tables
    # The migrations build exactly the schema the models describe, on each engine.
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_an_archive_behind_head_is_upgraded_on_open(tmp_path: Path) -> None:
    """Opening skips Alembic for an archive at ``HEAD``: ``HEAD`` must be where
    the scripts end (a new migration moves it), and an older archive still moves."""
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_archive_engine(url)
    assert current_revision(engine) is None
    command.upgrade(alembic_config(engine), "0007")
    assert current_revision(engine) == "0007"
    Store(url).close()
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_processes_opening_a_new_archive_at_once_each_open_it(tmp_path: Path) -> None:
    """Two crawls started together on a fresh data directory: each migrates
    it, one after the other, and neither fails on a table the other made."""
    url = sqlite_url(tmp_path / "archive.sqlite3")
    start = time.time() + 2
    opener = (
        "import sys, time\n"
        "from archive.store import Store\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "Store(sys.argv[1]).close()\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", opener, url, str(start)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(12)
    ]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * 12, errors
    engine = create_archive_engine(url)
    try:
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_new_unchanged_updated(store: Store) -> None:
    counts = save(store, [(article(), capture(1, T0))])
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 0)
    # Same content, more views: not a new version, but the views move on.
    counts = save(store, [(article(views=80), capture(2, T0 + timedelta(days=1)))])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 1)
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored is not None and stored.views == 80 and stored.version_count == 1
    # An edited body is a new version; the old one is kept.
    counts = save(
        store, [(article(body=["Đoạn một, đã sửa."]), capture(3, T0 + timedelta(days=2)))]
    )
    assert (counts.new, counts.updated) == (0, 1)
    stored = store.article(stored.id)
    assert stored.body == "Đoạn một, đã sửa." and stored.version_count == 2
    assert stored.warc_offset == 3000
    assert [v.title for v in store.versions(stored.id)] == ["Xã Thanh Liên họp dân"] * 2
    assert store.counts()["articles"] == 1


def test_an_edit_undone_is_an_update_back_to_the_earlier_version(store: Store) -> None:
    """An editor's change, then its undoing: the third crawl counted nothing
    updated, though the article's text had changed back."""
    save(store, [(article(), capture(1, T0))])
    save(store, [(article(body=["Đoạn một, đã sửa."]), capture(2, T0 + timedelta(days=1)))])
    counts = save(store, [(article(), capture(3, T0 + timedelta(days=2)))])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 0)
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored.body == "Đoạn một.\nĐoạn hai." and stored.version_count == 2
    assert stored.version_id == store.versions(stored.id)[0].id
    counts = save(store, [(article(), capture(4, T0 + timedelta(days=3)))])
    assert (counts.updated, counts.unchanged) == (0, 1)


def test_an_article_met_twice_in_its_first_crawl_is_new_once_and_never_updated(
    store: Store,
) -> None:
    """Met again in the batch that created it (an alias, a second link): the
    first crawl of a portal counted it updated ('new 7, updated 3')."""
    url = "https://xa.gov.vn/tin/bai-1?print=1"
    counts = save(store, [(article(), capture(1, T0)), (article(), capture(2, T0, url))])
    assert (counts.new, counts.updated) == (1, 0)


def test_the_url_without_a_stray_parameter_becomes_the_articles_url(store: Store) -> None:
    """An old portal's links carry a random bare ``?66126116`` or the listing's
    ``?PageIndex=12``: met first so, the junk stayed the URL researchers cite,
    and the clean spelling met later was only "also at".  The other way round
    (a print view ``?print=1`` met second) the article keeps its URL."""
    junk = "https://xa.gov.vn/Tin/bai-1?66126116="
    clean = "https://xa.gov.vn/tin/bai-1"
    save(store, [(article(url=junk), capture(1, T0, junk))])
    indexed_through = store.article(junk).updated_at
    later = T0 + timedelta(days=1)
    counts = save(store, [(article(url=clean), capture(2, later, clean))])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 1)
    stored = store.article(clean)
    assert (stored.url, stored.other_urls) == (clean, [junk])
    assert store.article(junk).id == stored.id
    assert stored.updated_at > indexed_through  # the index is told of the new URL
    printed = "https://xa.gov.vn/tin/bai-1?print=1"
    save(store, [(article(url=printed), capture(3, later, printed))])
    assert store.article(printed).url == clean


def test_the_url_a_copy_was_fetched_at_finds_its_article(store: Store) -> None:
    """A mobile copy names the article as canonical; looked up by the copy's
    URL, which was fetched and archived, the article was "not in the archive"."""
    mobile = "https://xa.gov.vn/m/tin/bai-1"
    save(store, [(article(also_at=mobile), capture(1, T0, mobile))])
    stored = store.article(mobile)
    assert stored is not None
    assert (stored.url, stored.other_urls) == ("https://xa.gov.vn/tin/bai-1", [mobile])
    # The copy's URL was an article of its own before the portal named a canonical one.
    alone = "https://xa.gov.vn/m/tin/bai-2"
    save(store, [(article(url=alone, title="Bài hai"), capture(2, T0, alone))])
    save(store, [(article(also_at=alone), capture(3, T0 + timedelta(days=1), alone))])
    assert store.article(alone).title == "Bài hai"


def test_a_merged_portals_copy_under_a_line_of_its_own_is_another_url(store: Store) -> None:
    """Pointed at the merged commune's portal, a site stored each old article
    again: the copy began "(Bài viết từ xã Thanh Liên cũ)", so its text was
    not the article's.  A notice repeating a title and most of a body on
    another day is another notice."""
    body = ["Đoạn một.", "Đoạn hai.", "Đoạn ba."]
    day = datetime(2024, 2, 1, 8, 6, tzinfo=VIETNAM_TZ)
    dated = {"body": body, "published": day, "published_source": "page"}
    save(store, [(article(**dated), capture(1, T0))])
    copy_url = "https://xa.gov.vn/xa-cu/bai-1"
    copied = article(
        url=copy_url,
        body=["(Bài viết từ xã Thanh Liên cũ)", *body],
        published=day.replace(hour=0, minute=0),
        published_source="page",
    )
    save(store, [(copied, capture(2, T0 + timedelta(days=1), copy_url))])
    assert store.article(copy_url).url == "https://xa.gov.vn/tin/bai-1"
    assert store.counts()["articles"] == 1
    later_url = "https://xa.gov.vn/tin/bai-2"
    later = replace(
        copied, url=later_url, body=["Lịch tháng sau.", *body], published=day + timedelta(days=30)
    )
    save(store, [(later, capture(3, T0 + timedelta(days=31), later_url))])
    assert store.article(later_url).url == later_url


def test_a_copy_at_another_url_with_its_own_date_makes_no_version(store: Store) -> None:
    """A merged commune's portal republished an article under a second URL,
    dated the day it was copied: the copy made a version, and every crawl
    flipped the article's date between the two ('updated 2' each time)."""
    dated = datetime(2024, 3, 12, 8, 30, tzinfo=VIETNAM_TZ)
    original = article(published=dated, published_source="page")
    copy_url = "https://xa.gov.vn/tin/luu-tru-1"
    copied = article(url=copy_url, published=datetime(2025, 7, 5, 9, tzinfo=VIETNAM_TZ))
    copied = replace(copied, published_source="page", author="Văn phòng")
    counts = save(store, [(original, capture(1, T0)), (copied, capture(2, T0, copy_url))])
    assert (counts.new, counts.updated) == (1, 0)
    for crawl in range(2):
        later = T0 + timedelta(days=1 + crawl)
        counts = save(
            store,
            [
                (original, capture(3 + 2 * crawl, later)),
                (copied, capture(4 + 2 * crawl, later, copy_url)),
            ],
        )
        assert (counts.updated, counts.unchanged) == (0, 2)
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored.published == dated and stored.version_count == 1
    assert store.article(copy_url).id == stored.id


def test_a_copy_naming_the_article_canonical_without_its_date_makes_no_version(
    store: Store,
) -> None:
    """An AMP copy (/bai-1.html/amp) names the article as its canonical URL and
    prints no date: in the first crawl's batch it made a version dated
    first-seen, and every full crawl flipped the date back and forth."""
    dated = article(published=datetime(2023, 1, 1, 7, tzinfo=VIETNAM_TZ), published_source="page")
    undated = article(published=None, published_source=None)
    amp = "https://xa.gov.vn/tin/bai-1/amp"
    counts = save(store, [(dated, capture(1, T0)), (undated, capture(2, T0, amp))])
    assert (counts.new, counts.updated) == (1, 0)
    for crawl in range(2):
        later = T0 + timedelta(days=1 + crawl)
        counts = save(
            store,
            [(dated, capture(3 + 2 * crawl, later)), (undated, capture(4 + 2 * crawl, later, amp))],
        )
        assert (counts.updated, counts.unchanged) == (0, 2)
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored.published == dated.published and stored.version_count == 1


def test_a_text_replaced_wholesale_is_counted_apart_from_edits(store: Store) -> None:
    """A portal taken over showed a tour company's adverts at its articles'
    URLs: 'updated 5', as for edits.  Such versions are counted as replaced;
    an edit, even of a paragraph and the title, is not."""
    body = [
        "Ủy ban nhân dân xã Thanh Liên tổ chức hội nghị triển khai nhiệm vụ phòng chống bão lụt.",
        "Các thôn kiểm tra đê điều, chuẩn bị vật tư và phương án sơ tán người dân vùng trũng.",
        "Lực lượng dân quân trực ba mươi sáu giờ trong những ngày mưa lớn kéo dài.",
    ]
    save(store, [(article(body=body), capture(1, T0))])
    edited = [*body[:2], "Lực lượng dân quân trực bốn mươi tám giờ trong mùa mưa bão năm nay."]
    counts = save(
        store,
        [
            (
                article(title="Xã Thanh Liên họp bàn phòng chống bão", body=edited),
                capture(2, T0 + timedelta(1)),
            )
        ],
    )
    assert (counts.updated, counts.replaced) == (1, 0)
    advert = [
        "Tour du lịch Đà Nẵng Hội An ba ngày hai đêm, giá chỉ từ hai triệu đồng.",
        "Liên hệ phòng kinh doanh để được giảm giá cho đoàn từ mười khách.",
    ]
    counts = save(
        store, [(article(title="Tour hè giá rẻ", body=advert), capture(3, T0 + timedelta(2)))]
    )
    assert (counts.updated, counts.replaced) == (1, 1)
    assert counts.replaced_example == "https://xa.gov.vn/tin/bai-1"


def test_one_notice_at_every_article_url_is_no_version_of_them(store: Store) -> None:
    """A portal closed with one notice at every address: each article's
    current text became the notice, and search no longer found the commune's
    articles.  The notice is captured and counted as replacing them; the
    articles keep their texts."""
    second = "https://xa.gov.vn/tin/bai-2"
    save(
        store,
        [
            (article(), capture(1, T0)),
            (
                article(url=second, title="Thôn 3 làm đường", body=["Đoạn ba."]),
                capture(2, T0, second),
            ),
        ],
    )
    notice = {"title": "Cổng thông tin đã ngừng hoạt động", "body": ["Xin cảm ơn bạn đọc."]}
    later = T0 + timedelta(1)
    site = store.site_id("xa", title="Xã", family="vnportal")
    writer = store.writer(site, store.start_crawl(site))
    # Two batches of one crawl: both addresses, then one again (met alone, still the site's).
    for batch in (("https://xa.gov.vn/tin/bai-1", second), ("https://xa.gov.vn/tin/bai-1",)):
        for url in batch:
            number = writer.counts.captures + 3
            writer.add_capture(capture(number, later, url))
            writer.add_article(article(url=url, **notice), f"<urn:uuid:{number}>", later)
        counts = writer.flush()
    assert (counts.replaced, counts.versions) == (3, 0)
    assert store.article("https://xa.gov.vn/tin/bai-1").title == "Xã Thanh Liên họp dân"
    assert store.article(second).title == "Thôn 3 làm đường"


def test_a_date_shown_without_its_time_keeps_the_time_and_makes_no_version(
    store: Store,
) -> None:
    """A new theme printed "19-05-2025" for "Thứ hai, 19/05/2025 08:09": every
    article got a version, its time lost."""
    timed = datetime(2025, 5, 19, 8, 9, tzinfo=VIETNAM_TZ)
    save(store, [(article(published=timed, published_source="page"), capture(1, T0))])
    day = timed.replace(hour=0, minute=0)
    counts = save(
        store, [(article(published=day, published_source="page"), capture(2, T0 + timedelta(1)))]
    )
    assert (counts.updated, counts.unchanged) == (0, 1)
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored.published == timed and stored.version_count == 1
    # Another day is a change.
    counts = save(
        store,
        [
            (
                article(published=day.replace(day=20), published_source="page"),
                capture(3, T0 + timedelta(2)),
            )
        ],
    )
    assert counts.updated == 1


def test_a_date_shown_without_its_time_in_the_same_batch_makes_no_version(store: Store) -> None:
    """A restore meets a portal's captures of many days in one batch: the
    restored archive had 28 versions where the crawled one had 16, its
    articles' times lost."""
    timed = datetime(2025, 5, 19, 8, 9, tzinfo=VIETNAM_TZ)
    day = timed.replace(hour=0, minute=0)
    first = article(published=timed, published_source="page")
    dateless = article(published=day, published_source="page")
    save(store, [(first, capture(1, T0)), (dateless, capture(2, T0 + timedelta(1)))])
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored.published == timed and stored.version_count == 1


def test_a_crawl_still_marked_running_shows_its_pages_and_is_killed_once_its_process_is_gone(
    store: Store,
) -> None:
    """A worker killed outright: its summary said 38 pages, `dna crawls` 0
    (pages were counted at the end), and `dna stats` still said running."""
    save(store, [(article(), capture(1, T0)), (article(url="https://xa.gov.vn/tin/bai-2"),
                  capture(2, T0, "https://xa.gov.vn/tin/bai-2"))])  # fmt: skip
    [run] = store.crawl_runs("xa")
    assert (run.status, run.pages, run.is_orphaned) == ("running", 2, False)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    with store.session() as session, session.begin():
        session.execute(update(Crawl).values(pid=int(ended.stdout)))
    assert store.latest_crawls()["xa"].is_orphaned
    [summary] = store.crawl_summaries()
    assert (summary.last_status, summary.pages) == ("killed", 2)


def test_older_capture_never_replaces_newer(store: Store) -> None:
    save(store, [(article(body=["Mới."]), capture(2, T0 + timedelta(days=3)))])
    counts = save(store, [(article(body=["Cũ."], views=10), capture(1, T0))])
    assert counts.updated == 0
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored.body == "Mới." and stored.views == 50 and stored.version_count == 2
    assert stored.first_seen == T0  # the older capture moves first-seen back


def test_missing_date_falls_back_to_first_seen(store: Store) -> None:
    save(store, [(article(), capture(1, T0))])
    stored = store.article("https://xa.gov.vn/tin/bai-1")
    assert stored.published == T0 and stored.published_source == "first-seen"


def test_lookup_by_captured_url(store: Store) -> None:
    cap = capture(1, T0, url="https://xa.gov.vn/tin/bai-1?pageindex=0&utm_source=zalo")
    save(store, [(article(), cap)])
    assert store.article(cap.url).url == "https://xa.gov.vn/tin/bai-1"
    assert store.article("https://xa.gov.vn/nothing") is None


def test_export_contract(store: Store) -> None:
    published = datetime(2024, 5, 17, 8, 30, tzinfo=VIETNAM_TZ)
    save(
        store,
        [(article(published=published, published_source="page", tags=["NTM"]), capture(1, T0))],
    )
    out = io.StringIO()
    assert write_export(store.articles(), out, "jsonl") == 1
    row = json.loads(out.getvalue())
    assert list(row) == list(FIELDS)
    assert row["published"] == "2024-05-17T08:30:00+07:00"
    assert row["published_source"] == "page"
    assert row["body"] == "Đoạn một.\nĐoạn hai."
    assert row["captions"] == ["Toàn cảnh hội nghị."]
    assert row["views"] == 50 and row["warc_file"] == "f.warc.gz" and row["warc_offset"] == 1000
    out = io.StringIO()
    write_export(store.articles(site="xa"), out, "csv")
    [csv_row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert json.loads(csv_row["captions"]) == ["Toàn cảnh hội nghị."]
    assert csv_row["title"] == "Xã Thanh Liên họp dân"
    assert list(store.articles(site="other")) == []


def test_export_of_every_version_numbers_them_and_marks_the_current_one(store: Store) -> None:
    """A researcher studying what portals changed (or a portal taken over)
    had each article's latest text only: earlier ones were in `dna show
    --versions`, one article at a time."""
    edited = article(body=["Đoạn một, đã sửa."])
    save(store, [(article(), capture(1, T0))])
    save(store, [(edited, capture(2, T0 + timedelta(days=1)))])
    other = article(url="https://xa.gov.vn/tin/bai-2", title="Bài hai", body=["Khác hẳn."])
    save(store, [(other, capture(3, T0, other.url))])
    out = io.StringIO()
    assert write_export(store.articles(every_version=True), out, "jsonl", versions=True) == 3
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert list(rows[0]) == [*FIELDS, *VERSION_FIELDS]
    assert [(row["url"], row["version"], row["current"]) for row in rows] == [
        ("https://xa.gov.vn/tin/bai-1", 1, False),
        ("https://xa.gov.vn/tin/bai-1", 2, True),
        ("https://xa.gov.vn/tin/bai-2", 1, True),
    ]
    assert rows[0]["body"] == "Đoạn một.\nĐoạn hai." and rows[1]["body"] == "Đoạn một, đã sửa."
    assert rows[0]["warc_offset"] == 1000 and rows[1]["warc_offset"] == 2000
    out = io.StringIO()
    write_export(store.articles(site="xa", every_version=True), out, "csv", versions=True)
    assert [row["current"] for row in csv.DictReader(io.StringIO(out.getvalue()))] == [
        "false",
        "true",
        "true",
    ]


def test_csv_shows_text_a_spreadsheet_would_run_as_text(store: Store) -> None:
    """A title or a line from a stranger's page that starts as a formula
    (``=HYPERLINK(…)``, ``- Đồng chí …``) ran in Excel when the CSV was opened."""
    title = '=HYPERLINK("http://evil.example","Bấm vào đây")'
    save(store, [(article(title=title, body=["- Đồng chí Chủ tịch phát biểu."]), capture(1, T0))])
    out = io.StringIO()
    write_export(store.articles(), out, "csv")
    [csv_row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert csv_row["title"] == "'" + title
    assert csv_row["body"] == "'- Đồng chí Chủ tịch phát biểu."
    assert csv_row["url"] == "https://xa.gov.vn/tin/bai-1"
    out = io.StringIO()
    write_export(store.articles(), out, "jsonl")
    assert json.loads(out.getvalue())["title"] == title


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="invalid database URL"):
        Store("not a url")
    with pytest.raises(StoreError, match="no Python driver for mssql"):
        Store("mssql+pymssql://u:secret@127.0.0.1:1/x")
    # psql's spelling was "a bug in dna"; psycopg2's asked to install psycopg 3 again.
    with pytest.raises(StoreError, match=r"dna cannot use foo://"):
        Store("foo://u:secret@127.0.0.1:1/x")
    with pytest.raises(StoreError, match=r"write postgresql\+psycopg://"):
        Store("postgresql+psycopg2://u:secret@127.0.0.1:1/x")
    assert archive_url("postgres://u@db/x") == "postgresql+psycopg://u@db/x"
    assert archive_url("postgresql://u@db/x") == "postgresql+psycopg://u@db/x"
    assert archive_url("sqlite:///a.db") == "sqlite:///a.db"
    with pytest.raises(StoreError, match="cannot open database"):
        Store(f"sqlite:///{tmp_path}/missing-dir/x/../../../../../../../../proc/nope.db")


def test_a_password_in_a_database_url_never_reaches_a_message() -> None:
    """libpq reads a password from the query too (``?password=…``), and
    researchers paste error messages into chats."""
    for url in (
        "postgresql+psycopg://dna@127.0.0.1:1/dna?password=TOPSECRET",
        "postgres://dna:TOPSECRET@127.0.0.1:1/dna?connect_timeout=1",
        "postgresql+psycopg://dna@127.0.0.1:1/dna?sslpassword=TOPSECRET",
    ):
        with pytest.raises(StoreError) as raised:
            Store(url)
        assert "TOPSECRET" not in str(raised.value)
        assert "***" in str(raised.value)
    assert "TOPSECRET" not in shown_url("pg ://dna:TOPSECRET@h/x?password=TOPSECRET")


def test_an_empty_database_is_no_archive_to_a_command_that_only_reads(
    database_url: str,
) -> None:
    """A mistyped database name, searched, was left holding dna's tables."""
    with pytest.raises(StoreError, match=r"no archive in .*`dna crawl` or `dna restore` makes one"):
        Store(database_url, create=False)
    engine = create_engine(database_url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()
    Store(database_url).close()  # a command that writes makes it
    Store(database_url, create=False).close()


def test_a_database_of_another_application_is_refused_and_left_as_it_was(
    database_url: str,
) -> None:
    """A --db naming another application's database got every dna table
    created in it, by a command that only reads (stats, search)."""
    other = create_engine(database_url)
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id integer)"))
    with pytest.raises(StoreError, match=r"is no dna archive: it holds other tables \(invoices"):
        Store(database_url)
    assert inspect(other).get_table_names() == ["invoices"]
    other.dispose()


def test_article_may_name_a_capture_from_an_earlier_flush(store: Store) -> None:
    site = store.site_id("xa")
    writer = store.writer(site, None)
    cap = capture(1, T0)
    writer.add_capture(cap)
    writer.flush()
    writer.add_article(article(), cap.record_id, cap.fetched_at)
    assert writer.flush().new == 1
    assert store.article("https://xa.gov.vn/tin/bai-1").warc_offset == 1000


def test_a_sites_work_is_its_last_finished_crawl_not_one_stopped_early(store: Store) -> None:
    """A crawl interrupted at 15 pages rated a portal of 400 as small: on
    --resume it started last among the sites waiting, and ended the run alone."""
    ended = {"articles_new": 0, "articles_updated": 0, "errors": 0, "bytes_written": 0}
    xa, xb = store.site_id("xa"), store.site_id("xb")
    store.finish_crawl(
        store.start_crawl(xa), status="finished", reason="finished", pages=400, **ended
    )
    store.finish_crawl(
        store.start_crawl(xa), status="interrupted", reason="shutdown", pages=15, **ended
    )
    store.finish_crawl(
        store.start_crawl(xb), status="interrupted", reason="shutdown", pages=3, **ended
    )
    assert store.finished_pages() == {"xa": 400}
