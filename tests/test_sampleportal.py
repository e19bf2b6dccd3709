"""The sample portals over real HTTP: families, seed page, HTTP details, charsets, faults."""

from __future__ import annotations

import gzip
import html
import http.client
import re
import signal
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from sampleportal import FAMILIES, FAULT_PATHS, PortalServer, all_articles
from sampleportal.charsets import WINDOWS_1258
from sampleportal.corpus import VN_TZ, collapse

ROOT = Path(__file__).resolve().parents[1]

SEED_PARAGRAPHS = [
    "Để góp phần giúp địa phương phát triển, nhất là nâng cao hiệu quả hoạt động cảu MTTQ",
    "Thanh Liên hiện có 8 xóm với 2030 hộ và 8350 nhân khẩu, có 13 chi bộ với 441 đảng viên.",
    "Giao MTTQ và các đoàn thể chủ động phối hợp với UBND xã để thực hiện",
    "Trong đo nhân dân và con em đóng góp trên 4 tỷ đồng.",
    "Tại hội nghị, trên cơ sở làm ra các tồn tại trong thời gian qua, UBMTQ",
    "Xứng đáng là địa chỉ tin cậy của đoàn viên, hội viên.",
]
SEED_TITLE = (
    "Thanh Liên: UBMTTQ huyện và các đoàn thể làm việc với Đảng ủy - UBND, UBMTTQ "
    "và các đoàn thể cấp xã."
)


