"""A crawl and a restore read one response into the same ``Page``.

Restore promises to find what the crawl found; that holds only if both build
the page the same way, repeated headers included.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from scrapy.http import Headers, HtmlResponse
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warcresponses import ArchivedResponse, ResponseScanner
from crawler.restore import archived_page
from crawler.spiders.portal import response_page

URL = "http://127.0.0.1:8080/tin-tuc/le-hoi-lang.html"
BODY = (
    "<html><head><title>Lễ hội làng Thanh Liên</title></head><body>"
    "<h1>Lễ hội làng Thanh Liên</h1><p>Người dân xã Thanh Liên đón mừng lễ hội.</p>"
    "</body></html>"
).encode()
# Two Content-Type lines that disagree, and a header repeated in other case.
HEADER_LINES = [
    ("Content-Type", "text/html; charset=windows-1258"),
    ("Content-Type", "text/html; charset=utf-8"),
    ("X-Powered-By", "ASP.NET"),
    ("x-powered-by", "PHP/5.2"),
    ("Content-Length", str(len(BODY))),
]


def _archived(path: Path) -> ArchivedResponse:
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        http = StatusAndHeaders("200 OK", HEADER_LINES, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            URL, "response", payload=BytesIO(BODY), http_headers=http
        )
        writer.write_record(record)
    scanner = ResponseScanner([path], want_body=lambda _type: True, max_body=1_000_000)
    found = [item for item in scanner if isinstance(item, ArchivedResponse)]
    assert len(found) == 1
    return found[0]


def test_spider_and_restore_build_the_same_page(tmp_path: Path) -> None:
    archived = _archived(tmp_path / "repeated-headers.warc.gz")
    headers = Headers()
    for name, value in HEADER_LINES:
        headers.appendlist(name, value)
    live = HtmlResponse(URL, status=200, headers=headers, body=BODY)

    crawled = response_page(live, archived.date)
    restored = archived_page(archived)

    assert (crawled.url, crawled.status, crawled.body) == (restored.url, restored.status, BODY)
    assert crawled.headers == restored.headers
    # The last Content-Type line counts, as Scrapy and browsers read it.
    assert crawled.headers["content-type"] == "text/html; charset=utf-8"
    assert crawled.encoding == restored.encoding == "utf-8"
    assert crawled.text == restored.text
    assert "Lễ hội làng Thanh Liên" in restored.selector.xpath("string(//h1)").get()
