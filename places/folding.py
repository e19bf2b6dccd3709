"""Diacritic folding, shared by search (queries, index terms) and the gazetteer (place names).

Vietnamese is often typed without marks: "thanh lien" for "Thanh Liên".
Folding strips tone and vowel marks and maps đ to d, so both spellings meet.
"""

from __future__ import annotations

import unicodedata
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


def unaccented(text: str) -> str:
    """``text`` without tone or vowel marks, đ as d, lower case: for long texts, seen once.

    >>> unaccented("Thanh Liên"), unaccented("HĐND"), unaccented("bão"), unaccented("Ðảng")
    ('thanh lien', 'hdnd', 'bao', 'dang')
    """
    return text.lower().translate(_FOLDED_CHARS)


#: :func:`unaccented`, remembered: tokens and place names recur.
fold = lru_cache(maxsize=1 << 16)(unaccented)
