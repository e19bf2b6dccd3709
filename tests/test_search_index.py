"""The search index: incremental updates, rebuilds, bad indexes, concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.store import Store
from search import indexdir
from search.indexdir import IndexCorrupt, IndexMissing, IndexOutdated, IndexState
from search.indexer import rebuild_index, update_index
from search.searcher import ArchiveSearcher, SearchRequest
from tests.corpus import CORPUS, Doc, add_articles

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    yield opened
    opened.close()


def titles(index_dir: Path, query: str) -> list[str]:
    with ArchiveSearcher(index_dir) as searcher:
        return [hit.title for hit in searcher.search(SearchRequest(query, limit=50)).hits]


def doc_count(index_dir: Path) -> int:
    with ArchiveSearcher(index_dir) as searcher:
        return searcher.doc_count


def test_first_update_creates_the_index(store: Store, tmp_path: Path) -> None:
    add_articles(store, CORPUS[:5])
    assert update_index(store, tmp_path / "index") == 5
    assert doc_count(tmp_path / "index") == 5
    assert indexdir.read_state(tmp_path / "index").indexed_through is not None


def test_update_indexes_only_new_and_changed_articles(store: Store, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    add_articles(store, CORPUS[:5])
    update_index(store, index_dir)
    assert update_index(store, index_dir) == 0

    changed = replace(CORPUS[0], title="Xã Thanh Liên đón Bằng công nhận")
    later = datetime(2024, 7, 1, tzinfo=UTC)
    add_articles(store, [changed, CORPUS[6]], seen=later)
    assert update_index(store, index_dir) == 2
    assert doc_count(index_dir) == 6
    assert titles(index_dir, "bằng công nhận") == [changed.title]
    with ArchiveSearcher(index_dir) as searcher:
        # The replaced version is deleted, not counted.
        assert searcher.search(SearchRequest("thanh lien")).total == len(
            titles(index_dir, "thanh lien")
        )
        assert searcher.search(SearchRequest("ubnd", site="xa-thanh-lien")).total == 1
    assert titles(index_dir, 'title:"hội nghị tổng kết"') == []


def test_update_catches_articles_committed_behind_the_watermark(
    store: Store, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    add_articles(store, CORPUS[:3])
    update_index(store, index_dir)
    add_articles(store, [CORPUS[3]])
    # Another crawl's update already saw a newer article: the watermark moved
    # past this one, whose transaction committed late.
    newest = store.article(CORPUS[3].key and _url(CORPUS[3])).updated_at
    indexdir.write_state(index_dir, IndexState(indexed_through=newest + timedelta(seconds=30)))
    assert update_index(store, index_dir) == 1
    assert doc_count(index_dir) == 4


def _url(doc: Doc) -> str:
    return f"https://{doc.site}.gov.vn/tin-tuc/{doc.key}.html"


def test_rebuild_reports_progress_and_replaces_everything(store: Store, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    add_articles(store, CORPUS)
    update_index(store, index_dir)
    calls: list[tuple[int, int]] = []
    count = rebuild_index(store, index_dir, lambda done, total: calls.append((done, total)))
    assert count == len(CORPUS)
    assert calls[-1] == (len(CORPUS), len(CORPUS))
    assert doc_count(index_dir) == len(CORPUS)
    assert titles(index_dir, '"hợp tác xã"') == [CORPUS[4].title]


def test_rebuild_in_one_process(store: Store, tmp_path: Path) -> None:
    add_articles(store, CORPUS[:4])
    assert rebuild_index(store, tmp_path / "index", procs=1) == 4
    assert doc_count(tmp_path / "index") == 4


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="dna index --rebuild"):
        ArchiveSearcher(tmp_path / "index")


def test_outdated_index_asks_for_a_rebuild(store: Store, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    add_articles(store, CORPUS[:3])
    update_index(store, index_dir)
    indexdir.write_state(index_dir, IndexState(schema_version=0))
    with pytest.raises(IndexOutdated, match=r"run `dna index --rebuild`"):
        ArchiveSearcher(index_dir)
    with pytest.raises(IndexOutdated):
        update_index(store, index_dir)
    assert rebuild_index(store, index_dir) == 3
    assert doc_count(index_dir) == 3


def test_corrupt_index_names_the_rebuild(store: Store, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    add_articles(store, CORPUS[:3])
    update_index(store, index_dir)
    for path in index_dir.iterdir():
        if path.suffix in (".toc", ".seg"):
            path.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(IndexCorrupt, match=r"unreadable .*run `dna index --rebuild`"):
        ArchiveSearcher(index_dir)
    assert rebuild_index(store, index_dir) == 3
    assert titles(index_dir, "thanh lien")


def test_a_second_writer_waits_for_the_lock(store: Store, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    add_articles(store, CORPUS[:3])
    update_index(store, index_dir)
    add_articles(store, CORPUS[3:6])
    waited = threading.Event()
    result: list[int] = []
    with indexdir.write_lock(index_dir):
        writer = threading.Thread(
            target=lambda: result.append(update_index(store, index_dir, on_wait=waited.set))
        )
        writer.start()
        assert waited.wait(5)
        time.sleep(0.2)
        assert not result
    writer.join(10)
    assert result == [3]


#: A crawl in another process: archive articles one by one, updating the index
#: after each, as the crawl command does when it ends.
_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from archive.store import Store
from search.indexer import update_index
from tests.corpus import Doc, add_articles

data, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(f"sqlite:///{data}/archive.sqlite3")
for n in range(count):
    doc = Doc(f"{prefix}-{n}", f"Tin thứ {n} của thôn {prefix}", ["Xã Thanh Liên họp dân."],
              "2024-05-01", site=f"site-{prefix}")
    add_articles(store, [doc], seen=datetime.now(UTC))
    update_index(store, Path(data) / "index")
store.close()
"""


def _start_writer(data: Path, prefix: str, count: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(data), prefix, str(count)],
        env=env,
        stderr=subprocess.PIPE,
    )


def test_search_keeps_working_while_other_processes_write(store: Store, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    add_articles(store, CORPUS[:2])
    update_index(store, index_dir)
    writers = [_start_writer(tmp_path, prefix, 15) for prefix in ("dong", "tay")]
    searches = 0
    while any(writer.poll() is None for writer in writers):
        with ArchiveSearcher(index_dir) as searcher:
            page = searcher.search(SearchRequest("thanh lien"))
        assert page.total >= 1
        searches += 1
    for writer in writers:
        assert writer.returncode == 0, writer.stderr.read().decode()
    assert searches > 1
    assert update_index(store, index_dir) == 0
    assert doc_count(index_dir) == 2 + 30
    assert len(titles(index_dir, "tin thu")) == 30
