"""places: the unit each site serves, and the units each article version mentions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_sites_place", ["place"], unique=False)
    op.create_table(
        "place_mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("surface", sa.String(length=200), nullable=False),
        sa.Column("candidates", sa.Text(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["article_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_place_mentions_version_id", "place_mentions", ["version_id"])
    op.create_index("ix_place_mentions_unit", "place_mentions", ["unit"])


def downgrade() -> None:
    op.drop_index("ix_place_mentions_unit", table_name="place_mentions")
    op.drop_index("ix_place_mentions_version_id", table_name="place_mentions")
    op.drop_table("place_mentions")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index("ix_sites_place")
        batch_op.drop_column("place")
