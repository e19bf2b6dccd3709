"""CMS presets: URL shapes, detection, article pages, pagination."""

from __future__ import annotations

import re

import pytest
from parsel import Selector

from crawler.decide import judge_page
from crawler.sites import SiteConfig
from extract.container import is_article_page
from extract.families import (
    FAMILY_NAMES,
    FIELDS,
    detect_family,
    get_family,
)
from extract.postback import PostBack, postback_pager
from tests.pages import LEGACY, URLS, page


@pytest.mark.parametrize(
    ("family", "url", "expected"),
    [
        ("liferay", URLS["liferay_article.html"], "article"),
        (
            "liferay",
            "https://x.gov.vn/web/guest/tin-tuc/-/asset_publisher/aB3x/content/le-ra-quan",
            "article",
        ),
        ("liferay", "https://sotttt.hanoi.gov.vn/tin-hoat-dong", "listing"),
        (
            "liferay",
            "https://sotttt.hanoi.gov.vn/tin-hoat-dong?p_p_id=101&p_p_lifecycle=0&_101_delta=15&_101_cur=3",
            "listing",
        ),
        (
            "liferay",
            "https://x.gov.vn/tin-tuc?p_p_id=dsnews_WAR_vnpteportalnewsportlet_INSTANCE_x1&"
            "_dsnews_WAR_vnpteportalnewsportlet_INSTANCE_x1_cur=2",
            "listing",
        ),
        ("liferay", "https://x.gov.vn/documents/10180/2305941/anh.jpg", None),
        ("tandan", URLS["tandan_article.html"], "article"),
        (
            "tandan",
            "https://dienbien.gov.vn/portal/Pages/Tin-tuc-su-kien.aspx?PageIndex=4",
            "listing",
        ),
        ("tandan", "https://dienbien.gov.vn/portal/Photos/2024-05-17/anh.jpg", None),
        ("vnportal", URLS["vnportal_seed_article.html"], "article"),
        ("vnportal", "https://thanhlien.thanhchuong.nghean.gov.vn/tin-noi-bat", "listing"),
        (
            "vnportal",
            "https://thanhlien.thanhchuong.nghean.gov.vn/tin-tuc-su-kien?pageindex=3",
            "listing",
        ),
        ("nukeviet", URLS["nukeviet_article.html"], "article"),
        (
            "nukeviet",
            "https://hcc.nghean.gov.vn/news/thong-bao/thong-bao-lich-tiep-dan-255.html",
            "article",
        ),
        ("nukeviet", "https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/", "listing"),
        ("nukeviet", "https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/page-4", "listing"),
        ("nukeviet", "https://xuanloc.dongnai.gov.vn/vi/news/rss/tin-tuc-su-kien/", None),
        ("generic", "https://hatinh.gov.vn/vi/bai-viet/hoi-nghi-tong-ket", "article"),
        ("generic", "https://tuyenquang.gov.vn/vi/tin-bai/hoi-nghi?id=130235&type=NEWS", "article"),
        ("generic", "https://bocongan.gov.vn/tin-tuc-su-kien/hoi-nghi-t29741.html", "article"),
        ("generic", "https://x.gov.vn/index.php?com=danhmuc_tin&id_category=5", "listing"),
        ("generic", "https://x.gov.vn/index.php?option=com_content&view=category&id=3", "listing"),
        ("generic", "https://x.gov.vn/index.php?option=com_content&view=article&id=37", "article"),
        ("generic", "https://x.gov.vn/", "listing"),
        ("generic", "https://x.gov.vn/gioi-thieu/lich-su", None),
    ],
)
def test_classify_by_url_shape(family: str, url: str, expected: str | None) -> None:
    assert get_family(family).classify(url) == expected


def test_presets_fall_back_to_generic_url_shapes() -> None:
    assert get_family("tandan").classify("https://x.gov.vn/vi/bai-viet/le-ra-quan") == "article"


