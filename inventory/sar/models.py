"""The identifier index's tables: one row per (file, keyed digest) with its entity type and first locator, and
the fingerprint of the key the index was built under (so a rotated key is noticed and the index rebuilt)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.store.models import Base

DIGEST_BYTES = 16  # HMAC-SHA256 truncated to 128 bits: no collisions among billions of rows


class IdentifierRow(Base):
    __tablename__ = "identifier_index"
    __table_args__ = (Index("ix_identifier_index_file", "file_id"),)

    digest: Mapped[bytes] = mapped_column(LargeBinary(DIGEST_BYTES), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    locator: Mapped[str] = mapped_column(String(200))


class IndexState(Base):
    """One row: the key the index was built under and when it was last cleared for a new key."""

    __tablename__ = "identifier_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_fingerprint: Mapped[str] = mapped_column(String(32))
    rebuilt_at: Mapped[datetime | None] = mapped_column(DateTime)
