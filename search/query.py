"""From what a researcher types to a Whoosh query that understands Vietnamese.

Whoosh's parser reads the syntax (AND, OR, NOT, "phrases", field:term,
wildcards); :class:`QueryBuilder` then rewrites each part:

- A syllable searches the article's whole text, in each spelling the index
  holds that folds like it: "bao" finds bão, báo, bảo…  In a query typed with
  diacritics anywhere, other spellings weigh :data:`FOLDED_WEIGHT`, and an
  ``exact`` builder keeps the spellings typed only.
- Syllables typed next to each other ("nông thôn mới", unquoted) also score
  their pairs ("nông thôn", "thôn mới"); an ``adjacent`` builder requires them.
- A "quoted phrase" requires all its pairs, which is how phrases stay as fast
  as single terms.

The searcher ranks the strict builders' hits first (exact, adjacent), so the
common case only scores a few rare pair terms.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from whoosh import query as wq
from whoosh.fields import DATETIME, ID, TEXT, Schema
from whoosh.qparser import QueryParser
from whoosh.qparser.plugins import PlusMinusPlugin, SingleQuotePlugin
from whoosh.reading import IndexReader

from archive.records import VIETNAM_TZ
from search.analysis import key_analyzer, pair, text_analyzer
from search.schema import ALL_TEXT, QUERY_FIELDS, TEXT_FIELDS
from search.vietnamese import canonical, fold, is_folded, variants

#: Weight of the other spellings of a syllable typed with diacritics.
FOLDED_WEIGHT = 0.1
#: Weight of a pair of adjacent query syllables found adjacent in a document.
PAIR_WEIGHT = 20.0
#: Weight of a spelling one typo away, with ``--fuzzy``.
FUZZY_WEIGHT = 0.3

#: Longer queries are refused: nobody types them, and each word costs lookups.
MAX_QUERY_LENGTH = 1000

#: The pseudo-field of unfielded words; it means the whole text.
_ANY = "text"

_BINARY = frozenset({"AND", "OR", "ANDNOT", "ANDMAYBE"})
_PIECE = re.compile(r'(?P<quote>"[^"]*")|(?P<paren>[()])|(?P<word>[^\s()"]+)')
_FIELD = re.compile(r"([^\W\d]\w*):(.*)", re.DOTALL)


class QuerySyntaxError(ValueError):
    """The query is malformed; the message says where."""

    def __init__(self, problem: str, text: str, position: int | None) -> None:
        where = (
            ""
            if position is None
            else f" (column {position + 1}: {text[position : position + 20]!r})"
        )
        super().__init__(problem + where)
        self.position = position


def _parse_schema() -> Schema:
    schema = Schema(site=ID(), category=ID(analyzer=key_analyzer()), published=DATETIME(), id=ID())
    for name in (_ANY, *TEXT_FIELDS):
        schema.add(name, TEXT(analyzer=text_analyzer(), multitoken_query="phrase"))
    return schema


_PARSER = QueryParser(_ANY, _parse_schema())
_PARSER.remove_plugin_class(SingleQuotePlugin)
# "-word" and -"a phrase" leave out, as in web search: NOT in one keystroke.
# Only in front of a word, a phrase or a group ("2025-2030" is one term).
# Every word is required already, so "+" means nothing (it never matches).
_MINUS = re.compile(r'(?<![^\s(])-(?=[\w"(])')
_PARSER.add_plugin(PlusMinusPlugin(plusexpr=r"(?!)", minusexpr=_MINUS.pattern))


def parse(text: str, *, narrowed: bool = False) -> wq.Query:
    """Parse ``text`` into a Whoosh query over canonical syllables.

    :param narrowed: filters (a site, a place, dates…) bound the search, so a
        lone ``*`` may list what they let through instead of every article.
    :raises QuerySyntaxError: unbalanced quotes or parentheses, a dangling
        operator, an unknown field, or a value a field cannot read.
    """
    if narrowed and text.strip() == "*":
        return wq.Every()
    check_syntax(text)
    parsed = _PARSER.parse(text)
    for node in _walk(parsed):
        if getattr(node, "error", None):
            start, end = getattr(node, "startchar", None) or 0, getattr(node, "endchar", None)
            value = text[start:end] if end else ""
            named = re.search(r"(\w+):$", text[:start])
            field = named.group(1) if named else "a value"
            hint = " (dates look like 2024, 2024-03 or 2024-03-05)" if field == "published" else ""
            raise QuerySyntaxError(f"cannot read {value!r} as {field}{hint}", text, start)
        _check_value(node, text)
    if parsed is wq.NullQuery:
        if _MINUS.search(text):
            raise QuerySyntaxError("nothing to search for: -word only leaves out", text, 0)
        raise QuerySyntaxError("nothing to search for", text, 0)
    return parsed


def _check_value(node: wq.Query, text: str) -> None:
    """Refuse what would match nothing for certain: a typo, not a search."""
    at = getattr(node, "startchar", None)
    bounded = isinstance(node, wq.NumericRange) and None not in (node.start, node.end)
    if bounded and node.start > node.end:
        raise QuerySyntaxError("the date range ends before it begins", text, at)
    if isinstance(node, wq.Term) and node.fieldname == "id" and not str(node.text).isdigit():
        raise QuerySyntaxError(
            f"an article id is a number (as `dna show` takes), not {node.text!r}", text, at
        )


def _walk(node: wq.Query) -> Iterable[wq.Query]:
    yield node
    for child in node.children():
        yield from _walk(child)


def check_syntax(text: str) -> None:
    """Reject what Whoosh's lenient parser would silently misread."""
    if not text.strip():
        raise QuerySyntaxError("the query is empty", text, None)
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"the query is {len(text)} characters long, more than {MAX_QUERY_LENGTH}", text, None
        )
    opened: list[int] = []
    previous, previous_at = None, 0
    for match in _PIECE.finditer(text):
        piece, at = match.group(), match.start()
        if match.lastgroup == "quote":
            kind = "term"
        elif piece == "(":
            opened.append(at)
            kind = "("
        elif piece == ")":
            if not opened:
                raise QuerySyntaxError("unmatched ')'", text, at)
            if previous in ("(", "op", "not"):
                raise QuerySyntaxError("nothing before ')'", text, at)
            opened.pop()
            kind = ")"
        elif piece in _BINARY:
            if previous in (None, "(", "op", "not"):
                raise QuerySyntaxError(f"nothing before {piece}", text, at)
            kind = "op"
        elif piece == "NOT":
            kind = "not"
        else:
            _check_field(piece, text, at)
            tilde = piece.find("~")
            if tilde > 0 or (tilde == 0 and text[at - 1 : at] != '"'):
                # Whoosh would drop it and search the bare word (or, with a
                # number, the number too): a typo never found, no word said.
                raise QuerySyntaxError(
                    '~ works after a "phrase" (words near each other); '
                    "for typos in words, add --fuzzy",
                    text,
                    at + max(tilde, 0),
                )
            value = piece.split(":")[-1]
            if value and not value.strip("*?"):
                raise QuerySyntaxError(
                    "a lone wildcard would match every article; give a few letters", text, at
                )
            kind = "term"
        previous, previous_at = kind, at
    if text.count('"') % 2:
        raise QuerySyntaxError("unclosed quote", text, text.rindex('"'))
    if opened:
        raise QuerySyntaxError("unclosed '('", text, opened[-1])
    if previous in ("op", "not"):
        raise QuerySyntaxError("nothing after the operator", text, previous_at)


