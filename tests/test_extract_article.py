"""Article extraction, field by field, for every family and the seed page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from archive.records import VIETNAM_TZ, ArticleRecord, Image
from extract.article import extract_article
from extract.boilerplate import parse_views
from extract.text import clean, whole_number
from tests.pages import URLS, page, read


def collapse(text: str) -> str:
    return " ".join(text.split())


def extract(name: str, **kwargs: object) -> ArticleRecord:
    record = extract_article(page(name), **kwargs)  # type: ignore[arg-type]
    assert record is not None
    return record


def edited(name: str, old: str, new: str) -> bytes:
    """A fixture with one piece of markup replaced."""
    raw = read(name).decode("utf-8")
    assert old in raw
    return raw.replace(old, new).encode("utf-8")


SEED = (read("seed_000_abe65300ad34a3c8.txt").decode("utf-8")).split("\n")
SEED_TITLE = SEED[3]
SEED_BODY = [collapse(SEED[5]), collapse(SEED[10]), collapse(SEED[17])]
SEED_CAPTIONS = [SEED[8], SEED[15]]
SEED_AUTHOR = collapse(SEED[19])
#: Text of page chrome that must never reach title, body or captions.
BOILERPLATE = (
    "ĐĂNG NHẬP",
    "Đăng nhập",
    "image banner",
    "Anh-tin-bai",
    "Lượt xem",
    "lượt xem",
    "Hội nghị chuyên đề",
    "Tin tức",
    "Tin liên quan",
    "Các tin khác",
    "Tin khác",
    "Những tin",
    "Ghi rõ nguồn",
    "Bản quyền",
    "Người chịu trách nhiệm",
    "Cơ quan chủ quản",
    "In bài viết",
    "In trang",
    "Chia sẻ",
    "Quay lại",
    "Facebook",
    "Từ khóa",
    "Trang chủ",
    "05/01/2026",
)
ARTICLES = (
    "vnportal_seed_article.html",
    "vnportal_theme2_article.html",
    "liferay_article.html",
    "tandan_article.html",
    "nukeviet_article.html",
    "generic_article.html",
)


def test_seed_page_extracts_exactly() -> None:
    record = extract("vnportal_seed_article.html")
    assert SEED_TITLE == (
        "Thanh Liên: UBMTTQ huyện và các đoàn thể làm việc với Đảng ủy - UBND, UBMTTQ và các"
        " đoàn thể cấp xã."
    )
    assert record.title == SEED_TITLE
    assert record.body == SEED_BODY
    assert record.captions == ["Toàn cảnh hội nghị.", "Các đại biểu tham gia phát biểu ý kiến."]
    assert record.captions == SEED_CAPTIONS
    assert record.author == "Hữu Thịnh – Trung tâm VHTT&TT" == SEED_AUTHOR
    assert record.views == 50
    assert record.published is None
    assert record.published_source is None
    assert record.summary is None
    assert record.family == "vnportal"
    assert record.category == "Tin tức - Sự kiện"
    assert record.url == URLS["vnportal_seed_article.html"].removesuffix("?pageindex=0")
    assert record.images == [
        Image(
            "https://datafiles.nghean.gov.vn/nan-ubnd/4321/quantritintuc20229/1.jpg",
            "Toàn cảnh hội nghị.",
        ),
        Image("https://datafiles.nghean.gov.vn/nan-ubnd/4321/quantritintuc20229/2.jpg", None),
        Image(
            "https://datafiles.nghean.gov.vn/nan-ubnd/4321/quantritintuc20229/3.jpg",
            "Các đại biểu tham gia phát biểu ý kiến.",
        ),
    ]


def test_seed_page_through_generic_extraction_alone() -> None:
    record = extract("vnportal_seed_article.html", family="generic")
    assert record.family == "generic"
    assert (record.title, record.body, record.captions) == (SEED_TITLE, SEED_BODY, SEED_CAPTIONS)
    assert (record.author, record.views, record.published) == (SEED_AUTHOR, 50, None)


@pytest.mark.parametrize("name", ARTICLES)
@pytest.mark.parametrize("family", ["auto", "generic"])
def test_no_boilerplate_in_title_body_or_captions(name: str, family: str) -> None:
    record = extract(name, family=family)
    texts = [record.title, *record.body, *record.captions]
    for text in texts:
        for chrome in BOILERPLATE:
            assert chrome not in text, (chrome, text)
    assert record.author not in record.body


def test_liferay_article() -> None:
    record = extract("liferay_article.html")
    assert record.family == "liferay"
    assert record.title == "Hội nghị tổng kết công tác thông tin và truyền thông năm 2016"
    assert record.published == datetime(2017, 4, 12, 15, 39, tzinfo=VIETNAM_TZ)
    assert record.published_source == "page"
    assert record.summary == (
        "Sáng 12/4, Sở Thông tin và Truyền thông Hà Nội tổ chức hội nghị tổng kết công tác năm"
        " 2016 và triển khai nhiệm vụ năm 2017."
    )
    assert [paragraph[:30] for paragraph in record.body] == [
        "Năm 2016, Sở đã tham mưu cho T",
        "Hoạt động báo chí, xuất bản ti",
        "Năm 2017, ngành tập trung hoàn",
    ]
    assert record.images == [
        Image(
            "https://sotttt.hanoi.gov.vn/documents/10180/2305941/hoi-nghi-tong-ket-2016.jpg",
            "Quang cảnh hội nghị tổng kết.",
        )
    ]
    assert record.author == "Minh Anh"
    assert record.category == "Tin hoạt động"
    assert record.tags == ["chính quyền điện tử", "tổng kết"]
    assert record.views is None


def test_tandan_article() -> None:
    record = extract("tandan_article.html")
    assert record.family == "tandan"
    assert record.title == "Đề cương tuyên truyền kỷ niệm 134 năm Ngày sinh Chủ tịch Hồ Chí Minh"
    assert record.published == datetime(2024, 5, 17, tzinfo=VIETNAM_TZ)
    assert record.published_source == "page"
    assert record.summary is not None
    assert record.summary.startswith("Ban Tuyên giáo Huyện ủy Quảng Xương ban hành đề cương")
    assert len(record.body) == 3
    assert record.body[0].startswith("Chủ tịch Hồ Chí Minh sinh ngày 19/5/1890")
    assert record.images == [
        Image(
            "https://quangxuong.thanhhoa.gov.vn/portal/Photos/2024-05-17/le-dang-huong.jpg",
            "Lãnh đạo huyện dâng hương tại Khu di tích.",
        )
    ]
    assert record.author == "Ban Tuyên giáo Huyện ủy"
    assert record.views == 400
    assert record.tags == ["Hồ Chí Minh", "đề cương"]
    assert record.category == "Tin tức - Sự kiện"


def test_nukeviet_article() -> None:
    record = extract("nukeviet_article.html")
    assert record.family == "nukeviet"
    assert record.url == (
        "https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/"
        "phuong-xuan-loc-ra-quan-bao-dam-trat-tu-an-toan-giao-thong-1287.html"
    )
    assert record.title == "Phường Xuân Lộc ra quân bảo đảm trật tự an toàn giao thông"
    assert record.published == datetime(2021, 4, 28, 5, 21, tzinfo=VIETNAM_TZ)
    assert record.summary == (
        "Sáng 28/4, UBND phường Xuân Lộc tổ chức lễ ra quân cao điểm bảo đảm trật tự an toàn"
        " giao thông dịp lễ 30/4 và 1/5."
    )
    assert len(record.body) == 3
    assert record.captions == ["Các lực lượng tham gia lễ ra quân."]
    assert record.images[0].src == (
        "https://xuanloc.dongnai.gov.vn/uploads/news/2021_04/ra-quan-attgt.jpg"
    )
    assert record.author == "Thanh Hà"
    assert record.tags == ["an toàn giao thông", "Xuân Lộc"]
    assert record.category == "Tin tức - Sự kiện"
    assert record.views is None


def test_vnportal_on_another_theme_degrades_field_by_field() -> None:
    fetched = page(
        "vnportal_theme2_article.html", fetched_at=datetime(2025, 7, 10, 1, 0, tzinfo=UTC)
    )
    record = extract_article(fetched)
    assert record is not None
    assert record.family == "vnportal"
    assert record.title == "Huyện Nam Đàn tổ chức Lễ kỷ niệm 135 năm Ngày sinh Chủ tịch Hồ Chí Minh"
    # The article's own date line, after the headline, counts even on the fetch day.
    assert record.published == datetime(2025, 7, 10, 5, 43, 27, tzinfo=VIETNAM_TZ)
    assert record.summary is not None
    assert record.summary.startswith("Sáng 19/5, tại Khu di tích Kim Liên")
    assert len(record.body) == 2
    assert record.captions == ["Các đại biểu dâng hoa tại Khu di tích Kim Liên."]
    assert record.author == "Thanh Hương"
    assert record.category == "tin-tuc-su-kien"


def test_generic_article() -> None:
    record = extract("generic_article.html")
    assert record.family == "generic"
    assert record.url == (
        "https://phuhuu.anphu.angiang.gov.vn/index.php?act=chitiet&com=tin_tuc&id=4521"
    )
    assert record.title == "Xã Phú Hữu ra quân làm thủy lợi nội đồng vụ Hè Thu"
    assert record.published == datetime(2022, 1, 18, 11, 16, tzinfo=VIETNAM_TZ)
    assert record.views == 1026
    assert [paragraph[:25] for paragraph in record.body] == [
        "Sáng ngày 17/01/2022, UBN",
        "Tham gia ra quân có hơn 3",
        "Theo kế hoạch, năm 2022 x",
    ]
    assert record.captions == ["Nông dân nạo vét kênh nội đồng."]
    assert record.images[0].src == (
        "https://phuhuu.anphu.angiang.gov.vn/upload/tintuc/2022/01/ra-quan-thuy-loi.jpg"
    )
    assert record.author == "PV Thanh Tâm"
    assert record.summary is None
    assert record.tags == []


@pytest.mark.parametrize(
    "name",
    [
        "vnportal_listing.html",
        "liferay_listing.html",
        "tandan_listing.html",
        "nukeviet_listing.html",
        "generic_listing.html",
    ],
)
def test_listings_are_not_articles(name: str) -> None:
    assert extract_article(page(name)) is None


def _other_news(count: int) -> str:
    """``count`` headline links to articles of the generic fixture's own URL shape."""
    return "".join(
        f'<li><a href="index.php?com=tin_tuc&amp;act=chitiet&amp;id={4500 + n}">'
        f"Xã Phú Hữu triển khai nhiệm vụ trọng tâm tháng {n} năm 2022</a></li>"
        for n in range(1, count + 1)
    )


