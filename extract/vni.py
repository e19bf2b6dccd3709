"""VNI-Windows, the other font encoding of old Vietnamese pages.

Like TCVN3, VNI text is Latin-1 as far as HTTP and HTML know, and only a
``VNI-Times``-style font drew it as Vietnamese.  Unlike TCVN3 it is
decomposed: a letter with marks is its base letter followed by one byte
for the marks ("Hội" is ``Ho\\xe4i``, "Đồng" ``\\xd1o\\xe0ng``), and a few
letters (ơ, ư, đ, and i and y with some tones) are a byte of their own.
Decoding reads the pairs before the single bytes, in one pass, so that a
letter made of a pair is never read again; bytes 0x80–0x9F are Windows'
punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from extract.text import windows_punctuation

#: The bytes (as Latin-1) after a base letter for each tone: none, sắc, huyền,
#: hỏi, ngã, nặng; in lower case (the capitals' are their upper case).
_TONES = ("", "ù", "ø", "û", "õ", "ï")
#: After a, e, o: the circumflex with each tone.
_CIRCUMFLEX = ("â", "á", "à", "å", "ã", "ä")
#: After a: the breve with each tone.
_BREVE = ("ê", "é", "è", "ú", "ü", "ë")
#: Unicode's combining tone marks, in the order of :data:`_TONES`.
_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
#: Letters that are a byte of their own, and the base those bytes give with a tone byte.
_SINGLE = {"ô": "ơ", "ö": "ư", "ñ": "đ", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


@cache
def _table() -> dict[str, str]:
    lower: dict[str, str] = {}
    for base in "aeouy":
        for tone, mark in zip(_TONES[1:], _MARKS[1:], strict=True):
            lower[base + tone] = base + mark
    for base, modifier in (("a", "\u0302"), ("e", "\u0302"), ("o", "\u0302"), ("a", "\u0306")):
        codes = _BREVE if modifier == "\u0306" else _CIRCUMFLEX
        for code, mark in zip(codes, _MARKS, strict=True):
            lower[base + code] = base + modifier + mark
    for byte, letter in (("ô", "ơ"), ("ö", "ư")):
        for tone, mark in zip(_TONES[1:], _MARKS[1:], strict=True):
            lower[byte + tone] = letter + mark
    lower |= _SINGLE
    table = {}
    for code, letter in lower.items():
        letter = unicodedata.normalize("NFC", letter)
        table[code] = letter
        table[code.upper()] = letter.upper()
    return table


@cache
def _pattern() -> re.Pattern[str]:
    codes = sorted(_table(), key=len, reverse=True)  # pairs before single bytes
    return re.compile("|".join(map(re.escape, codes)))


def decode_vni(body: bytes) -> str:
    """Decode VNI-Windows bytes to Unicode (NFC)."""
    table = _table()
    text = body.decode("latin-1").translate(windows_punctuation())
    return _pattern().sub(lambda match: table[match.group()], text)
