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
  one rare lexeme each, found in the GIN index alone;
- the section as the position's weight: title A, lead B, captions C, body
  and author D (``ts_rank`` weighs them 1, 0.5, 0.33, 0.33 like the Whoosh
  field boosts); the database keeps the A, B and C part apart as ``head``,
  which ranking reads without fetching the whole document;
- ``author:`` lexemes for the author field, and filter lexemes (``@site:``,
  ``@category:``, ``@place:``, ``@portal:``, ``@id:``, ``@year:``,
  ``@month:``, ``@day:``) so every filter is part of one GIN lookup.

Punctuation and section breaks leave a gap of one position, so no pair joins
words across a full stop, as in the Whoosh pairs field.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from functools import lru_cache

from archive.archived import ArchivedArticle
from archive.records import VIETNAM_TZ
from search.analysis import MAX_TOKEN, SECTION, TOKEN, pair, words_only
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


#: Each position's text in each weight, "12A": built once, never formatted per token.
_AT = {w: [f"{at}{w}" for at in range(MAX_POSITION + 2)] for w in ("A", "B", "C", "")}
#: Bound of :data:`_TOKENS`; a corpus has a few thousand syllables.
_TOKENS_MAX = 1 << 16
#: Token as written → (form, folded, lexical, folded differs), or None for no word.
_TOKENS: dict[str, tuple[str, str, bool, bool] | None] = {"": None}


def _token(token: str) -> tuple[str, str, bool, bool] | None:
    """What :data:`_TOKENS` holds for ``token``, computed and cached (a run
    too long for a word is none, and is not kept)."""
    if len(token) > MAX_TOKEN:
        return None
    if len(_TOKENS) > _TOKENS_MAX:
        _TOKENS.clear()
        _TOKENS[""] = None
    form, folded, lexical = _forms(token)
    found = _TOKENS[token] = (form, folded, lexical, folded != form)
    return found


class _Vector:
    """Lexemes and their positions, bounded as PostgreSQL requires.

    This is the hot loop of indexing (up to four lexemes per token): it
    works on local names, looks each token up once in a plain dict, takes
    position texts from a table, and leaves the bounds (positions per
    lexeme, total size) to :meth:`text`.  It never quotes: tokens hold
    letters, digits and ``.,/`` only, never a quote or backslash.
    """

    def __init__(self) -> None:
        self.positions: defaultdict[str, list[str]] = defaultdict(list)
        self.bare: set[str] = set()
        self.position = 0

    def section(self, text: str, weight: str, terms: set[str]) -> None:
        """Add a section's syllables, folded forms and pairs at the next positions."""
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        positions, at, known, add_term = self.positions, _AT[weight], _TOKENS, terms.add
        position = self.position + 1
        previous = previous_folded = ""
        previous_differs = False
        for token, _break in TOKEN.findall(text):
            found = known.get(token, False)
            if found is False:
                found = _token(token)
            if found is None:
                previous = ""
                continue
            form, folded, lexical, differs = found
            if previous:
                position += 1
                if position > MAX_POSITION:
                    break
                here, before = at[position], at[position - 1]
                positions[previous + " " + form].append(before)
                if differs or previous_differs:
                    positions[previous_folded + " " + folded].append(before)
            else:
                position += 2
                if position > MAX_POSITION:
                    break
                here = at[position]
            positions[form].append(here)
            if differs:
                positions[folded].append(here)
            if lexical:
                add_term(form)
            previous, previous_folded, previous_differs = form, folded, differs
        self.position = position

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
        """The ``tsvector`` text: the first :data:`MAX_POSITIONS` positions of each
        lexeme, and lexemes in the order met until :data:`MAX_LEXEME_CHARS`."""
        parts, size = [], 0
        for lexeme, at in self.positions.items():
            size += len(lexeme) + 8
            if size > MAX_LEXEME_CHARS:
                break
            parts.append(f"'{lexeme}':{','.join(at[:MAX_POSITIONS])}")
        positions = self.positions
        parts += [quote(lexeme) for lexeme in self.bare if lexeme not in positions]
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
    moment = published.astimezone(VIETNAM_TZ)  # a portal's days are Vietnam's
    vector.bare.update(
        (
            f"@site:{article.site}",
            f"@id:{article.id}",
            year_key(moment),
            month_key(moment),
            day_key(moment),
        )
    )
    if article.category:
        vector.bare.add(f"@category:{category_key(article.category)}")
    portal, places = place_codes(article)
    vector.bare.update(f"@portal:{code}" for code in portal)
    vector.bare.update(f"@place:{code}" for code in places)
    return vector.text(), terms


def year_key(day: date) -> str:
    """The filter lexeme of a year; ``day`` is in Vietnam's calendar, as portals date news."""
    return f"@year:{day:%Y}"


def month_key(day: date) -> str:
    """The filter lexeme of ``day``'s month (Vietnam's calendar)."""
    return f"@month:{day:%Y-%m}"


def day_key(day: date) -> str:
    """The filter lexeme of ``day`` (Vietnam's calendar)."""
    return f"@day:{day:%Y-%m-%d}"


def category_key(category: str) -> str:
    """The lookup key of a category: folded, its punctuation left out, so that
    "tin tuc su kien" and "kinh-te" find *Tin tức - Sự kiện* and *Kinh tế*,
    as on Whoosh (documents written before 5 December 2026 keep the key with
    its punctuation, which :func:`category_keys` asks for too, until
    ``dna index --rebuild``)."""
    return words_only(_folded(category))


def category_keys(category: str) -> tuple[str, ...]:
    """The keys a category filter asks for: :func:`category_key`, and the
    folded category as written, as older documents keep it."""
    return tuple(dict.fromkeys((category_key(category), _folded(category))))


def _folded(category: str) -> str:
    return fold(" ".join(category.split()))[:200]
