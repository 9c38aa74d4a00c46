"""database sources: table facts and columns, a change token on files, rows on assets

Revision ID: 0002_dbsrc
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_dbsrc"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "database_tables",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("schema_name", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rows_estimated", sa.Boolean(), nullable=False),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=True),
        sa.Column("modified_from", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("file_id"),
    )
    op.create_table(
        "table_columns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data_type", sa.String(length=200), nullable=True),
        sa.Column("entity", sa.String(length=60), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("rows_sampled", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("table_columns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_table_columns_file_id"), ["file_id"], unique=False)

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rows", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("rows")

    with op.batch_alter_table("table_columns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_table_columns_file_id"))

    op.drop_table("table_columns")
    op.drop_table("database_tables")
