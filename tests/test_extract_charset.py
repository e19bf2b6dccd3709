"""Decoding: labels lie, legacy encodings, Unicode forms."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from extract.article import extract_article
from extract.charset import declared_charset, decode_html, vietnamese_score
from extract.tcvn3 import decode_tcvn3
from extract.vni import decode_vni
from tests.pages import LEGACY, page

TITLE = "Xã Thanh Hưng tổ chức lễ ra quân làm đường giao thông nông thôn"
FIRST = (
    "Sáng ngày 12/3/2009, Đảng ủy, UBND xã Thanh Hưng đã tổ chức lễ ra quân làm đường giao thông"
    " nông thôn năm 2009 với sự tham gia của hơn 500 đoàn viên, hội viên và nhân dân trong xã."
)
SENTENCE = "Đảng ủy - UBND xã Thanh Liên vừa tổ chức buổi làm việc với các đoàn thể cấp huyện."


def cp1258(text: str) -> bytes:
    """Windows-1258 as Windows writes it: base letters plus combining tones."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = bytearray()
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out += (base + "".join(c for c in decomposed if c in tones)).encode("cp1258")
    return bytes(out)


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("cp1258_article.html", "cp1258"),
        ("cp1258_labelled_utf8.html", "cp1258"),
        ("utf8_labelled_latin1.html", "utf-8"),
        ("tcvn3_article.html", "tcvn3"),
        ("nfd_article.html", "utf-8"),
    ],
)
def test_legacy_pages_decode_to_the_same_nfc_article(name: str, encoding: str) -> None:
    fetched = page(name, content_type=LEGACY[name])
    assert fetched.encoding == encoding
    assert unicodedata.is_normalized("NFC", fetched.text)
    record = extract_article(fetched)
    assert record is not None
    assert record.title == TITLE
    assert record.body[0] == FIRST
    assert len(record.body) == 3
    assert record.author == "Văn phòng UBND xã"
    assert record.published is not None
    assert record.published.isoformat() == "2009-03-12T10:15:00+07:00"


def test_utf8_wins_over_a_latin1_label() -> None:
    decoded = decode_html(SENTENCE.encode("utf-8"), "text/html; charset=iso-8859-1")
    assert decoded == (SENTENCE, "utf-8")


def test_windows_1258_under_a_cp1252_label_is_read_as_windows_1258() -> None:
    decoded = decode_html(cp1258(SENTENCE), "text/html; charset=windows-1252")
    assert decoded.encoding == "cp1258"
    assert unicodedata.normalize("NFC", decoded.text) == SENTENCE


def test_invalid_utf8_under_a_utf8_label_falls_back_to_windows_1258() -> None:
    body = b'<meta charset="utf-8"><p>' + cp1258(SENTENCE) + b"</p>"
    decoded = decode_html(body, None)
    assert decoded.encoding == "cp1258"
    assert SENTENCE in unicodedata.normalize("NFC", decoded.text)


def test_unlabelled_windows_1258_is_recognised() -> None:
    assert decode_html(cp1258(SENTENCE)).encoding == "cp1258"


def test_long_legacy_pages_are_judged_on_their_words_wherever_they_are() -> None:
    # The words come a sample's length after the first non-ASCII byte (a
    # copyright sign in a long script): the whole page is scored after all.
    script = b"<script>/* \xa9 2009 */ var menu = '" + b"x " * 20_000 + b"';</script>"
    body = script + b"<p>" + cp1258(SENTENCE * 50) + b"</p>"
    assert decode_html(body).encoding == "cp1258"
    tcvn3 = b"<p>M\xad\xeang Kh\xad\xacng, \xa7\xb6ng \xf1y, B\xb8t X\xb8t.</p>" * 3000
    decoded = decode_html(tcvn3)
    assert decoded.encoding == "tcvn3" and decoded.text.count("Mường Khương") == 3000


def test_a_truthful_non_vietnamese_label_is_kept() -> None:
    text = "Привет, мир: это страница в кодировке KOI8-R."
    assert decode_html(text.encode("koi8-r"), "text/html; charset=koi8-r") == (text, "koi8-r")


def test_byte_order_marks_decide() -> None:
    assert decode_html(
        codecs.BOM_UTF8 + SENTENCE.encode("utf-8"), "text/html; charset=iso-8859-1"
    ) == (
        SENTENCE,
        "utf-8-sig",
    )
    assert decode_html(codecs.BOM_UTF16_LE + SENTENCE.encode("utf-16-le")).text == SENTENCE


def test_ascii_pages_need_no_guessing() -> None:
    assert decode_html(b"<p>Xin chao &#7842;</p>") == ("<p>Xin chao &#7842;</p>", "ascii")


def test_declared_charset_prefers_the_header_and_ignores_unknown_labels() -> None:
    body = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">'
    assert declared_charset(body, "text/html; charset=UTF-8") == "utf-8"
    assert declared_charset(body, "text/html; charset=x-unknown") == "cp1258"
    assert declared_charset(b"<html>", None) is None


