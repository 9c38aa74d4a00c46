"""the last directory state read successfully, used while the directory cannot be read

Revision ID: 0009_directory_memory
Revises: 0008_names
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_directory_memory"
down_revision = "0008_names"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_memory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("people", sa.JSON(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("directory_memory")
