"""Alembic environment: runs migrations on the connection handed over by ``player.db.engine``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from player.db.models import Base

config = context.config
connection: Connection | None = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Segue migrations run through player.db.engine.open_database(), not the CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table.
)
with context.begin_transaction():
    context.run_migrations()