def test_tcvn3_table_maps_the_letters_old_fonts_drew() -> None:
    assert decode_tcvn3(b"M\xad\xeang Kh\xad\xacng") == "Mường Khương"
    assert decode_tcvn3(b"\xa7\xb6ng \xf1y") == "Đảng ủy"
    assert decode_tcvn3(b"B\xb8t X\xb8t, 1.026") == "Bát Xát, 1.026"


def test_vni_pages_are_read_as_vni_whatever_their_label() -> None:
    """VNI-Windows (a base letter, then a byte for its marks) read as TCVN3
    looked Vietnamese enough to win: every article of such a portal was
    stored garbled ("Hoọi nghũ toồng keỏt") and no search found it."""
    text = "Hội nghị tổng kết xây dựng nông thôn mới. Đồng chí Nguyễn Thị Thủy phát biểu."
    vni = (
        b"Ho\xe4i ngh\xf2 to\xe5ng ke\xe1t xa\xe2y d\xf6\xefng no\xe2ng tho\xe2n m\xf4\xf9i. "
        b"\xd1o\xe0ng ch\xed Nguye\xe3n Th\xf2 Thu\xfby pha\xf9t bie\xe5u."
    )
    for label in ("text/html; charset=windows-1252", None):
        page = b"<html><body><p>" + vni * 4 + b"</p></body></html>"
        decoded = decode_html(page, label)
        assert decoded.encoding == "vni" and text in decoded.text
    assert decode_vni(b"VIE\xc4T NAM \xd1\xd6\xd4\xd8NG") == "VIỆT NAM ĐƯỜNG"


def test_font_encoded_pages_keep_windows_punctuation() -> None:
    """Typed on Windows in a TCVN3 or VNI font, a page keeps Windows' dashes
    and quotes in 0x80-0x9F: read as Latin-1 controls, they were dropped, and
    "2021 – 2025" was stored as "2021 2025"."""
    assert decode_vni(b"2021 \x96 2025, \x93Ho\xe4i\x94\x85") == "2021 – 2025, “Hội”…"
    assert decode_tcvn3(b"2021 \x96 2025, \x93B\xb8t X\xb8t\x94") == "2021 – 2025, “Bát Xát”"


def test_a_utf8_template_around_an_old_windows_1258_body_reads_both_right() -> None:
    """A portal moved its template to UTF-8 and serves old articles from its
    old database: read whole as windows-1258, the title and category were
    stored garbled ("Há»™i nghá»‹"); read whole as UTF-8, the body."""
    template = (
        f"<html><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
        "<ul><li>Trang chủ</li><li>Tin tức - Sự kiện</li><li>Liên hệ</li></ul>"
        f"<h1>{TITLE}</h1><div class='content'>"
    ).encode()
    page_bytes = template + b"<p>" + cp1258(FIRST) + b"</p><p>" + cp1258(SENTENCE) + b"</p></div>"
    decoded = decode_html(page_bytes, "text/html; charset=utf-8")
    assert f"<h1>{TITLE}</h1>" in decoded.text and "<li>Tin tức - Sự kiện</li>" in decoded.text
    assert f"<p>{FIRST}</p><p>{SENTENCE}</p>" in unicodedata.normalize("NFC", decoded.text)
    # Quotes pasted from Windows, as single bytes: read as windows-1258 reads
    # them, not as replacement characters nor a whole run gone legacy.
    quoted = template + b"<p>" + FIRST.encode() + b" \x93ok\x94</p><em>\x93" + "Hà Nội".encode()
    decoded = decode_html(quoted + b"\x94</em>", "text/html; charset=utf-8")
    assert f"<p>{FIRST} “ok”</p><em>“Hà Nội”</em>" in decoded.text


def test_vietnamese_score_separates_right_and_wrong_readings() -> None:
    raw = cp1258(SENTENCE)
    assert vietnamese_score(raw.decode("cp1258")) > vietnamese_score(raw.decode("cp1252"))
    assert vietnamese_score(raw.decode("cp1258")) > vietnamese_score(decode_tcvn3(raw))
    assert vietnamese_score("Hello world") == 0


def test_entities_for_combining_marks_come_out_composed() -> None:
    body = "<html><body><div class='noidung'>{}</div></body></html>".format(
        "<p>Tie&#770;&#769;ng Vie&#770;&#803;t co&#769; da&#770;&#769;u, "
        "đây là một đoạn văn bản đủ dài để được tính là một đoạn văn.</p>" * 3
    ).encode("ascii", "xmlcharrefreplace")
    record = extract_article(page("x", "http://xa.gov.vn/tin/bai-1234.html", body=body))
    assert record is not None
    assert record.body[0].startswith("Tiếng Việt có dấu, đây là")


def test_a_utf8_page_with_a_few_stray_bytes_stays_utf8() -> None:
    """Three bad bytes in a UTF-8 page must not send it through a legacy 8-bit reading."""
    text = "<title>Bài lỗi</title><p>" + "Người dân xã Thanh Liên tham gia lễ hội. " * 5
    body = text.encode()
    damaged = body[:40] + b"\xff" + body[40:80] + b"\x9d" + body[80:120] + b"\xc3" + body[120:]
    decoded = decode_html(damaged, "text/html; charset=utf-8")
    assert decoded.encoding == "utf-8"
    assert "<title>Bài lỗi</title>" in decoded.text
    assert decoded.text.count("\ufffd") <= 6
