"""crawls: mode, owner process and the crawl a run resumes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawls", schema=None) as batch_op:
        # Crawls before this revision revisited everything: they were full.
        batch_op.add_column(
            sa.Column("mode", sa.String(length=8), nullable=False, server_default="full")
        )
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resumes", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_crawls_resumes", "crawls", ["resumes"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("crawls", schema=None) as batch_op:
        batch_op.drop_constraint("fk_crawls_resumes", type_="foreignkey")
        batch_op.drop_column("resumes")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
        batch_op.drop_column("mode")
