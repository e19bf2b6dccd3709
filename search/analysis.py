"""Whoosh analysis for Vietnamese: syllable tokens, canonical forms, syllable pairs.

Whoosh pickles these classes into the index, so this module's path and class
names must not change; change their behaviour only together with
:data:`search.schema.SCHEMA_VERSION`.

Chains (``|`` composes a tokenizer with filters)::

    SyllableTokenizer() | CanonicalFilter()       # title, lead, captions, author; queries
    SyllableTokenizer(weights) | CanonicalFilter() | PairFilter(syllables=True)
                                                  # text: "nông", "nông thôn", "thôn"…
    IDTokenizer() | KeyFilter()                   # category: "tin tuc - su kien"

A weighted tokenizer reads text made of sections joined by :data:`SECTION`
(title, lead, body…) and gives each section's tokens its weight, which Whoosh
sums into the term's weight: a title word then counts three times in one
field, so one term per syllable finds it wherever it is (BM25F).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from whoosh.analysis import Composable, Filter, IDTokenizer, Token, Tokenizer

from search.vietnamese import canonical, fold

#: Separates the sections of a weighted text field.
SECTION = "\x1e"

#: A token is a number written with its separators ("1.026", "12/04/2017",
#: "34,5") or a run of letters and digits ("thôn", "UBND", "H5N1").  Sentence
#: punctuation and section breaks between tokens are matched too: they break
#: syllable pairs, and a section break changes the weight.  A dot or comma
#: with a letter right after it ends no sentence: "TP.HCM" is "TP HCM".
TOKEN = re.compile(r"(\d+(?:[.,/]\d+)+|[^\W_]+)|(\x1e)|[.,](?!\w)|[;:!?…()\[\]{}\"“”«»|\n]")
#: A longer run of letters is no word; it is left out (index terms and
#: lexemes are bounded, and so are the caches of spellings).
MAX_TOKEN = 64


class SyllableTokenizer(Tokenizer):
    """Splits text into syllables, numbers and abbreviations, after NFC.

    Each token also says whether it follows the previous one with only spaces
    or joiners ("-", "&", "/") between them (``token.joined``), which
    :class:`PairFilter` needs to pair adjacent syllables only.

    :param weights: weights of the first sections of the text; later
        sections, and text without :data:`SECTION` breaks past these, weigh 1.

    >>> [t.text for t in SyllableTokenizer()("Xã có 1.026 hộ, UBND VHTT&TT")]
    ['Xã', 'có', '1.026', 'hộ', 'UBND', 'VHTT', 'TT']
    >>> [(t.text, t.boost) for t in SyllableTokenizer((3.0,))("Bão\x1ebão", boosts=True)]
    [('Bão', 3.0), ('bão', 1.0)]
    """

    def __init__(self, weights: tuple[float, ...] = ()) -> None:
        self.weights = weights

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        if not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost, token.joined, token.stopped = 1.0, False, False
            token.pos, token.startchar, token.endchar = start_pos, start_char, len(value)
            yield token
            return
        pos = start_pos
        joined = False
        weights, section = self.weights, 0
        boost = weights[0] if weights else 1.0
        for match in TOKEN.finditer(value):
            text = match.group(1)
            if text is None or len(text) > MAX_TOKEN:
                joined = False
                if match.group(2):
                    section += 1
                    boost = weights[section] if section < len(weights) else 1.0
                continue
            token.text = text
            token.joined = joined
            token.boost = boost
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            joined = True
            yield token


class CanonicalFilter(Filter):
    """Replaces each token by its canonical spelling (:func:`~search.vietnamese.canonical`).

    >>> analyzer = SyllableTokenizer() | CanonicalFilter()
    >>> [t.text for t in analyzer("Hoà bình, THUỶ lợi")]
    ['hòa', 'bình', 'thủy', 'lợi']
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = canonical(token.text)
            yield token


class PairFilter(Filter):
    """Emits each pair of adjacent syllables as one term, "nông thôn".

    Most Vietnamese words are two syllables, so pairs rank compounds and
    answer phrase queries as a conjunction of terms, without positions.
    Punctuation breaks a pair.

    :param syllables: pass the syllables through too, so that one analysis
        fills one field with both.

    >>> analyzer = SyllableTokenizer() | CanonicalFilter() | PairFilter()
    >>> [t.text for t in analyzer("nông thôn mới. Hợp tác xã")]
    ['nông thôn', 'thôn mới', 'hợp tác', 'tác xã']
    >>> analyzer = SyllableTokenizer() | CanonicalFilter() | PairFilter(syllables=True)
    >>> [t.text for t in analyzer("nông thôn mới")]
    ['nông', 'nông thôn', 'thôn', 'thôn mới', 'mới']
    """

    def __init__(self, syllables: bool = False) -> None:
        self.syllables = syllables

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        previous = None
        syllables = self.syllables
        for token in tokens:
            text = token.text
            if previous is not None and token.joined:
                token.text = pair(previous, text)
                yield token
                token.text = text
            if syllables:
                yield token
            previous = text


def pair(first: str, second: str) -> str:
    """The term of two adjacent syllables in the pairs field."""
    return f"{first} {second}"


class KeyFilter(Filter):
    """Folds a whole value to one lookup key: "Tin tức – Sự kiện" → "tin tuc – su kien".

    Filters such as ``--category`` then match however the user types them.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = fold(" ".join(token.text.split()))
            yield token


_WORD = re.compile(r"[^\W_]+")


def words_only(key: str) -> str:
    """A folded key without its punctuation: "tin tuc - su kien" → "tin tuc su kien"."""
    return " ".join(_WORD.findall(key))


def text_analyzer() -> Composable:
    """Canonical syllables."""
    return SyllableTokenizer() | CanonicalFilter()


def full_text_analyzer(weights: tuple[float, ...]) -> Composable:
    """Canonical syllables and their adjacent pairs, weighted by section."""
    return SyllableTokenizer(weights) | CanonicalFilter() | PairFilter(syllables=True)


def key_analyzer() -> Composable:
    """The analyzer of folded keyword fields such as category."""
    return IDTokenizer() | KeyFilter()
