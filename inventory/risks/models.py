"""The information risk register: risks (derived from evidence per asset and risk type, or added by a person),
their score per scan (for trends) and their history (who, when, why)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inventory.store.models import Base

STATUSES = ("open", "treated", "tolerated", "closed")
TREATMENTS = ("treat", "tolerate", "transfer", "terminate")


class Risk(Base):
    __tablename__ = "risks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # "asset:<id>:<type>", or "manual:<n>"
    type: Mapped[str] = mapped_column(String(40))  # a risk type of rules/risk.yaml, or "manual"
    origin: Mapped[str] = mapped_column(String(20))  # scan | manual
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    source: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))  # the asset's owner, or as recorded
    likelihood: Mapped[int] = mapped_column(Integer)  # inherent, 1-5
    impact: Mapped[int] = mapped_column(Integer)
    residual_likelihood: Mapped[int | None] = mapped_column(Integer)  # after the recorded controls
    residual_impact: Mapped[int | None] = mapped_column(Integer)
    controls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    actions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    target_score: Mapped[int | None] = mapped_column(Integer)
    treatment: Mapped[str | None] = mapped_column(String(20))  # treat | tolerate | transfer | terminate
    reason: Mapped[str | None] = mapped_column(Text)
    review_date: Mapped[date | None] = mapped_column(Date)
    decision_score: Mapped[int | None] = mapped_column(Integer)  # the score when it was treated
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | treated | tolerated | closed
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts and dates, never a value
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def residual_score(self) -> int:
        return (self.residual_likelihood or self.likelihood) * (self.residual_impact or self.impact)


class RiskScore(Base):
    """A risk's score at one scan (or decision): the trend."""

    __tablename__ = "risk_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    residual_score: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))


class RiskEvent(Base):
    """opened, rescored, closed, reopened, treated, tolerated, review-due, worsened, added."""

    __tablename__ = "risk_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    event: Mapped[str] = mapped_column(String(20))
    by: Mapped[str | None] = mapped_column(String(200))  # a person, or None for Steward
    reason: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)
