"""The project's Vietnamese analysis, written as PostgreSQL ``tsvector`` text.

PostgreSQL never analyses our text: its ``simple`` parser would split
"12/04/2017" and know nothing of tone placement.  We hand it lexemes
already analysed by :mod:`search.analysis` and :mod:`search.vietnamese`, in
``tsvector`` input syntax, so both backends see the same tokens:

- each syllable, number or abbreviation in its canonical spelling, and its
  folded form ("bão" and "bao") at the same position, so a diacritic-free
  query is one lexeme, with no lexicon expansion;
- each pair of adjacent syllables ("nông thôn", folded "nong thon") at the
  first one's position: a quoted phrase or two words typed together are then
  one rare lexeme each, fast in the GIN index, and ``<->`` checks longer
  phrases exactly;
- the section as the position's weight: title A, lead B, captions C, body
  and author D (``ts_rank`` weighs them 1, 0.5, 0.33, 0.33 like the Whoosh
  field boosts);
- ``author:`` lexemes for the author field, and filter lexemes (``@site:``,
  ``@category:``, ``@place:``, ``@portal:``, ``@id:``, ``@year:``,
  ``@month:``, ``@day:``) so every filter is part of one GIN lookup.

Punctuation and section breaks leave a gap of one position, so neither a pair
nor ``<->`` joins words across a full stop, as in the Whoosh pairs field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC
from functools import lru_cache

from archive.archived import ArchivedArticle
from search.analysis import SECTION, TOKEN, pair
from search.indexer import place_codes
from search.vietnamese import canonical, fold

#: Weight letter of each section's positions (D, the default, is not written).
WEIGHTS = {"title": "A", "lead": "B", "captions": "C", "body": "", "author": ""}
#: ``ts_rank`` weights of D, C, B and A: title 3, lead 1.5, the rest 1, scaled to 1.
RANK_WEIGHTS = "{0.333, 0.333, 0.5, 1.0}"
#: PostgreSQL's largest position; later tokens would all share it.
MAX_POSITION = 16383
#: PostgreSQL keeps at most this many positions per lexeme.
MAX_POSITIONS = 256
#: A longer run of letters is no word; it is left out (lexemes are bounded).
MAX_TOKEN = 64
#: Stop adding lexemes past this many characters of lexeme text (PostgreSQL's limit
#: is 1 MB; a Vietnamese letter takes up to 3 bytes).
MAX_LEXEME_CHARS = 256 * 1024


def quote(lexeme: str) -> str:
    """``lexeme`` as a quoted ``tsvector``/``tsquery`` literal."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tokens(text: str) -> Iterator[tuple[str, bool]]:
    """Canonical tokens of ``text`` and whether each follows the previous with only spaces."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    joined = False
    for match in TOKEN.finditer(text):
        token = match.group(1)
        if token is None or len(token) > MAX_TOKEN:
            joined = False
            continue
        yield canonical(token), joined
        joined = True


@lru_cache(maxsize=1 << 16)
def _forms(token: str) -> tuple[str, str, bool]:
    """A token's canonical and folded forms, and whether ``--fuzzy`` may look it up."""
    form = canonical(token)
    return form, fold(form), len(form) >= 3 and form.isalpha()


#: Positions of a lexeme left out: full, so nothing is ever appended.
_FULL = [""] * MAX_POSITIONS


class _Vector:
    """Lexemes and their positions, bounded as PostgreSQL requires.

    This is the hot loop of indexing (four lexemes per token), so it works
    on local names and never quotes: tokens hold letters, digits and
    ``.,/`` only, never a quote or backslash.
    """

    def __init__(self) -> None:
        self.positions: dict[str, list[str]] = {}
        self.bare: set[str] = set()
        self.size = 0
        self.position = 0

    def section(self, text: str, weight: str, terms: set[str]) -> None:
        """Add a section's syllables, folded forms and pairs at the next positions."""
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        positions, new, forms = self.positions, self._new, _forms
        position = self.position + 1
        previous = previous_folded = ""
        for token, _break in TOKEN.findall(text):
            if not token or len(token) > MAX_TOKEN:
                previous = ""
                continue
            position += 1 if previous else 2
            if position > MAX_POSITION:
                break
            form, folded, lexical = forms(token)
            at = f"{position}{weight}"
            if lexical:
                terms.add(form)
            if previous:
                pair_at = f"{position - 1}{weight}"
                lexeme = f"{previous} {form}"
                found = positions.get(lexeme) or new(lexeme)
                if len(found) < MAX_POSITIONS:
                    found.append(pair_at)
                if folded != form or previous_folded != previous:
                    lexeme = f"{previous_folded} {folded}"
                    found = positions.get(lexeme) or new(lexeme)
                    if len(found) < MAX_POSITIONS:
                        found.append(pair_at)
            found = positions.get(form) or new(form)
            if len(found) < MAX_POSITIONS:
                found.append(at)
            if folded != form:
                found = positions.get(folded) or new(folded)
                if len(found) < MAX_POSITIONS:
                    found.append(at)
            previous, previous_folded = form, folded
        self.position = position

    def _new(self, lexeme: str) -> list[str]:
        """A new lexeme's positions; past the size bound, a list that is never written out."""
        self.size += len(lexeme) + 8
        if self.size > MAX_LEXEME_CHARS:
            return _FULL
        found = self.positions[lexeme] = []
        return found

    def keys(self, text: str, prefix: str) -> None:
        """Add ``prefix`` + each syllable and pair of ``text``, without positions (author:)."""
        previous = ("", "")
        for token, joined in tokens(text):
            folded = fold(token)
            self.bare.update((prefix + token, prefix + folded))
            if joined:
                self.bare.add(prefix + pair(previous[0], token))
                self.bare.add(prefix + pair(previous[1], folded))
            previous = (token, folded)

    def text(self) -> str:
        parts = [f"'{lexeme}':{','.join(at)}" for lexeme, at in self.positions.items()]
        parts += [quote(lexeme) for lexeme in self.bare if lexeme not in self.positions]
        return " ".join(parts)


def document(article: ArchivedArticle) -> tuple[str, set[str]]:
    """The ``tsvector`` text of an article's current version, and its syllables (≥ 3 letters)."""
    vector, terms = _Vector(), set[str]()
    vector.keys(article.author or "", "author:")
    sections = {
        "title": article.title,
        "lead": article.summary or "",
        "captions": "\n".join(article.captions),
        "author": article.author or "",
        "body": article.body,
    }
    for name, text in sections.items():
        for part in text.split(SECTION):
            vector.section(part, WEIGHTS[name], terms)
    published = article.published or article.first_seen
    moment = published.astimezone(UTC)
    vector.bare.update(
        (
            f"@site:{article.site}",
            f"@id:{article.id}",
            f"@year:{moment:%Y}",
            f"@month:{moment:%Y-%m}",
            f"@day:{moment:%Y-%m-%d}",
        )
    )
    if article.category:
        vector.bare.add(f"@category:{category_key(article.category)}")
    portal, places = place_codes(article)
    vector.bare.update(f"@portal:{code}" for code in portal)
    vector.bare.update(f"@place:{code}" for code in places)
    return vector.text(), terms


def category_key(category: str) -> str:
    """The folded lookup key of a category, as the Whoosh index keeps it."""
    return fold(" ".join(category.split()))[:200]
