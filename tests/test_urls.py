"""URL canonicalisation, a site's learnt spelling, and address safety."""

from __future__ import annotations

import ipaddress
import socket
import time
import tracemalloc
from datetime import date
from urllib.parse import quote

import pytest
from parsel import Selector
from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.signalmanager import SignalManager
from scrapy.utils.test import get_crawler

from crawler.links import link_at
from crawler.middlewares.spelling import MAX_RESPELLINGS, RespellMiddleware
from crawler.shapes import released
from crawler.spelling import UrlSpelling
from extract.scripts import script_redirect
from extract.urls import (
    canonicalize,
    implausible_date,
    is_print_view,
    is_private_address,
    looping_path,
    resolves_to_private,
    url_shape,
    with_page_one,
    without_params,
)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Xa.Gov.VN:443/tin-tuc/bai-1#top", "https://xa.gov.vn/tin-tuc/bai-1"),
        ("http://xa.gov.vn/tin/bai-1?pageindex=0", "http://xa.gov.vn/tin/bai-1"),
        ("http://xa.gov.vn/tin?pageindex=2", "http://xa.gov.vn/tin?pageindex=2"),
        # The first page, where pages count from one (see with_page_one).
        ("http://xa.gov.vn/tin?cat=2&page=1", "http://xa.gov.vn/tin?cat=2"),
        # Counted by items (Joomla), the first page is an offset of 0; 1 is not it.
        ("http://xa.gov.vn/tin?limitstart=0&cat=2", "http://xa.gov.vn/tin?cat=2"),
        ("http://xa.gov.vn/tin?start=1&cat=2", "http://xa.gov.vn/tin?cat=2&start=1"),
        ("http://xa.gov.vn/a?utm_source=zalo&fbclid=x&id=3", "http://xa.gov.vn/a?id=3"),
        ("http://xa.gov.vn/a?print=1&b=2&a=1", "http://xa.gov.vn/a?a=1&b=2"),
        # "&amp;amp;" in the HTML: Joomla's print link as some templates write it.
        (
            "http://xa.gov.vn/a?id=5&amp;tmpl=component&amp;print=1",
            "http://xa.gov.vn/a?id=5&tmpl=component",
        ),
        ("http://xa.gov.vn/tin-tức/bài 1", "http://xa.gov.vn/tin-t%E1%BB%A9c/b%C3%A0i%201"),
        # Percent-escapes in either hex case are one page (SharePoint writes both).
        ("http://xa.gov.vn/Pages/Qu%e1%ba%a3ng.aspx", "http://xa.gov.vn/Pages/Qu%E1%BA%A3ng.aspx"),
        # An IPv6 host keeps its brackets: "http://::1:8080/a" is no URL at all.
        ("http://[::1]:8080/a?utm_source=x", "http://[::1]:8080/a"),
        ("HTTP://[::1]:80/a", "http://[::1]/a"),
        # A query escaped in a legacy encoding (windows-1258 "á" is E1) is
        # asked for as written: decoded as UTF-8 it would be %EF%BF%BD.
        (
            "http://xa.gov.vn/tin.asp?cm=Kinh+t%e1&id=5",
            "http://xa.gov.vn/tin.asp?cm=Kinh+t%E1&id=5",
        ),
        ("http://xa.gov.vn/tin?q=Li%C3%AAn&sid=9", "http://xa.gov.vn/tin?q=Li%C3%AAn"),
    ],
)
def test_canonical_urls(url: str, canonical: str) -> None:
    assert canonicalize(url) == canonical


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        # Counted from zero, page=1 is the second page: put back, in its place.
        ("http://xa.gov.vn/tin?page=1&cat=2", "http://xa.gov.vn/tin?cat=2&page=1"),
        ("http://xa.gov.vn/tin?cat=2&amp;PageIndex=1", "http://xa.gov.vn/tin?PageIndex=1&cat=2"),
        # Nothing else canonicalize drops comes back.
        ("http://xa.gov.vn/tin?page=1&utm_source=x", "http://xa.gov.vn/tin?page=1"),
        ("http://xa.gov.vn/tin?page=0", "http://xa.gov.vn/tin"),
        ("http://xa.gov.vn/tin?id=1", "http://xa.gov.vn/tin?id=1"),
    ],
)
def test_a_page_one_is_put_back_for_pagers_counting_from_zero(written: str, kept: str) -> None:
    assert with_page_one(written, canonicalize(written)) == kept


