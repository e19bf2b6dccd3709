"""The judged search corpus: articles built to trip Vietnamese search, and helpers.

Each article is named by a key; the judged queries in ``test_search_quality.py``
list the keys that should come back.  Hazards covered: NFD text, old-style tone
marks, diacritic-free queries, đ, words that fold alike (bão, báo, bảo, bao),
compounds whose syllables also occur scattered elsewhere, abbreviations,
numbers and typos.  Other search tests build their archives from it.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from archive.records import VIETNAM_TZ, ArticleRecord, CaptureRecord, Image
from archive.store import Store
from archive.writer import SearchDocuments
from search.indexer import update_index


@dataclass(frozen=True)
class Doc:
    """One fixture article."""

    key: str
    title: str
    body: list[str]
    #: a day (at 08:00 in Vietnam), or a day and time in Vietnam (``2024-05-12T00:00``).
    published: str
    site: str = "xa-thanh-lien"
    lead: str | None = None
    captions: list[str] = field(default_factory=list)
    author: str | None = None
    category: str | None = "Tin tức - Sự kiện"


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


CORPUS = [
    Doc(
        "seed",
        "Xã Thanh Liên tổ chức Hội nghị tổng kết công tác năm 2023",
        [
            "Sáng ngày 12/01/2024, UBND xã Thanh Liên tổ chức hội nghị tổng kết công tác năm "
            "2023, triển khai nhiệm vụ năm 2024.",
            "Năm 2023, xã Thanh Liên có 1.026 hộ dân; tổng kinh phí xây dựng đạt 34 tỷ đồng. "
            "Đồng chí Chủ tịch UBND xã phát biểu, biểu dương sự đóng góp cảu nhân dân.",
        ],
        "2024-01-12",
        lead="Xã Thanh Liên tổng kết năm 2023 với nhiều kết quả nổi bật.",
        author="Hữu Thịnh – Trung tâm VHTT&TT",
        captions=["Toàn cảnh hội nghị tại hội trường UBND xã."],
    ),
    Doc(
        "ntm-dat-chuan",
        "Thanh Liên về đích nông thôn mới nâng cao",
        [
            "Sau 5 năm phấn đấu, xã đã hoàn thành 19/19 tiêu chí nông thôn mới nâng cao.",
            "Người dân hiến đất làm đường giao thông, góp phần xây dựng nông thôn mới.",
        ],
        "2023-11-20",
        category="Kinh tế",
    ),
    Doc(
        "ntm-nfd",
        _nfd("Huyện Thanh Chương triển khai chương trình nông thôn mới giai đoạn 2021-2025"),
        [
            _nfd("Ban Chỉ đạo huyện xác định xây dựng nông thôn mới là nhiệm vụ trọng tâm."),
            _nfd("Các xã đăng ký về đích năm 2025 được hỗ trợ vốn từ ngân sách tỉnh."),
        ],
        "2022-03-08",
        site="huyen-thanh-chuong",
        category="Kinh tế",
    ),
    Doc(
        "ntm-scattered",
        "Nông dân thôn Trung Sơn học cách trồng giống lúa mới",
        [
            "Nông dân được hướng dẫn kỹ thuật gieo cấy. Thôn Trung Sơn có 120 hộ tham gia.",
            "Giống lúa mới cho năng suất cao hơn 15% so với giống cũ.",
        ],
        "2023-05-02",
        category="Kinh tế",
    ),
    Doc(
        "htx",
        "Hợp tác xã dịch vụ nông nghiệp Thanh Liên mở rộng sản xuất",
        [
            "Hợp tác xã hiện có 230 thành viên, doanh thu năm 2023 đạt 4 tỷ đồng.",
            "Ban quản trị hợp tác xã hỗ trợ xã viên tiêu thụ nông sản.",
        ],
        "2024-02-15",
        category="Kinh tế",
    ),
    Doc(
        "htx-scattered",
        "Ký kết hợp đồng cung ứng vật tư với các xã",
        [
            "Công ty ký hợp đồng với 12 xã trong huyện. Việc này có tác động tích cực.",
            "Lãnh đạo xã đánh giá cao sự hợp lý của giá cả, tác phong làm việc chuyên nghiệp.",
        ],
        "2023-07-19",
        site="huyen-thanh-chuong",
        category="Kinh tế",
    ),
    Doc(
        "bao-storm",
        "Khắc phục hậu quả cơn bão số 3",
        [
            "Cơn bão số 3 đổ bộ làm tốc mái 45 ngôi nhà. Lực lượng dân quân giúp dân khắc "
            "phục hậu quả bão.",
        ],
        "2024-09-08",
        captions=["Dân quân giúp dân lợp lại mái nhà sau bão."],
    ),
    Doc(
        "bao-storm-2",
        "Chủ động ứng phó bão lũ, bảo đảm an toàn cho người dân",
        [
            "Trước dự báo bão mạnh, xã đã sơ tán 30 hộ dân ở vùng trũng. Công tác phòng "
            "chống bão lũ được triển khai khẩn trương.",
        ],
        "2024-09-05",
        category="Quốc phòng - An ninh",
    ),
    Doc(
        "bao-newspaper",
        "Báo Nghệ An trao giải báo chí tuyên truyền",
        [
            "Báo Nghệ An tổ chức lễ trao giải cho các tác phẩm báo chí xuất sắc viết về cơ sở.",
        ],
        "2023-06-21",
        site="huyen-thanh-chuong",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "bao-protect",
        "Bảo vệ rừng đầu nguồn, bảo tồn đa dạng sinh học",
        [
            "Lực lượng kiểm lâm phối hợp với xã tuần tra bảo vệ rừng. Người dân ký cam kết "
            "bảo vệ rừng và không săn bắt động vật hoang dã.",
        ],
        "2023-04-10",
        category="Kinh tế",
    ),
    Doc(
        "bao-bag",
        "Hướng dẫn hội viên phụ nữ hạn chế dùng túi ni lông",
        [
            "Hội phụ nữ phát động phong trào dùng bao bì thân thiện môi trường thay bao ni lông.",
        ],
        "2023-03-08",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "bhyt",
        "Vận động người dân tham gia bảo hiểm y tế",
        [
            "Tỷ lệ người dân tham gia bảo hiểm y tế toàn xã đạt 93,5%. Trạm y tế xã khám "
            "chữa bệnh bảo hiểm y tế cho 2.400 lượt người.",
        ],
        "2023-10-04",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "old-style",
        "Hoà giải ở cơ sở góp phần giữ gìn an ninh trật tự",
        [
            "Tổ hoà giải thôn Hoà Bình đã giải quyết 12 vụ việc. Công trình thuỷ lợi được "
            "tu sửa, người dân khoẻ mạnh, an tâm sản xuất.",
            "Đây là kết quả qúy báu của phong trào toàn dân bảo vệ an ninh Tổ quốc.",
        ],
        "2022-12-01",
        category="Quốc phòng - An ninh",
    ),
    Doc(
        "new-style-thuy",
        "Nạo vét kênh mương thủy lợi phục vụ sản xuất vụ đông",
        ["Xã huy động 300 ngày công nạo vét kênh thủy lợi, bảo đảm tưới tiêu cho vụ đông."],
        "2023-09-30",
        category="Kinh tế",
    ),
    Doc(
        "hdnd",
        "Kỳ họp thứ 7 HĐND xã khóa XXI",
        [
            "HĐND xã Thanh Liên tổ chức kỳ họp thường lệ cuối năm. Các đại biểu HĐND thảo "
            "luận và thông qua 5 nghị quyết quan trọng.",
        ],
        "2023-12-20",
        category="Tin tức - Sự kiện",
    ),
    Doc(
        "mttq",
        "Ủy ban MTTQ xã trao quà Tết cho hộ nghèo",
        [
            "Ủy ban MTTQ xã phối hợp các đoàn thể trao 150 suất quà cho hộ nghèo, hộ cận nghèo.",
        ],
        "2024-02-02",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "dang-uy",
        "Đảng ủy xã lãnh đạo thực hiện nhiệm vụ chính trị",
        [
            "Đảng ủy xã đề ra 12 chỉ tiêu chủ yếu. Đảng bộ có 420 đảng viên sinh hoạt tại "
            "18 chi bộ.",
        ],
        "2023-01-15",
        category="Tin tức - Sự kiện",
    ),
    Doc(
        "chuyen-doi-so",
        "Đẩy mạnh chuyển đổi số trong cải cách hành chính",
        [
            "Xã triển khai mô hình tổ công nghệ số cộng đồng, hướng dẫn người dân cài đặt "
            "ứng dụng định danh điện tử. Chuyển đổi số giúp giảm thời gian làm thủ tục.",
        ],
        "2024-03-18",
        category="Tin tức - Sự kiện",
    ),
    Doc(
        "thanh-chuong",
        "Liên đội trường Tiểu học Thanh Chương ra quân làm sạch môi trường",
        [
            "Học sinh liên đội tham gia vệ sinh đường làng. Thanh niên tình nguyện hỗ trợ.",
        ],
        "2023-08-25",
        site="huyen-thanh-chuong",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "numbers",
        "Thu ngân sách năm 2023 vượt dự toán",
        [
            "Tổng thu ngân sách trên địa bàn đạt 34 tỷ đồng, bằng 112% dự toán. Toàn xã có "
            "1026 hộ kinh doanh cá thể.",
        ],
        "2024-01-05",
        category="Kinh tế",
    ),
    Doc(
        "numbers-scattered",
        "Trường mầm non đón 34 cháu vào lớp mới",
        [
            "Năm học mới trường đón 34 cháu. Kinh phí sửa chữa phòng học là 1 tỷ đồng do "
            "ngân sách huyện cấp.",
        ],
        "2023-09-05",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "y-te",
        "Trạm y tế xã đạt chuẩn quốc gia",
        [
            "Trạm y tế có 6 cán bộ, trong đó 1 bác sĩ. Người dân ở các thôn xa được khám "
            "bệnh miễn phí.",
        ],
        "2022-06-14",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "an-ninh",
        "Công an xã ra mắt mô hình camera an ninh",
        [
            "Mô hình camera an ninh được lắp đặt tại 8 thôn, giúp giữ gìn an ninh trật tự.",
        ],
        "2024-04-01",
        category="Quốc phòng - An ninh",
    ),
    Doc(
        "typo",
        "Tập huấn kỹ thuật cho tổ hợp tác trồng rau",
        [
            "Tổ hợp tác tập hơp 25 hộ trồng rau an toàn. Kỹ sư hướng dẫn bà con cách ủ phân.",
        ],
        "2023-02-22",
        category="Kinh tế",
    ),
    Doc(
        "caption-only",
        "Hình ảnh ngày hội đại đoàn kết",
        ["Ngày hội diễn ra vui tươi với nhiều hoạt động văn nghệ, thể thao."],
        "2023-11-18",
        captions=["Đội kéo co thôn Phú Lương giành giải nhất."],
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "lead-only",
        "Kết quả năm học 2022-2023",
        ["Nhà trường tổng kết năm học, khen thưởng học sinh tiêu biểu."],
        "2023-06-01",
        lead="Trường THCS Thanh Liên có 15 học sinh giỏi cấp tỉnh.",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "author",
        "Giải bóng đá thanh niên mừng Xuân",
        ["Giải quy tụ 10 đội bóng của các thôn."],
        "2024-02-20",
        author="Nguyễn Thị Duyên",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "date-text",
        "Lịch tiếp công dân tháng 4",
        ["Chủ tịch UBND xã tiếp công dân định kỳ vào ngày 12/04/2017 tại trụ sở."],
        "2017-04-01",
        category="Tin tức - Sự kiện",
    ),
    Doc(
        "quy",
        "Quỹ vì người nghèo tiếp nhận ủng hộ",
        ["Quỹ đã tiếp nhận 250 triệu đồng từ các tổ chức, cá nhân hảo tâm."],
        "2023-12-10",
        category="Văn hóa - Xã hội",
    ),
    Doc(
        "duong",
        "Khánh thành đường giao thông liên thôn",
        ["Tuyến đường dài 2,5 km nối thôn Đông với thôn Đoài, kinh phí 3,2 tỷ đồng."],
        "2023-08-12",
        category="Kinh tế",
    ),
    Doc(
        "moi-truong",
        "Ra quân vệ sinh môi trường hưởng ứng ngày Chủ nhật xanh",
        ["Đoàn thanh niên và hội phụ nữ thu gom 3 tấn rác thải, trồng mới 500 cây xanh."],
        "2024-05-12",
        site="huyen-thanh-chuong",
        category="Văn hóa - Xã hội",
    ),
]

#: Times when fixture articles are captured.
CAPTURED = datetime(2024, 6, 1, 3, 0, tzinfo=UTC)


def sample_portal_docs() -> list[Doc]:
    """Every article of the sample portals (all families), as corpus documents."""
    from sampleportal.corpus import all_articles

    return [
        Doc(
            key=f"{family}-{article.id}",
            title=article.title,
            body=list(article.paragraphs),
            published=article.dated.date().isoformat(),
            site=f"sample-{family}",
            lead=article.summary,
            captions=[figure.caption for figure in article.figures if figure.caption],
            author=article.author,
            category=article.category,
        )
        for family, articles in all_articles().items()
        for article in articles
    ]


def record(doc: Doc) -> ArticleRecord:
    """The article record of a fixture document."""
    published = datetime.fromisoformat(doc.published).replace(tzinfo=VIETNAM_TZ)
    if "T" not in doc.published:  # a day: at eight in the morning
        published = published.replace(hour=8)
    return ArticleRecord(
        url=f"https://{doc.site}.gov.vn/tin-tuc/{doc.key}.html",
        title=doc.title,
        published=published,
        published_source="page",
        author=doc.author,
        summary=doc.lead,
        body=doc.body,
        images=[
            Image(f"https://{doc.site}.gov.vn/anh/{doc.key}-{n}.jpg", caption)
            for n, caption in enumerate(doc.captions)
        ],
        category=doc.category,
        family="vnportal",
    )


def add_articles(
    store: Store,
    docs: list[Doc],
    seen: datetime = CAPTURED,
    search_documents: SearchDocuments | None = None,
) -> dict[str, int]:
    """Archive ``docs`` as one crawl per site; returns article ids by key.

    :param search_documents: the writers' hook (PostgreSQL search documents).
    """
    by_site: dict[str, list[Doc]] = {}
    for doc in docs:
        by_site.setdefault(doc.site, []).append(doc)
    for site, site_docs in by_site.items():
        site_id = store.site_id(site, title=site, family="vnportal")
        writer = store.writer(
            site_id, store.start_crawl(site_id), search_documents=search_documents
        )
        for doc in site_docs:
            capture = CaptureRecord(
                url=record(doc).url,
                fetched_at=seen,
                status=200,
                content_type="text/html; charset=utf-8",
                payload_digest=f"sha1:{uuid.uuid4().hex}",
                warc_file=f"{site}-0001.warc.gz",
                warc_offset=0,
                warc_length=100,
                record_id=f"<urn:uuid:{uuid.uuid4()}>",
            )
            writer.add_capture(capture)
            writer.add_article(record(doc), capture.record_id, seen)
        writer.flush()
    return {doc.key: store.article(record(doc).url).id for doc in docs}  # type: ignore[union-attr]


def build_archive(data: Path, docs: list[Doc] = CORPUS) -> tuple[Store, dict[str, int]]:
    """A data directory holding ``docs`` in its database and search index."""
    store = Store(f"sqlite:///{data / 'archive.sqlite3'}")
    ids = add_articles(store, docs)
    update_index(store, data / "index")
    return store, ids