def _bare_page(title: str, main: str) -> bytes:
    """A page of the generic fixture's URL holding ``main`` alone."""
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{main}</body></html>"
    ).encode()


#: Where a box goes: first in the article's container, or after its byline.
_ABOVE = '<div class="noidung-tin">'
_BELOW = "<p><b>PV Thanh Tâm</b></p>"


@pytest.mark.parametrize(
    ("where", "box"),
    [
        (_BELOW, f"<div><h3>Tin khác</h3><ul>{_other_news(6)}</ul></div>"),
        (_BELOW, f"<div><h3>Cùng chuyên mục</h3><ul>{_other_news(6)}</ul></div>"),
        (_BELOW, f"<ul>{_other_news(6)}</ul>"),
        (_ABOVE, f"<div><h4>Bài viết cùng chuyên mục</h4><ul>{_other_news(4)}</ul></div>"),
        (_ABOVE, f"<ul class='links'>{_other_news(3)}</ul>"),
        (
            _ABOVE,
            "<div class='tabs'><ul class='tab-head'><li><a href='#t1'>Tin mới</a></li>"
            f"<li><a href='#t2'>Đọc nhiều</a></li></ul><div id='t1'><ul>{_other_news(4)}</ul>"
            "</div></div>",
        ),
    ],
    ids=["below-tin-khac", "below-unknown-heading", "below-bare", "above", "above-bare", "tabs"],
)
def test_other_news_in_the_articles_container_is_neither_a_listing_nor_body(
    where: str, box: str
) -> None:
    """Links of the article's own shape below its last paragraph or above
    its first, whatever their heading, or none: 28 of 30 articles of one
    portal were dropped as listings, and such boxes began 52 bodies."""
    body = edited("generic_article.html", where, where + box)
    record = extract_article(page("generic_article.html", body=body))
    assert record is not None
    assert record.body[0].startswith("Sáng ngày 17/01/2022")
    assert record.body[-1].startswith("Theo kế hoạch, năm 2022")
    assert record.author == "PV Thanh Tâm"


_TEASERS = "".join(
    f'<div class="item"><h3><a href="/bai-viet/bai-so-{n}-10{n}.html">Ra quân khuyến học '
    f'khuyến tài tại thôn số {n}</a></h3><span class="d">19/06/2025</span><p>(DTTX) - '
    f"Sáng 19/6, xã Hòa Sơn đã ra quân khuyến học khuyến tài với nhiều hoạt động số {n}.</p>"
    "</div>"
    for n in range(2)
)


_READ_MORE_TEASERS = "".join(
    f"<h2>Mô hình trồng lúa hữu cơ tại thôn số {n} cho năng suất cao</h2><p>Vụ hè thu năm nay, "
    f"hợp tác xã thôn số {n} đã chuyển đổi ba mươi héc-ta sang trồng lúa hữu cơ, giảm chi phí "
    "phân bón, tăng thu nhập cho bà con nông dân trong xã.</p>"
    f'<p><a href="/bai-viet/mo-hinh-lua-huu-co-thon-{n}">Xem chi tiết</a></p>'
    for n in range(3)
)