def test_print_views_with_their_own_path_are_recognised() -> None:
    assert is_print_view("http://x.gov.vn/news/print/bai-viet-12.html")
    assert not is_print_view("http://x.gov.vn/news/tin-tuc/in-an-tai-lieu-12.html")


def test_names_resolving_to_private_addresses_are_recognised() -> None:
    assert is_private_address("10.0.0.1") and is_private_address("localhost")
    assert not is_private_address("thanhlien.nghean.gov.vn")
    assert resolves_to_private("localhost")
    assert not resolves_to_private("no-such-host.invalid")
    # This machine's own name resolves to a loopback address on most hosts
    # (/etc/hosts): a link to it must count as private, though it is a name.
    host = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    if not any(ipaddress.ip_address(a).is_loopback for a in addresses):
        pytest.skip(f"{host} does not resolve to loopback here ({addresses})")
    assert not is_private_address(host)
    assert resolves_to_private(host)


def test_the_origin_includes_the_port() -> None:
    """A portal on a host must not lead the crawl to other services on other ports of it."""
    from extract.urls import origin_entry, within_site

    domains = ("127.0.0.1", origin_entry("http://127.0.0.1:8123/"))
    assert domains[1] == "127.0.0.1:8123"
    assert within_site("http://127.0.0.1:8123/tin-tuc", domains)
    assert within_site("https://127.0.0.1/", domains)
    assert not within_site("http://127.0.0.1:6379/", domains)
    assert not within_site("http://127.0.0.1:5432/", ("127.0.0.1",))
    assert within_site("http://[::1]:8080/a", (origin_entry("http://[::1]:8080/"),))
    assert origin_entry("http://[::1]/") == "[::1]"
    assert not within_site("http://[::1]:8081/a", ("[::1]:8080",))


def test_a_www_host_is_the_same_site_as_its_name_without_it() -> None:
    """Portals answer under both, and templates write either: links to the
    other spelling were off the site, and their articles never fetched."""
    from extract.urls import within_site

    assert within_site("https://thanhlien.gov.vn/tin/1.html", ("www.thanhlien.gov.vn",))
    assert within_site("https://www.thanhlien.gov.vn/tin/1.html", ("thanhlien.gov.vn",))
    # Not the subdomains of the name: other portals live there.
    assert not within_site("https://xa.nghean.gov.vn/", ("www.nghean.gov.vn",))
    assert not within_site("https://gov.vn/", ("www.nghean.gov.vn",))


def test_values_made_per_visit_leave_the_sites_urls() -> None:
    """A cache-buster (the time now, a random fraction) leaves a site's URLs once
    one link came with two values; seen once, it could be a fresh article's id."""
    now = int(time.time())
    spelling = UrlSpelling()

    def page(stamp: int, fraction: str) -> list[str]:
        return [
            f"http://xa.gov.vn/tin-tuc.php?page=2&t={stamp}",
            f"http://xa.gov.vn/chi-tiet.php?id=7&rnd={fraction}",
            f"http://xa.gov.vn/lich.php?_={stamp * 1000 + 123}",
            "http://xa.gov.vn/bai-viet.php?id=1534257436",
            f"http://xa.gov.vn/moi.php?newsid={now * 1000}",
        ]

    spelling.learn_from_links(page(now, "0.8273645190"))
    assert spelling.volatile == frozenset()
    spelling.learn_from_links(page(now + 1, "0.1234567890")[:4])
    assert spelling.volatile == {"t", "rnd", "_"}
    assert spelling.normal(f"http://xa.gov.vn/tin-tuc.php?page=3&t={now + 5}") == (
        "http://xa.gov.vn/tin-tuc.php?page=3"
    )
    assert spelling.normal("http://xa.gov.vn/chi-tiet.php?id=8&rnd=0.5550001234") == (
        "http://xa.gov.vn/chi-tiet.php?id=8"
    )
    # What is left of a URL is asked for as written, in whatever encoding.
    assert spelling.normal(f"http://xa.gov.vn/tin-tuc.php?cm=t%E1&t={now + 5}") == (
        "http://xa.gov.vn/tin-tuc.php?cm=t%E1"
    )
    # An href as written, its Vietnamese unescaped, goes out as a browser sends it
    # (it crashed the page's extraction: latin-1 has no "ấ").
    assert without_params(f"/tim-kiem?q=xấu&t={now}", spelling.volatile) == (
        "/tim-kiem?q=x%E1%BA%A5u"
    )
    # An id that is a past Unix time, and one that is a fresh article's creation time.
    for kept in ("bai-viet.php?id=1534257436", f"moi.php?newsid={now * 1000}"):
        assert spelling.normal(f"http://xa.gov.vn/{kept}") == f"http://xa.gov.vn/{kept}"


