"""What the spider yields: an extracted article and the capture it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archive.records import ArticleRecord


@dataclass(slots=True)
class ArticleItem:
    """An article ready for the archive.

    :param record: the extracted article.
    :param capture_record_id: ``WARC-Record-ID`` of the response it came from.
    :param fetched_at: when that response was captured (UTC).
    """

    record: ArticleRecord
    capture_record_id: str
    fetched_at: datetime
