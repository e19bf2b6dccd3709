"""Field-by-field extraction accuracy: our presets, our generic fallback, trafilatura.

Runs every page with known ground truth it can find:

- ``tests/pages/*.html`` with ``tests/pages/expected.json``;
- every article of every sample portal (:mod:`sampleportal`), fetched over
  loopback HTTP, against ``PortalServer.expected_articles()``.

All three extractors get the same decoded text (our charset handling), so the
comparison is of extraction alone.  Trafilatura finds no view counts, leads
or captions, so those fields are not scored for it; it is skipped when not
installed (it is not a dependency: our own generic extraction won).

Usage (from the repository root)::

    python -m bench.extract_eval            # summary per source and extractor
    python -m bench.extract_eval --pages    # and one line per page
"""

from __future__ import annotations

import argparse
import gzip
import json
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

from archive.records import VIETNAM_TZ
from extract.article import extract_article
from extract.page import Page

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "pages"
FIELDS = (
    "title",
    "published",
    "author",
    "summary",
    "body",
    "captions",
    "views",
    "category",
    "tags",
    "clean",
)
#: Text that must never reach title, body or captions; "clean" scores its absence.
CHROME = (
    "ĐĂNG NHẬP",
    "Đăng nhập",
    "image banner",
    "Anh-tin-bai",
    "Lượt xem",
    "lượt xem",
    "Tin liên quan",
    "Các tin khác",
    "Ghi rõ nguồn",
    "Bản quyền",
    "Người chịu trách nhiệm",
    "Cơ quan chủ quản",
    "In bài viết",
    "Chia sẻ",
)


@dataclass
class Truth:
    """What a correct extraction yields; category and tags are scored only when known."""

    title: str
    published: datetime | None
    author: str | None
    summary: str | None
    body: list[str]
    captions: list[str]
    views: int | None
    category: str | None = None
    tags: list[str] | None = None


@dataclass
class Result:
    """One extractor's output, reduced to the scored fields."""

    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    summary: str | None = None
    body: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    views: int | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)


def collapse(text: str) -> str:
    return " ".join(text.split())


def ours(family: str) -> Callable[[Page], Result]:
    """Our extraction: ``auto`` runs the presets, ``generic`` the fallback alone.

    Only a printed date counts as ``published``: the others are fallbacks.
    """

    def run(page: Page) -> Result:
        record = extract_article(page, family=family)
        if record is None:
            return Result()
        printed = record.published if record.published_source == "page" else None
        return Result(
            record.title,
            printed,
            record.author,
            record.summary,
            record.body,
            record.captions,
            record.views,
            record.category,
            record.tags,
        )

    return run


def with_trafilatura(page: Page) -> Result:
    """Trafilatura with its metadata and extensive date search turned on."""
    import trafilatura

    document = trafilatura.bare_extraction(
        page.text,
        url=page.url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={"extensive_search": True, "original_date": True},
    )
    if document is None:
        return Result()
    data = document if isinstance(document, dict) else document.as_dict()
    published = None
    if data.get("date"):
        published = datetime.fromisoformat(data["date"]).replace(tzinfo=VIETNAM_TZ)
    body = [collapse(line) for line in (data.get("text") or "").split("\n") if line.strip()]
    categories = data.get("categories") or []
    return Result(
        data.get("title"),
        published,
        data.get("author"),
        None,
        body,
        category=categories[-1] if categories else None,
        tags=list(data.get("tags") or []),
    )


EXTRACTORS: dict[str, Callable[[Page], Result]] = {
    "presets": ours("auto"),
    "generic": ours("generic"),
}
if find_spec("trafilatura"):
    EXTRACTORS["trafilatura"] = with_trafilatura
#: Fields an extractor cannot produce, left unscored for it.
UNSUPPORTED = {"trafilatura": {"summary", "captions", "views"}}


def _same_day(got: datetime | None, want: datetime | None) -> bool:
    if got is None or want is None:
        return got is want
    return got.astimezone(VIETNAM_TZ).date() == want.astimezone(VIETNAM_TZ).date()