def test_site_patterns_override_the_preset() -> None:
    vnportal = get_family("vnportal")
    url = "https://thanhlien.thanhchuong.nghean.gov.vn/tin-tuc-su-kien"
    assert vnportal.classify(url) == "listing"
    assert vnportal.classify(url, article_pattern=re.compile(r"/tin-tuc-su-kien$")) == "article"
    assert (
        vnportal.classify(
            URLS["vnportal_seed_article.html"], article_pattern=re.compile(r"/bai-viet/")
        )
        is None
    )
    assert (
        vnportal.classify("https://x.vn/chuyen-muc/a", listing_pattern=re.compile("/chuyen-muc/"))
        == "listing"
    )


def test_generic_listing_shapes_are_guesses_the_content_decides() -> None:
    """``/tin-tuc/<slug>`` and a listing's ``?PageIndex=12`` carried into article
    URLs match the generic listing shapes: judged, the page's content decides."""
    generic = get_family("generic")
    site = SiteConfig("x", ("https://x.gov.vn/",), ("x.gov.vn",))
    article, listing = page("generic_article.html").body, page("generic_listing.html").body
    for url in (
        "https://x.gov.vn/TinTuc/View/Hoi-nghi-tong-ket?PageIndex=12",
        "https://x.gov.vn/tin-tuc/hoi-nghi-tong-ket-nam",
    ):
        assert generic.classify(url) == "listing"
        assert generic.classify(url, guessed_listings=False) is None
        assert judge_page(page("x", url, body=article), generic, site).article is not None
        assert judge_page(page("x", url, body=listing), generic, site).outcome == "not_article"
    # The home page, and a preset's own listing shapes, stay listings.
    assert generic.classify("https://x.gov.vn/", guessed_listings=False) == "listing"
    url = "https://dienbien.gov.vn/portal/Pages/Tin-tuc-su-kien.aspx?PageIndex=4"
    assert get_family("tandan").classify(url, guessed_listings=False) == "listing"


def test_url_category_comes_from_the_preset_url_shape() -> None:
    assert get_family("liferay").url_category(URLS["liferay_article.html"]) == "tin-hoat-dong"
    assert (
        get_family("vnportal").url_category(URLS["vnportal_seed_article.html"]) == "tin-tuc-su-kien"
    )
    assert get_family("nukeviet").url_category(URLS["nukeviet_article.html"]) == "tin-tuc-su-kien"
    assert get_family("tandan").url_category(URLS["tandan_article.html"]) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("liferay_article.html", "liferay"),
        ("liferay_listing.html", "liferay"),
        ("tandan_article.html", "tandan"),
        ("tandan_listing.html", "tandan"),
        ("vnportal_seed_article.html", "vnportal"),
        ("vnportal_theme2_article.html", "vnportal"),
        ("vnportal_listing.html", "vnportal"),
        ("nukeviet_article.html", "nukeviet"),
        ("nukeviet_listing.html", "nukeviet"),
        ("generic_article.html", "generic"),
        ("generic_listing.html", "generic"),
        ("cp1258_article.html", "generic"),
    ],
)
def test_detect_family(name: str, expected: str) -> None:
    fetched = page(name, content_type=LEGACY.get(name, "text/html; charset=utf-8"))
    assert detect_family(fetched.text, fetched.url) == expected
    assert detect_family(fetched.selector, fetched.url) == expected


def test_a_liferay_7_home_page_names_its_platform() -> None:
    """A Liferay 7 commune's home page: its generator tag, its scripts under
    /o/frontend-js-web/ and asset publisher links, but no p_p_id and no
    portlet class: `dna sites add` left it `auto`."""
    home = (
        '<html><head><meta name="generator" content="Liferay Portal">'
        '<script src="/o/frontend-js-web/liferay/global.bundle.js"></script></head><body>'
        '<a href="/vi/xem-chi-tiet/-/asset_publisher/AbC/content/bai-1?p_p_auth=Xy">Tin</a>'
        "</body></html>"
    )
    assert detect_family(home, "https://xahoason.gov.vn/") == "liferay"


def test_detect_family_uses_the_url_when_markup_says_nothing() -> None:
    assert (
        detect_family("<html><body><p>x</p></body></html>", URLS["tandan_article.html"]) == "tandan"
    )
    assert detect_family("<html></html>", "https://x.gov.vn/") == "generic"


