"""captures: validators for conditional GET, and revisits' originals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("etag", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("last_modified", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("refers_to", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_column("refers_to")
        batch_op.drop_column("last_modified")
        batch_op.drop_column("etag")
