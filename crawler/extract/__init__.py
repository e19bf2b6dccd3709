"""Article extraction from fetched pages, without Scrapy.

:class:`Page` decodes and parses a fetched page; :func:`extract_article`
turns it into an :class:`~archive.records.ArticleRecord`.  The same code runs
in the live crawl and when articles are restored from WARC files.

Both names load on first use: :mod:`crawler.families` uses this package's
helpers while :func:`extract_article` uses the families, so an eager import
here would make importing :mod:`crawler.families` first a circular import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.extract.article import extract_article
    from crawler.extract.page import Page

__all__ = ["Page", "extract_article"]

_HOMES = {"Page": "crawler.extract.page", "extract_article": "crawler.extract.article"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
