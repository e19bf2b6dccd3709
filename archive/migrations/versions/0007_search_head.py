"""search_documents.head: the title, lead and captions part of each document;
no index on published

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Ranking by relevance read each candidate's whole document (about 12 KB for
a 2.5 KB article, compressed in TOAST); ``head`` is the part that weighs
most, a sixth of it, read uncompressed, so a shortlist is chosen cheaply.
PostgreSQL computes it from ``document`` (a stored generated column), so
existing archives get it filled by this migration, with nothing to rebuild.
On SQLite the column stays empty, like ``document``.

The index on ``published`` goes: every search matches the GIN index first,
and with it the planner walked the dates newest first, testing each row by
reading its document from TOAST (0.7 s for 10,000 of them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from archive.models import HEAD

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_search_documents_published", table_name="search_documents")
    vector = sa.Text().with_variant(TSVECTOR(), "postgresql")
    if op.get_bind().dialect.name == "postgresql":
        # Kept out of line (EXTERNAL, in one statement so that the rewrite
        # filling it already does so): in the row it made the rows 1.8 KB, and
        # every scan of the matches of a common term read 20 times the pages.
        op.execute(
            f"ALTER TABLE search_documents ADD COLUMN head tsvector "
            f"GENERATED ALWAYS AS ({HEAD}) STORED, ALTER COLUMN head SET STORAGE EXTERNAL"
        )
    else:
        # SQLite cannot add a stored generated column, and has no ts_filter:
        # a virtual one that is never read keeps the schema the models describe.
        op.add_column("search_documents", sa.Column("head", vector, sa.Computed("NULL")))
    op.create_index(
        "ix_search_documents_head", "search_documents", ["head"], postgresql_using="gin"
    )


def downgrade() -> None:
    op.create_index("ix_search_documents_published", "search_documents", ["published"])
    op.drop_index("ix_search_documents_head", table_name="search_documents")
    op.drop_column("search_documents", "head")
