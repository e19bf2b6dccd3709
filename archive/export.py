"""Export articles as JSON Lines or CSV: a contract other tools read.

Fields, in order (see README, "Export format"):

``id url site title published published_source author summary body captions
views category tags first_seen fetched_at warc_file warc_offset last_seen
gone_since``

``published`` is ISO 8601 in Vietnam time (+07:00) or null, and so are the
times; ``gone_since`` is null unless the portal deleted the article
(:mod:`archive.gone`); ``body`` is the
paragraphs joined with newlines; ``captions`` and ``tags`` are lists (JSON
arrays inside CSV cells).  In CSV, text a spreadsheet would run as a formula
begins with ``'`` (:func:`spreadsheet_cells`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from archive.archived import ArchivedArticle
from archive.messages import printable
from archive.records import VIETNAM_TZ

#: How a cell starts that a spreadsheet reads as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIELDS = (
    "id",
    "url",
    "site",
    "title",
    "published",
    "published_source",
    "author",
    "summary",
    "body",
    "captions",
    "views",
    "category",
    "tags",
    "first_seen",
    "fetched_at",
    "warc_file",
    "warc_offset",
    "last_seen",
    "gone_since",
)
#: Added after :data:`FIELDS` when every version is exported: its number
#: among the article's (1 the oldest), and whether it is the text shown now.
VERSION_FIELDS = ("version", "current")
FORMATS = ("jsonl", "csv")


def _local(moment: datetime | None) -> str | None:
    return moment.astimezone(VIETNAM_TZ).isoformat() if moment else None


def article_row(article: ArchivedArticle) -> dict[str, Any]:
    """One article as an export record (field order as :data:`FIELDS`)."""
    return {
        "id": article.id,
        "url": article.url,
        "site": article.site,
        "title": article.title,
        "published": _local(article.published),
        "published_source": article.published_source,
        "author": article.author,
        "summary": article.summary,
        "body": article.body,
        "captions": article.captions,
        "views": article.views,
        "category": article.category,
        "tags": article.tags,
        "first_seen": _local(article.first_seen),
        "fetched_at": _local(article.fetched_at),
        "warc_file": article.warc_file,
        "warc_offset": article.warc_offset,
        "last_seen": _local(article.last_seen),
        "gone_since": _local(article.gone_since),
    }


def _printable_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with control characters neutralised in its text, as everything dna prints.

    Archived pages come from strangers; a CSV opened in a terminal or a
    spreadsheet must not carry their escape sequences.
    """
    return {
        key: printable(value)
        if isinstance(value, str)
        else [printable(item) for item in value]
        if isinstance(value, list)
        else value
        for key, value in row.items()
    }


def spreadsheet_cells(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` for a CSV file: text that a spreadsheet would run as a formula
    (beginning ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
    leading ``'``, so it shows as the text it is.

    A title such as ``=HYPERLINK("http://…","…")``, from a stranger's page,
    ran when the file was opened in Excel.  JSON Lines keeps values as they are.
    """
    return {
        key: f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value
        for key, value in row.items()
    }


def write_export(
    articles: Iterable[ArchivedArticle], out: IO[str], fmt: str, *, versions: bool = False
) -> int:
    """Write ``articles`` to ``out`` in ``fmt`` (``jsonl`` or ``csv``); returns the count.

    :param versions: ``articles`` are versions: add :data:`VERSION_FIELDS`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    count = 0
    fields = (*FIELDS, *VERSION_FIELDS) if versions else FIELDS
    writer = csv.DictWriter(out, fieldnames=fields) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for article in articles:
        row = _printable_row(article_row(article))
        if versions:
            row.update(version=article.version_number, current=article.current)
        if writer is None:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            # Lists (captions, tags) as JSON arrays, flags as JSON's true and false.
            for key, value in row.items():
                if isinstance(value, list | bool):
                    row[key] = json.dumps(value, ensure_ascii=False)
            writer.writerow(spreadsheet_cells(row))
        count += 1
    return count
