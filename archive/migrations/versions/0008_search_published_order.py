"""search_documents: an index on (published, article_id) again, for very common queries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Migration 0007 dropped the index on ``published``: the planner, blind to
the cost of reading each document from TOAST, walked the dates newest first
for every query.  The searcher now chooses for it (search.postgres,
``WALK_COST``): it walks the dates only for queries matching a large share
of a large archive, where collecting and sorting every match (a million, for
"xã") costs far more than testing the newest few hundred rows.  With the
article id, the order is total, so both ways find the same articles.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_search_documents_published", "search_documents", ["published", "article_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_search_documents_published", table_name="search_documents")
