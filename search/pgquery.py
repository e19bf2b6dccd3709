"""From a parsed query to a PostgreSQL ``tsquery`` over the lexemes of :mod:`search.tsvector`.

The query is parsed once, by the same parser as for Whoosh
(:func:`search.query.parse`), so syntax and syntax errors are the same on both
backends; :class:`TsqueryBuilder` then rewrites the tree as
:class:`search.query.QueryBuilder` does for Whoosh:

- A syllable is its canonical lexeme when the query was typed with diacritics
  and the builder is ``exact``, else its folded lexeme, which every spelling
  of it carries: "bao" finds bão, báo, bảo…
- Words typed next to each other score their pair lexeme ("nông thôn"); an
  ``adjacent`` builder requires the pairs some article has.
- A "quoted phrase" requires its pairs, as in Whoosh.  Not ``<->``: checking
  positions reads every candidate's whole document from TOAST (half a second
  for "nông thôn mới" in 20,000 articles), while its pairs are found in the
  GIN index alone; a phrase whose pairs all occur, but apart, is rare.
- ``title:``, ``lead:`` and ``captions:`` restrict a lexeme to the section's
  weight; ``author:`` searches the author lexemes; ``site:``, ``category:``,
  ``id:`` and ``published:`` (a year, month or day) are filter lexemes.
- A wildcard is a prefix (``li*``); others (``l?en``, ``*ien``) are refused.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from archive.records import VIETNAM_TZ
from search.analysis import pair
from search.query import QuerySyntaxError, literal
from search.schema import ALL_TEXT
from search.tsvector import day_key, month_key, quote, year_key
from search.vietnamese import canonical, fold, is_folded, variants

#: The weight letter each fielded section searches.
_SECTION_WEIGHTS = {"title": "A", "lead": "B", "captions": "C"}
#: Fewer letters before a ``*`` would expand to most of the lexicon.
MIN_PREFIX = 2
#: A quoted lexeme of a ``tsquery``.
_LEXEME = re.compile(r"'(?:[^']|'')*'")


class TsqueryBuilder:
    """Rewrites a parsed query as ``tsquery`` text.

    :param text: the query as typed; it decides routing and adjacency.
    :param exact: of a query typed with diacritics, match the spellings typed only.
    :param adjacent: require words typed next to each other to stand together
        (where some article has them together).
    :param has_lexeme: whether any document holds a lexeme (pairs are checked).
    :param near: spellings one typo away from a syllable, with ``--fuzzy``.

    After :meth:`build`, :attr:`terms` holds the canonical syllables to
    highlight and :attr:`bonus` the lexemes that only add to the score.
    """

    def __init__(
        self,
        text: str,
        *,
        exact: bool = False,
        adjacent: bool = False,
        has_lexeme: Callable[[str], bool],
        near: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.text = text
        self.accented = not is_folded(text)
        self.exact = exact
        self.adjacent = adjacent
        self.has_lexeme = has_lexeme
        self.near = near
        self.terms: set[str] = set()
        #: whether a word searched (not left out) was typed with diacritics.
        self.marked = False
        self.bonus: list[str] = []
        self._excluding = False

    def build(self, parsed: wq.Query) -> str:
        """The ``tsquery`` text of ``parsed``.

        :raises QuerySyntaxError: a part of the query PostgreSQL cannot search.
        """
        return self._rewrite(parsed)

    def lexeme(self, syllable: str) -> str:
        """The lexeme a syllable searches in this builder's mode."""
        self.marked |= not self._excluding and not is_folded(syllable)
        if literal(syllable, exact=self.exact and self.accented, excluding=self._excluding):
            self.terms.add(syllable)
            return syllable
        self.terms.update(variants(fold(syllable)))
        self.terms.add(syllable)
        return fold(syllable)

    def _rewrite(self, node: wq.Query) -> str:
        field = getattr(node, "fieldname", None)
        if isinstance(node, wq.Term):
            return self._term(field, node.text)
        if isinstance(node, wq.Phrase):
            if node.slop > 1:
                raise self._refuse(
                    'PostgreSQL search takes a "phrase" as written, not ~N words apart: drop ~N'
                )
            return self._phrase(field, node.words)
        if isinstance(node, wq.Prefix):
            return self._prefix(field, node.text)
        if isinstance(node, wq.Wildcard):
            text = node.text
            if text.endswith("*") and not any(c in "*?" for c in text[:-1]):
                return self._prefix(field, text[:-1])
            raise self._refuse(
                f"PostgreSQL search takes a wildcard only at the end of a word (li*), not {text!r}"
            )
        if isinstance(node, wq.NumericRange) and field == "published":
            return self._published(node)
        if isinstance(node, wq.And):
            return self._and(node.subqueries)
        if isinstance(node, wq.Or):
            return "(" + " | ".join(self._rewrite(kid) for kid in node.subqueries) + ")"
        if isinstance(node, wq.Not):
            return "!" + self._excluded(node.query)
        if isinstance(node, wq.AndNot):
            return f"({self._rewrite(node.a)} & !{self._excluded(node.b)})"
        if isinstance(node, wq.AndMaybe):
            self.bonus.append(self._rewrite(node.b))
            return self._rewrite(node.a)
        # Words no field named search the whole text, a field the user never typed.
        shown = str(node).replace(f"{ALL_TEXT}:", "")
        raise self._refuse(f"PostgreSQL search cannot read this part of the query: {shown}")

    def _refuse(self, problem: str) -> QuerySyntaxError:
        return QuerySyntaxError(problem, self.text, 0)

    def _excluded(self, node: wq.Query) -> str:
        """NOT bão excludes bão only, not báo: exclusions take the spelling typed."""
        self._excluding = True
        try:
            return self._rewrite(node)
        finally:
            self._excluding = False

    def _term(self, field: str | None, text: str) -> str:
        if field in ("site", "id"):
            return quote(f"@{field}:{text}")
        if field == "category":
            return quote(f"@category:{text}")
        if field == "author":
            return quote("author:" + self.lexeme(text))
        weight = _weight(field)
        found = quote(self.lexeme(text)) + weight
        if self.near is None or self._excluding:
            return found
        near = self.near(text)
        self.terms.update(near)
        if not near:
            return found
        return "(" + " | ".join([found, *(quote(term) + weight for term in near)]) + ")"

    def _phrase(self, field: str | None, words: list[str]) -> str:
        if len(words) == 1:
            return self._term(field, words[0])
        forms = [self.lexeme(word) for word in words]
        if field == "author":
            pairs = [quote("author:" + pair(a, b)) for a, b in itertools.pairwise(forms)]
            return "(" + " & ".join(pairs) + ")"
        weight = _weight(field)
        required = [quote(pair(a, b)) + weight for a, b in itertools.pairwise(forms)]
        return "(" + " & ".join(required) + ")"

    def _prefix(self, field: str | None, text: str) -> str:
        stem = canonical(text)
        if len(stem) < MIN_PREFIX:
            raise self._refuse(
                f"give at least {MIN_PREFIX} letters before a wildcard: {text}* would match "
                "almost every article"
            )
        self.terms.add(stem)
        if field == "author":
            return quote("author:" + stem) + ":*"
        return quote(stem) + ":*" + _SECTION_WEIGHTS.get(field or "", "")

    def _published(self, node: wq.NumericRange) -> str:
        start, end = long_to_datetime(node.start), long_to_datetime(node.end)
        whole_days = start.time() == time() and end.time() >= time(23, 59, 59)
        if whole_days and start.date() == end.date():
            return quote(day_key(start))
        last_day = (end + timedelta(days=1)).day == 1
        if whole_days and start.day == 1 and last_day and f"{start:%Y-%m}" == f"{end:%Y-%m}":
            return quote(month_key(start))
        whole_year = f"{start:%m-%d}" == "01-01" and f"{end:%m-%d}" == "12-31"
        if whole_days and whole_year and start.year == end.year:
            return quote(year_key(start))
        raise self._refuse(
            "PostgreSQL search takes published: as one year, month or day "
            "(2024, 2024-03, 2024-03-05); use --since and --until for ranges"
        )

    def _and(self, children: list[wq.Query]) -> str:
        found: dict[int, str] = {}
        for at, (first, second) in enumerate(itertools.pairwise(children)):
            if self._typed_together(first, second):
                held = [
                    together
                    for a in self._spellings(first.text)
                    for b in self._spellings(second.text)
                    if self.has_lexeme(together := quote(pair(a, b)))
                ]
                if held:
                    found[at] = held[0] if len(held) == 1 else "(" + " | ".join(held) + ")"
        if self.adjacent and found:
            # Pairs no article has ("liên nông" in "thanh lien nong thon moi")
            # join two words; the words on either side must still be there.
            covered = {at + step for at in found for step in (0, 1)}
            alone = [self._rewrite(kid) for at, kid in enumerate(children) if at not in covered]
            return "(" + " & ".join([*found.values(), *alone]) + ")"
        self.bonus += found.values()
        return "(" + " & ".join(self._rewrite(child) for child in children) + ")"

    def _spellings(self, syllable: str) -> list[str]:
        """Its lexeme, and with ``--fuzzy`` those one typo away: "thanh lein"
        then meets the pair "thanh liên" (see :meth:`search.query.QueryBuilder._spellings`)."""
        lexeme = self.lexeme(syllable)
        if self.near is None or self._excluding:
            return [lexeme]
        folded = lexeme == fold(syllable)
        near = dict.fromkeys(fold(term) if folded else term for term in self.near(syllable))
        return [lexeme, *(term for term in near if term != lexeme)]

    def _typed_together(self, first: wq.Query, second: wq.Query) -> bool:
        """Whether two unfielded words were typed next to each other."""
        if not all(
            isinstance(node, wq.Term) and node.fieldname == "text" and node.startchar is not None
            for node in (first, second)
        ):
            return False
        return not self.text[first.endchar : second.startchar].strip()


