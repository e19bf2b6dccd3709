"""Finding the administrative units an article's text mentions.

What counts as a mention:

- A unit word, then a run of capitalised syllables on the same line: "xã Thanh
  Liên", "huyện Thanh Chương", "TP Vinh", "tỉnh Nghệ An".  The word says the
  level; the whole run must name a unit of that level, else the mention is
  kept as *unknown* ("xã Thanh Lĩnh", merged away before the dataset).  Not
  "hợp tác xã" (a cooperative), nor organisations ("Tỉnh Đoàn", "Huyện ủy").
- A bare name of two syllables or more, only where it can hardly be anything
  else: a province ("Nghệ An"; not "Hồ Chí Minh", a person first), or the
  portal's own commune, district, or a commune of its district ("Thanh Liên:
  nhân dân hiến đất…" on Thanh Liên's portal).  Not after a village, street or
  similar word ("thôn Thanh Liên").  A bare name shared by a district and its
  town means the district.

Many names are shared ("Thanh Sơn" names 16 units), so each mention is settled
in order by: the era written after it ("xã Đại Đồng mới", "… cũ"); the units
written right after it ("xã Thanh Sơn, huyện Thanh Sơn"); units the article
names without doubt; the portal's own district, then province; the article's
date (before 1 July 2025 the old units, from then the new); the unit word
("xã" over "phường").  A mention still open is kept as *ambiguous*,
with its candidates: never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from archive.records import VIETNAM_TZ, Mention
from places.folding import fold
from places.gazetteer import UNIT_WORDS, Gazetteer, Unit, gazetteer

if TYPE_CHECKING:
    from collections.abc import Iterable

#: When the new units took office (Vietnam time); articles from then on speak of them.
REORGANISED = datetime(2025, 7, 1, tzinfo=VIETNAM_TZ)

#: Words after a name that say which map it is on.
_ERA_AFTER = {"mới": "new", "cũ": "old"}

#: Longest name, in syllables, tried after a unit word.
_MAX_SYLLABLES = 6

#: Words before a bare name that make it a village, street, school…, not a unit;
#: "xa" for the "hợp tác xã" (a cooperative) that a unit word did not take.
_NOT_UNIT_BEFORE = frozenset(
    "thon xom ban lang ap khoi to duong pho xa song nui cau ho cho truong".split()  # noqa: SIM905
)

#: Capitalised words after a unit word that make it an organisation, not a
#: place: "Tỉnh Đoàn" (the provincial Youth Union), "Huyện ủy", "Xã Đội".
_ORGANISATIONS = frozenset(("đoàn", "ủy", "uỷ", "đảng", "đội", "hội"))

#: Names never taken bare: "Hồ Chí Minh" is a person before it is a city.
_NOT_BARE = frozenset(("ho chi minh",))

_TOKEN = re.compile(r"[^\W_]+")
#: The first syllable of each unit word, lower case: a token not among them starts none.
_UNIT_FIRST_WORDS = frozenset(word.split()[0] for word in UNIT_WORDS)
#: Spaces within a line: a name never runs across lines.
_SPACE = re.compile(r"[ \t\u00a0]+")
#: What may stand between two syllables of one name: a space, or " - ".
_NAME_GAP = re.compile(r"[ \t\u00a0]+|[ \t\u00a0]*-[ \t\u00a0]*")
#: What may stand between a unit and the unit it lies in: "xã A, huyện B".
_CHAIN_GAP = re.compile(r"[ \t\u00a0]*[,–-]?[ \t\u00a0]*")


def _capitalised(token: str) -> bool:
    return token[0].isupper() or token.isdigit()


class _Found:
    """A raw match: where it is, what it said, which units it may be."""

    __slots__ = ("candidates", "end", "era", "start", "surface", "word")

    def __init__(
        self, start: int, end: int, surface: str, word: str | None, candidates: list[Unit]
    ) -> None:
        self.start, self.end, self.surface = start, end, surface
        #: the unit word written before the name ("xã"), if any.
        self.word = word
        self.candidates = candidates
        #: the era written after the name: "xã Đại Đồng mới", "huyện Thanh Chương cũ".
        self.era: str | None = None


class MentionFinder:
    """Finds mentions with one portal's context.

    :param places: the gazetteer.
    :param site_place: code of the old unit the portal serves, or ``None``.
    """

    def __init__(self, places: Gazetteer, site_place: str | None = None) -> None:
        self.places = places
        self.site_context: list[set[str]] = []
        bare = [unit for unit in places.units.values() if unit.level == "province"]
        if site_place is not None:
            site = places[site_place]
            district = next(
                (c for c in (site.code, *site.parents) if places[c].level == "district"), None
            )
            near = {site.code, *site.parents, *places.children.get(district or "", ())}
            bare += [places[code] for code in sorted(near) if places[code].level != "province"]
            provinces = {c for c in places.cover(site.code) if places[c].level == "province"}
            self.site_context = [{district} if district else set(), provinces]
        self._bare: dict[str, list[Unit]] = {}
        for unit in bare:
            if fold(unit.name) not in _NOT_BARE:
                self._bare.setdefault(fold(unit.name), []).append(unit)
        #: The first syllables (folded) of the bare names: a token not among
        #: them, nor among the unit words' first syllables, starts no mention.
        self._bare_first = frozenset(_TOKEN.match(name).group() for name in self._bare)

    def find(self, text: str, published: datetime | None = None) -> list[Mention]:
        """The units ``text`` mentions, each once with how often."""
        text = unicodedata.normalize("NFC", text)
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        found = self._scan(text, tokens)
        for match in found:
            if match.era:
                match.candidates = [u for u in match.candidates if u.era == match.era] or (
                    match.candidates
                )
        for at, match in enumerate(found):
            match.candidates = self._by_chain(text, found, at)
        certain = {m.candidates[0].code for m in found if len(m.candidates) == 1}
        counts: Counter[tuple[str | None, tuple[str, ...]]] = Counter()
        surfaces: dict[tuple[str | None, tuple[str, ...]], str] = {}
        for match in found:
            candidates = self._settle(match, certain, published)
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
        """The matches, left to right, none overlapping: tried only at the
        tokens that may start one (most tokens start none; cheap tests first)."""
        found: list[_Found] = []
        covered = 0
        unit_first, bare_first = _UNIT_FIRST_WORDS, self._bare_first
        for at, (start, _, token) in enumerate(tokens):
            if start < covered or not (
                token.lower() in unit_first or (token[0].isupper() and fold(token) in bare_first)
            ):
                continue
            match = self._after_unit_word(text, tokens, at) or self._bare_name(text, tokens, at)
            if match is not None:
                found.append(match)
                covered = match.end
        return found

    def _unit_word(self, text: str, tokens: list[tuple[int, int, str]], at: int) -> str | None:
        """The unit word starting at token ``at``, lower case, if one does."""
        if tokens[at][2].lower() not in _UNIT_FIRST_WORDS:
            return None  # most tokens: tried on every one, so the cheap test first
        for size in (2, 1):
            words = tokens[at : at + size]
            if len(words) < size or (
                size == 2 and not _SPACE.fullmatch(text[words[0][1] : words[1][0]])
            ):
                continue
            word = " ".join(token for _, _, token in words)
            if word.lower() not in UNIT_WORDS or (word.isupper() and word != "TP"):
                continue
            before = fold(" ".join(token for _, _, token in tokens[max(0, at - 2) : at]))
            if word.lower() == "xã" and before.endswith(("hop tac", "thi")):
                return None
            return word.lower()
        return None

    def _after_unit_word(
        self, text: str, tokens: list[tuple[int, int, str]], at: int
    ) -> _Found | None:
        word = self._unit_word(text, tokens, at)
        if word is None:
            return None
        first = at + len(word.split())
        if first >= len(tokens):
            return None
        gap = text[tokens[first - 1][1] : tokens[first][0]]
        if not (
            _SPACE.fullmatch(gap) or (word == "tp" and _SPACE.fullmatch(gap.lstrip(".") or " "))
        ):
            return None
        names = self._name_tokens(text, tokens, first)
        if not names or names[0].lower() in _ORGANISATIONS:
            return None
        last = first + len(names) - 1
        start, end = tokens[at][0], tokens[last][1]
        candidates = self.places.named(text[tokens[first][0] : end], UNIT_WORDS[word])
        found = _Found(start, end, text[start:end], word, candidates)
        if last + 1 < len(tokens) and _SPACE.fullmatch(text[end : tokens[last + 1][0]]):
            found.era = _ERA_AFTER.get(tokens[last + 1][2])
        return found

    def _name_tokens(self, text: str, tokens: list[tuple[int, int, str]], first: int) -> list[str]:
        """The run of capitalised syllables from ``first``: a name is all of it."""
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
            if not candidates:
                continue
            spelled = self.places.named(surface)
            candidates = [unit for unit in candidates if unit in spelled] or candidates
            # A bare name shared by a unit and the unit it lies in ("Nam Đàn",
            # the district and its town) means the larger one.
            codes = {unit.code for unit in candidates}
            candidates = [unit for unit in candidates if not codes & set(unit.parents)]
            return _Found(tokens[at][0], end, surface, None, candidates)
        return None

    # -- settling ----------------------------------------------------------

    def _by_chain(self, text: str, found: list[_Found], at: int) -> list[Unit]:
        """Candidates of ``found[at]`` that lie in the units written right after it."""
        candidates = found[at].candidates
        end = found[at].end
        for following in found[at + 1 :]:
            if len(candidates) < 2 or not _CHAIN_GAP.fullmatch(text[end : following.start]):
                break
            within = {unit.code for unit in following.candidates}
            narrowed = [u for u in candidates if within & self.places.within(u.code)]
            if not narrowed:
                break
            candidates, end = narrowed, following.end
        return candidates

    def _settle(self, match: _Found, certain: set[str], published: datetime | None) -> list[Unit]:
        """Narrow by what the article names for sure, the portal's place, the date, the word."""
        candidates = match.candidates
        for evidence in (certain, *self.site_context):
            if len(candidates) < 2:
                return candidates
            narrowed = [unit for unit in candidates if evidence & self.places.within(unit.code)]
            candidates = narrowed or candidates
        if len({unit.era for unit in candidates}) > 1:
            era = "new" if published is not None and published >= REORGANISED else "old"
            candidates = [unit for unit in candidates if unit.era == era]
        if len(candidates) > 1 and match.word:
            same_kind = [unit for unit in candidates if fold(unit.kind) == match.word]
            candidates = same_kind or candidates
        return candidates


def article_text(parts: Iterable[str | None]) -> str:
    """The text to search for mentions: the parts given, one per line."""
    return "\n".join(part for part in parts if part)


def article_mentions(
    site_place: str | None,
    title: str,
    summary: str | None,
    paragraphs: Iterable[str],
    captions: Iterable[str],
    published: datetime | None,
) -> list[Mention]:
    """The units an article mentions, settled with its portal's place.

    The one recipe for harvest, restore and a refresh of stored articles.
    """
    text = article_text((title, summary, *paragraphs, *captions))
    return finder(site_place).find(text, published)


@cache
def finder(site_place: str | None) -> MentionFinder:
    """The mention finder of portals serving ``site_place``, built once per process."""
    return MentionFinder(gazetteer(), site_place)
