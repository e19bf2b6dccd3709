"""String clean-up shared by every extracted field."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

#: Characters editors paste in that render as nothing, and control characters
#: (C0 but whitespace, DEL, C1): no article needs them, and ``ESC`` (raw or as
#: ``&#27;``) in archived text would rewrite the terminal of whoever prints it.
#: The zero-width space is not among them: see :func:`_zero_width_spaces`.
_INVISIBLE_CHARS = "\u200c\u200d\u2060\ufeff\xad\x00-\x08\x0e-\x1b\x7f-\x9f"
_HAS_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")


@cache
def windows_punctuation() -> dict[int, str]:
    """Latin-1's C1 controls as windows-1252 draws those bytes: – “ ” … ‘ ’.

    A page typed on Windows in a TCVN3 or VNI font keeps Windows' punctuation
    there; read as Latin-1 it became control characters, dropped, and
    "2021 – 2025" was stored as "2021 2025".
    """
    table = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # five bytes windows-1252 leaves undefined
    return table


def whole_number(text: str, most_digits: int = 18) -> int | None:
    """``text`` as a whole number, if it is ASCII digits, ``most_digits`` at most.

    For numbers in a stranger's page or headers: ``str.isdigit`` passes "²"
    (one byte in Latin-1), which ``int`` refuses, as it refuses a number of
    over 4,300 digits.

    >>> whole_number("42"), whole_number("²"), whole_number("4" * 40), whole_number("")
    (42, None, None, None)
    """
    if 0 < len(text) <= most_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


_ZERO_WIDTH_SPACES = re.compile("\u200b+")
_WORD_END = re.compile(r"\w$")
_WORD_START = re.compile(r"\w")
_LAST_LETTERS = re.compile(r"[^\W\d_]+$")
_FIRST_LETTERS = re.compile(r"[^\W\d_]+")
_VOWEL_RUNS = re.compile(r"[aeiouy]+")
#: The vowel runs of Vietnamese syllables, marks left out (ươ is "uo"; "gi"
#: and "qu" bring their i and u: giường, quyết).
_NUCLEI = frozenset(
    "a e i o u y ai ao au ay eo eu ia ie iu oa oe oi oo ua ue ui uo uu uy ye"  # noqa: SIM905
    " iai iao ieu iua iuo oai oay oeo uai uay uoi uou uya uye uyu yeu".split()
)


def _zero_width_spaces(text: str) -> str:
    """A zero-width space (or a run of them) between two words is a space;
    inside a syllable, or beside a space or punctuation, it is dropped.

    Between words it parts them ("Thanh\u200bLiên" glued into one word
    was found by neither); inside a syllable, left there by an editor or a
    paste, it parts nothing ("hi\u200bểm" became "hi ểm", and the phrase
    "bảo hiểm" was not found).  A Vietnamese syllable has one run of vowels,
    and only a few runs are Vietnamese: "của\u200bông" is two words.
    """
    pieces = _ZERO_WIDTH_SPACES.split(text)
    out = [pieces[0]]
    for piece in pieces[1:]:
        between_words = _WORD_END.search(out[-1]) and _WORD_START.match(piece)
        left, right = _LAST_LETTERS.search(out[-1]), _FIRST_LETTERS.match(piece)
        inside = left and right and _one_syllable(left.group() + right.group())
        out.append(" " + piece if between_words and not inside else piece)
    return "".join(out)


def _one_syllable(word: str) -> bool:
    bare = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    runs = _VOWEL_RUNS.findall("".join(c for c in bare if c.isascii()))
    capital_inside = any(char.isupper() for char in word[1:])
    return len(runs) == 1 and runs[0] in _NUCLEI and not capital_inside


def clean(text: str) -> str:
    """NFC, invisible and control characters dropped (a zero-width space
    parts words, see :func:`_zero_width_spaces`), whitespace (NBSP too)
    collapsed.

    NFC again here because entities (``a&#769;``) are resolved after the
    page text was normalised.
    """
    text = unicodedata.normalize("NFC", text)
    if "\u200b" in text:
        text = _zero_width_spaces(text)
    if _HAS_INVISIBLE.search(text):
        text = _HAS_INVISIBLE.sub("", text)
    # str.split() and re's \s agree on what is whitespace (NBSP included).
    return " ".join(text.split())
