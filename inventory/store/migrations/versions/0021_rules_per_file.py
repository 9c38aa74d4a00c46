"""files: what the rule evaluation keeps per file (retention class, disposal date, next due date, digest of the
copies), so a re-scan evaluates only the files that need it; findings indexed by subject

Revision ID: 0021_rules_per_file
Revises: 0020_identifier_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_rules_per_file"
down_revision = "0020_identifier_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_class", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("disposal_date", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("rules_due", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("copies_digest", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_files_source_rules_due", ["source", "rules_due"], unique=False)
    op.create_index("ix_findings_subject_id", "findings", ["subject_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_findings_subject_id", table_name="findings")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index("ix_files_source_rules_due")
        batch_op.drop_column("copies_digest")
        batch_op.drop_column("rules_due")
        batch_op.drop_column("disposal_date")
        batch_op.drop_column("retention_class")