@pytest.mark.parametrize(
    "main",
    [
        "<div class='noidung'><h1>Tin tức - Sự kiện</h1><p>Chuyên mục Tin tức - Sự kiện cập "
        "nhật các hoạt động chính trị, kinh tế, văn hóa, xã hội trên địa bàn xã Phú Hữu, "
        f"huyện An Phú, tỉnh An Giang.</p><ul>{_other_news(12)}</ul></div>",
        "<div id='main'><h1 class='cat-title'>Tin tức - Sự kiện</h1><div class='cat-desc'><p>"
        "Chuyên mục Tin tức - Sự kiện cập nhật các hoạt động nổi bật trên địa bàn xã.</p></div>"
        f"{_TEASERS}</div>",
        "<div id='main'><h1>Nông nghiệp - Nông thôn</h1><div class='date'>Cập nhật: Thứ hai, "
        f"15/07/2024 08:30</div>{_READ_MORE_TEASERS}</div>",
        "<div class='blog'><h1>Tin tức - Sự kiện</h1><div class='category-desc'><p>Chuyên mục "
        "cập nhật các hoạt động chính trị, kinh tế, văn hóa, xã hội nổi bật trên địa bàn xã Yên "
        "Thái, phản ánh kết quả thực hiện các nhiệm vụ của cấp ủy, chính quyền và các đoàn thể."
        "</p></div><div class='items-row'><h2><a href='/tin-tuc/1-hoi-nghi.html'>Hội nghị "
        "triển khai nhiệm vụ phát triển kinh tế năm 2024</a></h2><p>Hợp tác xã nông nghiệp ký "
        "kết hợp đồng bao tiêu sản phẩm với doanh nghiệp, giúp bà con yên tâm sản xuất. Đến nay, "
        "50 hộ nghèo đã được hỗ trợ vốn vay ưu đãi từ Ngân hàng Chính sách xã hội. Nh...</p>"
        "<a class='readmore' href='/tin-tuc/1-hoi-nghi.html'>Đọc tiếp: Hội nghị triển khai nhiệm "
        "vụ phát triển kinh tế năm 2024</a></div><div class='pagination'><a href='?start=0'>1</a>"
        " <a href='?start=5'>2</a></div></div>",
    ],
    ids=[
        "description-above-headlines",
        "short-last-page-dated-teasers",
        "read-more-links",
        "last-page-one-teaser-read-on",
    ],
)
def test_a_category_page_under_its_description_is_a_listing(main: str) -> None:
    """Links after the last paragraph are an article's other news only when
    its prose outweighs them: one line describing a category, then a dozen
    headlines, is a listing.  So is a last page of two teasers, each a
    headline, its date, then its summary: taken for an article before, as
    the date stood between headline and summary.  And so are teasers whose
    headline links nowhere, each followed by its "Xem chi tiết" link: under
    a dated heading of its own, such a category and its every sort order and
    page were stored as articles (21 of 35 on a probe portal).  A last page
    of one teaser, its headline linked again by "Đọc tiếp", was stored as an
    article titled as its category."""
    body = _bare_page("Tin tức - Sự kiện", main)
    assert extract_article(page("generic_article.html", body=body)) is None


def test_a_date_in_the_articles_own_html5_header_is_its_date() -> None:
    """WordPress themes put the title and date in the <article>'s <header>:
    taken for the page's header (chrome), every post of such a portal was
    dated the day it was crawled."""
    paragraphs = "".join(
        f"<p>Sáng ngày 9/1, Ủy ban nhân dân xã tổ chức hội nghị tổng kết công tác năm, phiên "
        f"thảo luận số {n}, đánh giá kết quả và đề ra nhiệm vụ trọng tâm năm tới.</p>"
        for n in range(4)
    )
    main = (
        "<header class='site-header'><span>Thứ bảy, ngày 05/12/2026</span></header>"
        "<article class='post'><header class='entry-header'><h1 class='entry-title'>Hội nghị "
        "tổng kết công tác năm 2024</h1><div class='entry-meta'><span class='posted-on'>"
        f"09/01/2025</span></div></header><div class='entry-content'>{paragraphs}</div></article>"
    )
    body = _bare_page("Hội nghị tổng kết công tác năm 2024", main)
    record = extract_article(page("generic_article.html", body=body))
    assert record is not None
    assert record.published is not None and record.published.date().isoformat() == "2025-01-09"
    assert record.title == "Hội nghị tổng kết công tác năm 2024"


_LEAD_PARAGRAPHS = "".join(
    f"<p>Sáng ngày 9/1, Ủy ban nhân dân xã tổ chức hội nghị tổng kết công tác năm, phiên "
    f"thảo luận số {n}, đánh giá kết quả và đề ra nhiệm vụ trọng tâm năm tới.</p>"
    for n in range(2)
)


@pytest.mark.parametrize(
    ("href", "article"),
    [("/tin-tuc/hoi-nghi-tong-ket-209.html", False), ("#", True), ("", True)],
    ids=["leads-elsewhere", "to-itself", "nowhere"],
)
def test_a_headline_linking_to_another_page_heads_a_teaser(href: str, article: bool) -> None:
    """A home page's lead story (its headline, then two paragraphs of teaser)
    read as that article: stored again under the home page's URL, with the
    crawl's date.  An article's own headline links nowhere, or to itself."""
    headline = (
        f"<a href='{href}'>Hội nghị tổng kết công tác năm 2024</a>"
        if href
        else ("Hội nghị tổng kết công tác năm 2024")
    )
    main = (
        f"<div class='tin-noi-bat'><h2>{headline}</h2>{_LEAD_PARAGRAPHS}</div>"
        "<ul><li><a href='/tin-tuc/a-1.html'>Ra quân khuyến học</a></li></ul>"
    )
    record = extract_article(page("generic_article.html", body=_bare_page("Trang chủ", main)))
    assert (record is not None) is article


_LEAD_STORY = (
    "<div class='tin-noi-bat'><h2>Tin nổi bật</h2><h3><a href='/tin-tuc/trao-nha-488719'>"
    "Trao nhà đại đoàn kết cho hộ nghèo thôn Tân Tiến</a></h3><p>Công tác chuyển đổi cơ cấu "
    "cây trồng được chú trọng, diện tích lúa chất lượng cao đạt 80 ha, tăng so với cùng kỳ năm "
    "trước. Công tác cải cách hành chính được đẩy mạnh, tỷ lệ hồ sơ giải quyết đúng hạn đạt 50 "
    "phần trăm.</p><p>Nhiều hộ gia đình ở thôn Mỹ Thịnh đã tự nguyện hiến đất, tháo dỡ tường rào "
    "để mở rộng đường làng, ngõ xóm. Công tác chuyển đổi cơ cấu cây trồng được chú trọng.</p>"
    "</div>"
)


def test_a_lead_story_under_a_heading_of_its_own_is_a_teaser() -> None:
    """A (mobile) home page's "Tin nổi bật": an unlinked heading, then the
    lead story's headline linked to it, then two paragraphs of teaser.  It
    was stored as an article titled "Tin nổi bật".  An article under such
    a box is still one: its own paragraphs outweigh the teaser's."""
    main = f"{_LEAD_STORY}<ul><li><a href='/tin-tuc/a-1.html'>Ra quân khuyến học</a></li></ul>"
    assert extract_article(page("generic_article.html", body=_bare_page("Trang chủ", main))) is None
    title = "Ra quân khuyến học khuyến tài năm 2024"
    own = "".join(
        f"<p>Sáng 19/6, xã Hòa Sơn đã ra quân khuyến học khuyến tài tại thôn số {n}, trao "
        "học bổng cho học sinh nghèo vượt khó và khen thưởng các gia đình hiếu học.</p>"
        for n in range(4)
    )
    main = f"<div id='main'>{_LEAD_STORY}<div class='detail'><h1>{title}</h1>{own}</div></div>"
    record = extract_article(page("generic_article.html", body=_bare_page(title, main)))
    assert record is not None and record.title == title


