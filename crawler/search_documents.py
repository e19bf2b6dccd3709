"""Which callable writes PostgreSQL search documents with each batch, named by a setting.

The crawler never imports the search package (data flows crawler → archive →
search); the ``DNA_SEARCH_DOCUMENTS`` setting names the implementation of
:class:`archive.writer.SearchDocuments`, as Scrapy names pipelines, and both
the crawl pipeline and restore hand it to their writers.  Scrapy-free, so
restore stays so.
"""

from __future__ import annotations

import pkgutil
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from archive.writer import SearchDocuments


def search_documents_hook(path: str | None, database_url: str) -> SearchDocuments | None:
    """The callable ``path`` names, for a PostgreSQL archive; ``None`` otherwise.

    Only PostgreSQL archives hold search documents; SQLite ones are searched
    through the Whoosh index, updated when a crawl ends.
    """
    if not path or make_url(database_url).get_backend_name() != "postgresql":
        return None
    return pkgutil.resolve_name(path)
