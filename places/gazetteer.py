"""Vietnam's administrative units before and after the 2025 reorganisation.

Portals and their articles speak of the old units (63 provinces, 696 districts,
10,035 communes); today's administration has 34 provinces and 3,321 communes
and wards, with no districts.  The gazetteer holds both maps and the mapping
between them, read offline from the data files of the pinned
``vietnamadminunits`` package (MIT): its SQLite dataset of old and new units and
its old-to-new conversion table.  The package's own modules are never imported:
they load 4 MB of JSON and shapely at import, and the gazetteer needs neither.

Every unit has a short code: ``o`` or ``n`` (old or new), then ``p``, ``d`` or
``c`` (province, district, commune/ward), then the General Statistics Office
code: ``oc17743`` is the old xã Thanh Liên, ``np40`` today's Nghệ An.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from places.folding import fold

Level = Literal["province", "district", "commune"]
Era = Literal["old", "new"]

#: The package that ships the data; pinned in pyproject.toml because the data changes.
DATA_PACKAGE = "vietnamadminunits"

#: Unit words, as written before a name, and the levels each one names.
#: "thành phố" names a province-level city (Hà Nội) or a provincial one (Vinh).
UNIT_WORDS: dict[str, tuple[Level, ...]] = {
    "tỉnh": ("province",),
    "thành phố": ("province", "district"),
    "tp": ("province", "district"),
    "huyện": ("district",),
    "quận": ("district",),
    "thị xã": ("district",),
    "tx": ("district",),
    "xã": ("commune",),
    "phường": ("commune",),
    "thị trấn": ("commune",),
    "đặc khu": ("commune",),
}

#: How a name says which map it is on: "Thanh Sơn, Phú Thọ, mới".
ERA_WORDS: dict[Era, str] = {"old": "cũ", "new": "mới"}

#: Of a name that names nothing, what an error line shows.
_SHOWN_CHARS = 80


def shown_name(text: str) -> str:
    """``text`` quoted for an error line, cut short: a 10,000-character name
    made a 10,984-character line."""
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…")


#: The kind of unit a unit word names, where the word is not the kind itself.
_KIND_OF = {"tp": "thành phố", "tx": "thị xã"}
#: A name typed as initials: "HCM" for Hồ Chí Minh.
_INITIALS = re.compile(r"[A-Za-z]{3,5}")
_QUALIFIER_SPLIT = re.compile(r"\s*[,;/]\s*")
#: "TP." / "T.P" / "TX." before a name: the unit words "tp" and "tx".
_ABBREVIATED = re.compile(r"^(t\.?p|t\.?x)(?:\.\s*|\s+)", re.IGNORECASE)


class PlaceError(ValueError):
    """A name names no unit, or several; the message lists them."""


class _NoUnitThere(PlaceError):
    """A name fits no unit of the map tried: :meth:`Gazetteer.locate` tries the other."""


class GazetteerError(Exception):
    """The gazetteer's data files are missing or unreadable; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Unit:
    """One administrative unit of one era.

    :param code: see the module docstring (``oc17743``).
    :param name: the name without its unit word ("Thanh Liên").
    :param kind: the unit word, lower case ("xã", "phường", "huyện", "tỉnh"…).
    :param parents: codes of the units it lies in, nearest first.
    """

    code: str
    name: str
    kind: str
    level: Level
    era: Era
    parents: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        """The name as an address writes it: "xã Thanh Liên"."""
        return f"{self.kind} {self.name}"


