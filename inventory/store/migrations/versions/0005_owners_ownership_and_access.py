"""ownership and access: folders' permissions, owner inference and decisions; files' document authors;
assets' service, owner confidence and access summary

Revision ID: 0005_owners
Revises: 0004_rules
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_owners"
down_revision = "0004_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_ownership",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("owner_key", sa.String(length=200), nullable=True),
        sa.Column("owner_email", sa.String(length=200), nullable=True),
        sa.Column("owner_enabled", sa.Boolean(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id"),
    )
    op.create_table(
        "folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("identity", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("uid", sa.Integer(), nullable=True),
        sa.Column("gid", sa.Integer(), nullable=True),
        sa.Column("mode", sa.Integer(), nullable=True),
        sa.Column("acl", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("last_seen_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_seen_run"],
            ["scan_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.create_index("ix_folders_source_path", ["source", "path"], unique=True)

    op.create_table(
        "owner_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("person_key", sa.String(length=200), nullable=True),
        sa.Column("person_name", sa.String(length=200), nullable=True),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reverted_at", sa.DateTime(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("owner_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_decisions_asset_id"), ["asset_id"], unique=False)

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("service", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("access", sa.JSON(none_as_null=True), nullable=True))

    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authors", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_column("authors")

    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("access")
        batch_op.drop_column("service")
        batch_op.drop_column("owner_confidence")

    with op.batch_alter_table("owner_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_decisions_asset_id"))

    op.drop_table("owner_decisions")
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.drop_index("ix_folders_source_path")

    op.drop_table("folders")
    op.drop_table("asset_ownership")