def test_a_return_address_leaves_the_sites_urls_once_two_links_carry_it() -> None:
    """Liferay writes ``redirect=<the page's own URL>`` into every link: a
    value that is the page the links are on, under one name in two links,
    is a return address, whatever the name; other path values are kept."""
    spelling = UrlSpelling()
    here = "http://xa.gov.vn/web/guest/tin-tuc?_101_cur=2"
    article = "http://xa.gov.vn/web/guest/tin-tuc/-/asset_publisher/x/content/bai-{}"
    back = quote("/web/guest/tin-tuc?_101_cur=2", safe="")
    one = [f"{article.format(1)}?redirect={back}", "http://xa.gov.vn/tai.aspx?file=%2Fa.pdf"]
    spelling.learn_from_links(one, here)
    assert spelling.volatile == frozenset()  # one link could be a print view's ``url=``
    # Nested: a page fetched with a return address is its links' return address.
    nested = f"{here}&redirect=%2F"
    spelling.learn_from_links(
        [
            f"{article.format(1)}?redirect={quote(nested, safe='')}",
            f"{article.format(2)}?redirect={quote(nested, safe='')}&p_p_id=101",
            "http://xa.gov.vn/tai.aspx?file=%2Fweb%2Fguest%2Fa.pdf",
            "http://xa.gov.vn/tai.aspx?file=%2Fweb%2Fguest%2Fb.pdf",
        ],
        nested,
    )
    assert spelling.volatile == {"redirect"}
    assert spelling.normal(f"{article.format(3)}?redirect=%2Fany") == article.format(3)
    assert spelling.normal("http://xa.gov.vn/tai.aspx?file=%2Fa.pdf").endswith("file=%2Fa.pdf")


def test_an_article_met_in_capitals_before_case_was_known_still_teaches_its_session() -> None:
    """IIS: the first copy of an article came in capitals, before the server
    was asked about case; the next, in lower case under another session id,
    is the same page, and teaches the id."""
    spelling = UrlSpelling()
    spelling.learn_from_article("http://xa.gov.vn/TinTuc/Bai-7.aspx?sid=s3C6EF362", lambda: "7")
    spelling.learn_case(True)
    spelling.learn_from_article("http://xa.gov.vn/tintuc/bai-7.aspx?sid=sA708A7AE", lambda: "7")
    assert spelling.volatile == {"sid"}
    assert spelling.normal("http://xa.gov.vn/TinTuc/Bai-8.aspx?sid=s1") == (
        "http://xa.gov.vn/tintuc/bai-8.aspx"
    )


def test_a_number_alone_leaves_the_urls_once_two_gave_one_article() -> None:
    """``?17747114`` made anew for each page shown: learnt from the article it
    gave twice, never from URLs alone (``/tin.asp?5`` and ``?6`` may be two)."""
    spelling = UrlSpelling()
    spelling.learn_from_article("http://xa.gov.vn/bai-7.html?17747114", lambda: "seven")
    spelling.learn_from_article("http://xa.gov.vn/bai-7.html?17747114", lambda: "seven")
    assert spelling.volatile == frozenset()  # the same URL again is no evidence
    spelling.learn_from_article("http://xa.gov.vn/bai-7.html?48213977=", lambda: "seven")
    assert spelling.normal("http://xa.gov.vn/bai-8.html?id=8&3141592") == (
        "http://xa.gov.vn/bai-8.html?id=8"
    )
    assert url_shape("http://xa.gov.vn/bai-8.html?3141592") == "/*.html?*=*"
    # Where two numbers gave two articles, the number names them: never learnt.
    ids = UrlSpelling()
    ids.learn_from_article("http://xa.gov.vn/tin.asp?5", lambda: "one")
    ids.learn_from_article("http://xa.gov.vn/tin.asp?6", lambda: "another")
    ids.learn_from_article("http://xa.gov.vn/bai-7.html?17747114", lambda: "seven")
    ids.learn_from_article("http://xa.gov.vn/bai-7.html?48213977", lambda: "seven")
    assert ids.volatile == frozenset()


