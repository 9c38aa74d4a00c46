"""Alembic environment: runs on the connection Steward hands over (inventory.db.upgrade)."""

from __future__ import annotations

from alembic import context

from inventory import models_database  # noqa: F401  (its tables are part of the metadata)
from inventory.models import Base
from inventory.models_owners import AssetOwnership  # noqa: F401  (complete metadata)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
