"""Finding the administrative units an article's text mentions.

What counts as a mention:

- A unit word, then a capitalised name: "xã Thanh Liên", "huyện Thanh Chương",
  "TP Vinh", "thị xã Cửa Lò", "tỉnh Nghệ An".  The word says the level; the
  name must be a unit of that level, else the mention is kept as *unknown*.
  "hợp tác xã" (a cooperative) is not a commune.
- A bare capitalised name, of two syllables or more, only when it cannot be
  much else: a province ("Nghệ An"), or the portal's own commune, district, or
  a commune of its district ("Thanh Liên: nhân dân hiến đất…" on Thanh Liên's
  portal).  Not after a village or street word ("thôn Thanh Liên").

Many names are shared ("Thanh Sơn" names 21 units), so each mention is settled
in order by: the article's date (before 1 July 2025 the old units, after it
the new); the units written right after it ("xã Thanh Sơn, huyện Thanh Sơn");
units the article names without doubt; the portal's own district, then
province.  A mention still open is kept as *ambiguous*, with its candidates:
never guessed.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from archive.folding import fold
from archive.gazetteer import UNIT_WORDS, Gazetteer, Unit, gazetteer
from archive.records import Mention

if TYPE_CHECKING:
    from collections.abc import Iterable

#: When the new units took office; articles from then on speak of them.
REORGANISED = datetime(2025, 7, 1, tzinfo=UTC)

#: Longest name, in syllables, tried after a unit word.
_MAX_SYLLABLES = 6

#: Words before a bare name that make it a village, street, school…, not a unit;
#: "xa" for the "hợp tác xã" (a cooperative) that a unit word did not take.
_NOT_UNIT_BEFORE = frozenset(
    "thon xom ban lang ap khoi to duong pho xa song nui cau ho cho truong".split()  # noqa: SIM905
)

_TOKEN = re.compile(r"[^\W_]+")
#: What may stand between two syllables of one name: a space, or " - ".
_NAME_GAP = re.compile(r"\s+|\s*-\s*")
#: What may stand between a unit and the unit it lies in: "xã A, huyện B".
_CHAIN_GAP = re.compile(r"\s*[,–-]?\s*")


def _capitalised(token: str) -> bool:
    return token[0].isupper() or token.isdigit()


class _Found:
    """A raw match: where it is, what it said, which units it may be."""

    __slots__ = ("candidates", "end", "start", "surface", "word")

    def __init__(
        self, start: int, end: int, surface: str, word: str | None, candidates: list[Unit]
    ) -> None:
        self.start, self.end, self.surface = start, end, surface
        #: the unit word written before the name, folded ("xa"), if any.
        self.word = word
        self.candidates = candidates


class MentionFinder:
    """Finds mentions with one portal's context.

    :param places: the gazetteer.
    :param site_place: code of the old unit the portal serves, or ``None``.
    """

    def __init__(self, places: Gazetteer, site_place: str | None = None) -> None:
        self.places = places
        self.site_context: list[set[str]] = []
        self._bare: dict[str, list[Unit]] = {}
        for unit in places.units.values():
            if unit.level == "province":
                self._bare.setdefault(fold(unit.name), []).append(unit)
        if site_place is not None:
            site = places[site_place]
            district = next(
                (c for c in (site.code, *site.parents) if places[c].level == "district"), None
            )
            near = {site.code, *site.parents, *places.children.get(district or "", ())}
            for code in near:
                self._bare.setdefault(fold(places[code].name), []).append(places[code])
            provinces = {c for c in places.cover(site.code) if places[c].level == "province"}
            self.site_context = [{district} if district else set(), provinces]

    def find(self, text: str, published: datetime | None = None) -> list[Mention]:
        """The units ``text`` mentions, each once with how often."""
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        found = self._scan(text, tokens)
        for match in found:
            match.candidates = self._by_era(match.candidates, published)
        for at, match in enumerate(found):
            match.candidates = self._by_chain(text, found, at)
        certain = {m.candidates[0].code for m in found if len(m.candidates) == 1}
        counts: Counter[tuple[str | None, tuple[str, ...]]] = Counter()
        surfaces: dict[tuple[str | None, tuple[str, ...]], str] = {}
        for match in found:
            candidates = self._settle(match, certain)
            codes = tuple(unit.code for unit in candidates)
            if len(codes) == 1:
                key: tuple[str | None, tuple[str, ...]] = (codes[0], ())
            else:
                key = (None, codes or (fold(match.surface),))
            counts[key] += 1
            surfaces.setdefault(key, match.surface)
        return [
            Mention(
                surface=surfaces[key],
                unit=key[0],
                candidates=key[1] if key[0] is None and key[1][0] in self.places.units else (),
                count=count,
            )
            for key, count in counts.items()
        ]

    # -- matching ----------------------------------------------------------

    def _scan(self, text: str, tokens: list[tuple[int, int, str]]) -> list[_Found]:
        found: list[_Found] = []
        at = 0
        while at < len(tokens):
            match = self._after_unit_word(text, tokens, at) or self._bare_name(text, tokens, at)
            if match is None:
                at += 1
                continue
            found.append(match)
            while at < len(tokens) and tokens[at][0] < match.end:
                at += 1
        return found

    def _unit_word(self, text: str, tokens: list[tuple[int, int, str]], at: int) -> int:
        """How many tokens from ``at`` make a unit word (0 if none)."""
        for size in (2, 1):
            if at + size > len(tokens):
                continue
            words = tokens[at : at + size]
            if any(not text[a[1] : b[0]].isspace() for a, b in itertools.pairwise(words)):
                continue
            word = fold(" ".join(token for _, _, token in words))
            if word not in UNIT_WORDS or (words[0][2].isupper() and word != "tp"):
                continue
            before = fold(" ".join(token for _, _, token in tokens[max(0, at - 2) : at]))
            if word == "xa" and before.endswith(("hop tac", "thi")):
                return 0
            return size
        return 0

    def _after_unit_word(
        self, text: str, tokens: list[tuple[int, int, str]], at: int
    ) -> _Found | None:
        size = self._unit_word(text, tokens, at)
        if not size:
            return None
        word = fold(" ".join(token for _, _, token in tokens[at : at + size]))
        first = at + size
        gap = text[tokens[first - 1][1] : tokens[first][0]] if first < len(tokens) else ""
        if first >= len(tokens) or not (gap.isspace() or (word == "tp" and gap.strip() == ".")):
            return None
        names = self._name_tokens(text, tokens, first)
        if not names:
            return None
        start = tokens[at][0]
        for count in range(len(names), 0, -1):
            end = tokens[first + count - 1][1]
            name = text[tokens[first][0] : end]
            candidates = self.places.named(name, UNIT_WORDS[word])
            if candidates:
                return _Found(start, end, text[start:end], word, candidates)
        end = tokens[first + len(names) - 1][1]
        return _Found(start, end, text[start:end], word, [])

    def _name_tokens(self, text: str, tokens: list[tuple[int, int, str]], first: int) -> list[str]:
        """The capitalised syllables from ``first`` that could be one name."""
        names: list[str] = []
        for index in range(first, min(first + _MAX_SYLLABLES, len(tokens))):
            token = tokens[index]
            if not _capitalised(token[2]):
                break
            if names and not _NAME_GAP.fullmatch(text[tokens[index - 1][1] : token[0]]):
                break
            names.append(token[2])
        return names

    def _bare_name(self, text: str, tokens: list[tuple[int, int, str]], at: int) -> _Found | None:
        if not _capitalised(tokens[at][2]) or tokens[at][2].isdigit():
            return None
        if at and fold(tokens[at - 1][2]) in _NOT_UNIT_BEFORE:
            return None
        names = self._name_tokens(text, tokens, at)
        for count in range(len(names), 1, -1):
            end = tokens[at + count - 1][1]
            surface = text[tokens[at][0] : end]
            candidates = self._bare.get(fold(" ".join(surface.split())))
            if candidates:
                spelled = self.places.named(surface)
                exact = [unit for unit in candidates if unit in spelled]
                return _Found(tokens[at][0], end, surface, None, exact or candidates)
        return None

    # -- settling ----------------------------------------------------------

    @staticmethod
    def _by_era(candidates: list[Unit], published: datetime | None) -> list[Unit]:
        eras = {unit.era for unit in candidates}
        if len(eras) < 2:
            return candidates
        era = "new" if published is not None and published >= REORGANISED else "old"
        return [unit for unit in candidates if unit.era == era]

    def _by_chain(self, text: str, found: list[_Found], at: int) -> list[Unit]:
        """Candidates of ``found[at]`` that lie in the units written right after it."""
        candidates = found[at].candidates
        end = found[at].end
        for following in found[at + 1 :]:
            if len(candidates) < 2 or not _CHAIN_GAP.fullmatch(text[end : following.start]):
                break
            within = {unit.code for unit in following.candidates}
            narrowed = [u for u in candidates if within & (self.places.cover(u.code) - {u.code})]
            if not narrowed:
                break
            candidates, end = narrowed, following.end
        return candidates

    def _settle(self, match: _Found, certain: set[str]) -> list[Unit]:
        """Narrow by what the article names for sure, the portal's place, then the unit word."""
        candidates = match.candidates
        for evidence in (certain, *self.site_context):
            if len(candidates) < 2:
                return candidates
            narrowed = [
                unit
                for unit in candidates
                if evidence & (self.places.cover(unit.code) - {unit.code})
            ]
            candidates = narrowed or candidates
        if len(candidates) > 1 and match.word:
            same_kind = [unit for unit in candidates if fold(unit.kind) == match.word]
            candidates = same_kind or candidates
        return candidates


def article_text(parts: Iterable[str | None]) -> str:
    """The text to search for mentions: the parts given, one per line."""
    return "\n".join(part for part in parts if part)


@cache
def finder(site_place: str | None) -> MentionFinder:
    """The mention finder of portals serving ``site_place``, built once per process."""
    return MentionFinder(gazetteer(), site_place)
