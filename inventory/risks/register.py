"""Reading and deciding risks: the register's rows (as a committee paper lays them out), one risk with its
history and trend, adding a risk from outside the scan, and recording a treatment (who, when, why)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.register.names import asset_label
from inventory.risks.models import TREATMENTS, Risk, RiskEvent, RiskScore
from inventory.risks.scoring import RiskFile
from inventory.risks.sync import event_row
from inventory.store.models import Asset
from scanner.errors import StewardError

TREATED_STATUS = {"treat": "treated", "tolerate": "tolerated", "transfer": "treated", "terminate": "treated"}


def asset_refs(session: Session) -> dict[int, str]:
    return {i: asset_label(s, k) for i, s, k in session.execute(select(Asset.id, Asset.source, Asset.key))}


def trend(session: Session, risk: Risk, since: datetime | None = None) -> str:
    """up, down or same: the current score against the score at ``since`` (else the first recorded); new when
    the risk had no score then (without ``since``: when it has been scored only once, at the scan that found it)."""
    query = select(RiskScore.score).where(RiskScore.risk_id == risk.id).order_by(RiskScore.at, RiskScore.id)
    if since is not None:
        before = session.scalars(
            query.where(RiskScore.at <= since)
            .order_by(None)
            .order_by(RiskScore.at.desc(), RiskScore.id.desc())
            .limit(1)
        ).first()
        if before is None:
            return "new"
    else:
        first = session.scalars(query.limit(2)).all()
        if len(first) < 2:
            return "new"
        before = first[0]
    if before is None or before == risk.score:
        return "same"
    return "up" if risk.score > before else "down"


def row(
    session: Session, risk: Risk, book: RiskFile, refs: dict[int, str], since: datetime | None = None
) -> dict[str, Any]:
    return {
        "id": risk.id,
        "title": risk.title,
        "description": risk.description,
        "asset": refs.get(risk.asset_id) if risk.asset_id else None,
        "owner": risk.owner,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "score": risk.score,
        "band": book.band(risk.score),
        "controls": "; ".join(risk.controls or ()),
        "residual_likelihood": risk.residual_likelihood or risk.likelihood,
        "residual_impact": risk.residual_impact or risk.impact,
        "residual_score": risk.residual_score,
        "residual_band": book.band(risk.residual_score),
        "treatment": risk.treatment,
        "actions": "; ".join(risk.actions or ()),
        "target_score": risk.target_score,
        "review_date": risk.review_date.isoformat() if risk.review_date else None,
        "status": risk.status,
        "trend": trend(session, risk, since),
        "origin": risk.origin,
        "type": risk.type,
        "evidence": dict(risk.evidence or {}),  # what the score rests on: counts of distinct files, people, bytes
    }


def listing(session: Session, status: str = "current") -> list[Risk]:
    """Risks, highest score first: ``current`` (not closed), a status, or ``all``."""
    query = select(Risk)
    if status == "current":
        query = query.where(Risk.status != "closed")
    elif status != "all":
        query = query.where(Risk.status == status)
    risks = session.scalars(query).all()
    return sorted(risks, key=lambda r: (-r.score, -r.impact, r.id))


def get(session: Session, risk_id: int) -> Risk:
    risk = session.get(Risk, risk_id)
    if risk is None:
        raise StewardError(f"no risk {risk_id}; `steward risks --status all` lists them")
    return risk


def history(session: Session, risk: Risk) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events = session.scalars(select(RiskEvent).where(RiskEvent.risk_id == risk.id).order_by(RiskEvent.id)).all()
    scores = session.scalars(select(RiskScore).where(RiskScore.risk_id == risk.id).order_by(RiskScore.id)).all()
    return [event_row(e) for e in events], [
        {
            "at": s.at.isoformat(timespec="seconds"),
            "score": s.score,
            "residual_score": s.residual_score,
            "status": s.status,
        }
        for s in scores
    ]


def add(
    session: Session,
    title: str,
    likelihood: int,
    impact: int,
    owner: str,
    by: str,
    now: datetime,
    description: str | None = None,
    asset_id: int | None = None,
) -> Risk:
    """A risk from outside the scan (a security incident, a DPIA): managed by hand, never closed by a scan."""
    n = (session.scalar(select(func.count()).select_from(Risk).where(Risk.origin == "manual")) or 0) + 1
    while session.scalar(select(Risk.id).where(Risk.key == f"manual:{n}")) is not None:
        n += 1
    risk = Risk(
        key=f"manual:{n}",
        type="manual",
        origin="manual",
        asset_id=asset_id,
        title=title,
        description=description,
        owner=owner,
        likelihood=likelihood,
        impact=impact,
        controls=[],
        actions=[],
        status="open",
        evidence={},
        first_seen=now,
        last_seen=now,
    )
    session.add(risk)
    session.flush()
    session.add(RiskEvent(risk_id=risk.id, at=now, event="added", by=by, reason=description or title))
    _score(session, risk, now)
    session.commit()
    return risk


def treat(
    session: Session,
    risk: Risk,
    treatment: str,
    by: str,
    reason: str,
    now: datetime,
    review: date | None = None,
    controls: tuple[str, ...] = (),
    actions: tuple[str, ...] = (),
    residual: tuple[int, int] | None = None,
    target: int | None = None,
    owner: str | None = None,
) -> None:
    """Record a treatment. Tolerating (accepting) needs a reason and a review date, in the future."""
    if treatment not in TREATMENTS:
        raise StewardError(f"treatment must be one of {', '.join(TREATMENTS)}")
    if not reason.strip():
        raise StewardError("a treatment needs a reason (--reason)")
    if treatment == "tolerate" and (review is None or review <= now.date()):
        raise StewardError("accepting (tolerating) a risk needs a review date in the future (--review YYYY-MM-DD)")
    if risk.status == "closed":
        raise StewardError(f"risk {risk.id} is closed: its findings have cleared")
    if owner and risk.origin == "scan":
        raise StewardError(f"risk {risk.id}'s owner is its asset's owner: change that with `steward owner set`")
    risk.treatment, risk.reason, risk.review_date = treatment, reason, review
    risk.status, risk.decision_score = TREATED_STATUS[treatment], risk.score
    risk.decided_by, risk.decided_at = by, now
    risk.controls = [*(risk.controls or ()), *controls]
    risk.actions = [*(risk.actions or ()), *actions]
    if residual is not None:
        risk.residual_likelihood, risk.residual_impact = residual
    if target is not None:
        risk.target_score = target
    if owner:
        risk.owner = owner
    detail = "; ".join(
        [reason, *(f"control: {c}" for c in controls), *(f"action: {a}" for a in actions)]
        + ([f"review {review}"] if review else [])
    )
    session.add(
        RiskEvent(
            risk_id=risk.id,
            at=now,
            event=TREATED_STATUS[treatment] if treatment != "tolerate" else "tolerated",
            by=by,
            reason=f"{treatment}: {detail}",
        )
    )
    _score(session, risk, now)
    session.commit()


def _score(session: Session, risk: Risk, now: datetime) -> None:
    session.add(
        RiskScore(
            risk_id=risk.id,
            at=now,
            likelihood=risk.likelihood,
            impact=risk.impact,
            score=risk.score,
            residual_score=risk.residual_score,
            status=risk.status,
        )
    )
