"""crawls: what was cut off; articles: other URLs of an article, and its text's digest

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import archive.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cut_off", sa.Text(), nullable=True))
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        # Versions written before this revision have none: they are matched by content.
        batch_op.add_column(sa.Column("text_hash", sa.String(length=80), nullable=True))
        batch_op.create_index("ix_article_versions_text_hash", ["text_hash"], unique=False)
    op.create_table(
        "article_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("first_seen", archive.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_index("ix_article_urls_article_id", "article_urls", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_urls_article_id", table_name="article_urls")
    op.drop_table("article_urls")
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_article_versions_text_hash")
        batch_op.drop_column("text_hash")
    with op.batch_alter_table("crawls", schema=None) as batch_op:
        batch_op.drop_column("cut_off")