def test_a_token_leaves_the_urls_only_once_two_values_gave_one_page() -> None:
    """A session id under a name nobody listed (``tk=s1A2B3C4D``) is learnt
    when an article, or a listing's links, came back the same under two of
    its values.  A slug with digits (``alias=hoi-nghi-2024``) reads as a
    token, and each article's print link carries its own, one value a page:
    two slugs that gave two articles name them, and are never learnt."""
    spelling = UrlSpelling()
    listing = "http://xa.gov.vn/tin-tuc.php?cat=3&tk={}"
    links = ["http://xa.gov.vn/chi-tiet.php?id=5&tk={}", "http://xa.gov.vn/chi-tiet.php?id=6&tk={}"]

    def page(value: str) -> None:
        spelling.learn_from_links(
            [link.format(value) for link in links], listing.format(value), compare=True
        )

    page("s1A2B3C4D")
    page("s9F8E7D6C")
    assert spelling.volatile == {"tk"}
    assert spelling.normal(links[0].format("s0000000A")) == "http://xa.gov.vn/chi-tiet.php?id=5"

    slugs = UrlSpelling()
    article = "http://xa.gov.vn/chi-tiet.php?alias=hoi-nghi-lan-{}-nam-2024"
    for number in (1, 2):
        printed = [f"http://xa.gov.vn/in-bai.php?alias=hoi-nghi-lan-{number}-nam-2024"]
        slugs.learn_from_links(printed, article.format(number))
        slugs.learn_from_article(article.format(number), lambda n=number: f"text {n}")
    assert slugs.volatile == frozenset()
    assert slugs.ids == {"alias"}
    # A listing showing two slugs tells as much before any article is fetched.
    listing = UrlSpelling()
    listing.learn_from_links(
        [article.format(1), article.format(2), article.format(3) + "&tk=s1A2B3C4D"]
    )
    assert listing.ids == {"alias"}
    # An article met under one session id: the same link under another settles it.
    assert spelling.settles("http://xa.gov.vn/chi-tiet.php?id=9&tk=s1A2B3C4D") is False
    fresh = UrlSpelling()
    fresh.learn_from_article("http://xa.gov.vn/chi-tiet.php?id=9&tk=s1A2B3C4D", lambda: "nine")
    assert fresh.settles("http://xa.gov.vn/chi-tiet.php?id=9&tk=s9F8E7D6C")
    assert not fresh.settles("http://xa.gov.vn/chi-tiet.php?id=9&tk=s1A2B3C4D")
    assert not fresh.settles("http://xa.gov.vn/chi-tiet.php?id=10&tk=s9F8E7D6C")
    # Proven to name pages, it stays even where one page came back twice.
    slugs.learn_from_article(article.format(3) + "&tk=s1A2B3C4D", lambda: "three")
    slugs.learn_from_article(article.format(3) + "&tk=s9F8E7D6C", lambda: "three")
    assert slugs.volatile == {"tk"}


