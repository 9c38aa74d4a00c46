"""SQLAlchemy models of Steward's store. Times are naive UTC. No raw personal data is ever stored:
detections hold entity types, counts, scores, masked examples and locators."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ScanRun(Base):
    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # running | paused | completed | failed
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    resumed: Mapped[int] = mapped_column(Integer, default=0)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    read: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # status -> files seen in this run
    errors: Mapped[dict[str, Any]] = mapped_column(default=dict)  # status -> up to 10 {path, reason}
    error: Mapped[str | None] = mapped_column(Text)  # why the run failed
    trigger: Mapped[str | None] = mapped_column(String(20))  # manual | schedule | watch (None: manual)
    stop_reason: Mapped[str | None] = mapped_column(String(20))  # why a paused run stopped: budget | signal
    steward_version: Mapped[str] = mapped_column(String(40))
    config_hash: Mapped[str] = mapped_column(String(64))
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FileRecord(Base):
    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_source_path", "source", "path", unique=True),
        Index("ix_files_source_dir", "source", "dir"),
        Index("ix_files_source_identity", "source", "identity"),
        Index("ix_files_source_asset", "source", "asset_key"),
        Index("ix_files_source_rules_due", "source", "rules_due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)
    dir: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    ext: Mapped[str] = mapped_column(String(40))
    asset_key: Mapped[str] = mapped_column(Text)
    identity: Mapped[str] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime: Mapped[datetime | None] = mapped_column(DateTime)
    mtime_us: Mapped[int | None] = mapped_column(BigInteger)  # exact, for change detection
    version: Mapped[str | None] = mapped_column(String(200))  # a crawler's change token (database tables)
    ctime: Mapped[datetime | None] = mapped_column(DateTime)
    atime: Mapped[datetime | None] = mapped_column(DateTime)
    uid: Mapped[int | None] = mapped_column(Integer)
    gid: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(200))
    authors: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))  # document author properties
    mime: Mapped[str | None] = mapped_column(String(200))
    extension_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    special_category: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))  # None = no category
    marking: Mapped[str | None] = mapped_column(String(40))
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    chars: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    content_read_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen_run: Mapped[int | None] = mapped_column(ForeignKey("scan_runs.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # For the rules: a keyed content hash (only where a duplicate policy asks), SMB/NTFS access entries
    # ([principal, read|write|full, allow]) and the rule keywords found in the text.
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    acl: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    keywords: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    # How OCR read a scanned PDF or image: {"pages", "read", "mean_confidence", "low_confidence"}; None = no OCR.
    ocr: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Kept by the rule evaluation (``inventory.findings``), so a re-scan evaluates only the files that need it: the
    # file's retention class and its due date when not on hold (the register's figures are grouped from these),
    # the next moment the clock alone can change its findings, and a digest of the other places holding the same
    # content when it was last evaluated.
    retention_class: Mapped[str | None] = mapped_column(String(100))
    disposal_date: Mapped[datetime | None] = mapped_column(DateTime)
    rules_due: Mapped[datetime | None] = mapped_column(DateTime)
    copies_digest: Mapped[str | None] = mapped_column(String(16))

    detections: Mapped[list[DetectionRow]] = relationship(
        back_populates="file", cascade="all, delete-orphan", passive_deletes=True
    )


class DetectionRow(Base):
    __tablename__ = "detections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(60), index=True)
    count: Mapped[int] = mapped_column(Integer)
    best_score: Mapped[float] = mapped_column(Float)
    example: Mapped[str] = mapped_column(String(200))  # masked
    locators: Mapped[list[Any]] = mapped_column(default=list)
    recognizer: Mapped[str | None] = mapped_column(String(100))
    validated: Mapped[bool] = mapped_column(Boolean, default=False)
    context_words: Mapped[list[Any]] = mapped_column(default=list)

    file: Mapped[FileRecord] = relationship(back_populates="detections")


class FileEvent(Base):
    """What changed, per file and run: added, changed, moved (with the old path), deleted."""

    __tablename__ = "file_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime)
    old_path: Mapped[str | None] = mapped_column(Text)


class Asset(Base):
    """An information asset: a folder subtree of a source at the configured depth (or the root)."""

    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_source_key", "source", "key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(Text)  # folder path under the source root; "" = loose files at the root
    name: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    file_count: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int | None] = mapped_column(BigInteger)  # rows of a database asset's tables
    formats: Mapped[dict[str, Any]] = mapped_column(default=dict)  # mime -> files
    entities: Mapped[dict[str, Any]] = mapped_column(default=dict)  # entity -> files holding it
    personal_files: Mapped[int] = mapped_column(Integer, default=0)
    status_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    oldest_mtime: Mapped[datetime | None] = mapped_column(DateTime)
    newest_mtime: Mapped[datetime | None] = mapped_column(DateTime)
    last_scanned: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Filled by ownership, rules and detection capabilities; present from the start.
    owner: Mapped[str | None] = mapped_column(String(200))
    owner_status: Mapped[str | None] = mapped_column(String(20))  # declared | confirmed | proposed | none
    owner_confidence: Mapped[float | None] = mapped_column(Float)
    service: Mapped[str | None] = mapped_column(String(200))
    access: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # inventory.owners.access summary
    retention_class: Mapped[str | None] = mapped_column(String(100))
    disposal_date: Mapped[datetime | None] = mapped_column(DateTime)
    special_category: Mapped[bool | None] = mapped_column(Boolean)
    security_classification: Mapped[str | None] = mapped_column(String(40))
    # Filled by rule evaluation: files per retention class, and what is past retention and not on hold.
    retention_classes: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    past_retention_files: Mapped[int | None] = mapped_column(Integer)
    past_retention_bytes: Mapped[int | None] = mapped_column(BigInteger)