class Gazetteer:
    """Old and new units, their names and the old→new mapping; see :func:`gazetteer`."""

    def __init__(self, units: list[Unit], successors: dict[str, set[str]]) -> None:
        self.units = {unit.code: unit for unit in units}
        self.successors = {code: tuple(sorted(new)) for code, new in successors.items()}
        predecessors: dict[str, list[str]] = defaultdict(list)
        for old, news in self.successors.items():
            for new in news:
                predecessors[new].append(old)
        self.predecessors = {code: tuple(sorted(olds)) for code, olds in predecessors.items()}
        children: dict[str, list[str]] = defaultdict(list)
        by_name: dict[str, list[str]] = defaultdict(list)
        for unit in units:
            by_name[fold(unit.name)].append(unit.code)
            if unit.parents:
                children[unit.parents[0]].append(unit.code)
        self.children = dict(children)
        self._by_name = dict(by_name)
        self._slug_index: dict[str, list[Unit]] | None = None
        self._initials_index: dict[str, list[Unit]] | None = None

    def __getitem__(self, code: str) -> Unit:
        return self.units[code]

    def named(self, name: str, levels: tuple[Level, ...] | None = None) -> list[Unit]:
        """Units called ``name``, of ``levels`` (all if ``None``).

        Any case, with or without diacritics; a name typed with diacritics
        prefers units spelled exactly so ("Thanh Sơn" is not "Thành Sơn").
        """
        name = " ".join(name.split())
        found = [self.units[code] for code in self._by_name.get(fold(name), ())]
        found = [unit for unit in found if levels is None or unit.level in levels]
        spelled = _spelling(name)
        exact = [unit for unit in found if _spelling(unit.name) == spelled]
        return exact or found

    @cache  # noqa: B019 - one gazetteer per process, cached for its lifetime
    def cover(self, code: str) -> frozenset[str]:
        """``code``, the new units it became part of, and every unit those lie in.

        An article about a unit is also about everything in this set: the
        old xã Thanh Liên's cover holds huyện Thanh Chương, tỉnh Nghệ An, and
        the new xã Tam Đồng it merged into, in today's Nghệ An.
        """
        unit = self.units[code]
        covered = {code, *self.within(code)}
        for near in (code, *unit.parents):
            covered.update(self.successors.get(near, ()))
        return frozenset(covered)

    @cache  # noqa: B019 - one gazetteer per process, cached for its lifetime
    def within(self, code: str) -> frozenset[str]:
        """The units ``code`` lies in, on both maps (not the units it became)."""
        unit = self.units[code]
        inside = set(unit.parents)
        for near in (code, *unit.parents):
            for new in self.successors.get(near, ()):
                inside.update(self.units[new].parents)
        return frozenset(inside)

    def covered_by(self, code: str) -> set[str]:
        """Every unit whose :meth:`cover` holds ``code``: the units ``code`` covers."""
        return {other for other in self.units if code in self.cover(other)}

    def today(self, code: str) -> list[str]:
        """The new units ``code`` (or the nearest unit it lies in) became part of;
        a new unit is itself."""
        if self.units[code].era == "new":
            return [code]
        for near in (code, *self.units[code].parents):
            if near in self.successors:
                return list(self.successors[near])
        return []

    def site_keys(self, code: str) -> dict[Level, str]:
        """The ``province``, ``district`` and ``commune`` of a unit, for sites.toml."""
        chain = [self.units[c] for c in (code, *self.units[code].parents)]
        return {unit.level: unit.name for unit in reversed(chain)}

    def label(self, code: str) -> str:
        """The unit with its parents, as an address: "xã Thanh Liên, huyện Thanh Chương…"."""
        unit = self.units[code]
        return ", ".join(self.units[c].full_name for c in (code, *unit.parents))

    def qualified(self, code: str) -> str:
        """A name that picks this unit out for :meth:`resolve`: "Thanh Liên, Thanh Chương"."""
        unit = self.units[code]
        parts = [unit.name, *(self.units[c].name for c in unit.parents)]
        for refine in (lambda: None, lambda: parts.__setitem__(0, unit.full_name)):
            refine()
            if self.resolve(", ".join(parts)) == [unit]:
                return ", ".join(parts)
        return ", ".join([*parts, ERA_WORDS[unit.era]])

    def pick(self, text: str, levels: tuple[Level, ...] | None = None) -> Unit:
        """The one unit ``text`` names (see :meth:`resolve`).

        :raises PlaceError: it names none, or several; the message lists
            them as names that pick each one out.
        """
        found = self.resolve(text, levels)
        what = " or ".join(levels) if levels else "place"
        typed = shown_name(text)
        if not found:
            other = sorted({unit.level for unit in self.resolve(text)}) if levels else []
            if other:  # --district "Nghệ An"
                raise PlaceError(f"no {what} called {typed}: it names a {' or a '.join(other)}")
            raise PlaceError(f"no {what} called {typed} (old or new names; check the spelling)")
        if len(found) > 1:
            shown = "; ".join(f'"{self.qualified(u.code)}"' for u in found[:6])
            more = f" and {len(found) - 6} more" if len(found) > 6 else ""
            raise PlaceError(f"{typed} names {len(found)} places, say which: {shown}{more}")
        return found[0]

    def resolve(self, text: str, levels: tuple[Level, ...] | None = None) -> list[Unit]:
        """The units ``text`` may name: "Thanh Liên", "xã thanh lien, Nghệ An", "TP Vinh".

        Parts after commas name units it lies in (old or new), or its era:
        "cũ" (old) or "mới" (new).  When an old
        unit and the new unit it became part of share the name, only the new
        one is kept: it covers the old.  Several units left means ambiguous.
        """
        text = unicodedata.normalize("NFC", text)  # pasted from a Mac: decomposed
        head, *qualifiers = _QUALIFIER_SPLIT.split(text.strip())
        found = self._named_as_typed(head, levels)
        for qualifier in filter(None, qualifiers):
            era = next((e for e, word in ERA_WORDS.items() if fold(qualifier) == fold(word)), None)
            if era is not None:
                found = [unit for unit in found if unit.era == era]
                continue
            within = {u.code for u in self._named_as_typed(qualifier, None)}
            found = [unit for unit in found if within & self.cover(unit.code)]
        codes = {unit.code for unit in found}
        return [
            unit
            for unit in sorted(found, key=lambda u: (u.era != "new", u.code))
            if not (set(self.successors.get(unit.code, ())) & codes)
        ]

    def _named_as_typed(
        self,
        text: str,
        levels: tuple[Level, ...] | None,
        keep: Callable[[Unit], bool] = lambda unit: True,
    ) -> list[Unit]:
        """The units (that ``keep`` keeps) ``text`` names, with a unit word in
        front or not: the first reading of :func:`_readings` that names any.

        A unit word narrows the levels, and the kind where units of it are
        among those found: "thành phố Hà Giang" is the city, not its province.
        """
        for name, word_levels, kind in _readings(text):
            wanted = levels
            if word_levels:
                wanted = tuple(level for level in word_levels if levels is None or level in levels)
            found = [unit for unit in self.named(name, wanted) if keep(unit)]
            if not found and _INITIALS.fullmatch(name):  # "TP HCM"
                named = self._initials.get(name.lower(), [])
                found = [unit for unit in named if wanted is None or unit.level in wanted]
                found = [unit for unit in found if keep(unit)]
            if kind is not None:
                found = [unit for unit in found if unit.kind == kind] or found
            if found:
                return found
        return []

    def locate(
        self,
        *,
        province: str | None = None,
        district: str | None = None,
        commune: str | None = None,
    ) -> Unit:
        """The unit a portal serves, from the names of its province, district, commune.

        A unit of the map before 2025 first; failing that, with no district
        given, one of today's map (a new commune's portal: "Tam Đồng, Nghệ
        An").

        :raises PlaceError: a name fits no unit there, or several.
        """
        try:
            return self._locate("old", province, district, commune)
        except _NoUnitThere as before:
            if district:
                raise
            try:
                return self._locate("new", province, district, commune)
            except _NoUnitThere:
                raise PlaceError(f"{before}, nor today") from None

    def _locate(
        self, era: Era, province: str | None, district: str | None, commune: str | None
    ) -> Unit:
        unit: Unit | None = None
        levels: tuple[tuple[Level, str | None], ...] = (
            ("province", province),
            ("district", district),
            ("commune", commune),
        )
        for level, written in levels:
            if not written:
                continue
            within = unit.code if unit else None
            found = self._named_as_typed(
                unicodedata.normalize("NFC", written),
                (level,),
                lambda u, within=within: u.era == era and (within is None or within in u.parents),
            )
            where = f" in {self.label(within)}" if within else ""
            if not found:
                raise _NoUnitThere(f"no {level} called {shown_name(written)}{where} before 2025")
            if len(found) > 1:
                some = "; ".join(self.label(u.code) for u in found[:4])
                raise PlaceError(
                    f"{len(found)} {level}s are called {shown_name(written)}{where} ({some}…): "
                    f"give the {'district' if level == 'commune' else 'province'} too"
                )
            unit = found[0]
        if unit is None:
            raise PlaceError("give at least a province")
        return unit

    def from_host(self, host: str) -> Unit | None:
        """The old unit a portal's host name spells: ``thanhchuong.nghean.gov.vn``.

        Labels (and their ``-`` parts) are matched as names without spaces or
        diacritics: a province first, then a district in it, then a commune in
        that (or in the province).  Each label names one unit.  Where labels
        fit several units of a level, inference stops: never a guess.
        """
        words = {part for label in host.lower().split(".") for part in label.split("-")}
        unit: Unit | None = None
        for level in ("province", "district", "commune"):
            within = unit.code if unit else None
            found = {
                (word, u)
                for word in words
                for u in self._slugs.get(word, ())
                if u.level == level and (within is None or within in u.parents)
            }
            if len(found) > 1:
                break
            if found:
                word, unit = found.pop()
                words.discard(word)
        return unit

    @property
    def _initials(self) -> dict[str, list[Unit]]:
        """Units of three or more syllables by their initials ("hcm"), built on first use."""
        if self._initials_index is None:
            index: dict[str, list[Unit]] = defaultdict(list)
            for unit in self.units.values():
                syllables = fold(unit.name).split()
                if len(syllables) >= 3 and all(s[0].isalpha() for s in syllables):
                    index["".join(s[0] for s in syllables)].append(unit)
            self._initials_index = dict(index)
        return self._initials_index

    @property
    def _slugs(self) -> dict[str, list[Unit]]:
        """Old units by name folded without spaces ("nghean"), built on first use."""
        if self._slug_index is None:
            index: dict[str, list[Unit]] = defaultdict(list)
            for unit in self.units.values():
                if unit.era == "old":
                    index[re.sub(r"[^a-z0-9]", "", fold(unit.name))].append(unit)
            self._slug_index = dict(index)
        return self._slug_index


