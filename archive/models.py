"""SQLAlchemy models of the archive database.

The database is derived from the WARC files: every row can be rebuilt from
them.  Columns stay portable (no SQLite- or PostgreSQL-only types) so the same
schema and migrations serve both engines; the one exception,
:data:`SearchVector`, is a ``tsvector`` on PostgreSQL and plain text elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back timezone-aware.

    SQLite has no timezone type and PostgreSQL's converts on the way out; storing
    naive UTC behaves the same on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """Base of all archive models."""


class Site(Base):
    """A portal, as named in ``sites.toml`` (or by hostname on restore)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(300))
    family: Mapped[str | None] = mapped_column(String(32))
    home_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: gazetteer code of the old unit the portal serves (``oc17743``), from sites.toml.
    place: Mapped[str | None] = mapped_column(String(16), index=True)


class Crawl(Base):
    """One run over one site: when, how it ended, and its counters."""

    __tablename__ = "crawls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    #: ``new`` (listings and unseen articles) or ``full`` (revisit everything).
    mode: Mapped[str] = mapped_column(String(8), default="full", server_default="full")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: running, finished, interrupted or failed.
    status: Mapped[str] = mapped_column(String(16), default="running")
    #: why it ended, as Scrapy says it (finished, shutdown, closespider_pagecount…).
    reason: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    bytes_written: Mapped[int] = mapped_column(BigInteger, default=0)
    #: the process that ran it, to tell a killed crawl from a running one.
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    #: the unfinished crawl this run picked up, if it was a resume.
    resumes: Mapped[int | None] = mapped_column(ForeignKey("crawls.id", name="fk_crawls_resumes"))
    #: what the crawl left out on purpose (trap shapes, budgets), one line each.
    cut_off: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site] = relationship()


class Capture(Base):
    """One HTTP response stored in a WARC file."""

    __tablename__ = "captures"
    __table_args__ = (Index("ix_captures_url_fetched", "url", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    crawl_id: Mapped[int | None] = mapped_column(ForeignKey("crawls.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    payload_digest: Mapped[str] = mapped_column(String(64), index=True)
    warc_file: Mapped[str] = mapped_column(String(300))
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: validators for conditional GETs on recrawl, as the server sent them.
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    #: a revisit's original: the record id of the response holding the payload.
    refers_to: Mapped[str | None] = mapped_column(String(64))


class Article(Base):
    """One article: one row per canonical URL, its text in versions."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the latest view count seen; it is not part of a version.
    views: Mapped[int | None] = mapped_column(Integer)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, name="fk_articles_current_version")
    )
    #: when the current version became current; drives incremental indexing.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    site: Mapped[Site] = relationship()
    current: Mapped[ArticleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ArticleVersion(Base):
    """The extracted content of an article as it stood at one capture."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    content_hash: Mapped[str] = mapped_column(String(80))
    #: digest of the body alone: the same text under another URL is the same article.
    text_hash: Mapped[str | None] = mapped_column(String(80), index=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_source: Mapped[str | None] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    images: Mapped[list[dict[str, str | None]]] = mapped_column(JSON)
    category: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    family: Mapped[str] = mapped_column(String(16))

    article: Mapped[Article] = relationship(foreign_keys=[article_id])
    capture: Mapped[Capture] = relationship()


class ArticleUrl(Base):
    """Another URL under which an article was found (an alias): same text, one article."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class PlaceMention(Base):
    """An administrative unit an article version's text mentions (see places.mentions).

    Settled mentions name their ``unit``; ambiguous ones list ``candidates``
    (space-separated codes); unknown ones have neither.
    """

    __tablename__ = "place_mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id"), index=True)
    unit: Mapped[str | None] = mapped_column(String(16), index=True)
    surface: Mapped[str] = mapped_column(String(200))
    candidates: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)

    version: Mapped[ArticleVersion] = relationship()


#: A PostgreSQL ``tsvector``; text (never filled) on other engines.
SearchVector = Text().with_variant(TSVECTOR(), "postgresql")


#: ``SearchDocument.head``: PostgreSQL computes it from the document.
HEAD = "ts_filter(document, '{a,b,c}')"


class SearchDocument(Base):
    """An article's current version as PostgreSQL full-text search reads it.

    Written in the same transaction as the version it describes (see
    :class:`archive.writer.SearchDocuments`), so an article is searchable as
    soon as its batch commits.  The archive only stores it: what goes into
    ``document`` is decided by the ``search`` package, which fills it.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_document", "document", postgresql_using="gin"),
        Index("ix_search_documents_head", "head", postgresql_using="gin"),
        Index("ix_search_documents_published", "published", "article_id"),
    )

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)
    #: publication (or first-seen) time, for --since/--until and date sorting.
    #: Indexed with the article id; the searcher, not the planner, decides
    #: when to walk it (testing rows one by one reads each document from TOAST).
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[str] = mapped_column(SearchVector)
    #: the document's A, B and C weights (title, lead, captions), kept by the
    #: database: a sixth of the document, stored uncompressed out of the row
    #: (the migration sets it EXTERNAL), so ranking reads it cheaply.
    head: Mapped[str | None] = mapped_column(SearchVector, Computed(HEAD, persisted=True))


class SearchTerm(Base):
    """A syllable some search document holds: the lexicon ``--fuzzy`` looks typos up in."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
