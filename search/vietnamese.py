"""Vietnamese syllables: one canonical spelling, its folded form, and the way back.

Portal text mixes NFC and NFD, and old-style ("hoà", "thuỷ", "qúy") with
new-style ("hòa", "thủy", "quý") tone marks.  :func:`canonical` maps every
spelling of a syllable to one form; :func:`~places.folding.fold` strips all marks (and đ→d) for
diacritic-free matching; :func:`variants` goes back from a folded syllable to
every canonical spelling it could stand for, so the index need hold only the
canonical forms.

A corpus has a few thousand distinct syllables, so each function caches its
answers: analysis then costs a dictionary lookup per token.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from places.folding import fold

__all__ = ["TONES", "canonical", "fold", "is_folded", "place_tone", "variants"]

#: Combining tone marks: grave, acute, tilde, hook above, dot below.
TONES = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_TONE_SET = frozenset(TONES)

#: Vowels that carry a modifier (breve, circumflex, horn); the tone goes on them.
_MODIFIED = frozenset("ăâêôơư")

#: Onset, vowel cluster and final consonant of a bare (toneless) syllable.  The
#: "u" of "qu" and the "i" of "gi" (before another vowel) belong to the onset.
_SYLLABLE = re.compile(
    r"(ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})"
    r"(ch|ng|nh|[cmnpt])?"
)

#: What each folded letter may have been before folding.
_UNFOLD = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "d": "dđ"}

#: Above this many spellings a token is not a Vietnamese syllable; don't expand it.
_MAX_VARIANTS = 256

_CACHE_SIZE = 1 << 16


#: A consonant onset and "y" alone, toned or not: the spelling reform's "i".
_LONE_Y = re.compile(r"(?:ngh|ng|gh|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnpqrstvx])[yýỳỷỹỵ]")
_Y_AS_I = dict(zip("yýỳỷỹỵ", "iíìỉĩị", strict=True))

#: Numbers joined by slashes: dates (12/05/2024), numbered documents (05/2024).
_SLASHED_NUMBER = re.compile(r"\d+(?:/\d+)+")


@lru_cache(maxsize=_CACHE_SIZE)
def canonical(token: str) -> str:
    """The canonical spelling of ``token``: NFC, lower case, tone on its vowel.

    The tone goes on the modified vowel if there is one (the last, as in
    "người"), else on the last vowel of a closed syllable ("hoàn"), the middle
    one of three ("ngoài"), or the first of an open pair ("hòa", "thủy",
    "khỏe"; the traditional placement).  Tokens that are not one syllable
    with at most one tone (numbers, "ubnd", loanwords) are only NFC-lowered.

    Ð (U+00D0, the Icelandic eth) is read as Đ: text converted from legacy
    encodings and some keyboards write one for the other.

    >>> canonical("Hoà"), canonical("thuỷ"), canonical("qúy"), canonical("HĐND")
    ('hòa', 'thủy', 'quí', 'hđnd')
    >>> canonical("Ðảng") == canonical("Đảng")
    True

    A lone "y" after a consonant is written "i" as often ("kỹ thuật" and "kĩ
    thuật", "liệt sỹ" and "liệt sĩ", "quý" and "quí"): it is "i" here.

    >>> canonical("kỹ"), canonical("Sỹ"), canonical("quý"), canonical("y"), canonical("tuy")
    ('kĩ', 'sĩ', 'quí', 'y', 'tuy')

    Dates are written with and without zeros: "12/05/2024" is "12/5/2024".

    >>> canonical("12/05/2024"), canonical("05/2024/NQ")
    ('12/5/2024', '05/2024/nq')
    """
    word = unicodedata.normalize("NFC", token).lower().replace("ð", "đ")
    if _SLASHED_NUMBER.fullmatch(word):
        return "/".join(part.lstrip("0") or "0" for part in word.split("/"))
    decomposed = unicodedata.normalize("NFD", word)
    tones = [char for char in decomposed if char in _TONE_SET]
    if len(tones) == 1:
        bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_SET))
        word = place_tone(bare, tones[0]) or word
    if _LONE_Y.fullmatch(word):
        return word[:-1] + _Y_AS_I[word[-1]]
    return word


def place_tone(bare: str, tone: str) -> str | None:
    """``bare`` (a toneless syllable) with ``tone`` on its canonical vowel.

    Returns ``None`` when ``bare`` is not shaped like a Vietnamese syllable.
    """
    match = _SYLLABLE.fullmatch(bare)
    if match is None:
        return None
    start = match.start(2)
    cluster = match.group(2)
    modified = [i for i, char in enumerate(cluster) if char in _MODIFIED]
    if modified:
        at = modified[-1]
    elif match.group(3):
        at = len(cluster) - 1
    elif len(cluster) == 3:
        at = 1
    else:
        at = 0
    at += start
    return unicodedata.normalize("NFC", bare[: at + 1] + tone + bare[at + 1 :])


def is_folded(token: str) -> bool:
    """Whether ``token`` carries no Vietnamese marks at all (typed without them)."""
    return fold(token) == token.lower()


@lru_cache(maxsize=_CACHE_SIZE)
def variants(folded: str) -> tuple[str, ...]:
    """Every canonical spelling that folds to ``folded``, ``folded`` itself first.

    Most are not words; the caller keeps those its index holds.

    >>> variants("bao")[:6]
    ('bao', 'bào', 'báo', 'bão', 'bảo', 'bạo')
    """
    choices = [_UNFOLD.get(char, char) for char in folded]
    count = 1
    for options in choices:
        count *= len(options)
    if count > _MAX_VARIANTS:
        return (folded,)
    found = dict.fromkeys([folded])
    for letters in itertools.product(*choices):
        bare = "".join(letters)
        found[bare] = None
        for tone in TONES:
            toned = place_tone(bare, tone)
            if toned is None:
                break
            found[toned] = None
    return tuple(found)
