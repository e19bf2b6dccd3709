"""The conditional-GET middleware alone: validators out, archived page back on 304."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from archive.layout import DataDir
from archive.records import CaptureRecord
from archive.store import Store
from archive.warcwriter import HttpRequestData, HttpResponseData, WarcFileWriter
from crawler.history import ArchiveHistory
from crawler.middlewares.conditional import ORIGINAL, UNCONDITIONAL, ConditionalGetMiddleware

PAGE = "http://xa.example.vn/tin-tuc/bai-1.html"
HTML = "<html><head><title>Bài 1</title></head><body>Nội dung</body></html>".encode()


class FakeHistory(ArchiveHistory):
    """A real :class:`ArchiveHistory` whose database holds one archived page."""

    def __init__(self, original: CaptureRecord, path: Path | None) -> None:
        super().__init__(None, "t", DataDir(path.parent if path else Path(".")))
        self.original = original
        self.path = path

    def previous(self, url: str) -> tuple[CaptureRecord, CaptureRecord] | None:
        return (self.original, self.original) if url == self.original.url else None

    def warc_path(self, capture: CaptureRecord) -> Path | None:
        return self.path


@pytest.fixture
def middleware(tmp_path: Path) -> ConditionalGetMiddleware:
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("ETag", 'W/"v1"'),
        ("Last-Modified", "Tue, 03 Nov 2026 08:00:00 GMT"),
    ]
    with WarcFileWriter(tmp_path, "t") as writer:
        original = writer.write_exchange(
            HttpRequestData("GET", PAGE, []),
            HttpResponseData(200, headers, HTML),
            datetime.now(UTC),
        )
    crawler = get_crawler(settings_dict={"DNA_CONDITIONAL_GET": True})
    crawler.spider = Spider(name="test")
    result = ConditionalGetMiddleware(crawler)
    result.history = FakeHistory(original, tmp_path / original.warc_file)  # type: ignore[assignment]
    return result


def test_known_url_gets_validators(middleware: ConditionalGetMiddleware) -> None:
    request = Request(PAGE)
    middleware.process_request(request)
    assert request.headers[b"If-None-Match"] == b'W/"v1"'
    assert request.headers[b"If-Modified-Since"] == b"Tue, 03 Nov 2026 08:00:00 GMT"
    assert request.meta[ORIGINAL].url == PAGE
    unknown = Request("http://xa.example.vn/other")
    middleware.process_request(unknown)
    assert b"If-None-Match" not in unknown.headers and ORIGINAL not in unknown.meta


def test_redirect_does_not_carry_validators_to_another_url(
    middleware: ConditionalGetMiddleware,
) -> None:
    request = Request(PAGE)
    middleware.process_request(request)
    redirected = request.replace(url="http://xa.example.vn/moved")
    middleware.process_request(redirected)
    assert b"If-None-Match" not in redirected.headers
    assert b"If-Modified-Since" not in redirected.headers
    assert ORIGINAL not in redirected.meta


def test_304_becomes_the_archived_page(middleware: ConditionalGetMiddleware) -> None:
    request = Request(PAGE)
    middleware.process_request(request)
    answer = Response(PAGE, status=304, headers={"ETag": 'W/"v1"'}, request=request)
    page = middleware.process_response(request, answer)
    assert isinstance(page, HtmlResponse)
    assert (page.status, page.body, page.text[:6]) == (200, HTML, "<html>")
    assert "not-modified" in page.flags
    fresh = Response(PAGE, status=200, body=b"new", request=request)
    assert middleware.process_response(request, fresh) is fresh


def test_unreadable_original_means_fetching_again(middleware: ConditionalGetMiddleware) -> None:
    middleware.history.path = None  # type: ignore[union-attr]
    request = Request(PAGE)
    middleware.process_request(request)
    again = middleware.process_response(request, Response(PAGE, status=304, request=request))
    assert isinstance(again, Request) and again.dont_filter
    assert again.meta[UNCONDITIONAL] and ORIGINAL not in again.meta
    assert b"If-None-Match" not in again.headers
    middleware.process_request(again)
    assert b"If-None-Match" not in again.headers


def test_history_finds_validators_archived_before_and_during_the_crawl(tmp_path: Path) -> None:
    """URLs never archived with validators are told apart without a query; a URL
    archived before the crawl, or by it (before its batch is committed), is not."""
    headers = [("Content-Type", "text/html"), ("ETag", '"v1"')]
    with WarcFileWriter(tmp_path / "warc" / "t", "t") as writer:
        before = writer.write_exchange(
            HttpRequestData("GET", PAGE, []),
            HttpResponseData(200, headers, HTML),
            datetime.now(UTC),
        )
        during = writer.write_exchange(
            HttpRequestData("GET", PAGE + "?b=2", []),
            HttpResponseData(200, headers, HTML + b" "),
            datetime.now(UTC),
        )
    store = Store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    site_id = store.site_id("t")
    archive = store.writer(site_id, None)
    archive.add_capture(before)
    archive.flush()
    history = ArchiveHistory(store, "t", DataDir(tmp_path))
    try:
        assert history.previous(PAGE) == (before, before)
        assert history.previous("http://xa.example.vn/never") is None
        history.recorded(during)
        assert history.previous(during.url) is None  # not committed yet
        archive.add_capture(during)
        archive.flush()
        assert history.previous(during.url) == (during, during)
    finally:
        history.close()