def test_an_article_ending_in_a_link_to_its_source_stays_an_article() -> None:
    """One short link under the last paragraph is the article's source or
    its print view, not a teaser's "Xem chi tiết"."""
    paragraphs = "".join(
        f"<p>Vụ hè thu năm nay, hợp tác xã thôn số {n} đã chuyển đổi ba mươi héc-ta sang trồng "
        "lúa hữu cơ, giảm chi phí phân bón, tăng thu nhập cho bà con nông dân trong xã.</p>"
        for n in range(4)
    )
    main = (
        "<div id='main'><h1>Mô hình trồng lúa hữu cơ cho năng suất cao</h1>"
        f"{paragraphs}<p><a href='https://baolaocai.vn/lua-huu-co'>Báo Lào Cai</a></p></div>"
    )
    body = _bare_page("Mô hình trồng lúa hữu cơ cho năng suất cao", main)
    assert extract_article(page("generic_article.html", body=body)) is not None


@pytest.mark.parametrize(
    ("figure", "caption"),
    [("figure", "figcaption"), ("div class='photo'", "p class='caption'"), ("div", "p")],
    ids=["figcaption", "caption-class", "plain-paragraphs"],
)
def test_a_gallery_of_captioned_images_is_not_an_article(figure: str, caption: str) -> None:
    figures = "".join(
        f'<{figure}><img src="/upload/anh/le-hoi-{n}.jpg" width="600">'
        f"<{caption}>Lễ hội đền làng năm 2025 - ảnh {n}: nhân dân dâng hương tại đền"
        f"</{caption.split()[0]}></{figure.split()[0]}>"
        for n in range(1, 15)
    )
    body = _bare_page(
        "Thư viện ảnh", f"<main><h1>Lễ hội đền làng Quang Trung 2025</h1>{figures}</main>"
    )
    assert extract_article(page("generic_article.html", body=body)) is None


def test_a_short_article_counts_its_lead_with_its_paragraphs() -> None:
    """Three short paragraphs (236 characters) under a headline and a lead, on
    a template no preset knows: the paragraphs' own container fell under the
    prose minimum and the article was lost, while the same article with two
    paragraphs was kept (its densest block then held the lead)."""
    paragraphs = (
        "Theo báo cáo nhanh, bão làm tốc mái 27 ngôi nhà và đổ gãy hơn 1.026 cây xanh.",
        "UBND xã đã huy động lực lượng xung kích giúp dân khắc phục hậu quả sau bão.",
        "Báo chí địa phương đã phản ánh kịp thời tình hình thiệt hại tại các thôn vùng trũng.",
    )
    main = (
        "<div class='article-detail'><h1 class='title'>Cơn bão số 3 gây thiệt hại nặng</h1>"
        "<div class='date'>08/09/2024 16:45</div><p class='sapo'><strong>Bão số 3 (Yagi) đã "
        "làm ngập úng hàng trăm héc-ta lúa và hoa màu của xã.</strong></p><div class='content'>"
        + "".join(f"<p>{text}</p>" for text in paragraphs)
        + "</div></div>"
    )
    body = _bare_page("Cơn bão số 3 gây thiệt hại nặng", main)
    record = extract_article(page("generic_article.html", body=body))
    assert record is not None
    assert record.title == "Cơn bão số 3 gây thiệt hại nặng"
    assert record.body[-len(paragraphs) :] == list(paragraphs)


_NOTICE_HEAD = (
    "<div class='ArticleView'><span class='Head'>{title}</span>"
    "<div class='ArticleDate'>Đăng lúc: 11:00 ngày 28/08/2025 | Số lượt xem: 107</div>"
    "<div class='ArticleBody'>{body}</div></div>"
)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "Cảnh báo thủ đoạn lừa đảo qua mạng xã hội",
            "<p>Công an huyện khuyến cáo người dân không cung cấp mã OTP cho người lạ.</p>"
            "<p>Khi phát hiện dấu hiệu lừa đảo, hãy báo ngay cho công an.</p>",
        ),
        (
            "Lịch tiếp công dân tháng 5 năm 2025",
            "<p>UBND xã thông báo lịch tiếp công dân tháng 5/2025 như sau:</p><table>"
            "<tr><td>Ngày</td><td>Người tiếp</td></tr><tr><td>06/5/2025</td>"
            "<td>Nguyễn Văn Hùng - Chủ tịch UBND xã</td></tr></table>",
        ),
        (
            "Thông báo nộp thuế sử dụng đất phi nông nghiệp",
            "<p>Hạn nộp thuế là ngày 31/10/2025. Xem văn bản đính kèm.</p>"
            "<p><a href='/Portals/0/VanBan/TB-thue.pdf'>TB-thue.pdf</a></p>",
        ),
    ],
    ids=["two-sentences", "table", "document"],
)
def test_a_short_notice_under_its_dated_headline_is_an_article(title: str, body: str) -> None:
    """Two sentences, a line over a table, a line and a PDF: on portals of
    four platforms, 9 of 23 articles were such notices, all lost, and on
    two of them the crawl did not even say so."""
    main = _NOTICE_HEAD.format(title=title, body=body)
    record = extract_article(page("generic_article.html", body=_bare_page(title, main)))
    assert record is not None
    assert record.title == title
    assert record.published == datetime(2025, 8, 28, 11, 0, tzinfo=VIETNAM_TZ)


_REGISTER = (
    "<table><tr><th>Số ký hiệu</th><th>Ngày ban hành</th><th>Trích yếu</th><th></th></tr>"
    + "".join(
        f"<tr><td>{n:02}/QĐ-UBND</td><td>0{n}/0{n}/2024</td><td>Quyết định về việc phê duyệt kế "
        f"hoạch số {n} năm 2024 của Ủy ban nhân dân xã Tân Tiến</td><td><a href='/upload/vanban/"
        f"{n}.pdf'>Tải về</a></td></tr>"
        for n in range(1, 9)
    )
    + "</table>"
)


def test_a_register_of_documents_is_no_article_unless_a_notice_heads_it() -> None:
    """A paginated register (number, date, summary, "Tải về"): its long
    summaries read as paragraphs, and every page of it was stored as an
    article titled "Văn bản", dated the day of the crawl.  Under a notice's
    dated headline the same table is the notice's attachments."""
    main = f"<div id='main'><div class='box-title'>Văn bản chỉ đạo điều hành</div>{_REGISTER}</div>"
    body = _bare_page("Văn bản", main)
    assert extract_article(page("generic_article.html", body=body)) is None
    title = "Các quyết định của UBND xã tháng 8 năm 2024"
    notice = _NOTICE_HEAD.format(
        title=title, body=f"<p>UBND xã công bố các quyết định:</p>{_REGISTER}"
    )
    record = extract_article(page("generic_article.html", body=_bare_page(title, notice)))
    assert record is not None and record.title == title