def _check_field(word: str, text: str, at: int) -> None:
    match = _FIELD.match(word)
    if match is None:
        return
    name = match.group(1)
    if name not in QUERY_FIELDS:
        known = ", ".join(QUERY_FIELDS)
        raise QuerySyntaxError(f"unknown field {name!r} (fields: {known})", text, at)
    if not match.group(2) and not text[at + len(word) :].startswith(('"', "(")):
        raise QuerySyntaxError(f"nothing after '{name}:'", text, at)


#: Vietnam's offset from UTC in Whoosh's dates (microseconds): no summer time.
_VIETNAM_OFFSET = int(VIETNAM_TZ.utcoffset(None).total_seconds()) * 10**6


def in_vietnam(node: wq.NumericRange) -> wq.NumericRange:
    """``published:2024-05-12`` (read as a day of naive time) as that day in
    Vietnam, in the UTC the index keeps: an article of 00:00 +07:00 on the
    12th was under the 11th."""

    def earlier(moment: int | None) -> int | None:
        return None if moment is None else moment - _VIETNAM_OFFSET

    return wq.NumericRange(
        node.fieldname,
        earlier(node.start),
        earlier(node.end),
        node.startexcl,
        node.endexcl,
        boost=node.boost,
        constantscore=node.constantscore,
    )