def score(result: Result, truth: Truth, extractor: str) -> dict[str, bool]:
    """Per-field exact matches (published: same day; clean: no chrome text)."""
    checks = {
        "title": result.title == truth.title,
        "published": _same_day(result.published, truth.published),
        "author": result.author == truth.author,
        "summary": result.summary == truth.summary,
        "body": result.body == truth.body,
        "captions": result.captions == truth.captions,
        "views": result.views == truth.views,
        "category": result.category == truth.category,
        "tags": result.tags == truth.tags,
        "clean": not any(
            chrome in text
            for text in (result.title or "", *result.body, *result.captions)
            for chrome in CHROME
        ),
    }
    unknown = {name for name in ("category", "tags") if getattr(truth, name) is None}
    skipped = unknown | UNSUPPORTED.get(extractor, set())
    return {name: ok for name, ok in checks.items() if name not in skipped}


def body_f1(result: Result, truth: Truth) -> float:
    """Paragraph-level F1: partial credit for a body with one paragraph too many or few."""
    got, want = set(result.body), set(truth.body)
    if not got or not want:
        return float(got == want)
    hits = len(got & want)
    return 2 * hits / (len(got) + len(want))


def fixture_cases() -> Iterator[tuple[str, Page, Truth]]:
    """The hand-made pages with their recorded ground truth."""
    for name, raw in json.loads((PAGES / "expected.json").read_text(encoding="utf-8")).items():
        published = datetime.fromisoformat(raw["published"]) if raw["published"] else None
        page = Page(
            raw["url"],
            200,
            {"Content-Type": raw["content_type"]},
            (PAGES / name).read_bytes(),
            datetime.fromisoformat(raw["fetched_at"]),
        )
        truth = Truth(
            raw["title"],
            published,
            raw["author"],
            raw["summary"],
            raw["body"],
            raw["captions"],
            raw["views"],
        )
        yield name, page, truth


def _fetch(url: str) -> Page:
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        headers = dict(response.headers.items())
        if headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return Page(url, response.status, headers, body, datetime.now(UTC))


def sample_portal_cases() -> Iterator[tuple[str, Page, Truth]]:
    """Every article of every sample portal, if the sample portal is importable."""
    try:
        from sampleportal import FAMILIES, PortalServer
    except ImportError:
        return
    for family in FAMILIES:
        with PortalServer(family) as portal:
            for url, expected in portal.expected_articles().items():
                truth = Truth(
                    expected.title,
                    expected.published,
                    expected.author,
                    expected.summary,
                    expected.body,
                    expected.captions,
                    expected.views,
                    expected.category_name,
                    expected.tags,
                )
                yield f"{family}:{expected.id}", _fetch(url), truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", action="store_true", help="print one line per page")
    args = parser.parse_args(argv)
    totals: dict[tuple[str, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    f1s: dict[tuple[str, str], list[float]] = defaultdict(list)
    sources = (("fixtures", fixture_cases()), ("sampleportal", sample_portal_cases()))
    for source, cases in sources:
        for name, page, truth in cases:
            for extractor, run in EXTRACTORS.items():
                result = run(page)
                checks = score(result, truth, extractor)
                for check, ok in checks.items():
                    totals[source, extractor][check].append(ok)
                f1s[source, extractor].append(body_f1(result, truth))
                if args.pages:
                    missed = [check for check, ok in checks.items() if not ok]
                    print(
                        f"{source:12} {name:32} {extractor:11} missed: {', '.join(missed) or '-'}"
                    )
    header = f"{'source':12} {'extractor':11} {'pages':>5} " + " ".join(f"{f:>9}" for f in FIELDS)
    print(header + f" {'body F1':>8}")
    for (source, extractor), checks in totals.items():
        pages = len(f1s[source, extractor])
        cells = []
        for name in FIELDS:
            values = checks.get(name)
            cells.append(f"{sum(values) / len(values):>9.0%}" if values else f"{'n/a':>9}")
        f1 = sum(f1s[source, extractor]) / pages
        print(f"{source:12} {extractor:11} {pages:>5} " + " ".join(cells) + f" {f1:>8.2f}")


if __name__ == "__main__":
    main()
