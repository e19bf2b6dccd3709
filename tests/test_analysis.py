"""Vietnamese analysis: one canonical spelling per syllable, folding, syllable pairs, snippets."""

from __future__ import annotations

import pickle
import unicodedata
from datetime import UTC, datetime

import pytest

from archive.archived import ArchivedArticle
from places import folding
from places.folding import unaccented
from search.analysis import PairFilter, full_text_analyzer, key_analyzer, text_analyzer
from search.snippets import snippet, typed_first
from search.tsvector import tokens
from search.vietnamese import canonical, fold, is_folded, place_tone, variants


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("hoà", "hòa"),
        ("hòa", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("qúy", "quí"),
        ("quý", "quí"),
        ("kỹ", "kĩ"),  # a lone y after a consonant is the reform's i
        ("Sỹ", "sĩ"),
        ("ly", "li"),
        ("y", "y"),
        ("ý", "ý"),
        ("tuy", "tuy"),
        ("huỷ", "hủy"),
        ("Hoàng", "hoàng"),
        ("huỳnh", "huỳnh"),
        ("người", "người"),
        ("ngoài", "ngoài"),
        ("giữ", "giữ"),
        ("gìn", "gìn"),
        ("quốc", "quốc"),
        ("thuở", "thuở"),
        ("UBND", "ubnd"),
        ("HĐND", "hđnd"),
        ("1.026", "1.026"),
        ("Ðảng", "đảng"),  # U+00D0, Đ's look-alike from legacy conversions
        ("HÐND", "hđnd"),
    ],
)
def test_canonical_spelling(spelling: str, expected: str) -> None:
    assert canonical(spelling) == expected
    assert canonical(unicodedata.normalize("NFD", spelling)) == expected


def test_canonical_form_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Thuỷ")
    assert unicodedata.is_normalized("NFC", canonical(decomposed))


def test_tokens_with_two_tones_are_left_alone() -> None:
    assert canonical("àá") == "àá"


def test_place_tone_refuses_non_syllables() -> None:
    assert place_tone("ubnd", "\u0301") is None
    assert place_tone("hoa", "\u0300") == "hòa"


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Thanh Liên", "thanh lien"), ("nông thôn mới", "nong thon moi"), ("HĐND", "hdnd")],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_folding_a_text_char_by_char_is_folding_it_whole() -> None:
    # unaccented() folds each character alone; the definition decomposes the text whole.
    def whole(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text.lower())
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
        return bare.replace("đ", "d").replace("ð", "d")

    every_char = "".join(chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c < 0xE000)
    decomposed_marks = "Thanh Lie\u0302n, ho\u0301a, Đa\u0300 Na\u0306\u0303ng \u0301"
    # Texts of common characters alone take the charmap path: every one of them, any case.
    assert len(folding._COMMON) <= 128
    common = "".join(map(chr, range(128))) + folding._COMMON
    for text in (every_char, decomposed_marks, "ΟΔΟΣ Σ", common, common.upper(), f"{common}北"):
        assert unaccented(text) == whole(text)


def test_is_folded_notices_any_mark() -> None:
    assert is_folded("thanh lien")
    assert not is_folded("thanh liên")
    assert not is_folded("hđnd")


def test_variants_reach_every_accented_spelling() -> None:
    spellings = set(variants("bao"))
    assert {"bao", "bão", "báo", "bảo", "bạo", "bào"} <= spellings
    assert {"dang", "đang", "đảng", "đăng"} <= set(variants("dang"))
    assert "hđnd" in variants("hdnd")
    assert all(fold(spelling) == "bao" for spelling in spellings)


def test_variants_of_long_non_syllables_stay_put() -> None:
    assert variants("aaaaaaaaaa") == ("aaaaaaaaaa",)


def test_text_analyzer_yields_canonical_syllables_with_positions() -> None:
    text = unicodedata.normalize("NFD", "Xã Thanh Liên có 1.026 hộ, hoà thuận; 34 tỷ đồng")
    tokens = [(t.text, t.pos) for t in text_analyzer()(text, positions=True)]
    assert tokens == [
        ("xã", 0),
        ("thanh", 1),
        ("liên", 2),
        ("có", 3),
        ("1.026", 4),
        ("hộ", 5),
        ("hòa", 6),
        ("thuận", 7),
        ("34", 8),
        ("tỉ", 9),
        ("đồng", 10),
    ]


def test_text_analyzer_keeps_short_words_and_dates() -> None:
    words = [t.text for t in text_analyzer()("Ở y tế an ninh ngày 12/04/2017, TP.HCM")]
    # A date is kept whole, without its zeros: portals write 12/04/2017 and 12/4/2017.
    assert words == ["ở", "y", "tế", "an", "ninh", "ngày", "12/4/2017", "tp", "hcm"]


