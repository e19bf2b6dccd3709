"""captures: where a redirect leads, to tell an article sent elsewhere on its portal

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Many portals answer a deleted article's URL with a redirect to their home
page, not a 404 (archive.gone).  Whether a redirect stays on the portal needs
its Location, which only the WARC record held.  Captures made before this
have none: their redirects say nothing, as before; a restore fills it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_column("location")