def test_a_redesigned_themes_lead_and_byline_are_read_as_before() -> None:
    """A portal's new theme put the byline and its counter on one line
    ("Tác giả: X · 139 lượt xem") and the lead in a class no preset names,
    between the headline and the body.  The counter became part of the
    author, so every crawl made a new version of every article; the lead
    was lost, and words found only in it were no longer found."""
    title = "Trao 31 suất quà cho hộ nghèo đón Tết"
    lead = "Nhân dịp Tết Nguyên đán, UBND xã trao 31 suất quà cho hộ nghèo trên địa bàn."
    paragraphs = "".join(
        f"<p>Mỗi suất quà gồm gạo, dầu ăn và 500.000 đồng tiền mặt, do các nhà hảo tâm ủng hộ "
        f"đợt {n}, góp phần giúp các hộ có hoàn cảnh khó khăn đón Tết ấm no.</p>"
        for n in range(3)
    )
    main = (
        "<div class='post'><div class='post-meta-top'><span class='byline'>Tác giả: Phạm Thùy "
        "Chinh</span> · <span class='views'>139 lượt xem</span></div>"
        f"<h2 class='post-heading'>{title}</h2><p class='post-summary'>{lead}</p>"
        f"<div class='post-content'>{paragraphs}</div><div class='post-footer'><span>Ngày đăng: "
        "01/02/2024</span></div></div>"
    )
    record = extract_article(page("generic_article.html", body=_bare_page(title, main)))
    assert record is not None
    assert (record.title, record.summary, record.author) == (title, lead, "Phạm Thùy Chinh")
    assert record.views == 139 and len(record.body) == 3
    # An image's caption there is no lead, and a second paragraph there is the body's first.
    second = "Buổi trao quà diễn ra ấm cúng tại hội trường Ủy ban nhân dân xã Thanh Liên."
    figure = "<figure><img src='/a.jpg'><figcaption>Ảnh: Lãnh đạo xã trao quà cho các hộ nghèo."
    above = f"{figure}</figcaption></figure><p class='post-summary'>{lead}</p><p>{second}</p>"
    main = main.replace(f"<p class='post-summary'>{lead}</p>", above)
    record = extract_article(page("generic_article.html", body=_bare_page(title, main)))
    assert record is not None and record.summary == lead
    assert record.body[0] == second and len(record.body) == 4


def test_a_video_under_its_dated_headline_is_an_article() -> None:
    """A headline, its date and an embedded video, no text: fetched and never
    stored, and no line said so.  A map under an undated heading (a
    contact page) is no article."""
    title = "Video: Toàn cảnh lễ hội đình làng Tân Tiến"
    player = "<iframe src='https://www.youtube.com/embed/abcDEF37' allowfullscreen></iframe>"
    main = (
        f"<div class='chitiet'><h2 class='tieude'>{title}</h2><div class='ngay'>Cập nhật: "
        f"21/07/2024</div><div class='noidung'><p>{player}</p></div></div>"
    )
    record = extract_article(page("generic_article.html", body=_bare_page(title, main)))
    assert record is not None
    assert (record.title, record.body) == (title, [])
    assert record.published == datetime(2024, 7, 21, tzinfo=VIETNAM_TZ)
    contact = main.replace("Cập nhật: 21/07/2024", "Bản đồ đường đến trụ sở UBND xã")
    assert extract_article(page("generic_article.html", body=_bare_page(title, contact))) is None


_CONTACT = (
    "<p>Ủy ban nhân dân xã An Lạc</p><p>Địa chỉ: thôn Hòa Bình, xã An Lạc, huyện Sơn Động, tỉnh "
    "Bắc Giang</p><p>Điện thoại: 0204.3886.123</p><p>Email: anlac.sondong@bacgiang.gov.vn</p>"
    "<p>Giờ tiếp công dân: sáng thứ Năm hằng tuần.</p>"
)


def test_an_undated_contact_card_is_no_article() -> None:
    """A WordPress "Liên hệ" page (address, phone, e-mail, office hours) was
    stored as an article dated the day of the crawl, first among the newest
    news.  The same lines under a notice's date are that notice."""
    main = (
        "<article class='page'><h1 class='entry-title'>Liên hệ</h1>"
        f"<div class='entry-content'>{_CONTACT}</div></article>"
    )
    assert extract_article(page("generic_article.html", body=_bare_page("Liên hệ", main))) is None
    title = "Thông báo đường dây nóng phòng chống thiên tai"
    notice = _NOTICE_HEAD.format(title=title, body=_CONTACT)
    record = extract_article(page("generic_article.html", body=_bare_page(title, notice)))
    assert record is not None and record.title == title


def test_an_undated_page_of_the_sites_own_menu_is_no_article() -> None:
    """ "Giới thiệu" and "Lịch sử" pages, linked from every page's menu and
    undated, were stored as articles dated the day of the crawl on four of
    seven probe portals.  Dated, or not in the menu, a page is judged as before."""
    url = URLS["generic_article.html"]
    paragraphs = "".join(
        f"<p>Xã Yên Thái được thành lập năm 1946, nằm ở phía tây huyện, có diện tích tự nhiên "
        f"hơn hai nghìn héc-ta, chia thành mười hai thôn, phần {n}.</p>"
        for n in range(4)
    )

    def about(menu_href: str, date: str = "") -> bytes:
        menu = (
            f"<nav><ul><li><a href='/'>Trang chủ</a></li><li><a href='{menu_href}'>Giới thiệu</a>"
        )
        main = f"<div class='noidung'><h1>Giới thiệu chung</h1>{date}{paragraphs}</div>"
        return _bare_page("Giới thiệu chung", f"{menu}</li></ul></nav>{main}")

    assert extract_article(page("generic_article.html", body=about(url))) is None
    dated = about(url, "<div class='date'>Cập nhật: 12/03/2024</div>")
    assert extract_article(page("generic_article.html", body=dated)) is not None
    elsewhere = about("/gioi-thieu.html")
    assert extract_article(page("generic_article.html", body=elsewhere)) is not None


def test_a_day_in_the_headline_is_not_the_day_it_was_published() -> None:
    """A notice titled with the day of the power cut was dated that day, two
    days after the "Ngày đăng" printed under it."""
    title = "Thông báo lịch cắt điện ngày 28/11/2024"
    main = (
        f"<div class='item-page'><h2 itemprop='headline'>{title}</h2>"
        "<dl class='article-info'><dd class='published'>Ngày đăng: 26/11/2024 16:00</dd></dl>"
        "<div class='noidung'><p>Điện lực huyện thông báo cắt điện từ 7h00 đến 16h00 ngày "
        "28/11/2024 tại thôn 1, thôn 2 để bảo dưỡng lưới điện. Mong bà con thông cảm.</p></div>"
        "</div>"
    )
    record = extract_article(page("generic_article.html", body=_bare_page(title, main)))
    assert record is not None
    assert record.published == datetime(2024, 11, 26, 16, 0, tzinfo=VIETNAM_TZ)


def test_a_notice_in_one_table_cell_keeps_its_date_and_drops_its_toolbar() -> None:
    """An old PHP portal's notice, headline to toolbar in one cell: its date
    line also counted views, so it was not read as a date (the notice was
    dated the day of the crawl), and the row of tools ended the body."""
    title = "Xã Bình Nguyên ra mắt mô hình camera an ninh"
    main = (
        f"<table><tr><td class='news_detail'><div class='tieude'>{title}</div>"
        "<div class='ngaydang'>Đăng lúc: 09:00 ngày 02/10/2025 | Số lượt xem: 102</div>"
        "<div class='noidung_chitiet'><p>Công an xã vừa ra mắt mô hình camera an ninh tại thôn "
        "Thanh Ly với 12 mắt camera.</p><p>Mô hình do người dân đóng góp kinh phí.</p></div>"
        "<div class='congcu'><a href='?print=1'>Bản in</a> | <a href='#'>Quay lại</a> | "
        "Chia sẻ Facebook Zalo Twitter | Gửi email | A- A A+</div></td></tr></table>"
    )
    record = extract_article(page("generic_article.html", body=_bare_page(title, main)))
    assert record is not None
    assert record.published == datetime(2025, 10, 2, 9, 0, tzinfo=VIETNAM_TZ)
    assert record.views == 102
    assert record.body[-1] == "Mô hình do người dân đóng góp kinh phí."


