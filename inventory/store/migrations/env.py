"""Alembic environment: runs on the connection Steward hands over (inventory.store.engine.upgrade)."""

from __future__ import annotations

from typing import Any

from alembic import context

from inventory.store.schema import metadata

# Tables in Steward's database that Steward's models do not own (autogenerate must leave them alone).
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
