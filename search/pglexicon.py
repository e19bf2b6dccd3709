"""What words a PostgreSQL archive holds: the lookups that building a query needs.

:class:`~search.pgquery.TsqueryBuilder` asks whether two words typed
together are a pair some document holds, to search them as one lexeme, and
with ``--fuzzy`` which syllables are one typo from a word typed.  Each
answer is kept for the rest of the search.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archive.models import SearchTerm
from search.query import one_edit_apart
from search.tsvector import quote
from search.vietnamese import fold


class Lexicon:
    """The lexemes of the documents searched in ``session``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._lexemes: dict[str, bool] = {}
        self._syllables: list[str] | None = None
        self._common: set[str] | None = None

    def has_lexeme(self, lexeme: str) -> bool:
        """Whether any document holds ``lexeme`` (a quoted literal).

        Asking the GIN index builds a bitmap of every match to answer with
        one: 30 ms for a lexeme in half of a million articles.  The planner's
        statistics list the lexemes most documents, or most heads, hold,
        which are those dear ones.  The rest are asked of the heads first (a
        sixth of the size, where a common pair of words is found too), then
        of the documents.
        """
        found = self._lexemes.get(lexeme)
        if found is None:
            asked = "EXISTS (SELECT 1 FROM search_documents WHERE {} @@ CAST(:lexeme AS tsquery))"
            found = self._lexemes[lexeme] = lexeme in self._common_lexemes() or bool(
                self.session.scalar(
                    text(f"SELECT {asked.format('head')} OR {asked.format('document')}"),
                    {"lexeme": lexeme},
                )
            )
        return found

    def _common_lexemes(self) -> set[str]:
        """The most common lexemes (quoted) of documents and heads in the planner's statistics."""
        if self._common is None:
            listed = self.session.scalars(
                text(
                    "SELECT most_common_elems::text::text[] FROM pg_stats "
                    "WHERE tablename = 'search_documents' AND attname IN ('document', 'head') "
                    "AND schemaname = current_schema()"
                )
            )
            self._common = {quote(lexeme) for lexemes in listed for lexeme in lexemes or ()}
        return self._common

    def near(self, syllable: str) -> list[str]:
        """Syllables of the lexicon one typo from ``syllable``, diacritics aside."""
        target = fold(syllable)
        if len(target) < 3 or not target.isalpha():
            return []
        if self._syllables is None:
            self._syllables = list(self.session.scalars(select(SearchTerm.term)))
        return [
            term
            for term in self._syllables
            if abs(len(term) - len(target)) <= 1
            and fold(term) != target
            and one_edit_apart(fold(term), target)
        ]
