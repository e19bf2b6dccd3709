"""The archive by place: the portals serving a unit, and the portals per province and district.

A portal serves the unit in its ``place`` and every unit that covers it, so
a new commune is served by the portals of the old communes merged into it
and an old district by its communes' portals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from places.gazetteer import Gazetteer

if TYPE_CHECKING:
    from archive.archived import SitePlace
    from archive.store import Store

#: The province of portals whose place sites.toml does not give.
UNPLACED = "(no place in sites.toml)"


@dataclass(frozen=True, slots=True)
class PlaceOverview:
    """A unit as the archive knows it.

    :param portals: the archived portals serving it, by name.
    :param mentioning: how many articles mention it or a unit it covers.
    """

    code: str
    portals: list[SitePlace]
    mentioning: int


def place_overview(gazette: Gazetteer, store: Store, code: str) -> PlaceOverview:
    """The portals serving unit ``code`` and the articles mentioning it."""
    portals = [
        site
        for site in store.site_places()
        if site.place in gazette.units and code in gazette.cover(site.place)
    ]
    return PlaceOverview(code, portals, store.articles_mentioning(gazette.covered_by(code)))


@dataclass(frozen=True, slots=True)
class PortalCount:
    """The portals in an old province, or in one district of it, and their articles.

    :param district: ``None`` for the whole province.
    :param province_now: the new province or provinces it became.
    """

    province: str
    district: str | None
    province_now: str
    portals: int
    articles: int


def portals_per_district(gazette: Gazetteer, sites: Iterable[SitePlace]) -> list[PortalCount]:
    """Each old province's total, followed by its districts', provinces by name.

    Portals of a province itself count in its total only; portals whose place
    is unknown count under :data:`UNPLACED`.
    """
    per_unit: dict[tuple[str, str, str], list[int]] = {}
    for site in sites:
        if site.place in gazette.units:
            keys = gazette.site_keys(site.place)
            province = (site.place, *gazette[site.place].parents)[-1]
            now = "; ".join(gazette[code].name for code in gazette.today(province))
            unit = (keys["province"], keys.get("district", ""), now)
        else:
            unit = (UNPLACED, "", "")
        counts = per_unit.setdefault(unit, [0, 0])
        counts[0] += 1
        counts[1] += site.articles
    provinces: dict[str, list[int]] = {}
    for (province, _, _), (portals, articles) in per_unit.items():
        totals = provinces.setdefault(province, [0, 0])
        totals[0] += portals
        totals[1] += articles
    rows = []
    for province in sorted(provinces):
        units = sorted(key for key in per_unit if key[0] == province)
        rows.append(PortalCount(province, None, units[0][2], *provinces[province]))
        rows += [PortalCount(p, d, n, *per_unit[(p, d, n)]) for p, d, n in units if d]
    return rows
