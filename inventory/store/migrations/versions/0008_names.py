"""names as they are: the stored form of names (a backslash doubled, scanner.names) and, on PostgreSQL,
indexes that take a path of any length

A name is stored in the lossless form ``scanner.names.to_store`` gives: a backslash is doubled and a lone
surrogate (a byte that is not UTF-8, an unpaired UTF-16 half) is written ``\\udcXX``. Rows written before held
names as they were, and none could hold a surrogate, so only backslashes need doubling.

PostgreSQL's B-tree refuses an index entry over about 2,700 bytes, so a path beyond that (deep folders, long
names) could not be written. There, path and folder lookups use hash indexes (any length) and uniqueness is kept
on an MD5 of the path. SQLite has no such limit and keeps its indexes.

Revision ID: 0008_names
Revises: 0007_web
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_names"
down_revision = "0007_web"
branch_labels = None
depends_on = None

NAME_COLUMNS = (
    ("files", ("path", "dir", "name", "asset_key")),
    ("file_events", ("old_path",)),
    ("assets", ("key",)),
    ("findings", ("path",)),
    ("folders", ("path",)),
)


def _double_backslashes(table: str, column: str, postgres: bool) -> None:
    contains = f"strpos({column}, :one) > 0" if postgres else f"instr({column}, :one) > 0"
    op.execute(
        sa.text(f"UPDATE {table} SET {column} = replace({column}, :one, :two) WHERE {contains}").bindparams(
            one="\\", two="\\\\"
        )
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, columns in NAME_COLUMNS:
        for column in columns:
            _double_backslashes(table, column, postgres)
    if not postgres:
        return
    op.drop_index("ix_files_source_path", table_name="files")
    op.drop_index("ix_files_source_dir", table_name="files")
    op.execute("CREATE UNIQUE INDEX ix_files_source_path ON files (source, md5(path))")
    op.execute("CREATE INDEX ix_files_path_hash ON files USING hash (path)")
    op.execute("CREATE INDEX ix_files_source_dir ON files USING hash (dir)")
    op.drop_index("ix_folders_source_path", table_name="folders")
    op.execute("CREATE UNIQUE INDEX ix_folders_source_path ON folders (source, md5(path))")
    op.execute("CREATE INDEX ix_folders_path_hash ON folders USING hash (path)")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for name in ("ix_files_source_path", "ix_files_path_hash", "ix_files_source_dir"):
            op.drop_index(name, table_name="files")
        for name in ("ix_folders_source_path", "ix_folders_path_hash"):
            op.drop_index(name, table_name="folders")
        op.create_index("ix_files_source_path", "files", ["source", "path"], unique=True)
        op.create_index("ix_files_source_dir", "files", ["source", "dir"])
        op.create_index("ix_folders_source_path", "folders", ["source", "path"], unique=True)
    for table, columns in NAME_COLUMNS:
        for column in columns:
            contains = f"strpos({column}, :two) > 0" if postgres else f"instr({column}, :two) > 0"
            op.execute(
                sa.text(f"UPDATE {table} SET {column} = replace({column}, :two, :one) WHERE {contains}").bindparams(
                    one="\\", two="\\\\"
                )
            )
