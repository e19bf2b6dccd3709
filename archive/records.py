"""Plain records that cross the boundary between harvesting and the archive.

The crawler (live or restoring from WARC) produces these; the store persists
them; search and export read them back.  They know nothing of Scrapy, SQL or
Whoosh, so every layer can build and test them alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

#: Vietnam's local time.  Portals print dates in it; exports show it.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

#: Where an article's published date came from, most trustworthy first.
DATE_SOURCES = ("page", "url", "feed", "last-modified", "first-seen")


@dataclass(slots=True)
class Image:
    """One image in an article body.

    :param src: absolute URL of the image.
    :param caption: the caption printed with it, or ``None``.
    """

    src: str
    caption: str | None = None


@dataclass(slots=True, frozen=True)
class Mention:
    """An administrative unit an article's text mentions (see :mod:`places.mentions`).

    :param surface: the words as first written: "xã Thanh Liên", "TP Vinh".
    :param unit: the unit's gazetteer code when settled (``oc17743``), else ``None``.
    :param candidates: the units it may be, when several remain (ambiguous);
        empty with no ``unit`` when no unit has that name (unknown).
    :param count: how many times the article mentions it.
    """

    surface: str
    unit: str | None
    candidates: tuple[str, ...] = ()
    count: int = 1


@dataclass(slots=True)
class ArticleRecord:
    """One article as extracted from one capture of its page.

    :param url: canonical URL; one article per canonical URL.
    :param title: headline, without the site name.
    :param published: timezone-aware publication time, or ``None``.
    :param published_source: one of :data:`DATE_SOURCES`.
    :param author: author or source line ("Hữu Thịnh – Trung tâm VHTT&TT").
    :param summary: the lead (sapo), if the page separates one.
    :param body: body paragraphs, in order, boilerplate removed.
    :param images: images in the body, with captions.
    :param views: view count printed on the page, if any.
    :param category: the portal's category (breadcrumb or URL section).
    :param tags: tags printed on the page.
    :param family: the CMS preset that extracted it (``generic`` if none fitted).
    :param mentions: the units its text mentions; not part of its content.
    :param also_at: the URL the page was fetched at, when its ``rel=canonical``
        names another (a mobile or print copy): another URL of the article,
        which ``dna show`` finds it by.
    """

    url: str
    title: str
    published: datetime | None = None
    published_source: str | None = None
    author: str | None = None
    summary: str | None = None
    body: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    views: int | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    family: str = "generic"
    mentions: list[Mention] = field(default_factory=list)
    also_at: str | None = None

    @property
    def captions(self) -> list[str]:
        """Captions of the body images, in order."""
        return [image.caption for image in self.images if image.caption]

    @property
    def text(self) -> str:
        """Body paragraphs joined with newlines, as exported."""
        return "\n".join(self.body)

    def versioned(self) -> dict[str, object]:
        """What makes a new version: title, lead, body, captions, author and date.

        Nothing read from the URL: the same article reached under another
        path (a category's, the all-news one) is no edit, so the category
        and a date taken from the URL are left out, and so are tags.  The
        view count is left out too: it grows on every visit, and a new view
        count is an observation, not an edit.
        """
        page_date = self.published if self.published_source != "url" else None
        return {
            "title": self.title,
            "published": page_date.isoformat() if page_date else None,
            "author": self.author,
            "summary": self.summary,
            "body": self.body,
            "captions": self.captions,
        }

    def content_hash(self) -> str:
        """Digest of :meth:`versioned`: a new digest is a new version."""
        return _digest(self.versioned())

    def text_hash(self) -> str:
        """Digest of the title and body: the same article under another URL (an alias).

        The title counts too: recurring notices often repeat a body word for word
        under a new title and date, and merging those would lose articles.
        """
        return _digest({"title": self.title, "body": self.body})

    def copy_hashes(self) -> list[str]:
        """Digests of the title and the body less its first, or its last,
        paragraph, when two or more are left.

        A merged commune's portal republished the old commune's articles,
        each under a line of its own ("(Bài viết từ xã Thanh Liên cũ)"): the
        same article, whose text digest no longer matched.
        """
        if len(self.body) < 3:
            return []
        return [
            _digest({"title": self.title, "body": body}) for body in (self.body[1:], self.body[:-1])
        ]


def _digest(content: dict[str, object]) -> str:
    encoded = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


@dataclass(slots=True, frozen=True)
class CaptureRecord:
    """Where one HTTP exchange was stored.

    :param url: the URL fetched (not canonicalised: what was asked for).
    :param fetched_at: UTC time of the capture, the record's WARC-Date.
    :param status: HTTP status code.
    :param content_type: the response's Content-Type header, if any.
    :param payload_digest: ``sha1:<base32>`` of the entity body as sent.
    :param warc_file: file name of the WARC, without the ``.open`` suffix.
    :param warc_offset: byte offset of the response record in the file.
    :param warc_length: compressed length of the response record.
    :param record_id: the response (or revisit) record's ``WARC-Record-ID``.
    :param etag: the response's ETag, sent back as If-None-Match on recrawl.
    :param last_modified: its Last-Modified, sent back as If-Modified-Since.
    :param refers_to: for a revisit record, the ``WARC-Record-ID`` of the
        response holding the payload; ``None`` for a response stored in full.
        A revisit's ``payload_digest`` is that original's.
    """

    url: str
    fetched_at: datetime
    status: int
    content_type: str | None
    payload_digest: str
    warc_file: str
    warc_offset: int
    warc_length: int
    record_id: str
    etag: str | None = None
    last_modified: str | None = None
    refers_to: str | None = None
