"""Diacritic folding, shared by search (queries, index terms) and the gazetteer (place names).

Vietnamese is often typed without marks: "thanh lien" for "Thanh Liên".
Folding strips tone and vowel marks and maps đ to d, so both spellings meet.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterator
from functools import lru_cache


class _FoldedChars(dict[int, str]):
    """Code point → that character folded, filled in as characters are met.

    Folding a character alone gives what folding it in a text gives: NFD only
    reorders combining marks, and all of them are dropped.  So a text folds
    with one ``str.translate``, several times faster than decomposing it whole.
    """

    def __missing__(self, code_point: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code_point))
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
        # ð (U+00F0) is đ typed or converted with its look-alike.
        self[code_point] = folded = folded.replace("đ", "d").replace("ð", "d")
        return folded


_FOLDED_CHARS = _FoldedChars()


def _vietnamese_letters() -> Iterator[str]:
    for vowel in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            yield unicodedata.normalize("NFC", vowel + tone)
    yield "đ"


#: The characters of lower-cased Vietnamese news text beyond ASCII, at most
#: 128: its letters, the marks of its decomposed (NFD) spellings, and the
#: punctuation, symbols and Latin letters its pages use.  A text of these
#: alone folds through a one-byte charmap codec (the stdlib's cp1258 is
#: built the same way), five times faster than ``str.translate``, which looks
#: every character up in a dict.  Any other character takes that general path.
_COMMON = "".join(
    char
    for char in dict.fromkeys(
        "".join(_vietnamese_letters())
        + "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323"
        + "\u00a0«»°±×÷·§©®²³½ºª£¥µ"
        + "‐–—‘’“”•…‰′″\u200b\u200c\u200d\ufeff€™№→−"
        + "äåçëîïðñöøßûü"
    )
    if not char.isascii()
)
#: Byte 128 + i stands for ``_COMMON[i]``; U+FFFE marks a byte unused.
_DECODING = "".join(map(chr, range(128))) + _COMMON + "\ufffe" * (128 - len(_COMMON))
_ENCODING = codecs.charmap_build(_DECODING)
_COMMON_FOLDED = [_FOLDED_CHARS[ord(char)] for char in _COMMON]
#: Each byte's folded byte (a letter's ASCII letter; punctuation its own byte) ...
_FOLDED_BYTES = bytes(range(128)) + bytes(
    ord(folded) if folded.isascii() and folded else byte
    for byte, folded in enumerate(_COMMON_FOLDED + [""] * (128 - len(_COMMON)), 128)
)
#: ... and the bytes of the marks, which fold to nothing.
_MARK_BYTES = bytes(byte for byte, folded in enumerate(_COMMON_FOLDED, 128) if not folded)


def unaccented(text: str) -> str:
    """``text`` without tone or vowel marks, đ as d, lower case: for long texts, seen once.

    >>> unaccented("Thanh Liên"), unaccented("HĐND"), unaccented("bão"), unaccented("Ðảng")
    ('thanh lien', 'hdnd', 'bao', 'dang')
    """
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    try:
        encoded, _ = codecs.charmap_encode(lowered, "strict", _ENCODING)
    except UnicodeEncodeError:
        return lowered.translate(_FOLDED_CHARS)
    folded = encoded.translate(_FOLDED_BYTES, _MARK_BYTES)
    return codecs.charmap_decode(folded, "strict", _DECODING)[0]


#: :func:`unaccented`, remembered: tokens and place names recur.
fold = lru_cache(maxsize=1 << 16)(unaccented)