def _weight(field: str | None) -> str:
    """The ``tsquery`` weight restriction of a fielded section (``:A`` for title)."""
    return ":" + _SECTION_WEIGHTS[field] if field in _SECTION_WEIGHTS else ""


def alternatives(query: str) -> int:
    """How many lexemes ``query`` is an OR of (a word's spellings); 0 if it is more."""
    lexemes = _LEXEME.findall(query)
    return len(lexemes) if not set(_LEXEME.sub("", query)) - set("|() ") else 0


def keys_between(oldest: datetime, newest: datetime, most: int) -> str | None:
    """The month keys from ``oldest`` to ``newest`` as one tsquery, or the year
    keys past ``most`` months; ``None`` past as many years.

    Documents key Vietnam's months, and those written before 4 December 2026
    UTC's, seven hours behind: the keys run from ``oldest``'s month in UTC to
    ``newest``'s in Vietnam, which hold every article between them either way.
    """
    first, last = oldest.astimezone(UTC), newest.astimezone(VIETNAM_TZ)
    months = (last.year - first.year) * 12 + last.month - first.month
    if months < most:
        start = first.year * 12 + first.month - 1
        keys = [
            month_key(date(month // 12, month % 12 + 1, 1))
            for month in range(start, start + months + 1)
        ]
    elif last.year - first.year < most:
        keys = [year_key(date(year, 1, 1)) for year in range(first.year, last.year + 1)]
    else:
        return None
    return " | ".join(map(quote, keys))
