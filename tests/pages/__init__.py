"""Hand-made portal pages for the extraction tests, and a loader.

Each ``.html`` file opens with a comment saying what real page it models.
``seed_000_abe65300ad34a3c8.txt`` is the real seed article as text, copied
so the seed tests compare against it rather than against our own markup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from extract.page import Page

HERE = Path(__file__).parent
#: The tests' fetch time: 08:30 on Monday 5 January 2026 in Vietnam, the day
#: the fixtures' page headers print as "today".
FETCHED = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)

#: The URL each article fixture models.
URLS = {
    "vnportal_seed_article.html": (
        "https://thanhlien.thanhchuong.nghean.gov.vn/tin-tuc-su-kien/"
        "thanh-lien-ubmttq-huyen-va-cac-doan-the-lam-viec-voi-dang-uy-ubnd-ubmttq-va-cac-doan-the"
        "-cap-xa-516239?pageindex=0"
    ),
    "vnportal_theme2_article.html": (
        "https://namdan.nghean.gov.vn/tin-tuc-su-kien/"
        "huyen-nam-dan-to-chuc-le-ky-niem-135-nam-ngay-sinh-chu-tich-ho-chi-minh-125040"
    ),
    "vnportal_listing.html": "https://thanhlien.thanhchuong.nghean.gov.vn/tin-tuc-su-kien",
    "liferay_article.html": (
        "https://sotttt.hanoi.gov.vn/tin-hoat-dong/-/view_content/"
        "2105467-hoi-nghi-tong-ket-cong-tac-thong-tin-va-truyen-thong-nam-2016"
    ),
    "liferay_listing.html": "https://sotttt.hanoi.gov.vn/tin-hoat-dong",
    "tandan_article.html": (
        "https://quangxuong.thanhhoa.gov.vn/portal/Pages/2024-5-17/"
        "DE-CUONG-tuyen-truyen-ky-niem-134-nam-ngay-sinh-Chu-tich-Ho-Chi-Minh-CAhvbq96.aspx"
    ),
    "tandan_listing.html": "https://quangxuong.thanhhoa.gov.vn/portal/Pages/Tin-tuc-su-kien.aspx",
    "nukeviet_article.html": (
        "https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/"
        "phuong-xuan-loc-ra-quan-bao-dam-trat-tu-an-toan-giao-thong-1287.html?utm_source=zalo"
    ),
    "nukeviet_listing.html": "https://xuanloc.dongnai.gov.vn/vi/news/tin-tuc-su-kien/",
    "generic_article.html": (
        "https://phuhuu.anphu.angiang.gov.vn/index.php?com=tin_tuc&act=chitiet&id=4521"
    ),
    "generic_listing.html": (
        "https://phuhuu.anphu.angiang.gov.vn/index.php?com=danhmuc_tin&id_category=2&page=2"
    ),
}
#: The old single-article page in each legacy encoding, and the Content-Type it is served with.
LEGACY = {
    "cp1258_article.html": "text/html",
    "cp1258_labelled_utf8.html": "text/html; charset=utf-8",
    "utf8_labelled_latin1.html": "text/html; charset=ISO-8859-1",
    "tcvn3_article.html": "text/html; charset=iso-8859-1",
    "nfd_article.html": "text/html; charset=utf-8",
}
LEGACY_URL = "http://xathanhhung.vn/tintuc.asp?id=1234"


def read(name: str) -> bytes:
    """The raw bytes of a fixture."""
    return (HERE / name).read_bytes()


def page(
    name: str,
    url: str | None = None,
    *,
    body: bytes | None = None,
    content_type: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    fetched_at: datetime = FETCHED,
    status: int = 200,
) -> Page:
    """The fixture ``name`` as fetched from its modelled URL (or ``url``)."""
    return Page(
        url=url or URLS.get(name, LEGACY_URL),
        status=status,
        headers={"Content-Type": content_type, **(headers or {})},
        body=read(name) if body is None else body,
        fetched_at=fetched_at,
    )