class Response:
    """A raw HTTP response: status, headers and body bytes exactly as received."""

    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def fetch(url: str, *, method: str = "GET", timeout: float = 5, **headers: str) -> Response:
    """One request, no redirects followed, no decompression."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        names = {name.replace("_", "-"): value for name, value in headers.items()}
        connection.request(method, target, headers=names)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def page_text(response: Response) -> str:
    """What a reader sees: decoded with the right codec, tags dropped, NFC, collapsed."""
    body = response.body
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("cp1258")
    return collapse(html.unescape(re.sub(r"<[^>]+>", " ", text)))


def links(response: Response) -> list[str]:
    body = response.body
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', body.decode("latin-1"))]


@pytest.fixture(scope="module")
def portals():
    servers = {family: PortalServer(family).start() for family in FAMILIES}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def vnportal(portals):
    return portals["vnportal"]


def expected_by_id(server: PortalServer, article_id: int):
    return next(e for e in server.expected_articles().values() if e.id == article_id)


# -- families and ground truth ---------------------------------------------------


def assert_page_shows(truth) -> None:
    """The article page carries every field of its ground truth, and its Last-Modified."""
    response = fetch(truth.url, accept_encoding="gzip")
    assert response.status == 200, truth.url
    text = page_text(response)
    for part in [truth.title, *truth.body, *truth.captions, truth.author, truth.summary]:
        assert part is None or part in text, (truth.url, part)
    if truth.views is not None:
        assert str(truth.views) in text or f"{truth.views:,}".replace(",", ".") in text
    assert all(tag in text for tag in truth.tags)
    last_modified = format_datetime(truth.last_modified.astimezone(UTC), usegmt=True)
    assert response.headers["Last-Modified"] == last_modified


@pytest.mark.parametrize("family", FAMILIES)
def test_every_article_page_shows_its_ground_truth(portals, family):
    expected = portals[family].expected_articles()
    assert len(expected) >= 6
    for truth in expected.values():
        assert_page_shows(truth)


@pytest.mark.parametrize(
    ("family", "article_id", "printed", "published"),
    [
        ("vnportal", 497310, "11:16 | 18/01/2023 | 1.026 lượt xem", "2023-01-18T11:16"),
        ("vnportal", 499815, "(28/01/2023, 10:15)", "2023-01-28T10:15"),
        ("liferay", 1123405, "15/09/2020 | 3:39 PM", "2020-09-15T15:39"),
        ("tandan", 31245, "Đăng ngày 06 - 12 - 2021", "2021-12-06T00:00"),
        ("nukeviet", 1405, "Thứ tư - 28/04/2021 05:21", "2021-04-28T05:21"),
        ("generic", 815, "Tin đăng ngày: 6/2/2020 - Xem: 92", "2020-02-06T00:00"),
    ],
)
def test_dates_as_each_family_prints_them(portals, family, article_id, printed, published):
    truth = expected_by_id(portals[family], article_id)
    assert printed in page_text(fetch(truth.url))
    assert truth.published == datetime.fromisoformat(published + ":00+07:00")


def crawl(server: PortalServer, limit: int = 200) -> set[str]:
    """Same-site URLs reachable from the home page, skipping print, tracking and calendar."""
    skip = re.compile(r"print|utm_|lich=|/admin|/faults/")
    seen, queue, fetched = {server.base_url}, deque([server.base_url]), 0
    while queue and fetched < limit:
        url = queue.popleft()
        fetched += 1
        response = fetch(url, accept_encoding="gzip")
        if "html" not in response.headers.get("Content-Type", ""):
            continue
        for href in links(response):
            absolute = urljoin(url, href).split("#")[0]
            same_site = absolute.startswith(server.base_url) and not skip.search(absolute)
            if same_site and absolute not in seen:
                seen.add(absolute)
                queue.append(absolute)
    return seen


@pytest.mark.parametrize("family", FAMILIES)
def test_listings_reach_every_article_from_the_home_page(portals, family):
    server = portals[family]
    home = fetch(server.base_url)
    assert home.status == 200 and "charset=" in home.headers["Content-Type"]
    assert set(server.expected_articles()) <= crawl(server)


def test_expected_articles_are_ground_truth_of_the_seed(vnportal):
    truth = expected_by_id(vnportal, 488619)
    assert truth.title == SEED_TITLE
    assert truth.published is None
    assert truth.summary is None
    assert truth.author == "Hữu Thịnh – Trung tâm VHTT&TT"
    assert truth.views == 50
    assert truth.captions == ["Toàn cảnh hội nghị.", "Các đại biểu tham gia phát biểu ý kiến."]
    assert len(truth.body) == 3
    assert truth.body[0].startswith("Để góp phần") and truth.body[0].endswith("cấp huyện.")
    assert "với UBND xã để thực hiện" in truth.body[1]
    assert truth.category == "tin-tuc-su-kien"
    assert truth.last_modified.tzinfo is not None


# -- the seed page ---------------------------------------------------------------


def test_seed_page_keeps_real_text_and_boilerplate(vnportal):
    truth = expected_by_id(vnportal, 488619)
    response = fetch(truth.url)
    page = response.body.decode("utf-8")
    text = page_text(response)
    for paragraph in SEED_PARAGRAPHS:
        assert paragraph in text
    assert "UBND xã&nbsp; để" in page  # the source's stray spaces reach the HTML
    assert page.count('alt="Anh-tin-bai"') == 3
    order = [
        "ĐĂNG NHẬP",
        'alt="image banner"',
        SEED_TITLE,
        "Lượt xem: 50",
        "Toàn cảnh hội nghị.",
        "Các đại biểu tham gia phát biểu ý kiến.",
        "Hữu Thịnh – Trung tâm VHTT&amp;TT",
        ">Tin tức<",
        "Hội nghị chuyên đề &quot;Học tập và làm theo tư tưởng",
        '<span class="current">1</span>',
        "Bản quyền thuộc về UBND xã Thanh Liên",
    ]
    body = page.index("<body")
    positions = [page.index(marker, body) for marker in order]
    assert positions == sorted(positions)
    today = datetime.now(VN_TZ).strftime("%d/%m/%Y")
    assert today in page  # the header's date trap
    article = page[page.index("ArticleTitle") : page.index("OtherNews")]
    assert not re.search(r"\d{2}/\d{2}/\d{4}", article)  # the seed prints no date
    image = fetch(urljoin(truth.url, re.search(r'alt="Anh-tin-bai" src="([^"]+)"', page)[1]))
    assert image.headers["Content-Type"] == "image/jpeg" and image.body[:2] == b"\xff\xd8"
    assert "/datafiles/nan-ubnd/1186/quantritintuc20229/" in page


# -- HTTP ----------------------------------------------------------------------------


def test_gzip_when_accepted_and_always_for_one_article(vnportal):
    plain = fetch(vnportal.base_url)
    assert "Content-Encoding" not in plain.headers
    assert int(plain.headers["Content-Length"]) == len(plain.body)
    packed = fetch(vnportal.base_url, accept_encoding="gzip, deflate")
    assert packed.headers["Content-Encoding"] == "gzip"
    assert b"<!DOCTYPE html>" in gzip.decompress(packed.body)
    forced = [e for e in vnportal.expected_articles().values() if "gzip" in e.quirks]
    assert forced
    always = fetch(forced[0].url)  # no Accept-Encoding at all
    assert always.headers["Content-Encoding"] == "gzip"
    assert forced[0].title in page_text(always)


def test_listings_are_chunked(vnportal):
    response = fetch(vnportal.url("/tin-tuc-su-kien"))
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.headers
    assert b"news-item" in response.body


def test_conditional_requests_answer_304(vnportal):
    url = next(iter(vnportal.expected_articles()))
    first = fetch(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert fetch(url, if_none_match=etag).status == 304
    assert fetch(url, if_modified_since=modified).status == 304
    assert fetch(url, if_modified_since="Mon, 01 Jan 2018 00:00:00 GMT").status == 200
    assert fetch(url, if_none_match='"something-else"').status == 200


def test_head_sends_headers_without_body(vnportal):
    response = fetch(vnportal.base_url, method="HEAD")
    assert response.status == 200 and response.body == b""
    assert int(response.headers["Content-Length"]) > 1000


def test_keep_alive_serves_several_requests_on_one_connection(vnportal):
    parts = urlsplit(vnportal.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    for path in ("/", "/tin-noi-bat", "/robots.txt"):
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200 and response.read()
    connection.close()


def test_robots_404_and_admin(vnportal):
    robots = fetch(vnportal.url("/robots.txt"))
    assert robots.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"Disallow: /admin/" in robots.body
    assert "/admin/" in links(fetch(vnportal.base_url))
    missing = fetch(vnportal.url("/khong-co-trang-nay"))
    assert missing.status == 404
    assert "text/html" in missing.headers["Content-Type"] and "Không tìm thấy" in page_text(missing)


# -- charsets ------------------------------------------------------------------------


def test_tandan_site_is_windows_1258(portals):
    server = portals["tandan"]
    for url, truth in server.expected_articles().items():
        response = fetch(url)
        assert response.headers["Content-Type"] == "text/html; charset=windows-1258"
        body = response.body
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert b"charset=windows-1258" in body
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        decoded = body.decode("cp1258")
        assert "\u0301" in decoded  # tones as combining marks
        assert unicodedata.normalize("NFC", decoded).count(truth.title) >= 1
        assert "windows-1258" in truth.quirks


def test_windows_1258_round_trips_every_vietnamese_letter():
    tones = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    vowels = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
    letters = "".join(unicodedata.normalize("NFC", v + t) for v in vowels for t in tones) + "đĐ"
    encoded = WINDOWS_1258.encode(letters + " – “Hợp tác xã” … ₫")
    assert unicodedata.normalize("NFC", encoded.decode("cp1258")) == letters + " – “Hợp tác xã” … ₫"


def test_pages_with_wrong_or_missing_charset(portals):
    quirky = {
        quirk: (family, truth)
        for family in FAMILIES
        for truth in portals[family].expected_articles().values()
        for quirk in truth.quirks
    }
    _, truth = quirky["utf8-as-latin1"]
    response = fetch(truth.url)
    assert response.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert truth.title in html.unescape(response.body.decode("utf-8"))
    _, truth = quirky["cp1258-as-utf8"]
    response = fetch(truth.url)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        response.body.decode("utf-8")
    decoded = html.unescape(response.body.decode("cp1258"))
    assert truth.title in unicodedata.normalize("NFC", decoded)
    _, truth = quirky["no-charset"]
    response = fetch(truth.url)
    assert response.headers["Content-Type"] == "text/html"
    assert b"charset" not in response.body.lower()
    _, truth = quirky["nfd"]
    body = html.unescape(fetch(truth.url).body.decode("utf-8"))
    assert unicodedata.normalize("NFD", truth.title) in body
    assert truth.title not in body  # the page has no NFC copy of the title
    assert unicodedata.is_normalized("NFC", truth.title)


# -- traps -----------------------------------------------------------------------------


def test_vnportal_duplicates_and_endless_pager(vnportal):
    truth = expected_by_id(vnportal, 488619)
    for variant in ("?pageindex=0", "?utm_source=zalo&utm_medium=social", "?print=1"):
        response = fetch(truth.url + variant)
        assert response.status == 200 and SEED_PARAGRAPHS[1] in page_text(response)
    listing = links(fetch(vnportal.url("/tin-tuc-su-kien")))
    assert any(href.endswith("?pageindex=0") for href in listing)
    far = fetch(vnportal.url("/tin-tuc-su-kien?pageindex=40"))
    assert far.status == 200 and b"news-item" not in far.body
    assert "/tin-tuc-su-kien?pageindex=41" in links(far)
    calendar = links(fetch(vnportal.url("/?lich=2031-12")))
    assert "/?lich=2032-01" in calendar and "/?lich=2031-11" in calendar
    home = links(fetch(vnportal.base_url))
    for trap in ("http://10.0.0.1/", "http://192.168.1.10/", "http://baonghean.vn/", "mailto:"):
        assert any(href.startswith(trap) for href in home)
    article = links(fetch(truth.url))
    assert any(h.startswith("javascript:") for h in article)
    assert any(h.endswith("#comments") for h in article)


def test_nukeviet_feeds_and_sitemap(portals):
    server = portals["nukeviet"]
    expected = server.expected_articles()
    robots = fetch(server.url("/robots.txt")).body.decode()
    assert f"Sitemap: {server.url('/sitemap.xml')}" in robots
    sitemap = ET.fromstring(fetch(server.url("/sitemap.xml")).body)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {
        u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns) for u in sitemap
    }
    assert set(locs) == set(expected)
    assert all(datetime.fromisoformat(v).tzinfo for v in locs.values())
    feed = fetch(server.url("/vi/news/rss/tin-tuc/"))
    assert feed.headers["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(feed.body).findall("channel/item")
    assert items and all(i.findtext("link") in expected for i in items)
    assert all(i.findtext("pubDate").endswith("+0700") for i in items)
    assert 'type="application/rss+xml"' in fetch(server.base_url).body.decode()
    assert fetch(server.url("/news/tin-tuc/page-2")).status == 200
    tagged = fetch(server.url("/news/tag/nong-thon-moi-nang-cao"))
    assert tagged.status == 200 and "Xuân Lộc đạt chuẩn huyện nông thôn mới" in page_text(tagged)
    assert fetch(server.url("/news/tag/khong-co")).status == 404


# -- faults ------------------------------------------------------------------------------


@pytest.fixture
def faulty():
    with PortalServer("vnportal", faults=True, slow_seconds=2) as server:
        yield server


def test_fault_endpoints(faulty):
    def at(kind: str, **kwargs) -> Response:
        return fetch(faulty.url(FAULT_PATHS[kind]), **kwargs)

    home = links(fetch(faulty.base_url))
    assert FAULT_PATHS["reset"] in home and FAULT_PATHS["moved"] in home
    assert at("not_found").status == 404
    assert at("server_error").status == 500
    busy = [at("unavailable") for _ in range(3)]
    assert [r.status for r in busy] == [503, 503, 200]
    assert busy[0].headers["Retry-After"] == "1"
    with pytest.raises(TimeoutError):
        at("slow", timeout=0.5)
    with pytest.raises(ConnectionError):
        at("reset")
    with pytest.raises(http.client.IncompleteRead):
        at("truncated")
    pdf = at("pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.body.startswith(b"%PDF-1.4")
    assert at("jpeg").body[:3] == b"\xff\xd8\xff"
    assert len(at("huge").body) >= 3_000_000
    assert at("loop").headers["Location"] == FAULT_PATHS["loop_back"]
    assert at("loop_back").headers["Location"] == FAULT_PATHS["loop"]
    assert at("offsite").headers["Location"] == "http://example.org/"
    first = at("moved")
    second = fetch(faulty.url(first.headers["Location"]))
    assert (first.status, second.status) == (301, 302)
    target = faulty.url(second.headers["Location"])
    assert target in faulty.expected_articles() and fetch(target).status == 200


def test_no_fault_endpoints_by_default(vnportal):
    assert fetch(vnportal.url(FAULT_PATHS["server_error"])).status == 404


# -- servers -----------------------------------------------------------------------------


def test_two_servers_at_once_and_latency_does_not_serialize():
    with (
        PortalServer("vnportal", host="127.0.0.1", latency=0.3) as one,
        PortalServer("liferay", host="127.0.0.2", latency=0.3) as two,
    ):
        assert urlsplit(two.base_url).hostname == "127.0.0.2"
        urls = [one.base_url, two.base_url] * 4
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda u: fetch(u).status, urls))
        assert statuses == [200] * 8
        assert time.monotonic() - started < 1.2


def test_extra_articles_are_deterministic_and_listed():
    with (
        PortalServer("liferay", extra_articles=60, seed=7) as a,
        PortalServer("liferay", extra_articles=60, seed=7) as b,
    ):
        first, second = a.expected_articles(), b.expected_articles()
        assert len(first) == 68
        assert [e.title for e in first.values()] == [e.title for e in second.values()]
        synthetic = [e for e in first.values() if e.id >= 10_000_000]
        sizes = [sum(len(p.encode()) for p in e.body) for e in synthetic]
        assert min(sizes) >= 2000 and max(sizes) <= 3072
        for truth in synthetic:
            assert_page_shows(truth)
        page2 = fetch(a.url("/tin-tuc-su-kien?p_p_id=101&_101_delta=15&_101_cur=2"))
        assert page2.status == 200 and b"asset-bounddary" in page2.body


def test_only_loopback_and_known_families():
    with pytest.raises(ValueError, match="loopback"):
        PortalServer(host="0.0.0.0")
    with pytest.raises(ValueError, match="unknown family"):
        PortalServer("wordpress")
    with pytest.raises(RuntimeError, match="start the server"):
        PortalServer().base_url  # noqa: B018


def test_command_line_prints_base_url_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "sampleportal", "--family", "nukeviet", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", base_url)
        assert fetch(base_url).status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()


# -- the search corpus -----------------------------------------------------------------


def test_corpus_carries_the_search_hazards():
    articles = [a for family in all_articles().values() for a in family]
    assert len(articles) >= 36
    texts = [collapse(" ".join([a.title, a.summary or "", *a.paragraphs])) for a in articles]

    def having(word: str) -> int:
        return sum(bool(re.search(rf"(?<!\w){word}(?!\w)", t, re.IGNORECASE)) for t in texts)

    assert having("nông thôn mới nâng cao") >= 3
    scattered = [t for t in texts if "nông thôn mới" not in t.lower()]
    assert any(all(word in t.lower() for word in ("nông", "thôn", "mới")) for t in scattered)
    for word in ("hợp tác xã", "bão", "báo", "bảo", "bao", "UBND", "HĐND", "MTTQ", "NTM", "y tế"):
        assert having(word) >= 1, word
    for phrase in ("VHTT&TT", "1.026", "34 tỷ đồng", "12/04/2017", "TP Vinh", "huyện Thanh Chương"):
        assert any(phrase in t for t in texts), phrase
    for old, new in (("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("qúy", "quý")):
        assert having(old) and having(new), (old, new)
    assert sum(a.published is None for a in articles) == 1
    years = {a.published.year for a in articles if a.published}
    assert {2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026} <= years
    assert {q for a in articles for q in a.quirks} == {
        "nfd",
        "utf8-as-latin1",
        "cp1258-as-utf8",
        "no-charset",
        "gzip",
    }
