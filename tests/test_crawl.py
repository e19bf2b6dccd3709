"""End to end: ``dna crawl`` of real fixture portals over HTTP, checked in WARC and database."""

from __future__ import annotations

import gzip
import subprocess
import sys
import urllib.request
from collections import Counter

import pytest
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from sqlalchemy import select

from archive.models import Capture, Crawl
from sampleportal import FAULT_PATHS
from tests.harness import FAMILIES, Harvest
from tests.warcrecords import Stored, answers

SEED_TITLE = (
    "Thanh Liên: UBMTTQ huyện và các đoàn thể làm việc với Đảng ủy - UBND, "
    "UBMTTQ và các đoàn thể cấp xã."
)
BOILERPLATE = (
    "ĐĂNG NHẬP",
    "Đăng nhập",
    "image banner",
    "Anh-tin-bai",
    "Lượt xem",
    "Bản quyền",
    "Người chịu trách nhiệm",
    "Hội nghị chuyên đề",
)


@pytest.fixture(scope="module")
def archived(harvest: Harvest) -> list[Stored]:
    return [stored for path in harvest.warc_files for stored in answers(path)]


def test_crawl_succeeds_and_summarises_failures(harvest: Harvest) -> None:
    result = harvest.result
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Crawl summary" in out
    assert out.count("finished") == len(FAMILIES)
    for reason in (
        "HTTP 404",
        "HTTP 500",
        "truncated body",
        "redirect loop",
        "off-site redirect",
        "DownloadTimeoutError",
        "ConnectionLost",
        "DOWNLOAD_MAXSIZE",
    ):
        assert reason in out, reason
    # The 503 that answers on the third try is retried (honouring Retry-After), not a failure.
    assert FAULT_PATHS["unavailable"] not in out
    assert "Search index updated" in out


def test_every_article_extracted_like_the_ground_truth(harvest: Harvest) -> None:
    store = harvest.store()
    stored = {article.url: article for article in store.articles()}
    for family, portal in harvest.portals.items():
        expected = portal.expected_articles()
        mine = {url for url, article in stored.items() if article.site == family}
        assert mine == set(expected), family  # no listings, no duplicate URLs, none missed
        for url, truth in expected.items():
            got = stored[url]
            assert got.title == truth.title, url
            assert got.body.split("\n") == truth.body, url
            assert got.captions == truth.captions, url
            assert got.author == truth.author, url
            assert got.views == truth.views, url
            assert got.summary == truth.summary, url
            assert got.category == truth.category_name, url
            assert got.tags == list(truth.tags), url
            if truth.published is not None:
                assert (got.published, got.published_source) == (truth.published, "page"), url
            else:
                assert got.published_source == "last-modified", url
                assert got.published == truth.last_modified, url
    store.close()


def test_seed_article_is_clean(harvest: Harvest) -> None:
    store = harvest.store()
    [seed] = [a for a in store.articles() if a.title == SEED_TITLE]
    assert seed.author == "Hữu Thịnh – Trung tâm VHTT&TT"
    assert seed.views == 50
    assert seed.captions == ["Toàn cảnh hội nghị.", "Các đại biểu tham gia phát biểu ý kiến."]
    assert seed.body.startswith("Để góp phần giúp địa phương phát triển, nhất là nâng cao hiệu quả")
    assert seed.body.endswith("Xứng đáng là địa chỉ tin cậy của đoàn viên, hội viên.")
    assert len(seed.body.split("\n")) == 3
    for text in (seed.title, seed.body, *seed.captions):
        for junk in BOILERPLATE:
            assert junk not in text
    store.close()


def test_warc_files_pass_warcio_check(harvest: Harvest) -> None:
    assert harvest.warc_files and not list((harvest.data / "warc").glob("*/*.open"))
    result = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, harvest.warc_files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]


def test_warc_files_verify_in_fastwarc(harvest: Harvest) -> None:
    kinds: Counter = Counter()
    for path in harvest.warc_files:
        with open(path, "rb") as handle:
            for record in FastArchiveIterator(handle, parse_http=False):
                assert record.verify_block_digest(), (path, record.record_id)
                kinds[record.headers["WARC-Type"]] += 1
    assert kinds["warcinfo"] == len(harvest.warc_files)
    # Every request has its answer: a response, or a revisit of identical bytes.
    assert kinds["response"] + kinds["revisit"] == kinds["request"] == kinds["metadata"] > 100


def test_captures_point_at_their_records(harvest: Harvest, archived: list[Stored]) -> None:
    by_location = {(a.path.name, a.offset): (a.record_id, a.digest) for a in archived}
    store = harvest.store()
    with store.session() as session:
        captures = session.scalars(select(Capture)).all()
    assert len(captures) == len(archived)
    for capture in captures:
        assert by_location[(capture.warc_file, capture.warc_offset)] == (
            capture.record_id,
            capture.payload_digest,
        )
    for article in store.articles():
        assert (article.warc_file, article.warc_offset) in by_location
    store.close()