@pytest.mark.parametrize(
    "main",
    [
        # No date under the headline: a contact page.
        "<div class='ArticleView'><span class='Head'>Liên hệ với Ủy ban nhân dân xã</span>"
        "<div class='ArticleBody'><p>Địa chỉ: thôn Trung Hòa, xã Hòa Phú, tỉnh Quảng Nam.</p>"
        "<p>Điện thoại: 0235.3888.123, thư điện tử ubnd@quangnam.gov.vn.</p></div></div>",
        # The date is a teaser's, under its linked headline: a tag page of one.
        "<div class='box'><h2>Liên hệ với Ủy ban nhân dân xã</h2><h3><a href='/tin/bai-1.html'>"
        "Xã Hòa Phú tổng kết năm</a></h3><div>21/02/2024 08:45</div><p>Xã Hòa Phú tổng kết "
        "công tác năm 2023 và triển khai nhiệm vụ năm 2024 với nhiều chỉ tiêu.</p></div>",
    ],
    ids=["undated", "teasers-date"],
)
def test_a_short_page_without_a_dated_headline_of_its_own_is_not_an_article(main: str) -> None:
    body = _bare_page("Liên hệ với Ủy ban nhân dân xã", main)
    assert extract_article(page("generic_article.html", body=body)) is None


@pytest.mark.parametrize("title", ["anh-1", "IMG_2034.JPG"])
def test_an_images_own_page_is_not_an_article(title: str) -> None:
    """WordPress gives each image a page titled with its file's name: four
    were stored as articles "anh-1" … "anh-4", dated the day of the crawl."""
    main = (
        f"<div class='post'><h1 class='entry-title'>{title}</h1><div class='entry-content'>"
        "<p class='attachment'><a href='/wp-content/uploads/anh-1.jpg'><img src='/wp-content/"
        "uploads/anh-1.jpg'></a></p><p>Ngày hội đại đoàn kết toàn dân tộc tại thôn 1 năm 2025, "
        "thu hút đông đảo bà con nhân dân tham gia.</p></div></div>"
    )
    assert extract_article(page("generic_article.html", body=_bare_page(title, main))) is None


@pytest.mark.parametrize(
    ("closing", "author"),
    [
        ("<p>Lệ Thanh - Văn phòng HĐND và UBND xã</p>", "Lệ Thanh - Văn phòng HĐND và UBND xã"),
        ('<p style="text-align:right">(Theo Báo An Giang)</p>', "Báo An Giang"),
        ("<p>Tổng kinh phí thực hiện - 2,5 tỷ đồng</p>", None),  # a dash, and no one named
    ],
)
def test_the_closing_line_is_the_byline_when_it_credits_someone(
    closing: str, author: str | None
) -> None:
    """A plain "Name - office" line and a bracketed "(Theo Báo X)" were left
    in the body or dropped, crediting nobody."""
    body = edited("generic_article.html", "<p><b>PV Thanh Tâm</b></p>", closing)
    record = extract_article(page("generic_article.html", body=body))
    assert record is not None
    assert record.author == author
    last = "Tổng kinh phí thực hiện - 2,5 tỷ đồng" if author is None else "Theo kế hoạch, năm 2022"
    assert record.body[-1].startswith(last)


@pytest.mark.parametrize(
    ("credit", "author"),
    [
        ("Tác giả: Trạm Y tế xã", "Trạm Y tế xã"),
        ("Tác giả: Đoàn Thanh niên thị trấn", "Đoàn Thanh niên thị trấn"),
        ("Tác giả: Phó Ban biên tập", None),  # a role
        ("Tác giả: Cán bộ văn hóa", None),
    ],
)
def test_a_commune_body_credited_as_author_is_the_author(credit: str, author: str | None) -> None:
    """Commune portals sign "Tác giả: Trạm Y tế xã" (the commune's health
    station): it was taken for a role, credited nobody, and left the body too."""
    body = edited("generic_article.html", "<p><b>PV Thanh Tâm</b></p>", f"<p>{credit}</p>")
    record = extract_article(page("generic_article.html", body=body))
    assert record is not None
    assert record.author == author


def test_error_pages_are_not_articles() -> None:
    assert extract_article(page("liferay_article.html", status=404)) is None


def test_header_date_on_the_fetch_day_is_never_the_published_date() -> None:
    body = edited("generic_article.html", "11:16 | 18/01/2022 | ", "")
    record = extract_article(page("generic_article.html", body=body))
    assert record is not None
    assert record.views == 1026
    assert record.published is None
    assert record.published_source is None


def test_a_date_in_page_chrome_never_counts_even_on_another_day() -> None:
    body = edited("liferay_article.html", "12/04/2017 | 3:39 PM", "")
    later = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    record = extract_article(page("liferay_article.html", body=body, fetched_at=later))
    assert record is not None
    # Neither the header's "05/01/2026" nor the related list's dates.
    assert record.published is None


def test_future_and_prehistoric_dates_are_rejected() -> None:
    for printed in ("12/04/2027 | 3:39 PM", "12/04/1990 | 3:39 PM"):
        body = edited("liferay_article.html", "12/04/2017 | 3:39 PM", printed)
        record = extract_article(page("liferay_article.html", body=body))
        assert record is not None
        assert record.published is None


def test_date_falls_back_to_the_url() -> None:
    body = edited("tandan_article.html", "Đăng ngày 17 - 05 - 2024", "")
    record = extract_article(page("tandan_article.html", body=body))
    assert record is not None
    assert record.published == datetime(2024, 5, 17, tzinfo=VIETNAM_TZ)
    assert record.published_source == "url"


def test_date_falls_back_to_the_feed_then_last_modified() -> None:
    listed = datetime(2022, 9, 14, 9, 0)
    record = extract_article(page("vnportal_seed_article.html"), listed_date=listed)
    assert record is not None
    assert record.published == datetime(2022, 9, 14, 9, 0, tzinfo=VIETNAM_TZ)
    assert record.published_source == "feed"

    headers = {"Last-Modified": "Wed, 14 Sep 2022 02:00:00 GMT"}
    record = extract_article(page("vnportal_seed_article.html", headers=headers))
    assert record is not None
    assert record.published == datetime(2022, 9, 14, 9, 0, tzinfo=VIETNAM_TZ)
    assert record.published_source == "last-modified"


def test_a_last_modified_of_the_fetch_day_is_the_server_clock() -> None:
    headers = {"Last-Modified": "Mon, 05 Jan 2026 01:29:00 GMT"}
    record = extract_article(page("vnportal_seed_article.html", headers=headers))
    assert record is not None
    assert (record.published, record.published_source) == (None, None)


