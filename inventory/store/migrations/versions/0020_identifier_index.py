"""the subject-access identifier index: keyed digests of identifiers per file with a locator, and the
fingerprint of the key it was built under

Revision ID: 0020_identifier_index
Revises: 0010_ocr
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_identifier_index"
down_revision = "0010_ocr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identifier_index",
        sa.Column("digest", sa.LargeBinary(length=16), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("locator", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("digest", "file_id"),
    )
    op.create_index("ix_identifier_index_file", "identifier_index", ["file_id"])
    op.create_table(
        "identifier_index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=32), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("identifier_index_state")
    op.drop_index("ix_identifier_index_file", table_name="identifier_index")
    op.drop_table("identifier_index")
