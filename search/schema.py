"""The index's fields, how much each part of an article weighs, and the schema version.

Unfielded words search one field, ``text``, holding every section of the
article with title words weighted three times (see :mod:`search.analysis`):
one term per syllable instead of a union over five fields, which is what keeps
common syllables fast.  The same field holds each pair of adjacent syllables
("nông thôn") as a term, for phrases and compounds, so no field stores
positions.  Folded (diacritic-free) queries are expanded through the lexicon,
so the text is indexed once.  The sections are also indexed alone for
``title:``, ``lead:``, ``captions:`` and ``author:`` queries; ``body:`` means
the whole text.  ``bench/search.py`` measures the design.

Places are gazetteer codes (:mod:`places.gazetteer`): ``portal`` holds the
units the article's portal lies in, ``places`` those and every unit the text
mentions, each with the units it lies in and the new units it became part
of.  ``--place``, ``--province`` and ``--district`` are then one term each.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import full_text_analyzer, key_analyzer, text_analyzer

#: Bump whenever fields or analysis change: an index of another version asks
#: for ``dna index --rebuild``.
SCHEMA_VERSION = 4

#: The sections of an article's text, in the order the weighted fields hold
#: them, and the weight of a word in each.
SECTIONS = {"title": 3.0, "lead": 1.5, "body": 1.0, "captions": 1.0, "author": 1.0}

#: The weighted field of every section's syllables and syllable pairs.
ALL_TEXT = "text"

#: What each field name a query may use searches: ``title:bão`` the title…
TEXT_FIELDS = {
    "title": "title",
    "lead": "lead",
    "body": ALL_TEXT,
    "captions": "captions",
    "author": "author",
}

#: Field names a query may use: ``title:bão``, ``site:xa-thanh-lien``…
QUERY_FIELDS = (*TEXT_FIELDS, "site", "category", "published", "id")


def build_schema() -> Schema:
    """A fresh schema of the current version."""
    plain = text_analyzer()
    weights = tuple(SECTIONS.values())
    return Schema(
        id=ID(stored=True, unique=True),
        version=STORED(),
        url=STORED(),
        site=ID(stored=True),
        category=ID(analyzer=key_analyzer()),
        published=DATETIME(stored=True, sortable=True),
        title=TEXT(analyzer=plain, phrase=False, stored=True),
        lead=TEXT(analyzer=plain, phrase=False),
        captions=TEXT(analyzer=plain, phrase=False),
        author=TEXT(analyzer=plain, phrase=False),
        text=TEXT(analyzer=full_text_analyzer(weights), phrase=False),
        portal=KEYWORD(lowercase=False, commas=False, scorable=False),
        places=KEYWORD(lowercase=False, commas=False, scorable=False),
    )
