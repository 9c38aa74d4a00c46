"""files.ocr: how OCR read a scanned PDF or an image (pages needing OCR, pages read, mean word confidence,
low-confidence pages)

Revision ID: 0010_ocr
Revises: 0007_web
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_ocr"
down_revision = "0009_directory_memory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocr", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_column("ocr")
