"""Taking a portal into sites.toml, and settling the places its articles mention again.

A new portal's family and title come from its home page and its place from
its host name, unless given; the place settles which of several units
sharing a name its articles mean.  When that place is corrected, or the
gazetteer improves, :func:`refresh_places` finds the mentions of the
archived articles again with the recipe a crawl uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.probe import ProbeError, probe_portal
from crawler.siteedits import append_site, check_new_site
from crawler.sites import FAMILIES, SiteConfig
from extract.urls import host_of
from places.gazetteer import GazetteerError, PlaceError, gazetteer
from places.mentions import article_mentions

if TYPE_CHECKING:
    from archive.archived import ArchivedArticle
    from archive.records import Mention
    from archive.store import Store


class NewSiteError(Exception):
    """The site cannot be added as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class NewSite:
    """A site appended to sites.toml.

    :param place_inferred: its place was read from the host name, not given,
        so it may be wrong.
    """

    site: SiteConfig
    place_inferred: bool


def add_site(
    sites_path: Path,
    name: str,
    url: str,
    *,
    family: str | None = None,
    title: str | None = None,
    province: str | None = None,
    district: str | None = None,
    commune: str | None = None,
    on_unreachable: Callable[[ProbeError], None] | None = None,
) -> NewSite:
    """Append a portal to ``sites_path``, finding what is not given.

    The place is settled first, so a unit misspelt fails before the network
    is touched.  A home page that cannot be fetched (``on_unreachable`` is
    told why) leaves the family to detect at crawl time: ``auto``.

    :param province: with ``district`` and ``commune``, the portal's old units;
        read from the host name when none is given.
    :raises NewSiteError: a unit given is unknown or ambiguous, the
        gazetteer's data unreadable, the name unsafe or taken, the URL not http(s).
    """
    try:
        check_new_site(sites_path, name, url)
        place, inferred = _site_place(url, province, district, commune)
    except (ValueError, PlaceError, GazetteerError) as exc:
        raise NewSiteError(str(exc)) from None
    if family is None or title is None:
        try:
            probe = probe_portal(url)
        except ProbeError as exc:
            if on_unreachable is not None:
                on_unreachable(exc)
        else:
            family = family or probe.family
            title = title or probe.title
    family = family if family in FAMILIES else "auto"
    try:
        site = append_site(sites_path, name, url, family=family, title=title, place=place)
    except ValueError as exc:
        raise NewSiteError(str(exc)) from None
    return NewSite(site, inferred)


def _site_place(
    url: str, province: str | None, district: str | None, commune: str | None
) -> tuple[dict[str, str], bool]:
    """The place keys of a new site: as given (checked), else read from its host name."""
    places = gazetteer()
    if province or district or commune:
        unit = places.locate(province=province, district=district, commune=commune)
        return dict(places.site_keys(unit.code)), False
    unit = places.from_host(host_of(url))
    return (dict(places.site_keys(unit.code)), True) if unit else ({}, False)


def refresh_places(
    store: Store, sites: Iterable[SiteConfig]
) -> Iterator[tuple[SiteConfig, int | None]]:
    """Record each site's place and find the places its archived articles mention again.

    Nothing is fetched.  The articles count as updated, so the next index
    update re-indexes them.

    :returns: each site as it is done, with how many articles were looked
        at, or ``None`` when nothing of it is archived yet.
    """
    known = {place.name for place in store.site_places()}
    for site in sites:
        if site.name not in known:
            yield site, None
            continue
        yield site, store.refresh_mentions(site.name, site.place, partial(_mentions, site.place))


def _mentions(place: str | None, article: ArchivedArticle) -> list[Mention]:
    return article_mentions(
        place,
        article.title,
        article.summary,
        article.body.split("\n"),
        article.captions,
        article.published,
    )