@pytest.mark.parametrize(
    ("name", "family", "expected"),
    [
        ("vnportal_seed_article.html", "vnportal", True),
        ("vnportal_theme2_article.html", "vnportal", True),
        ("vnportal_listing.html", "vnportal", False),
        ("liferay_article.html", "liferay", True),
        ("liferay_listing.html", "liferay", False),
        ("tandan_article.html", "tandan", True),
        ("tandan_listing.html", "tandan", False),
        ("nukeviet_article.html", "nukeviet", True),
        ("nukeviet_listing.html", "nukeviet", False),
        ("generic_article.html", "generic", True),
        ("generic_listing.html", "generic", False),
        # A wrong preset degrades to generic structure instead of failing.
        ("nukeviet_article.html", "tandan", True),
        ("liferay_listing.html", "generic", False),
        ("tandan_listing.html", "generic", False),
    ],
)
def test_is_article_page(name: str, family: str, expected: bool) -> None:
    assert is_article_page(page(name), get_family(family)) is expected


def test_a_title_alone_does_not_make_an_article() -> None:
    body = (
        "<html><head><title>Giới thiệu chung về xã Thanh Liên</title>"
        "<meta property='og:type' content='article'></head><body>"
        "<h1>Giới thiệu chung về xã Thanh Liên</h1><p>Đang cập nhật.</p></body></html>"
    ).encode()
    assert not is_article_page(
        page("x", "https://x.gov.vn/gioi-thieu", body=body), get_family("generic")
    )


def test_home_page_with_a_welcome_text_is_not_an_article() -> None:
    body = (
        "<html><body><div class='journal-content-article'><p>Chào mừng bạn đến với Cổng thông tin"
        " điện tử xã Thanh Liên, huyện Thanh Chương, tỉnh Nghệ An.</p></div>"
        + "".join(
            f"<div class='asset-bounddary'><h3 class='asset-title'>"
            f"<a href='/tin-tuc/-/view_content/{n}-x'>"
            f"Tin tức hoạt động số {n} của xã trong tháng này</a></h3>"
            f"<div class='asset-summary'>Tóm tắt ngắn của tin số {n}.</div></div>"
            for n in range(6)
        )
        + "</body></html>"
    ).encode()
    assert not is_article_page(
        page("x", "https://x.gov.vn/trang-chu", body=body), get_family("liferay")
    )


@pytest.mark.parametrize(
    ("name", "family", "expected"),
    [
        (
            "liferay_listing.html",
            "liferay",
            [
                "https://sotttt.hanoi.gov.vn/tin-hoat-dong?p_p_id=101&p_p_lifecycle=0&p_p_state=normal"
                "&p_p_mode=view&_101_delta=15&_101_cur=2",
                "https://sotttt.hanoi.gov.vn/tin-hoat-dong?p_p_id=101&p_p_lifecycle=0&p_p_state=normal"
                "&p_p_mode=view&_101_delta=15&_101_cur=3",
            ],
        ),
        (
            "tandan_listing.html",
            "tandan",
            [
                # Its numbers count from one: PageIndex=1 is this first page.
                "https://quangxuong.thanhhoa.gov.vn/portal/Pages/Tin-tuc-su-kien.aspx?PageIndex=2",
                "https://quangxuong.thanhhoa.gov.vn/portal/Pages/Tin-tuc-su-kien.aspx?PageIndex=3",
            ],
        ),
        (
            "vnportal_listing.html",
            "vnportal",
            [
                "https://thanhlien.thanhchuong.nghean.gov.vn/tin-tuc-su-kien?pageindex=2",
                "https://thanhlien.thanhchuong.nghean.gov.vn/tin-tuc-su-kien?pageindex=3",
            ],
        ),
        (
            "nukeviet_listing.html",
            "nukeviet",
            [
                "https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/page-2",
                "https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/page-3",
            ],
        ),
        (
            "generic_listing.html",
            "generic",
            [
                "https://phuhuu.anphu.angiang.gov.vn/index.php?com=danhmuc_tin&id_category=2",
                "https://phuhuu.anphu.angiang.gov.vn/index.php?com=danhmuc_tin&id_category=2&page=3",
            ],
        ),
    ],
)
def test_pager_links(name: str, family: str, expected: list[str]) -> None:
    fetched = page(name)
    assert get_family(family).pager_links(fetched.selector, fetched.url) == expected