class QueryBuilder:
    """Rewrites a parsed query for one index (its lexicon decides the spellings).

    :param reader: the index reader the query will run on.
    :param text: the query as typed; it decides routing and adjacency.
    :param fuzzy: also match spellings one edit away.
    :param exact: of a query typed with diacritics, match the spellings typed only.
    :param adjacent: require words typed next to each other to stand together
        (where the index has them together anywhere).

    After :meth:`build`, :attr:`terms` holds the canonical syllables to
    highlight in snippets.
    """

    def __init__(
        self,
        reader: IndexReader,
        text: str,
        *,
        fuzzy: bool = False,
        exact: bool = False,
        adjacent: bool = False,
    ) -> None:
        self.reader = reader
        self.text = text
        self.accented = not is_folded(text)
        self.fuzzy = fuzzy
        self.exact = exact
        self.adjacent = adjacent
        self.terms: set[str] = set()
        #: whether a word searched (not left out) was typed with diacritics.
        self.marked = False
        self._forms: dict[str, list[tuple[str, float]]] = {}
        self._excluding = False
        self._lexicons: dict[str, list[str]] = {}

    def build(self, parsed: wq.Query) -> wq.Query:
        """The rewritten query."""
        return self._rewrite(parsed)

    def _rewrite(self, node: wq.Query) -> wq.Query:
        field = getattr(node, "fieldname", None)
        textual = field == _ANY or field in TEXT_FIELDS
        if isinstance(node, wq.Term) and textual:
            return self._syllable(field, node.text, node.boost)
        if isinstance(node, wq.Phrase) and textual:
            return self._phrase(field, node.words, node.boost)
        if isinstance(node, (wq.Prefix, wq.Wildcard)) and textual:
            return self._pattern(field, node)
        if isinstance(node, wq.NumericRange) and field == "published":
            return in_vietnam(node)
        if isinstance(node, wq.And):
            return self._and(node)
        if isinstance(node, wq.Not):
            return wq.Not(self._excluded(node.query), boost=node.boost)
        if isinstance(node, wq.AndNot):
            # Whoosh 2.7's ANDNOT misses the left-out word when its first
            # article comes before the searched one's; AND NOT does not.
            return wq.And([self._rewrite(node.a), wq.Not(self._excluded(node.b))])
        return node.apply(self._rewrite)

    def _excluded(self, node: wq.Query) -> wq.Query:
        """NOT bão excludes bão only, not báo: exclusions take the spelling typed
        (NOT bao, typed bare, every spelling: see :func:`literal`)."""
        self._excluding = True
        try:
            return self._rewrite(node)
        finally:
            self._excluding = False

    def forms(self, syllable: str) -> list[tuple[str, float]]:
        """Spellings of ``syllable`` present in the index, with their weights."""
        self.marked |= not self._excluding and not is_folded(syllable)
        if literal(syllable, exact=self.exact and self.accented, excluding=self._excluding):
            self.terms.add(syllable)
            return [(syllable, 1.0)]
        found = self._forms.get(syllable)
        if found is None:
            reader = self.reader
            found = []
            for form in variants(fold(syllable)):
                if (ALL_TEXT, form) in reader:
                    weight = 1.0 if not self.accented or form == syllable else FOLDED_WEIGHT
                    found.append((form, weight))
            self._forms[syllable] = found
            self.terms.update(form for form, _ in found)
        return found

    def _syllable(self, field: str, syllable: str, boost: float = 1.0) -> wq.Query:
        name = _index_field(field)
        reader = self.reader
        clauses: list[wq.Query] = [
            wq.Term(name, form, boost=boost * weight)
            for form, weight in self.forms(syllable)
            if name == ALL_TEXT or (name, form) in reader
        ]
        if self.fuzzy:
            clauses += [
                wq.Term(name, term, boost=boost * FUZZY_WEIGHT)
                for term in self._near(name, syllable)
            ]
        if not clauses:
            return wq.Term(name, syllable, boost=boost)
        return clauses[0] if len(clauses) == 1 else wq.Or(clauses)

    def _near(self, field: str, syllable: str) -> list[str]:
        """Terms of ``field`` one typo from ``syllable``, diacritics aside ("cảu" for "của")."""
        target = fold(syllable)
        if len(target) < 3 or not target.isalpha():
            return []
        lexicon = self._lexicons.get(field)
        if lexicon is None:
            lexicon = self._lexicons[field] = list(self.reader.field_terms(field))
        near = [
            term
            for term in lexicon
            if abs(len(term) - len(target)) <= 1
            and " " not in term
            and fold(term) != target
            and one_edit_apart(fold(term), target)
        ]
        self.terms.update(near)
        return near

    def _pair(self, first: str, second: str, boost: float) -> wq.Query | None:
        """Two syllables standing together, or ``None`` if no article has them so."""
        reader = self.reader
        clauses = [
            wq.Term(ALL_TEXT, pair(a, b), boost=boost * weight_a * weight_b)
            for a, weight_a in self._spellings(first)
            for b, weight_b in self._spellings(second)
            if (ALL_TEXT, pair(a, b)) in reader
        ]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else wq.Or(clauses)

    def _spellings(self, syllable: str) -> list[tuple[str, float]]:
        """Its spellings in the index, and with ``--fuzzy`` those one typo away:
        "thanh lein" then meets "thanh liên" as a pair, which ranks the
        articles of Thanh Liên over those saying "lên" (one typo away too)
        most often."""
        found = self.forms(syllable)
        if self.fuzzy:
            found = found + [(term, FUZZY_WEIGHT) for term in self._near(ALL_TEXT, syllable)]
        return found

    def _phrase(self, field: str, words: list[str], boost: float) -> wq.Query:
        if len(words) == 1:
            return self._syllable(field, words[0], boost)
        required: list[wq.Query] = [
            self._pair(first, second, boost) or wq.Term(ALL_TEXT, pair(first, second))
            for first, second in itertools.pairwise(words)
        ]
        if _index_field(field) != ALL_TEXT:
            required += [self._syllable(field, word, boost) for word in words]
        return required[0] if len(required) == 1 else wq.And(required)

    def _pattern(self, field: str, node: wq.PatternQuery) -> wq.Query:
        pattern = canonical(node.text) + ("*" if isinstance(node, wq.Prefix) else "")
        return SyllableWildcard(_index_field(field), pattern, boost=node.boost)

    def _and(self, node: wq.And) -> wq.Query:
        children = node.subqueries
        pairs = {
            at: self._pair(first.text, second.text, PAIR_WEIGHT)
            for at, (first, second) in enumerate(itertools.pairwise(children))
            if self._adjacent(first, second)
        }
        found = {at: clause for at, clause in pairs.items() if clause is not None}
        if self.adjacent and found:
            # Pairs no article has ("liên nông" in "thanh lien nong thon moi")
            # join two words; the words on either side must still be there.
            together = {at + step for at in found for step in (0, 1)}
            alone = [self._rewrite(kid) for at, kid in enumerate(children) if at not in together]
            return wq.And([*found.values(), *alone], boost=node.boost)
        rewritten = wq.And([self._rewrite(child) for child in children], boost=node.boost)
        if not found:
            return rewritten
        bonus = list(found.values())
        return wq.AndMaybe(rewritten, bonus[0] if len(bonus) == 1 else wq.Or(bonus))

    def _adjacent(self, first: wq.Query, second: wq.Query) -> bool:
        """Whether two unfielded words were typed next to each other."""
        if not all(
            isinstance(node, wq.Term) and node.fieldname == _ANY and node.startchar is not None
            for node in (first, second)
        ):
            return False
        return not self.text[first.endchar : second.startchar].strip()


