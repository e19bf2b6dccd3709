"""Two processes writing one PostgreSQL database at once never duplicate a row or lose one.

Run as a script, this module is one such writer: ``python test_concurrent_writers.py URL
START [SPELLING]`` waits until the wall clock reaches START, then writes the same captures
and articles as its twin, batch after batch; with SPELLING, the same texts at URLs of
its own (``…?sid=SPELLING``), as two crawl workers meet the aliases of one article.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from archive.models import Article, ArticleUrl, ArticleVersion, Capture
from archive.records import ArticleRecord, CaptureRecord
from archive.store import Store
from tests.harness import DNA, Harvest
from tests.services import finished, postgres_database

#: Natural keys that must stay unique.
NATURAL_KEYS = (Capture.record_id, Article.url)


def duplicates(store: Store, column) -> int:
    """How many values of ``column`` occur more than once."""
    query = select(column).group_by(column).having(func.count() > 1)
    with store.session() as session:
        return len(session.execute(query).all())


BATCHES = 40
ARTICLES_PER_BATCH = 10
T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def write_batches(url: str, start: float, spelling: str = "") -> None:
    """Write BATCHES batches of the same articles as the twin process, from ``start`` on.

    Prints how many articles this process found new.
    """
    query = f"?sid={spelling}" if spelling else ""
    time.sleep(max(0.0, start - time.time()))
    store = Store(url, migrate=False)
    site = store.site_id("xa-thanh-lien", title="Xã Thanh Liên")
    writer = store.writer(site, store.start_crawl(site), max_rows=2 * ARTICLES_PER_BATCH)
    for batch in range(BATCHES):
        for n in range(ARTICLES_PER_BATCH):
            number = batch * ARTICLES_PER_BATCH + n
            when = T0 + timedelta(minutes=number)
            page = f"https://xa.gov.vn/tin/bai-{number}{query}"
            capture = CaptureRecord(
                page,
                when,
                200,
                "text/html",
                f"sha1:{number}",
                "f.warc.gz",
                number,
                9,
                f"<urn:uuid:{spelling}{number}>",
            )
            record = ArticleRecord(url=page, title=f"Bài {number}", body=[f"Nội dung {number}."])
            writer.add_capture(capture)
            writer.add_article(record, capture.record_id, when)
    print(writer.flush().new)
    store.close()


def run_twins(url: str, spellings: tuple[str, str] = ("", "")) -> int:
    """Run two writers from the same moment; how many articles they found new."""
    start = time.time() + 2
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.test_concurrent_writers", url, str(start), spelling],
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for spelling in spellings
    ]
    new = 0
    for process in processes:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output
        new += int(output)
    return new


def test_two_writers_of_the_same_rows_store_each_once(postgres_server: str) -> None:
    with postgres_database(postgres_server) as url:
        Store(url).close()  # migrated once, as `dna` does before a crawl starts
        new = run_twins(url)
        store = Store(url)
        try:
            counts = store.counts()
            total = BATCHES * ARTICLES_PER_BATCH
            assert (counts["sites"], counts["crawls"]) == (1, 2)
            assert counts["captures"] == counts["articles"] == counts["article_versions"] == total
            assert new == total  # each article is new to exactly one of the two
        finally:
            store.close()


def test_two_writers_meeting_one_article_at_two_urls_store_it_once(postgres_server: str) -> None:
    """Crawl workers sharing a frontier each fetched an alias of one article (a
    session id, a case-insensitive path) and each batch, looking for the text
    before the other's committed, stored it as a new article: 7 to 15 articles
    twice in a fleet of 480.  Batches of one site now take turns."""
    with postgres_database(postgres_server) as url:
        Store(url).close()
        new = run_twins(url, ("a", "b"))
        store = Store(url)
        try:
            counts = store.counts()
            total = BATCHES * ARTICLES_PER_BATCH
            assert counts["captures"] == 2 * total
            assert counts["articles"] == counts["article_versions"] == new == total
            with store.session() as session:
                urls = session.scalar(select(func.count()).select_from(ArticleUrl))
            assert urls == total  # each article's other spelling
        finally:
            store.close()


def test_two_restores_at_once_store_each_row_once(
    harvest: Harvest, postgres_server: str, tmp_path: Path
) -> None:
    expected_store = harvest.store()
    expected = expected_store.counts()
    expected_store.close()
    with postgres_database(postgres_server) as url:
        env = dict(os.environ, COLUMNS="200")
        # Both read the same WARC files, so every capture, article and version
        # is contended; started together, both write one batch after another.
        args = [str(harvest.data / "warc"), "--no-index", "--db", url]
        args += ["--sites", str(harvest.data / "sites.toml")]
        processes = [
            subprocess.Popen(
                [DNA, "restore", *args, "--data", str(tmp_path / f"worker-{n}")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for n in (1, 2)
        ]
        finished(processes)

        store = Store(url)
        try:
            counts = store.counts()
            for table in ("sites", "captures", "articles", "article_versions"):
                assert counts[table] == expected[table], table
            for column in NATURAL_KEYS:
                assert duplicates(store, column) == 0
            with store.session() as session:
                versions = session.scalar(
                    select(func.count()).select_from(
                        select(ArticleVersion.article_id, ArticleVersion.content_hash)
                        .distinct()
                        .subquery()
                    )
                )
                current = session.scalar(
                    select(func.count()).where(Article.current_version_id.is_not(None))
                )
            assert versions == counts["article_versions"]
            assert current == counts["articles"]
        finally:
            store.close()


if __name__ == "__main__":
    write_batches(sys.argv[1], float(sys.argv[2]), *sys.argv[3:])