@pytest.mark.parametrize(
    ("family", "url", "body", "expected"),
    [
        pytest.param(
            "generic",
            "https://x.gov.vn/tin-tuc",
            '<link rel="next" href="/tin-tuc?page=2">',
            ["https://x.gov.vn/tin-tuc?page=2"],
            id="rel-next",
        ),
        pytest.param(
            "generic",
            "https://x.gov.vn/tin-tuc",
            '<div><a href="/tin-tuc/trang-2.html">Trang sau</a><a href="/tin/t/3.html">TIẾP »</a>'
            '<a href="/van-ban">»</a><a href="/hop.html">Sau khi họp</a><a href="/anh"><img></a>'
            "</div>",
            [
                "https://x.gov.vn/tin-tuc/trang-2.html",
                "https://x.gov.vn/tin/t/3.html",
                "https://x.gov.vn/van-ban",
            ],
            id="next-link-by-its-words",
        ),
        pytest.param(
            "vnportal",
            "https://x.nghean.gov.vn/",
            '<div class="paging"><a href="/tin-tuc-su-kien?pageindex=2">2</a></div>'
            '<a href="/tin-tuc-su-kien/le-ra-quan-515402?pageindex=0">Lễ ra quân</a>',
            ["https://x.nghean.gov.vn/tin-tuc-su-kien?pageindex=2"],
            id="article-links-left-out",
        ),
        pytest.param(
            "generic",
            "https://x.gov.vn/tin-tuc",
            '<ul class="pager"><a href="/tin-tuc?page=1">2</a><a href="/tin-tuc?page=2">3</a></ul>',
            ["https://x.gov.vn/tin-tuc?page=1", "https://x.gov.vn/tin-tuc?page=2"],
            id="counted-from-zero-page-1-is-the-second",
        ),
        pytest.param(
            "generic",
            "https://x.gov.vn/tin-tuc?page=3",
            '<ul class="pager"><a href="/tin-tuc?page=1">1</a><a href="/tin-tuc?page=2">2</a></ul>',
            ["https://x.gov.vn/tin-tuc", "https://x.gov.vn/tin-tuc?page=2"],
            id="counted-from-one-page-1-is-the-first",
        ),
        pytest.param(
            "generic",
            "https://x.gov.vn/tin-tuc?page=2",
            '<ul class="pager"><a href="/tin-tuc?page=1">« Trước</a>'
            '<a href="/tin-tuc?page=3">Sau »</a></ul>',
            ["https://x.gov.vn/tin-tuc?page=1", "https://x.gov.vn/tin-tuc?page=3"],
            id="not-numbered-page-1-kept-as-written",
        ),
        pytest.param(
            "generic",
            "https://x.gov.vn/tin-tuc",
            # A stranger's markup: "²" passes str.isdigit, and int() refuses
            # a number of 5,000 digits.  Neither is a page number.
            f'<ul class="pager"><a href="/tin-tuc?page=1">²</a>'
            f'<a href="/tin-tuc?page={"9" * 5000}">{"9" * 5000}</a></ul>',
            ["https://x.gov.vn/tin-tuc?page=1", f"https://x.gov.vn/tin-tuc?page={'9' * 5000}"],
            id="odd-numbers-are-no-page-numbers",
        ),
    ],
)
def test_pager_links_in_markup(family: str, url: str, body: str, expected: list[str]) -> None:
    fetched = page("x", url, body=body.encode())
    assert get_family(family).pager_links(fetched.selector, fetched.url) == expected


def test_get_family() -> None:
    assert FAMILY_NAMES == ("liferay", "tandan", "vnportal", "nukeviet")
    assert [get_family(name).name for name in FAMILY_NAMES] == list(FAMILY_NAMES)
    assert get_family("generic").name == "generic"
    with pytest.raises(KeyError, match="unknown CMS family 'drupal'"):
        get_family("drupal")


def test_queries_put_the_site_override_first() -> None:
    nukeviet = get_family("nukeviet")
    assert nukeviet.queries("title", {"title": "h2.tieu-de"})[0] == "h2.tieu-de"
    assert nukeviet.queries("title")[0] == "h1[itemprop=headline]"
    assert set(FIELDS) >= {"title", "published", "body", "remove"}
    with pytest.raises(KeyError, match="unknown article field 'date'"):
        nukeviet.queries("date")