def test_meta_dates_are_used_when_nothing_is_printed() -> None:
    body = edited(
        "vnportal_seed_article.html",
        "<title>",
        '<meta property="article:published_time" content="2022-09-14T16:05:00+07:00"><title>',
    )
    record = extract_article(page("vnportal_seed_article.html", body=body))
    assert record is not None
    assert record.published == datetime(2022, 9, 14, 16, 5, tzinfo=VIETNAM_TZ)
    assert record.published_source == "page"


def test_site_selectors_override_the_preset() -> None:
    selectors = {
        "title": "//div[@class='thongtin']",
        "published": ".ngay-gio",
        "remove": "p[align=center]",
    }
    later = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    record = extract_article(
        page("generic_article.html", fetched_at=later), family="generic", selectors=selectors
    )
    assert record is not None
    assert record.title == "11:16 | 18/01/2022 | 1.026 lượt xem"
    assert record.published == datetime(2026, 1, 5, tzinfo=VIETNAM_TZ)
    assert record.images == []


def test_site_body_selector_picks_the_container() -> None:
    record = extract(
        "nukeviet_article.html", selectors={"body": "(//div[@id='news-bodyhtml']/p)[2]"}
    )
    assert record.body == [
        "Trong thời gian cao điểm, các tổ công tác sẽ tuần tra, kiểm soát, xử lý nghiêm các hành vi"
        " vi phạm về nồng độ cồn, tốc độ và lấn chiếm lòng đường."
    ]
    assert record.family == "nukeviet"


def test_unknown_selector_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown selector field"):
        extract_article(page("nukeviet_article.html"), selectors={"date": ".time"})


def test_canonical_link_is_followed_only_on_the_same_host() -> None:
    elsewhere = edited(
        "nukeviet_article.html",
        'href="https://xuanloc.dongnai.gov.vn/vi/news',
        'href="https://mirror.example/vi/news',
    )
    record = extract_article(page("nukeviet_article.html", body=elsewhere))
    assert record is not None
    assert record.url == URLS["nukeviet_article.html"].removesuffix("?utm_source=zalo")

    home = edited(
        "nukeviet_article.html",
        'https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/phuong-xuan-loc-ra-quan-bao-dam-trat-tu-an-toan-giao-thong-1287.html">',
        'https://xuanloc.dongnai.gov.vn/">',
    )
    record = extract_article(page("nukeviet_article.html", body=home))
    assert record is not None
    assert record.url.endswith("-1287.html")


def test_a_copy_naming_its_article_as_canonical_is_another_url_of_it() -> None:
    """A mobile copy (``/m/…``) names the article as canonical: the article is
    stored under that URL, and the copy's own URL is kept as another of its
    URLs, so that ``dna show`` finds it by the address a reader copied."""
    canonical = URLS["nukeviet_article.html"].removesuffix("?utm_source=zalo")
    mobile = canonical.replace("/vi/news/", "/m/vi/news/")
    copy = extract_article(page("nukeviet_article.html", url=mobile))
    assert copy is not None
    assert (copy.url, copy.also_at) == (canonical, mobile)
    assert extract("nukeviet_article.html").also_at is None  # only tracking left out


def test_title_from_document_title_loses_the_site_name() -> None:
    paragraphs = (
        "Hội nghị đánh giá kết quả công tác tháng 9, triển khai nhiệm vụ tháng 10 năm 2022.",
        "Các đại biểu thảo luận, góp ý nhiều giải pháp tháo gỡ khó khăn trong sản xuất.",
        "Kết luận hội nghị, đồng chí Chủ tịch UBND xã giao nhiệm vụ cho các ban, ngành, đoàn thể.",
        "Hội nghị thống nhất tổ chức giao ban định kỳ vào ngày 25 hằng tháng tại trụ sở xã.",
    )
    body = (
        "<html><head><title>Hội nghị giao ban - UBND, MTTQ xã - Cổng thông tin điện tử xã"
        " Thanh Liên</title></head><body><div>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
        + "</div></body></html>"
    ).encode()
    record = extract_article(page("x", "https://x.gov.vn/tin-tuc/hoi-nghi-123", body=body))
    assert record is not None
    assert record.title == "Hội nghị giao ban - UBND, MTTQ xã"


def test_views_formats() -> None:
    for printed, views in (("Lượt xem: 1.026", 1026), ("Tin đăng ngày: 6/2/2020 - Xem: 92", 92)):
        body = edited("vnportal_seed_article.html", "Lượt xem: 50", printed)
        record = extract_article(page("vnportal_seed_article.html", body=body))
        assert record is not None
        assert record.views == views


def test_body_paragraphs_are_collapsed_nfc() -> None:
    for name in ARTICLES:
        for paragraph in extract(name).body:
            assert paragraph == collapse(paragraph)
            assert not re.search(r"\s{2,}", paragraph)


EXPECTED = json.loads(read("expected.json").decode("utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_ground_truth(name: str) -> None:
    """``expected.json`` is the ground truth ``bench/extract_eval.py`` scores against."""
    truth = EXPECTED[name]
    fetched = page(
        name,
        truth["url"],
        content_type=truth["content_type"],
        fetched_at=datetime.fromisoformat(truth["fetched_at"]),
    )
    record = extract_article(fetched)
    assert record is not None
    published = record.published.isoformat() if record.published else None
    assert (record.title, published, record.author, record.summary) == (
        truth["title"],
        truth["published"],
        truth["author"],
        truth["summary"],
    )
    assert (record.body, record.captions, record.views) == (
        truth["body"],
        truth["captions"],
        truth["views"],
    )


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if b"</h1>" in read(n)))
def test_an_unclosed_headline_is_its_first_line_not_the_article(name: str) -> None:
    """A missing </h1> makes the parser nest the rest of the page in the
    heading: the title was the whole article, date, body and credits."""
    truth = EXPECTED[name]
    body = read(name).replace(b"</h1>", b"", 1)
    fetched = page(
        name,
        truth["url"],
        body=body,
        content_type=truth["content_type"],
        fetched_at=datetime.fromisoformat(truth["fetched_at"]),
    )
    record = extract_article(fetched)
    assert record is not None
    assert (record.title, record.body) == (truth["title"], truth["body"])


OLD_ASP_ARTICLE = """<html><head><meta charset="utf-8">
<title>Ra quân tiêm vắc xin cho đàn gia súc</title></head><body>
<div class="date">Thứ 3, Ngày 16/07/2024 - </div><a href="/">Trang chủ</a>
<div class="chitiet"><div class="tieude">Ra quân tiêm vắc xin cho đàn gia súc</div>
<div class="ngay">02/02/2023 08:07 33</div><div class="noidung">
<p>Trạm Chăn nuôi và Thú y huyện phối hợp với các xã triển khai đợt tiêm phòng vụ xuân.</p>
<p>Phát biểu tại buổi lễ, đồng chí Chủ tịch UBND huyện đánh giá cao tinh thần của cán bộ.</p>
<p>Thời gian tới, địa phương tiếp tục đẩy mạnh tuyên truyền để người dân đồng thuận.</p>
<p>Thùy Chinh</p></div></div></body></html>"""