#: The five tone marks, as combining characters; the vowel marks (ˆ ˘ ʼ) are not among them.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _spelling(name: str) -> str:
    """``name`` as spelt, whichever vowel of a syllable carries its tone:
    "Thanh Hoá" is "Thanh Hóa" and "Thuỷ" is "Thủy" (old and new placement)."""
    words = []
    for word in unicodedata.normalize("NFD", name.lower()).split():
        tones = "".join(sorted(char for char in word if char in _TONE_MARKS))
        bare = "".join(char for char in word if char not in _TONE_MARKS)
        words.append(unicodedata.normalize("NFC", bare) + tones)
    return " ".join(words)


def _readings(text: str) -> list[tuple[str, tuple[Level, ...], str | None]]:
    """How ``text`` may be read, in the order to try: a name, the levels its
    unit word names and that word as a kind (none for the whole text).

    A unit word typed as one ("huyện", "TP") is read as one first; a
    syllable that only folds like one ("Quan Sơn", "Tịnh Biên", "quan son")
    is first read as the start of the name.  Either way the other reading
    follows: a district is called "Quận 1".
    """
    text = _ABBREVIATED.sub(lambda found: found.group(1).replace(".", "") + " ", text.strip())
    whole: tuple[str, tuple[Level, ...], str | None] = (text, (), None)
    folded = fold(text)
    for word in sorted(UNIT_WORDS, key=len, reverse=True):
        if folded.startswith(fold(word) + " "):
            kind = _KIND_OF.get(word, word)
            stripped = (text[len(word) + 1 :].strip(), UNIT_WORDS[word], kind)
            return [stripped, whole] if text[: len(word)].lower() == word else [whole, stripped]
    return [whole]


