"""The records read back from the archive database, and the mapping of its rows into them.

Callers (export, search, the CLI, the scheduler) get these plain dataclasses,
never ORM rows: a row is only usable inside its session, a record anywhere.
Article records going *into* the archive are in :mod:`archive.records`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.locks import LockOwner
from archive.models import Article, ArticleVersion, Capture, Crawl, PlaceMention
from archive.records import CaptureRecord, Image, Mention


@dataclass(slots=True)
class ArchivedArticle:
    """An article as the archive holds it: its current version and provenance.

    This is the export contract's source and what search indexes.
    """

    id: int
    url: str
    site: str
    title: str
    published: datetime | None
    published_source: str | None
    author: str | None
    summary: str | None
    body: str
    images: list[Image]
    views: int | None
    category: str | None
    tags: list[str]
    family: str
    first_seen: datetime
    updated_at: datetime
    version_id: int
    version_count: int
    fetched_at: datetime
    warc_file: str
    warc_offset: int
    warc_length: int
    warc_record_id: str
    capture_url: str
    #: gazetteer code of the unit the site serves, if sites.toml names it.
    site_place: str | None = None
    #: the units the current version mentions, settled or not.
    mentions: list[Mention] = field(default_factory=list)
    #: other URLs the same article was found under (aliases), when asked for.
    other_urls: list[str] = field(default_factory=list)
    #: whether this version is the one the article shows now.
    current: bool = True
    #: this version's place among the article's, 1 the oldest (0: not counted).
    version_number: int = 0
    #: when the article was last seen on its portal, at any of its URLs.
    last_seen: datetime | None = None
    #: when its portal was first found to have deleted it (see archive.gone).
    gone_since: datetime | None = None
    #: what its URL answered then (404 or 410).
    gone_status: int | None = None

    @property
    def captions(self) -> list[str]:
        """Captions of the body images, in order."""
        return [image.caption for image in self.images if image.caption]


@dataclass(slots=True)
class ArticleVersionInfo:
    """One stored version of an article, for ``dna show``."""

    id: int
    seen_at: datetime
    title: str
    content_hash: str
    warc_file: str
    warc_offset: int
    body: str
    published: datetime | None = None
    author: str | None = None
    summary: str | None = None
    captions: tuple[str, ...] = ()


@dataclass(slots=True)
class SitePlace:
    """A site, the unit it serves (a gazetteer code, if known), and its articles."""

    name: str
    title: str | None
    place: str | None
    articles: int


@dataclass(slots=True)
class CrawlSummary:
    """One site's crawls, for ``dna stats``.

    ``articles_new``, ``articles_updated`` and ``errors`` sum the crawls that
    counted them: not the ``restored`` ones, rebuilt from WARC files alone.
    """

    site: str
    crawls: int
    last_started: datetime | None
    last_status: str | None
    pages: int
    articles_new: int
    articles_updated: int
    errors: int
    bytes_written: int
    restored: int = 0


#: The status of a crawl rebuilt from WARC by a restore.
RESTORED = "restored"


@dataclass(slots=True)
class CrawlRun:
    """One crawl of one site, for ``dna crawls``, the scheduler and resume."""

    id: int
    site: str
    mode: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    reason: str | None
    pages: int
    articles_new: int
    articles_updated: int
    errors: int
    bytes_written: int
    host: str | None
    pid: int | None
    resumes: int | None
    #: what the crawl left out on purpose (trap shapes, budgets), one line each.
    cut_off: str | None = None
    #: of a crawl still marked running, its newest capture: where a killed one stopped.
    last_capture: datetime | None = None

    @property
    def is_orphaned(self) -> bool:
        """Marked running, but its process is gone (SIGKILL, a reboot)."""
        if self.status != "running" or self.pid is None or self.host is None:
            return False
        return not LockOwner(self.host, self.pid).is_alive()

    @property
    def seconds(self) -> float:
        """How long it ran: until it ended, or for one killed until its last
        capture (not until whoever asks), or so far."""
        end = self.ended_at
        if end is None and self.is_orphaned:
            end = self.last_capture or self.started_at
        end = end or datetime.now(UTC)
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def is_resumable(self) -> bool:
        """Stopped before its end: interrupted, or killed while running."""
        return self.status == "interrupted" or self.is_orphaned

    @property
    def counts_known(self) -> bool:
        """Whether its new and updated articles and errors were counted.

        A crawl rebuilt from WARC (status ``restored``) knows its pages, but
        WARC does not say which articles were new to it, nor what failed.
        """
        return self.status != RESTORED


@dataclass(slots=True)
class WriteCounts:
    """What a writer's flushes did, cumulatively.

    :param captures: capture rows this writer inserted (not those another
        writer had stored first).
    :param new: articles this writer created; ``updated`` and ``unchanged``,
        existing ones it gave a newer version or left as they were.
    :param versions: article versions it created (an older capture can add
        one without making the article ``updated``).
    :param replaced: of the ``updated``, those whose new text shares next to
        nothing with the text before (their URL now shows something else: a
        portal taken over or closed, or reusing its addresses); and one's URL.
    """

    captures: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    versions: int = 0
    replaced: int = 0
    replaced_example: str | None = None


# -- from rows ------------------------------------------------------------


def crawl_run_of(crawl: Crawl, site: str) -> CrawlRun:
    """The record of a crawl row of ``site``."""
    columns = (f.name for f in fields(CrawlRun) if f.name not in ("site", "last_capture"))
    return CrawlRun(site=site, **{name: getattr(crawl, name) for name in columns})


def capture_record_of(row: Capture) -> CaptureRecord:
    """The record of a capture row."""
    return CaptureRecord(**{f.name: getattr(row, f.name) for f in fields(CaptureRecord)})


def mentions_of(session: Session, version_ids: list[int]) -> dict[int, list[Mention]]:
    """The mentions of these versions, by version id, in one query."""
    found: dict[int, list[Mention]] = {}
    query = select(PlaceMention).where(PlaceMention.version_id.in_(version_ids))
    for row in session.scalars(query.order_by(PlaceMention.id)):
        found.setdefault(row.version_id, []).append(
            Mention(row.surface, row.unit, tuple((row.candidates or "").split()), row.count)
        )
    return found


def archived_article_of(
    article: Article,
    version: ArticleVersion,
    capture: Capture,
    site: str,
    count: int,
    place: str | None,
    *,
    mentions: list[Mention],
) -> ArchivedArticle:
    """The record of one row of the store's article query (article, version, capture…)."""
    return ArchivedArticle(
        id=article.id,
        url=article.url,
        site=site,
        title=version.title,
        published=version.published,
        published_source=version.published_source,
        author=version.author,
        summary=version.summary,
        body=version.body,
        images=[Image(**image) for image in version.images],
        views=article.views,
        category=version.category,
        tags=list(version.tags),
        family=version.family,
        first_seen=article.first_seen,
        last_seen=article.last_seen,
        updated_at=article.updated_at,
        version_id=version.id,
        version_count=count,
        fetched_at=capture.fetched_at,
        warc_file=capture.warc_file,
        warc_offset=capture.warc_offset,
        warc_length=capture.warc_length,
        warc_record_id=capture.record_id,
        capture_url=capture.url,
        site_place=place,
        mentions=mentions,
        current=article.current_version_id == version.id,
    )


def mention_rows(version_id: int, mentions: list[Mention]) -> list[dict[str, object]]:
    """The ``place_mentions`` rows that store a version's mentions (the other way round)."""
    return [
        {
            "version_id": version_id,
            "unit": mention.unit,
            "surface": mention.surface[:200],
            "candidates": " ".join(mention.candidates) or None,
            "count": mention.count,
        }
        for mention in mentions
    ]
