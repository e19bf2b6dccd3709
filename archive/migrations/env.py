"""Alembic environment: runs migrations on the engine the store passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from archive.models import Base

#: Any constant; PostgreSQL advisory locks are named by numbers.
MIGRATION_LOCK = 0x646E61

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Workers opening one database at once migrate it one after another
        # (the lock ends with the transaction) instead of racing to create tables.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