def test_a_run_too_long_for_a_word_is_no_token_on_either_backend() -> None:
    """Whoosh indexed a base64 blob or a link pasted as text as one term, and
    kept it in its spelling caches; PostgreSQL's documents left it out."""
    text = "Ảnh: " + "A" * 5000 + " nông thôn mới"
    whoosh = [(t.text, t.pos) for t in text_analyzer()(text, positions=True)]
    assert whoosh == [("ảnh", 0), ("nông", 1), ("thôn", 2), ("mới", 3)]
    assert [token for token, _ in tokens(text)] == ["ảnh", "nông", "thôn", "mới"]


def test_text_analyzer_reports_character_ranges() -> None:
    text = "Hội nghị UBND"
    ranges = [text[t.startchar : t.endchar] for t in text_analyzer()(text, chars=True)]
    assert ranges == ["Hội", "nghị", "UBND"]


def test_pairs_join_adjacent_syllables_but_not_across_punctuation() -> None:
    analyzer = text_analyzer() | PairFilter()
    pairs = [t.text for t in analyzer("Nông thôn mới. Hợp tác xã, VHTT&TT")]
    assert pairs == ["nông thôn", "thôn mới", "hợp tác", "tác xã", "vhtt tt"]


def test_full_text_weighs_sections_and_holds_syllables_and_pairs() -> None:
    analyzer = full_text_analyzer((3.0, 1.5))
    tokens = [(t.text, t.boost) for t in analyzer("Bão lũ\x1eMưa\x1ebão", boosts=True)]
    assert tokens == [
        ("bão", 3.0),
        ("bão lũ", 3.0),
        ("lũ", 3.0),
        ("mưa", 1.5),
        ("bão", 1.0),
    ]


def test_key_analyzer_folds_the_whole_value() -> None:
    assert [t.text for t in key_analyzer()("Tin tức  - Sự kiện")] == ["tin tuc - su kien"]


def test_analyzers_pickle_for_the_index() -> None:
    analyzer = full_text_analyzer((3.0,))
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored == analyzer
    assert [t.text for t in restored("hợp tác")] == ["hợp", "hợp tác", "tác"]


def _article(summary: str, body: str) -> ArchivedArticle:
    """An archived article of this ``summary`` and ``body``, for its snippets."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return ArchivedArticle(
        id=1,
        url="http://xa.gov.vn/bai-1",
        site="huyen",
        title="Chè Thanh Chương",
        published=now,
        published_source="page",
        author=None,
        summary=summary,
        body=body,
        images=[],
        views=None,
        category=None,
        tags=[],
        family="generic",
        first_seen=now,
        updated_at=now,
        version_id=1,
        version_count=1,
        fetched_at=now,
        warc_file="a.warc.gz",
        warc_offset=0,
        warc_length=0,
        warc_record_id="<urn:uuid:1>",
        capture_url="http://xa.gov.vn/bai-1",
    )


def test_the_snippet_is_the_passage_showing_most_of_the_words_searched() -> None:
    """ "Thanh Thủy" showed a body passage of "Thanh Chương" alone; the
    lead held both words."""
    article = _article(
        summary="Các xã Thanh Mai, Thanh Thủy, Thanh Đức trồng chè.",
        body="Toàn huyện Thanh Chương hiện có trên 7.500 ha chè. " * 3,
    )
    assert "Thanh Thủy" in snippet(article, {"thanh", "thủy"}).text
    assert snippet(article, {"chương"}).text.startswith("Toàn huyện Thanh Chương")


@pytest.mark.parametrize(
    ("query", "shown"),
    [("hoà", {"hòa"}), ("Hòa", {"hòa"}), ("hoa", {"hóa", "hòa"}), ("hỏa", {"hóa", "hòa"})],
)
def test_a_snippet_shows_the_spelling_typed_first(query: str, shown: set[str]) -> None:
    """ "hoà" highlighted "hóa" in "văn hóa", another word, before "hòa quyện";
    a word typed bare, or a spelling no passage holds, shows every spelling."""
    article = _article(
        summary="Phát triển văn hóa cơ sở.",
        body="Phát triển văn hóa cơ sở. " * 4 + "Người dân hòa quyện cùng lễ hội. " * 2,
    )
    terms = frozenset({"hòa", "hóa", "hoa", "hỏa"})
    found = snippet(article, terms, first=typed_first(query, terms))
    assert {found.text[start:end].lower() for start, end in found.spans} <= shown
    assert {found.text[start:end].lower() for start, end in found.spans} & shown