def test_an_origin_the_server_moved_is_learnt_from_two_redirects() -> None:
    """Two paths redirected from http:// to https:// (or to www.) with path and
    query kept: links still written the old way go to the new origin at once."""
    spelling = UrlSpelling()
    old = "http://xa.gov.vn/tin-tuc/bai-{}.html?id={}"
    new = "https://xa.gov.vn/tin-tuc/bai-{}.html?id={}"
    # A redirect to another path (a login, a moved page) teaches nothing.
    spelling.learn_from_redirect("http://xa.gov.vn/cu.html", "https://xa.gov.vn/moi.html")
    spelling.learn_from_redirect(old.format(1, 1), new.format(1, 1))
    assert spelling.normal(old.format(3, 3)) == old.format(3, 3)
    spelling.learn_from_redirect("http://xa.gov.vn/cu.html", "https://xa.gov.vn/moi.html")
    assert spelling.moved == {}
    spelling.learn_from_redirect(old.format(2, 2), new.format(2, 2))
    assert spelling.normal(old.format(3, 3)) == new.format(3, 3)
    assert spelling.normal("https://xa.gov.vn/a") == "https://xa.gov.vn/a"
    # Moves chain (http, then www), and a server sending a path back is no move.
    for n in (1, 2):
        spelling.learn_from_redirect(f"https://xa.gov.vn/{n}", f"https://www.xa.gov.vn/{n}")
        spelling.learn_from_redirect(f"https://www.xa.gov.vn/{n}", f"https://xa.gov.vn/{n}")
    assert spelling.normal("http://xa.gov.vn/b") == "https://www.xa.gov.vn/b"
    assert spelling.moved.get("https://www.xa.gov.vn") is None


def test_a_stub_page_sends_the_browser_on_by_its_one_short_script() -> None:
    def redirect(html: str) -> str | None:
        return script_redirect(Selector(text=html).root)

    assert redirect('<script>window.location.href = "/portal/";</script>') == "/portal/"
    assert redirect("<script>top.location='/vi/'</script>") == "/vi/"
    assert redirect("<script>location.replace('http://xa.vn/p');</script>") == "http://xa.vn/p"
    # A program naming several places, a script from elsewhere, none: no redirect.
    several = "<script>if (x) location.href='/a'; else location.href='/b';</script>"
    assert redirect(several) is None
    assert redirect('<script src="/r.js"></script><p>location.href="/x"</p>') is None
    assert redirect("<p>Trang chủ</p>") is None


def test_dates_no_news_can_carry_are_told_from_ids() -> None:
    """A day past next week, before 1995, or on no day at all (a calendar's
    arithmetic) is no news; a year alone may be an id (``?id=1990``) and
    counts only with ``whole_days`` off, next year's plans never."""
    today = date(2026, 12, 3)
    for url in (
        "http://xa.gov.vn/lich?ngay=15-01-2027",
        "http://xa.gov.vn/lich?date=2027-01-15&EventID=0",
        "http://xa.gov.vn/lich?ngay=31/02/2024",
        "http://xa.gov.vn/lich?ngay=1994-12-31",
        "http://xa.gov.vn/portal/Pages/2027-1-15/bai.aspx",
    ):
        assert implausible_date(url, today, whole_days=True), url
    for url in (
        "http://xa.gov.vn/lich?ngay=09-12-2026",  # next week: scheduled, or a time zone
        "http://xa.gov.vn/tin?id=1990",
        "http://xa.gov.vn/lich?nam=2027",
        "http://xa.gov.vn/portal/Pages/2024-5-17/bai.aspx",
    ):
        assert implausible_date(url, today, whole_days=True) is None, url
    assert implausible_date("http://xa.gov.vn/tin?id=1990", today) == "1990"
    assert implausible_date("http://xa.gov.vn/lich?nam=2028", today) == "2028"


def test_a_request_that_waited_is_sent_in_the_sites_new_spelling() -> None:
    """A request parked or held back while a session id was being learnt is
    let through the duplicate filter; sent as it was, each such copy of an
    article cost a page.  It is spelt anew and filtered like any other; a
    probe (which bypasses the filter on purpose) is left alone."""
    crawler = get_crawler(Spider)
    crawler.spider = Spider("portal")
    crawler.spider.spelling = UrlSpelling()
    crawler.spider.spelling.volatile = frozenset({"vs"})
    crawler.stats.open_spider()
    respell = RespellMiddleware.from_crawler(crawler)
    waited = released(Request("http://xa.gov.vn/bai-viet-3.html?vs=s1A2B3C4D", dont_filter=True))
    sent = respell.process_request(waited)
    assert sent is not None and sent.url == "http://xa.gov.vn/bai-viet-3.html"
    assert not sent.dont_filter
    probe = Request("http://xa.gov.vn/bai-viet-3.html?vs=s1A2B3C4D", dont_filter=True)
    assert respell.process_request(probe) is None


