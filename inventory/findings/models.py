"""Findings (a rule breached by a file or an asset) and their history. Human decisions (dismissed, accepted)
are kept with who, when and why, and survive re-scans until the subject changes materially."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inventory.store.models import Base

STATUSES = ("open", "resolved", "dismissed", "accepted")
DECISIONS = ("dismissed", "accepted")


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_key", "rule", "subject", "subject_id", unique=True),
        Index("ix_findings_source_status", "source", "status"),
        Index("ix_findings_asset", "asset_id"),
        Index("ix_findings_subject_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100))  # class, hold or policy id
    kind: Mapped[str] = mapped_column(String(40))  # retention, hold, exposure, stale, ...
    severity: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(10))  # file | asset
    subject_id: Mapped[int] = mapped_column(Integer)  # files.id or assets.id
    asset_id: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(Text)  # the file's path when last seen; None for an asset
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)  # types, counts, dates; never a value
    fingerprint: Mapped[str | None] = mapped_column(String(100))  # the subject's content when last seen
    status: Mapped[str] = mapped_column(String(20))  # open | resolved | dismissed | accepted
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision: Mapped[str | None] = mapped_column(String(20))  # dismissed | accepted (kept when it lapses)
    verdict: Mapped[str | None] = mapped_column(String(20))  # a reviewer's: confirmed | false_positive | test_data
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decision_fingerprint: Mapped[str | None] = mapped_column(String(100))


class FindingEvent(Base):
    """The history of a finding: opened, resolved, reopened, dismissed, accepted, lapsed."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    event: Mapped[str] = mapped_column(String(20))
    by: Mapped[str | None] = mapped_column(String(200))  # a person, or None for Steward's evaluation
    reason: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)