def data_dir() -> Path:
    """Where the installed data package keeps its files (found without importing it)."""
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError(
            f"the {DATA_PACKAGE} package is missing: reinstall dna (pip install -e .)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@cache
def gazetteer() -> Gazetteer:
    """The gazetteer, loaded once per process from the installed data package (offline)."""
    root = data_dir()
    try:
        with sqlite3.connect(f"file:{root / 'dataset.db'}?mode=ro&immutable=1", uri=True) as db:
            old_rows = db.execute(
                "SELECT provinceCode, provinceShort, province, provinceKey,"
                " districtCode, districtShort, districtType, districtKey,"
                " wardCode, wardShort, wardType, wardKey FROM admin_units_legacy"
            ).fetchall()
            new_rows = db.execute(
                "SELECT provinceCode, provinceShort, province, provinceKey,"
                " wardCode, wardShort, wardType, wardKey FROM admin_units"
            ).fetchall()
        conversion = json.loads((root / "converter_2025.json").read_text("utf-8"))
    except (OSError, sqlite3.Error, ValueError) as exc:
        raise GazetteerError(f"cannot read {DATA_PACKAGE}'s data in {root}: {exc}") from None
    return _build(old_rows, new_rows, conversion)


def _province_kind(full_name: str) -> str:
    return "thành phố" if fold(full_name).startswith("thanh pho") else "tỉnh"


def _build(old_rows: list[tuple], new_rows: list[tuple], conversion: dict) -> Gazetteer:
    units: dict[str, Unit] = {}
    old_keys: dict[str, str] = {}
    province_keys: dict[str, str] = {}
    for (
        p_code,
        p_name,
        p_full,
        p_key,
        d_code,
        d_name,
        d_kind,
        d_key,
        w_code,
        w_name,
        w_kind,
        w_key,
    ) in old_rows:
        province, district = f"op{p_code}", f"od{d_code}"
        units.setdefault(
            province, Unit(province, p_name, _province_kind(p_full), "province", "old")
        )
        units.setdefault(
            district, Unit(district, d_name, d_kind.lower(), "district", "old", (province,))
        )
        province_keys[p_key] = province
        old_keys[f"{p_key}_{d_key}_"] = district
        if w_code:
            commune = f"oc{w_code}"
            units[commune] = Unit(
                commune, w_name, w_kind.lower(), "commune", "old", (district, province)
            )
            old_keys[f"{p_key}_{d_key}_{w_key}"] = commune
    new_keys: dict[tuple[str, str], str] = {}
    new_provinces: dict[str, str] = {}
    for p_code, p_name, p_full, p_key, w_code, w_name, w_kind, w_key in new_rows:
        province = f"np{p_code}"
        units.setdefault(
            province, Unit(province, p_name, _province_kind(p_full), "province", "new")
        )
        new_provinces[p_key] = province
        commune = f"nc{w_code}"
        units[commune] = Unit(commune, w_name, w_kind.lower(), "commune", "new", (province,))
        new_keys[(p_key, w_key)] = commune

    successors: dict[str, set[str]] = defaultdict(set)
    for new_key, old_list in conversion["DICT_PROVINCE"].items():
        for old_key in old_list:
            successors[province_keys[old_key]].add(new_provinces[new_key])
    for province_key, wards in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_list in wards.items():
            for old_key in old_list:
                successors[old_keys[old_key]].add(new_keys[(province_key, ward_key)])
    for province_key, divided in conversion["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in divided.items():
            for part in parts:
                successors[old_keys[old_key]].add(new_keys[(province_key, part["newWardKey"])])
    return Gazetteer(list(units.values()), successors)