def test_exchanges_of_every_kind_are_recorded(harvest: Harvest, archived: list[Stored]) -> None:
    statuses = {(a.uri.split("/", 3)[-1], a.status) for a in archived}
    generic = harvest.portals["generic"].base_url
    paths = {a.uri.removeprefix(generic): a.status for a in archived if a.uri.startswith(generic)}
    assert paths["robots.txt"] == "200"
    assert paths[FAULT_PATHS["not_found"].lstrip("/")] == "404"
    assert paths[FAULT_PATHS["server_error"].lstrip("/")] == "500"
    assert paths[FAULT_PATHS["moved"].lstrip("/")] == "301"
    assert paths[FAULT_PATHS["moved_again"].lstrip("/")] == "302"
    assert paths[FAULT_PATHS["offsite"].lstrip("/")] == "302"
    assert paths[FAULT_PATHS["unavailable"].lstrip("/")] == "200"  # after two 503s
    assert paths[FAULT_PATHS["pdf"].lstrip("/")] == "200"
    assert ("admin/", "200") not in statuses  # robots.txt disallows it
    targets = [a.uri for a in archived]
    assert sum(FAULT_PATHS["unavailable"] in uri for uri in targets) == 3
    # The family's feeds are tried: NukeViet's RSS index and its sitemap.
    nukeviet = harvest.portals["nukeviet"].base_url
    statuses_there = {a.uri.removeprefix(nukeviet): a.status for a in archived}
    assert statuses_there["vi/news/rss/"] == "200"
    assert statuses_there["sitemap.xml"] == "200"


def test_bodies_are_stored_as_sent(harvest: Harvest, archived: list[Stored]) -> None:
    pdf = harvest.portals["generic"].url(FAULT_PATHS["pdf"])
    article_image = next(a.uri for a in archived if a.uri.endswith(".jpg") and a.kind == "response")
    for url in (pdf, article_image):
        [payload] = [a.raw for a in archived if a.uri == url and a.kind == "response"]
        with urllib.request.urlopen(url) as response:
            assert payload == response.read()
    # gzip-encoded pages are kept gzip-encoded, with their Content-Encoding.
    gzipped = [
        (a.raw, a.http)
        for a in archived
        if a.kind == "response"
        and a.http.get_header("Content-Encoding") == "gzip"
        and not a.uri.endswith(FAULT_PATHS["truncated"])
    ]
    assert len(gzipped) > 10
    for raw, http in gzipped:
        assert raw[:2] == b"\x1f\x8b"
        assert int(http.get_header("Content-Length")) == len(raw)
        gzip.decompress(raw)
    # windows-1258 pages are kept in windows-1258, not re-encoded.
    tandan = harvest.portals["tandan"].base_url
    articles = tandan + "portal/Pages/20"
    pages = [
        (a.raw, a.http) for a in archived if a.uri.startswith(articles) and a.kind == "response"
    ]
    assert pages
    for raw, http in pages:
        body = gzip.decompress(raw) if http.get_header("Content-Encoding") == "gzip" else raw
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert "windows-1258" in http.get_header("Content-Type")


def test_no_private_offsite_or_duplicate_fetches(harvest: Harvest, archived: list[Stored]) -> None:
    targets = [a.uri for a in archived]
    hosts = {uri.split("/")[2] for uri in targets}
    assert hosts == {portal.base_url.split("/")[2] for portal in harvest.portals.values()}
    assert not [uri for uri in targets if "utm_" in uri or "print" in uri]
    # Each portal's endless calendar (``/?lich=YYYY-MM``, both ways, its "»"
    # read as a pager) is stopped by what it does, not by its name: a few
    # months each way.  Read as a pager that gained a link a page (the month
    # it came from), it walked 12 months.
    calendar = Counter(uri.split("/")[2] for uri in targets if "lich=" in uri)
    assert 0 < max(calendar.values()) <= 6, calendar
    retried = {a.uri for a in archived if a.status.startswith("5")}
    # A body cut short is asked for again too (a reset half-way through).
    retried |= {a.uri for a in archived if a.uri.endswith(FAULT_PATHS["truncated"])}
    duplicates = [uri for uri, count in Counter(targets).items() if count > 1]
    assert set(duplicates) == retried  # only retries fetch a URL twice


def test_crawls_are_recorded(harvest: Harvest) -> None:
    store = harvest.store()
    with store.session() as session:
        crawls = session.scalars(select(Crawl)).all()
        assert sorted(c.site.name for c in crawls) == sorted(FAMILIES)
        for crawl in crawls:
            assert crawl.status == "finished" and crawl.reason == "finished"
            assert crawl.pages > 0 and crawl.ended_at >= crawl.started_at
            assert crawl.bytes_written > 0
        generic = next(c for c in crawls if c.site.name == "generic")
        assert generic.errors >= 7
    store.close()
