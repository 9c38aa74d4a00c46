"""Alembic environment: runs on the connection Steward hands over (inventory.db.upgrade)."""

from __future__ import annotations

from typing import Any

from alembic import context

from inventory import (
    models_database,  # noqa: F401  (its tables are part of the metadata)
    models_risks,  # noqa: F401  (the risk register)
    models_rules,  # noqa: F401  (findings tables in the metadata)
    models_web,  # noqa: F401  (the web review's tables)
)
from inventory.models import Base
from inventory.models_owners import AssetOwnership  # noqa: F401  (complete metadata)

# Tables in Steward's database that Steward's models do not own (autogenerate must leave them alone).
FOREIGN_TABLES = {"apscheduler_jobs"}


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