def literal(syllable: str, *, exact: bool, excluding: bool) -> bool:
    """Whether ``syllable`` searches its spelling only, not every one that folds like it.

    In the exact tier of a query typed with diacritics, every word searched
    does.  A word left out does when typed with diacritics itself, in every
    tier: ``NOT bão`` keeps báo, but ``NOT bao`` leaves out every spelling,
    whatever the other words.
    """
    return not is_folded(syllable) if excluding else exact


def _index_field(field: str) -> str:
    """The index field a query field searches: unfielded words and body: the whole text."""
    return ALL_TEXT if field == _ANY else TEXT_FIELDS[field]


def one_edit_apart(first: str, second: str) -> bool:
    """Whether one substitution, insertion, deletion or neighbour swap makes them equal."""
    if len(first) > len(second):
        first, second = second, first
    if len(first) == len(second):
        diffs = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and first[diffs[0]] == second[diffs[1]]
            and first[diffs[1]] == second[diffs[0]]
        )
    common = 0
    while common < len(first) and first[common] == second[common]:
        common += 1
    return first[common:] == second[common + 1 :]


class SyllableWildcard(wq.Wildcard):
    """A wildcard over syllables, never pairs; typed without diacritics, it ignores theirs.

    "thanh li*" then finds "liên" and "liệt" as well as "lien".
    """

    def _btexts(self, ixreader: IndexReader) -> Iterable[bytes]:
        pattern = re.compile(self._get_pattern())
        field = ixreader.schema[self.fieldname]
        folded = is_folded(self.text)
        for btext in ixreader.lexicon(self.fieldname):
            term = field.from_bytes(btext)
            if " " not in term and pattern.match(fold(term) if folded else term):
                yield btext
