"""Diacritic folding, shared by search (queries, index terms) and the gazetteer (place names).

Vietnamese is often typed without marks: "thanh lien" for "Thanh Liên".
Folding strips tone and vowel marks and maps đ to d, so both spellings meet.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=1 << 16)
def fold(token: str) -> str:
    """``token`` without tone or vowel marks, đ as d, lower case.

    >>> fold("Thanh Liên"), fold("HĐND"), fold("bão")
    ('thanh lien', 'hdnd', 'bao')
    """
    decomposed = unicodedata.normalize("NFD", token.lower())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.replace("đ", "d")