def test_every_preset_has_alternates_and_feeds_where_known() -> None:
    for name in (*FAMILY_NAMES, "generic"):
        family = get_family(name)
        assert len(family.title) >= 2, name
        assert len(family.body) >= 2, name
        assert family.pager, name
    assert "/vi/news/rss/" in get_family("nukeviet").feeds


@pytest.mark.parametrize(
    "path",
    [
        "/admin/login?ReturnUrl=%2f",
        "/dang-nhap",
        "/c/portal/login?p_l_id=10942",
        "/_layouts/Authenticate.aspx",
    ],
)
def test_log_in_and_system_pages_are_neither(path: str) -> None:
    for name in (*FAMILY_NAMES, "generic"):
        assert get_family(name).classify("https://x.gov.vn" + path) is None


def test_any_sharepoint_portal_is_not_tandan() -> None:
    """/Portal/Pages/*.aspx and ctl00_ ids are SharePoint's, not Tandan's."""
    html = (
        '<html><body><div id="ctl00_PlaceHolderMain_ctl01">'
        '<a href="/Portal/Pages/Gioi-thieu.aspx">Giới thiệu</a>'
        '<img src="/Portal/Photos/logo.png"></div></body></html>'
    )
    assert detect_family(html, "https://xa.gov.vn/Portal/Pages/Tin-tuc.aspx") == "generic"
    dated = html.replace("Gioi-thieu.aspx", "2024-5-17/Quang-Nham-12.aspx")
    assert detect_family(dated, "https://xa.gov.vn/") == "tandan"


_WEBFORM = """<html><body><form method="post" action="./Tin.aspx?View=1" id="aspnetForm">
<input type="hidden" name="__EVENTTARGET" value="">
<input type="hidden" name="__EVENTARGUMENT" value="">
<input type="hidden" name="__VIEWSTATE" value="/wEPDw=="><input type="text" name="q" value="">
<input type="submit" name="btnSearch" value="Tìm"><input type="checkbox" name="all" checked>
<select name="lang"><option value="en">EN</option><option value="vi" selected>VI</option></select>
<a href="javascript:__doPostBack('ctl00$g$pager','Page$1')">1</a>
<a href="javascript:__doPostBack(&#39;ctl00$g$pager&#39;,&#39;Page$3&#39;)">3</a>
<a href='javascript:__doPostBack("ctl00$m$lnk2","")'>2</a>
<a href="javascript:__doPostBack('ctl00$g$pager','Page$Next')">Trang sau</a>
<a href="javascript:__doPostBack('ctl00$login','')">Đăng nhập</a>
</form></body></html>"""


def test_a_postback_pager_offers_its_numbered_pages_past_the_first() -> None:
    def pages(html: str) -> list[PostBack] | None:
        posted = postback_pager(Selector(text=html).root, "https://xa.vn/Pages/Tin.aspx")
        return posted.pages if posted else None

    assert pages(_WEBFORM) == [
        PostBack("ctl00$m$lnk2", "", 2),
        PostBack("ctl00$g$pager", "Page$3", 3),
    ]
    # A pager numbering no page: its step, from every page.
    steps = "\n".join(
        line for line in _WEBFORM.splitlines() if not re.search(r"Page\$\d|lnk2", line)
    )
    assert pages(steps) == [PostBack("ctl00$g$pager", "Page$Next", None)]
    # No view state, no WebForms page: nothing to post back.
    assert pages(_WEBFORM.replace("__VIEWSTATE", "state")) is None


def test_the_posted_form_sends_what_a_browser_would() -> None:
    posted = postback_pager(Selector(text=_WEBFORM).root, "https://xa.vn/Pages/Tin.aspx")
    assert posted is not None
    assert posted.action == "https://xa.vn/Pages/Tin.aspx?View=1"
    assert posted.form(PostBack("ctl00$g$pager", "Page$3", 3)) == [
        ("__VIEWSTATE", "/wEPDw=="),
        ("q", ""),
        ("all", "on"),
        ("lang", "vi"),
        ("__EVENTTARGET", "ctl00$g$pager"),
        ("__EVENTARGUMENT", "Page$3"),
    ]
