"""Seeded synthetic articles for benchmarks that need thousands of pages.

Assembled from phrase banks of the commune-news genre, so an index or a crawl at
scale sees the syllables, numbers and abbreviations of real portals.  The same site,
count and seed always give the same articles (2-3 KB of body text each).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from functools import cache

from .corpus import VN_TZ, Article, Figure, SiteInfo, read_data, slugify

#: Synthetic ids start here, far above the hand-written ones.
FIRST_ID = 10_000_000

_START = datetime(2019, 1, 1, tzinfo=VN_TZ)
_SPAN_DAYS = (datetime(2026, 6, 30, tzinfo=VN_TZ) - _START).days
#: Paragraphs are added until the body reaches this size; one more stays under 3 KB.
_BODY_BYTES = 2100


@cache
def _banks() -> dict[str, list[str]]:
    """The phrase banks in ``data/phrases.json``: organisations, topics, sentences..."""
    return read_data("phrases.json")


def _slots(rng: random.Random, info: SiteInfo, moment: datetime) -> dict[str, object]:
    """Values for one article's phrase-bank slots."""
    banks = _banks()
    unit = info.place.split(",")[0]
    opening = rng.choice(("Sáng {d}/{m}", "Chiều {d}/{m}", "Ngày {d}/{m}", "Trong tháng {m}/{y}"))
    return {
        "unit": unit,
        "Unit": unit[0].upper() + unit[1:],
        "kind": unit.split()[0],
        "org": rng.choice(banks["orgs"]),
        "topic": rng.choice(banks["topics"]),
        "place": rng.choice(banks["places"]),
        "leader": rng.choice(banks["leaders"]),
        "person": rng.choice(banks["people"]),
        "model": rng.choice(banks["models"]),
        "opening": opening.format(d=moment.day, m=moment.month, y=moment.year),
        "year": moment.year,
        "n": rng.randrange(60, 400),
        "money": rng.randrange(2, 60),
        "money2": rng.randrange(100, 900),
        "days": f"{rng.randrange(1, 9)}.{rng.randrange(100, 999)}",
        "pct": rng.randrange(85, 100),
        "area": f"{rng.randrange(1, 5)}.{rng.randrange(100, 999)}",
        "k": rng.randrange(15, 25),
        "low": rng.randrange(2, 5),
        "income": rng.randrange(35, 75),
        "up": rng.randrange(2, 8),
        "teams": rng.randrange(3, 12),
        "people": rng.randrange(5, 25),
        "trees": rng.randrange(200, 2000),
        "yield_": rng.randrange(55, 70),
        "tons": rng.randrange(50, 900),
        "x": rng.randrange(2, 4),
    }


def _article(rng: random.Random, info: SiteInfo, number: int) -> Article:
    moment = _START + timedelta(
        days=rng.randrange(_SPAN_DAYS), hours=rng.randrange(7, 18), minutes=rng.randrange(60)
    )
    slots = _slots(rng, info, moment)
    banks = _banks()
    paragraphs: list[str] = []
    while sum(len(p.encode()) for p in paragraphs) < _BODY_BYTES:
        sentences = rng.sample(banks["sentences"], rng.randrange(2, 4))
        paragraphs.append(" ".join(s.format(**slots) for s in sentences))
    figures = tuple(
        Figure(
            after=rng.randrange(len(paragraphs)),
            caption=rng.choice(banks["captions"]).format(**slots),
        )
        for _ in range(rng.randrange(3))
    )
    title = rng.choice(banks["titles"]).format(**slots)
    return Article(
        id=FIRST_ID + number,
        category=rng.choice(list(info.categories)),
        title=title,
        slug=slugify(title),
        published=moment,
        modified=moment,
        summary=rng.choice(banks["sentences"]).format(**slots) if rng.random() < 0.5 else None,
        paragraphs=tuple(paragraphs),
        figures=tuple(sorted(figures, key=lambda f: f.after)),
        author=rng.choice(banks["authors"]),
        views=rng.randrange(30, 5000),
        tags=(str(slots["topic"]),),
    )


def generate(info: SiteInfo, count: int, seed: int = 0) -> list[Article]:
    """``count`` synthetic articles for the portal ``info``, the same for the same seed."""
    rng = random.Random(f"{info.name}/{seed}")
    return [_article(rng, info, number) for number in range(count)]
