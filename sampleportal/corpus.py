"""The article corpus and site identities of the sample portals.

The hand-written articles in ``data/<family>.json`` are both the search corpus and the
extraction ground truth.  The first vnportal article is the real seed page's text,
typos and stray spaces included, because that is what archivists meet.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from importlib import resources
from typing import Any

#: The CMS families a sample portal can imitate, in the order the docs list them.
FAMILIES = ("vnportal", "liferay", "tandan", "nukeviet", "generic")

#: Vietnam's time zone; portals print local times without an offset.
VN_TZ = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Figure:
    """``count`` images placed after the first ``after`` body paragraphs, then a caption."""

    after: int
    caption: str | None
    count: int = 1


@dataclass(frozen=True)
class Article:
    """One news article as its editor wrote it, before any family lays it out.

    ``quirks`` name serving accidents of this page: ``nfd`` (text stored decomposed),
    ``utf8-as-latin1``, ``cp1258-as-utf8``, ``no-charset`` (see :mod:`.charsets`) and
    ``gzip`` (always sent gzip-compressed, even to clients that did not ask).
    ``places`` are the gazetteer codes of the units its text mentions, judged
    by hand: the ground truth of mention finding (``bench/places_eval.py``).
    """

    id: int
    category: str
    title: str
    slug: str
    published: datetime | None
    modified: datetime
    summary: str | None
    paragraphs: tuple[str, ...]
    figures: tuple[Figure, ...] = ()
    author: str | None = None
    source: str | None = None
    views: int = 0
    tags: tuple[str, ...] = ()
    related: tuple[int, ...] = ()
    quirks: frozenset[str] = frozenset()
    places: tuple[str, ...] = ()

    @property
    def dated(self) -> datetime:
        """The date the CMS files the article under: published, else last modified."""
        return self.published or self.modified

    @property
    def image_count(self) -> int:
        return sum(figure.count for figure in self.figures)

    def decomposed(self) -> Article:
        """The same article with every text field in NFD, as pasted from a Mac or Word."""

        def nfd(text: str | None) -> str | None:
            return None if text is None else unicodedata.normalize("NFD", text)

        return dataclasses.replace(
            self,
            title=nfd(self.title),
            summary=nfd(self.summary),
            paragraphs=tuple(map(nfd, self.paragraphs)),
            figures=tuple(dataclasses.replace(f, caption=nfd(f.caption)) for f in self.figures),
            author=nfd(self.author),
            source=nfd(self.source),
            tags=tuple(map(nfd, self.tags)),
        )


@dataclass(frozen=True)
class SiteInfo:
    """Who runs a portal: the names and contacts its page chrome prints.

    ``units`` name where it sits, as ``sites.toml``'s province, district and
    commune keys do.
    """

    name: str
    unit: str
    place: str
    editor: str
    agency: str
    address: str
    phone: str
    email: str
    site_id: str
    categories: dict[str, str]
    links: tuple[tuple[str, str], ...]
    units: dict[str, str]


def fold(text: str) -> str:
    """``text`` without Vietnamese diacritics, đ as d: "Thanh Liên" -> "Thanh Lien"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str) -> str:
    """The lowercase ASCII slug CMSs derive from a title: "Xã Thanh Liên" -> "xa-thanh-lien"."""
    words = "".join(ch if ch.isalnum() else " " for ch in fold(text).lower()).split()
    return "-".join(words)


def collapse(text: str) -> str:
    """``text`` as extraction should report it: NFC, whitespace runs as one space, stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def read_data(name: str) -> Any:
    """The parsed JSON file ``name`` of the package's ``data`` folder."""
    return json.loads(resources.files(__package__).joinpath("data", name).read_text("utf-8"))


def _article(raw: dict) -> Article:
    published = datetime.fromisoformat(raw["published"]) if raw["published"] else None
    return Article(
        id=raw["id"],
        category=raw["category"],
        title=raw["title"],
        slug=raw.get("slug") or slugify(raw["title"]),
        published=published,
        modified=datetime.fromisoformat(raw.get("modified") or raw["published"]),
        summary=raw["summary"],
        paragraphs=tuple(raw["paragraphs"]),
        figures=tuple(Figure(**figure) for figure in raw["figures"]),
        author=raw.get("author"),
        source=raw.get("source"),
        views=raw["views"],
        tags=tuple(raw.get("tags", ())),
        related=tuple(raw.get("related", ())),
        quirks=frozenset(raw.get("quirks", ())),
        places=tuple(raw.get("places", ())),
    )


@cache
def load_articles(family: str) -> tuple[Article, ...]:
    """The hand-written articles of ``family``'s portal, as in its data file."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    return tuple(_article(raw) for raw in read_data(f"{family}.json"))


@cache
def load_site(family: str) -> SiteInfo:
    """The identity of ``family``'s portal."""
    raw = read_data("sites.json")[family]
    return SiteInfo(**{**raw, "links": tuple(map(tuple, raw["links"]))})


def all_articles() -> dict[str, tuple[Article, ...]]:
    """Every hand-written article, by family: the search corpus without any server."""
    return {family: load_articles(family) for family in FAMILIES}