def test_an_old_template_gives_its_own_date_count_and_signing_name() -> None:
    """real-portals.md's markers, on a template no preset knows: the header's
    "Thứ 3, Ngày 16/07/2024" (a cached page's day, not the fetch day) was the
    date of every article; "02/02/2023 08:07 33" ends with the view count;
    a name alone on the last line signs the article."""
    fetched = page(
        "x", "http://huyen.gov.vn/news_detail.asp?id=5&cat=3", body=OLD_ASP_ARTICLE.encode()
    )
    record = extract_article(fetched)
    assert record is not None
    assert record.published == datetime(2023, 2, 2, 8, 7, tzinfo=VIETNAM_TZ)
    assert (record.views, record.author) == (33, "Thùy Chinh")
    assert record.body[-1].startswith("Thời gian tới")


def test_a_credit_inside_the_date_line_is_the_author() -> None:
    """WordPress themes print "01-01-2023 - 07:00 | Viết bởi Trần Minh | 20 lượt
    xem": the credit was never read, being neither its own line nor labelled
    with a colon."""
    meta = "01-01-2023 - 07:00 | Viết bởi Trần Minh | 20 lượt xem"
    html = OLD_ASP_ARTICLE.replace("02/02/2023 08:07 33", meta).replace("<p>Thùy Chinh</p>", "")
    fetched = page("x", "http://xa.gov.vn/tiep-xuc-cu-tri.html", body=html.encode())
    record = extract_article(fetched)
    assert record is not None
    assert (record.author, record.views) == ("Trần Minh", 20)
    assert record.published == datetime(2023, 1, 1, 7, tzinfo=VIETNAM_TZ)


def test_generic_mode_finds_the_headline_the_title_tag_repeats() -> None:
    record = extract("liferay_article.html", family="generic")
    assert record.family == "generic"
    # A <div>, not a heading: found because <title> is "<headline> - <category> - <site>".
    assert record.title == "Hội nghị tổng kết công tác thông tin và truyền thông năm 2016"
    assert record.published == datetime(2017, 4, 12, 15, 39, tzinfo=VIETNAM_TZ)


def test_related_list_dates_inside_the_article_area_are_not_taken() -> None:
    body = edited("tandan_article.html", "Đăng ngày 17 - 05 - 2024", "")
    record = extract_article(page("tandan_article.html", body=body), family="generic")
    assert record is not None
    # Not "(10/05/2024)" from "Các tin khác" below the body.
    assert record.published == datetime(2024, 5, 17, tzinfo=VIETNAM_TZ)
    assert record.published_source == "url"


def test_labelled_view_count_wins_over_a_year() -> None:
    body = edited(
        "vnportal_seed_article.html", "Lượt xem: 50", "Đăng ngày 13 - 02 - 2025 Lượt xem: 265"
    )
    record = extract_article(page("vnportal_seed_article.html", body=body))
    assert record is not None
    assert record.views == 265


def test_site_visitor_counter_is_not_a_view_count() -> None:
    body = edited("vnportal_seed_article.html", "Lượt xem: 50", "")
    record = extract_article(page("vnportal_seed_article.html", body=body))
    assert record is not None
    # The sidebar's "Tổng lượt truy cập: 1.234.567" is the site's counter.
    assert record.views is None


@pytest.mark.parametrize(
    ("text", "views"),
    [
        ("Lượt xem: 50", 50),
        ("11:16 | 18/01/2022 | 1.026 lượt xem", 1026),
        ("Tin đăng ngày: 6/2/2020 - Xem: 92", 92),
        ("Lượt đọc 1,234", 1234),
        ("Tổng lượt truy cập: 1.234.567", None),
        ("Xem thêm 5 ảnh", None),
    ],
)
def test_parse_views(text: str, views: int | None) -> None:
    assert parse_views(text) == views


def test_tags_come_from_the_article_not_a_sidebar_cloud() -> None:
    cloud = (
        '<div class="col-md-3 sidebar"><div class="tags"><a href="/tag/ntm">nông thôn mới</a></div>'
    )
    body = edited("vnportal_seed_article.html", '<div class="col-md-3 sidebar">', cloud)
    record = extract_article(page("vnportal_seed_article.html", body=body))
    assert record is not None
    assert record.tags == []
    generic = extract("tandan_article.html", family="generic")
    assert generic.tags == ["Hồ Chí Minh", "đề cương"]
    assert not any("Từ khóa" in paragraph for paragraph in generic.body)


def test_a_site_wide_tag_cloud_above_the_article_is_not_its_tags() -> None:
    """Twelve tags in the header of every page were every article's tags,
    and the article's own "Từ khóa" line was lost behind them."""
    cloud = "".join(f'<a href="/tag/chu-de-{n}">chủ đề {n}</a> ' for n in range(12))
    raw = read("generic_article.html").decode("utf-8")
    raw = raw.replace("<body>", f'<body><div class="tags">{cloud}</div>', 1)
    record = extract_article(page("generic_article.html", body=raw.encode()))
    assert record is not None
    assert record.tags == []
    own = raw.replace(
        "<p><b>PV Thanh Tâm</b></p>",
        '<p><b>PV Thanh Tâm</b></p><div>Từ khóa: <a href="/tag/thuy-loi">thủy lợi</a></div>',
    )
    record = extract_article(page("generic_article.html", body=own.encode()))
    assert record is not None
    assert record.tags == ["thủy lợi"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42),
        ("007", 7),
        ("", None),
        (" 4", None),
        ("²", None),  # str.isdigit passes it; int refuses it
        ("١٢", None),  # Arabic-Indic: int takes it, no page writes its numbers so
        ("9" * 19, None),  # past 18 digits; int refuses past 4,300
        ("4.5", None),
    ],
)
def test_a_whole_number_is_ascii_digits_and_not_too_many(text: str, number: int | None) -> None:
    assert whole_number(text) == number


@pytest.mark.parametrize(
    ("base", "image"),
    [
        # An old portal serving its pages from one folder and its files from another.
        ('<base href="/portal/">', "https://phuhuu.anphu.angiang.gov.vn/portal/upload/"),
        # A base no parser reads, or not a web address: the page's own URL.
        ('<base href="http://[::1/">', "https://phuhuu.anphu.angiang.gov.vn/upload/"),
        ('<base href="javascript:void(0)">', "https://phuhuu.anphu.angiang.gov.vn/upload/"),
    ],
)
def test_images_resolve_against_the_pages_base(base: str, image: str) -> None:
    body = read("generic_article.html").replace(b"<head>", f"<head>{base}".encode(), 1)
    record = extract_article(page("generic_article.html", body=body))
    assert record is not None
    assert record.images[0].src.startswith(image), record.images[0].src


def test_a_zero_width_space_between_words_keeps_them_apart() -> None:
    """Dropped, it glued the words it separated ("Thanh\u200bLiên" became
    "ThanhLiên"), and neither word was found (export consumer probe).  Read
    as a space inside a syllable, it split it: "bảo hi ểm" was stored, and
    the phrase "bảo hiểm" not found (encoding probe)."""
    assert clean("Xã Thanh\u200bLiên\u200b họp\u00addân\u200d") == "Xã Thanh Liên họpdân"
    assert clean("bảo\u00a0hi\u200bểm xã\u200bhội Đ\u200bảng") == "bảo hiểm xã hội Đảng"
    # Two words whose vowels meet are two syllables; a run of them is one; punctuation needs none.
    glued = "hộ gia\u200bđình của\u200bông Hòa\u200bAn, hi\u200b\u200bểm y tế\u200b, giư\u200bờng"
    assert clean(glued) == "hộ gia đình của ông Hòa An, hiểm y tế, giường"
