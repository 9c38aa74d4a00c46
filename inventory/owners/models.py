"""Store models for ownership and access: folders' own permissions, owner inference per asset, and the
people's decisions about owners (kept across re-scans, with who, when and why)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inventory.store.models import Base


class FolderRecord(Base):
    """A folder's own facts from the last scan that saw it (owner SID or uid, ACL, mode): assets are folders,
    and who may read or write a folder matters as much as its files."""

    __tablename__ = "folders"
    __table_args__ = (Index("ix_folders_source_path", "source", "path", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)  # relative to the source root; "" = the root
    identity: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    uid: Mapped[int | None] = mapped_column(Integer)
    gid: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[int | None] = mapped_column(Integer)
    acl: Mapped[list[Any]] = mapped_column(default=list)  # [{principal, rights, allow, inherited}]
    status: Mapped[str] = mapped_column(String(20), default="ok")
    reason: Mapped[str | None] = mapped_column(Text)
    last_seen_run: Mapped[int | None] = mapped_column(ForeignKey("scan_runs.id"))


class AssetOwnership(Base):
    """The owner inference for one asset: ranked candidates with their evidence in words."""

    __tablename__ = "asset_ownership"

    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    owner_key: Mapped[str | None] = mapped_column(String(200))  # the directory key (account) of the owner
    owner_email: Mapped[str | None] = mapped_column(String(200))
    owner_enabled: Mapped[bool | None] = mapped_column(Boolean)  # False: the owner has left (owner_left)
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # the owner's evidence, in words
    candidates: Mapped[list[Any]] = mapped_column(default=list)  # ranked: {key, name, confidence, evidence, ...}
    notes: Mapped[list[Any]] = mapped_column(default=list)  # e.g. principals the directory could not resolve
    computed_at: Mapped[datetime] = mapped_column(DateTime)


class OwnerDecision(Base):
    """A person's confirmation or correction of an asset's owner, or the revert of one. The latest decision
    not reverted wins over inference on every later scan."""

    __tablename__ = "owner_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # confirm | correct | revert
    person_key: Mapped[str | None] = mapped_column(String(200))
    person_name: Mapped[str | None] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime)
    confidence: Mapped[float | None] = mapped_column(Float)  # the proposal's confidence when decided


class DirectoryMemory(Base):
    """The last directory state read successfully (one row), so that a directory that cannot be read never
    rewrites owners, findings or risks: scans then use this state, and say so. People once known and no longer
    listed are kept, as leavers."""

    __tablename__ = "directory_memory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    people: Mapped[list[Any]] = mapped_column(default=list)  # Person fields; leavers with enabled false
    read_at: Mapped[datetime | None] = mapped_column(DateTime)  # the last successful read
    failed_at: Mapped[datetime | None] = mapped_column(DateTime)  # the last failed read since then
    failure: Mapped[str | None] = mapped_column(Text)  # why it failed (one sentence)
