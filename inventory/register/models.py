"""What the store keeps about database tables beyond a file's row: the table's facts and its columns.

A table is a row of ``files`` (path ``schema/table``, size = rows); ``database_tables`` adds its kind, whether
the row count is an estimate, its on-disk size and where "modified" came from; ``table_columns`` holds each
column's declared type and what detection found in it (entity types and row counts, never a value).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inventory.store.models import Base


class DatabaseTable(Base):
    __tablename__ = "database_tables"

    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    schema_name: Mapped[str] = mapped_column(Text)
    table_name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # table | view
    rows_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    storage_bytes: Mapped[int | None] = mapped_column(BigInteger)
    modified_from: Mapped[str | None] = mapped_column(String(200))


class TableColumn(Base):
    __tablename__ = "table_columns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based; the CSV column letter follows from it
    name: Mapped[str] = mapped_column(Text)
    data_type: Mapped[str | None] = mapped_column(String(200))
    entity: Mapped[str | None] = mapped_column(String(60))  # the type the column took, if any
    entities: Mapped[dict[str, Any]] = mapped_column(default=dict)  # entity -> rows holding it
    rows_sampled: Mapped[int] = mapped_column(Integer, default=0)
