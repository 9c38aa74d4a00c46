"""scan runs: what started them (manual, schedule, watch) and why a paused run stopped (budget, signal)

Revision ID: 0003_ops
Revises: 0002_dbsrc
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_ops"
down_revision = "0002_dbsrc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trigger", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("stop_reason", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.drop_column("stop_reason")
        batch_op.drop_column("trigger")