def _respelling(crawler_spelling: UrlSpelling) -> tuple[RespellMiddleware, SignalManager]:
    crawler = get_crawler(Spider)
    crawler.spider = Spider("portal")
    crawler.spider.spelling = crawler_spelling
    crawler.stats.open_spider()
    return RespellMiddleware.from_crawler(crawler), crawler.signals


def test_a_redirect_out_of_the_sites_spelling_is_followed_as_written() -> None:
    """A server that answers a URL in the site's spelling only by redirecting
    out of it (a token it wants back, a slash it insists on): respelt to the
    URL that just redirected, the duplicate filter dropped it, and the page
    was lost."""
    spelling = UrlSpelling()
    spelling.volatile = frozenset({"tk"})
    respell, _ = _respelling(spelling)
    asked = "http://xa.gov.vn/tin-tuc.php?page=3"
    target = Request(f"{asked}&tk=s1A2B3C4D", meta={"redirect_urls": [asked]})
    assert respell.process_request(target) is None
    linked = respell.process_request(Request(f"{asked}&tk=s9F8E7D6C"))
    assert linked is not None and linked.url == asked  # a link is spelt as ever


def test_a_page_sent_under_an_old_spelling_is_not_sent_again() -> None:
    """Sent as ``?vs=…`` before ``vs`` was learnt, an article is not sent
    again as its new spelling, which the duplicate filter never saw; a form
    posted back to that URL, and a redirect's old URL, are other pages."""
    spelling = UrlSpelling()
    respell, crawler_signals = _respelling(spelling)
    article = "http://xa.gov.vn/bai-viet-3.html"
    moved = "http://xa.gov.vn/bai-viet-4.html"
    for url in (f"{article}?vs=s1A2B3C4D", f"{moved}?vs=s1A2B3C4D"):
        crawler_signals.send_catch_log(signals.request_reached_downloader, request=Request(url))
    crawler_signals.send_catch_log(
        signals.response_downloaded,
        response=HtmlResponse(f"{moved}?vs=s1A2B3C4D", status=301, headers={"Location": moved}),
        request=Request(f"{moved}?vs=s1A2B3C4D"),
    )
    assert respell.process_request(Request(article)) is None  # nothing learnt yet
    spelling.volatile = frozenset({"vs"})
    for url in (article, f"{article}?vs=s9F8E7D6C"):
        with pytest.raises(IgnoreRequest):
            respell.process_request(Request(url))
    assert respell.process_request(Request(article, method="POST", body=b"page=2")) is None
    assert respell.process_request(Request(moved)) is None


def test_a_portal_teaching_rule_after_rule_is_left_to_the_duplicate_filter() -> None:
    """Each rule learnt spells every page sent anew: past MAX_RESPELLINGS
    (a portal inventing a parameter per page), the pages sent are forgotten."""
    spelling = UrlSpelling()
    respell, crawler_signals = _respelling(spelling)
    for number in range(MAX_RESPELLINGS):
        url = f"http://xa.gov.vn/trang.html?p{number}=x"
        crawler_signals.send_catch_log(signals.request_reached_downloader, request=Request(url))
        spelling.volatile = spelling.volatile | {f"p{number}"}
        with pytest.raises(IgnoreRequest):
            respell.process_request(Request("http://xa.gov.vn/trang.html"))
    crawler_signals.send_catch_log(
        signals.request_reached_downloader, request=Request("http://xa.gov.vn/trang.html?q=x")
    )
    spelling.volatile = spelling.volatile | {"q"}
    assert respell.process_request(Request("http://xa.gov.vn/trang.html")) is None


def test_long_links_leave_nothing_behind() -> None:
    """The link caches kept every link a page had: forty pages of two thousand
    links of 10 KB each left 1.6 GB.  Long strings are answered uncached."""
    tracemalloc.start()
    try:
        for page in range(10):
            for number in range(400):
                href = f"/tin?id={page}-{number}&q=" + "a" * 5000
                assert link_at(f"http://xa.gov.vn/p{page}", href, ("xa.gov.vn",)) is None
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 3_000_000, kept  # 20 MB of links read


