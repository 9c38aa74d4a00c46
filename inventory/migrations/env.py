"""Alembic environment: runs on the connection Steward hands over (inventory.db.upgrade)."""

from __future__ import annotations

from alembic import context

from inventory import models_rules  # noqa: F401  (findings tables in the metadata)
from inventory.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
