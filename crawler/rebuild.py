"""What restore rebuilds beside the database: sites.toml entries and the crawl history.

A data directory restored from WARC files alone must be as usable as the one
they came from.  The files carry enough for most of it:

- **sites.toml**: ``dna``'s ``warcinfo`` names each file's site
  (``isPartOf``) and its title (``description``); each exchange's
  ``metadata`` record says why it was fetched, so the ``seed`` URL is the
  start URL; the CMS family is detected from the pages.  A site missing from
  ``sites.toml`` is appended (:func:`crawler.siteedits.append_site`); an
  existing entry is never touched.  Sites named after a host (other tools'
  files) are added the same way, with the host's root as start URL.
- **crawl history**: each exchange's ``metadata`` record names its crawl;
  the first and last ``WARC-Date``, the responses and their bytes give one
  crawl row per crawl, status ``restored`` (:meth:`archive.store.Store.add_restored_crawl`).

Not in WARC, so never rebuilt (:func:`not_recovered`): a crawl's mode, how
it ended, its errors, article counts and what it cut off; a site's place,
other allowed domains, limits, selectors and schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.siteedits import append_site
from crawler.sites import FAMILIES, PLACE_KEYS

if TYPE_CHECKING:
    from archive.store import Store
    from archive.warcresponses import ArchivedResponse
    from crawler.sites import SitesFile


def not_recovered(places_known: bool) -> str:
    """What restore cannot rebuild, in words for its summary.

    :param places_known: every site added got its place (a package of ours
        carries it): the place is not among what was not rebuilt.
    """
    place = "" if places_known else "place, "
    return (
        "not in WARC, so not rebuilt: each crawl's mode, end, errors and article counts; "
        f"each site's {place}extra domains, limits, selectors and schedule"
    )


@dataclass(slots=True)
class _CrawlSeen:
    started: datetime
    ended: datetime
    pages: int = 0
    bytes: int = 0


@dataclass(slots=True)
class _SiteSeen:
    site_id: int
    home: str
    title: str | None = None
    seed: str | None = None
    crawls: dict[str, _CrawlSeen] = field(default_factory=dict)


@dataclass(slots=True)
class Rebuilt:
    """What a restore rebuilt: sites appended to sites.toml, crawls recorded, and why not."""

    sites: list[str] = field(default_factory=list)
    crawls: int = 0
    problems: list[str] = field(default_factory=list)


class HistoryCollector:
    """Gathers, response by response, what the sites and crawls of the files were."""

    def __init__(self) -> None:
        self._sites: dict[str, _SiteSeen] = {}
        #: what packages restored said of their sites (title, where each sits):
        #: a WACZ of ours carries it, for sites.toml.
        self.site_facts: dict[str, dict[str, str]] = {}

    def saw(self, response: ArchivedResponse, site: str, site_id: int, home: str) -> None:
        """Note ``response``, restored into ``site`` (``home``: its start URL so far)."""
        seen = self._sites.get(site)
        if seen is None:
            seen = self._sites[site] = _SiteSeen(site_id, home)
        ours = response.warcinfo.get("software", "").startswith("dna")
        if ours and seen.title is None:
            seen.title = response.warcinfo.get("description") or None
        if response.fetch_reason == "seed" and seen.seed is None:
            seen.seed = response.url
        if not ours or not response.crawl:
            return
        crawl = seen.crawls.get(response.crawl)
        if crawl is None:
            crawl = seen.crawls[response.crawl] = _CrawlSeen(response.date, response.date)
        crawl.started = min(crawl.started, response.date)
        crawl.ended = max(crawl.ended, response.date)
        crawl.pages += 1
        crawl.bytes += response.length

    def _append(
        self, path: Path, name: str, seen: _SiteSeen, family: str, problems: list[str]
    ) -> None:
        """Add site ``name`` to sites.toml, with the title and place a package gave it."""
        facts = self.site_facts.get(name, {})
        place = {key: facts[key] for key in PLACE_KEYS if facts.get(key)}
        url, title = seen.seed or seen.home, facts.get("title") or seen.title
        try:
            append_site(path, name, url, family=family, title=title, place=place)
        except ValueError as exc:
            if not place:
                raise
            # A place the gazetteer does not know (a stranger's package): the site all the same.
            problems.append(f"{name}: place not kept ({exc})")
            append_site(path, name, url, family=family, title=title)

    def write(
        self, store: Store, registry: SitesFile, families: dict[str, str], *, history: bool
    ) -> Rebuilt:
        """Append the sites missing from ``registry``'s file; record the crawls if ``history``.

        :param families: each site's CMS family, as detected from its pages.
        :param history: record crawl rows (not when the restore is a resume's,
            whose crawl rows exist).
        """
        rebuilt = Rebuilt()
        sites_path = Path(registry.path)
        for name, seen in self._sites.items():
            known = registry.get(name) or any(p.name == name for p in registry.problems)
            if not known:
                # A page detected as no preset's stays "auto": detected anew.
                family = family if (family := families.get(name)) in FAMILIES else "auto"
                try:
                    self._append(sites_path, name, seen, family, rebuilt.problems)
                except (ValueError, OSError) as exc:
                    rebuilt.problems.append(f"{name} not added to {sites_path}: {exc}")
                else:
                    rebuilt.sites.append(name)
            if not history:
                continue
            for crawl_id, crawl in seen.crawls.items():
                rebuilt.crawls += store.add_restored_crawl(
                    seen.site_id,
                    started_at=crawl.started,
                    ended_at=crawl.ended,
                    pages=crawl.pages,
                    bytes_written=crawl.bytes,
                    reason=f"rebuilt from WARC (was crawl #{crawl_id})",
                )
        return rebuilt