@pytest.mark.parametrize(
    ("url", "loops"),
    [
        ("http://x.gov.vn/tag/gioi-thieu/gioi-thieu/gioi-thieu/", True),
        ("http://x.gov.vn/a/b/c/a/b/c/a/b/c", True),
        ("http://x.gov.vn/" + "/".join(f"d{n}" for n in range(21)), True),
        # Twice is a portal's own naming, not a loop.
        ("http://x.gov.vn/tin-tuc/tin-tuc/bai-1.html", False),
        ("http://x.gov.vn/2024/05/05/05-ra-quan.html", False),
        ("http://x.gov.vn/a/b/a/b/c", False),
        ("http://x.gov.vn/?p=a/a/a/a", False),
    ],
)
def test_a_path_that_repeats_itself_three_times_loops(url: str, loops: bool) -> None:
    assert looping_path(url) is loops


def test_a_slash_ending_the_path_is_learnt_to_matter_or_not_from_one_article() -> None:
    """Links to one article written with and without a slash made its second
    spelling a copy, a dead end; two stopped the shape, and an article linked
    only with the slash was lost."""
    spelling = UrlSpelling()
    spelling.learn_from_article("http://xa.gov.vn/tin-tuc/bai-7/", lambda: "seven")
    assert spelling.may_respell("http://xa.gov.vn/tin-tuc/bai-8/")
    spelling.learn_from_article("http://xa.gov.vn/tin-tuc/bai-7", lambda: "seven")
    assert (
        spelling.normal("http://xa.gov.vn/tin-tuc/bai-8/?p=1")
        == "http://xa.gov.vn/tin-tuc/bai-8?p=1"
    )
    assert spelling.normal("http://xa.gov.vn/") == "http://xa.gov.vn/"
    other = UrlSpelling()
    other.learn_from_article("http://xa.gov.vn/tin-tuc/", lambda: "listing as an article")
    other.learn_from_article("http://xa.gov.vn/tin-tuc", lambda: "another page")
    assert other.normal("http://xa.gov.vn/tin-tuc/") == "http://xa.gov.vn/tin-tuc/"


def test_a_slash_learnt_not_to_matter_for_articles_stays_on_sections() -> None:
    """Articles answered with and without the slash; sections (``/tin-tuc/``,
    ``/tag/kinh-te/``) only with it, redirecting or answering 404 without.
    Learnt for the whole site, the slash left the sections' URLs, their pages
    were never fetched, and 12 of 30 articles were lost."""
    spelling = UrlSpelling()
    spelling.learn_from_article("http://xa.gov.vn/tin-tuc/bai-7/", lambda: "seven")
    spelling.learn_from_article("http://xa.gov.vn/tin-tuc/bai-7", lambda: "seven")
    assert spelling.normal("http://xa.gov.vn/tin-tuc/bai-8/") == "http://xa.gov.vn/tin-tuc/bai-8"
    assert spelling.normal("http://xa.gov.vn/tin-tuc/?page=3") == "http://xa.gov.vn/tin-tuc/?page=3"
    assert spelling.normal("http://xa.gov.vn/tag/kinh-te/") == "http://xa.gov.vn/tag/kinh-te/"
    # Numbers in the directory are any numbers: /2024/07/ is /2023/12/.
    spelling.learn_from_article("http://xa.gov.vn/2024/07/hop/", lambda: "meeting")
    spelling.learn_from_article("http://xa.gov.vn/2024/07/hop", lambda: "meeting")
    assert spelling.normal("http://xa.gov.vn/2023/12/le/") == "http://xa.gov.vn/2023/12/le"
    # A redirect adding the slash says it matters there, whatever was learnt.
    spelling.learn_from_redirect(
        "http://xa.gov.vn/tin-tuc/bai-9", "http://xa.gov.vn/tin-tuc/bai-9/"
    )
    assert spelling.normal("http://xa.gov.vn/tin-tuc/bai-8/") == "http://xa.gov.vn/tin-tuc/bai-8/"
