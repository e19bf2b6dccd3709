"""search_documents: each article's tsvector for PostgreSQL full-text search; search_terms

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Existing PostgreSQL archives get empty tables: ``dna index --rebuild`` fills
them (dna says so when a search finds the archive holds articles but no
search documents).  On SQLite the tables stay empty; Whoosh serves search there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("published", sa.DateTime(), nullable=False),
        sa.Column("document", sa.Text().with_variant(TSVECTOR(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_search_documents_published", "search_documents", ["published"])
    op.create_index(
        "ix_search_documents_document",
        "search_documents",
        ["document"],
        postgresql_using="gin",
    )
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )


def downgrade() -> None:
    op.drop_table("search_terms")
    op.drop_index("ix_search_documents_document", table_name="search_documents")
    op.drop_index("ix_search_documents_published", table_name="search_documents")
    op.drop_table("search_documents")
