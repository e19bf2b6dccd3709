"""Alembic environment: runs migrations on the engine the store passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from archive.models import Base

#: Any constant; PostgreSQL advisory locks are named by numbers.
MIGRATION_LOCK = 0x646E61

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    # Workers, or two crawls started together, opening one database at once
    # migrate it one after another (the lock ends with the transaction)
    # instead of racing to create tables.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        # The driver begins no transaction before DDL: take the write lock
        # first (the busy timeout waits for the other writer to finish).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
