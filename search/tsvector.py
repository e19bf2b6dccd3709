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
#: Stop adding lexemes past this many bytes of lexeme text (PostgreSQL's limit is 1 MB).
MAX_LEXEME_BYTES = 512 * 1024


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


class _Vector:
    """Lexemes and their positions, bounded as PostgreSQL requires."""

    def __init__(self) -> None:
        self.positions: dict[str, list[str]] = {}
        self.bare: set[str] = set()
        self.size = 0
        self.position = 0

    def add(self, lexeme: str, position: str | None = None) -> None:
        found = self.positions.get(lexeme)
        if found is None:
            if self.size > MAX_LEXEME_BYTES:
                return
            self.size += len(lexeme.encode()) + 8
            found = self.positions[lexeme] = []
        if position is not None and len(found) < MAX_POSITIONS:
            found.append(position)

    def section(self, text: str, weight: str, terms: set[str], prefix: str = "") -> None:
        """Add a section's syllables, folded forms and pairs at the next positions."""
        previous: tuple[str, str] | None = None
        self.position += 1
        for token, joined in tokens(text):
            self.position += 1 if joined else 2
            if self.position > MAX_POSITION:
                return
            at = f"{self.position}{weight}"
            folded = fold(token)
            if prefix:
                self.bare.update((prefix + token, prefix + folded))
            else:
                self.add(token, at)
                self.add(folded, at)
                if len(token) >= 3 and token.isalpha():
                    terms.add(token)
            if joined and previous is not None:
                pair_at = f"{self.position - 1}{weight}"
                if prefix:
                    self.bare.update(
                        (prefix + pair(previous[0], token), prefix + pair(previous[1], folded))
                    )
                else:
                    self.add(pair(previous[0], token), pair_at)
                    self.add(pair(previous[1], folded), pair_at)
            previous = (token, folded)

    def text(self) -> str:
        parts = [
            f"{quote(lexeme)}:{','.join(positions)}" if positions else quote(lexeme)
            for lexeme, positions in self.positions.items()
        ]
        parts += [quote(lexeme) for lexeme in self.bare if lexeme not in self.positions]
        return " ".join(parts)


def document(article: ArchivedArticle) -> tuple[str, set[str]]:
    """The ``tsvector`` text of an article's current version, and its syllables (≥ 3 letters)."""
    vector, terms = _Vector(), set[str]()
    vector.section(article.author or "", "", terms, prefix="author:")
    vector.position = 0
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
