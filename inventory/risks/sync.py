"""Derives the risks of one source after its rule evaluation and keeps them across scans.

A derived risk is keyed by asset and risk type. Each scan: a new draft opens a risk; a draft for a closed risk
reopens it; a treated or tolerated risk whose score rose above the score it was decided at reopens (worsened);
a stored risk with no draft (its findings all cleared) closes. A tolerated risk whose review date has passed
reopens. Every scored risk gets a row in ``risk_scores``; every transition one in ``risk_events``."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from inventory.findings.models import Finding
from inventory.owners.models import AssetOwnership
from inventory.risks.kinds import AssetRiskFacts, FindingFact, RiskDraft, derive
from inventory.risks.models import Risk, RiskEvent, RiskScore
from inventory.risks.scoring import RiskFile
from inventory.store.bulk import from_json, read_rows
from inventory.store.models import Asset, DetectionRow, FileRecord
from scanner.memo import Recent

log = logging.getLogger(__name__)


@dataclass
class RiskCounts:
    opened: int = 0
    reopened: int = 0
    closed: int = 0
    open_by_band: dict[str, int] = field(default_factory=dict)


def asset_facts(session: Session, source: str) -> Iterator[AssetRiskFacts]:
    """Each present asset of ``source`` with its open findings (and their files' entity types and categories),
    one asset at a time: only the columns the risk kinds read, never the whole source's findings at once. The
    findings and their files' facts are read as the driver gives them (``read_rows``): a first scan can open a
    million, and building result rows one by one cost more than the risks derived from them."""
    left = set(
        session.scalars(
            select(AssetOwnership.asset_id)
            .join(Asset, Asset.id == AssetOwnership.asset_id)
            .where(Asset.source == source, AssetOwnership.owner_enabled.is_(False))
        )
    )
    special = _special_files(session, source)
    assets = session.scalars(select(Asset).where(Asset.source == source, Asset.deleted_at.is_(None))).all()
    conn, evidence = session.connection(), _Decoded()
    for a in assets:
        found = read_rows(
            conn,
            select(Finding.kind, Finding.rule, Finding.evidence, Finding.subject, Finding.subject_id)
            .where(Finding.source == source, Finding.status == "open", Finding.asset_id == a.id)
            .order_by(Finding.id),
        )
        files, entities = _file_facts(conn, source, a.id)
        facts = []
        for kind, rule, stored, subject, subject_id in found:
            fid = subject_id if subject == "file" else None
            facts.append(
                _finding_fact(
                    kind, rule, evidence(stored), fid, files.get(fid or -1, (0, ())), entities.get(fid or -1, {})
                )
            )
        status = "left" if a.id in left else (a.owner_status or ("declared" if a.owner else "none"))
        yield AssetRiskFacts(
            a.id,
            a.source,
            a.key,
            a.name,
            a.owner,
            status,
            a.file_count,
            a.personal_files,
            special.get(a.key, 0),
            dict(a.entities or {}),
            tuple(facts),
        )


class _Decoded:
    """JSON evidence decoded once per distinct text (findings of one kind mostly repeat a few dozen), for read-only
    use; the last MEMO texts are remembered (``scanner.memo``)."""

    MEMO = 10_000

    def __init__(self) -> None:
        self.seen: Recent[str, Any] = Recent(self.MEMO)

    def __call__(self, stored: Any) -> Any:
        if not isinstance(stored, str):
            return stored  # decoded by the driver (PostgreSQL)
        found = self.seen.get(stored)
        return self.seen.keep(stored, from_json(stored)) if found is None else found


def _file_facts(
    conn: Connection, source: str, asset_id: int
) -> tuple[dict[int, tuple[int, tuple[str, ...]]], dict[int, dict[str, int]]]:
    """Size and special categories, and entity counts, of the files of an asset's open findings."""
    of_findings = (
        select(Finding.subject_id)
        .where(
            Finding.source == source,
            Finding.status == "open",
            Finding.asset_id == asset_id,
            Finding.subject == "file",
        )
        .scalar_subquery()
    )
    files: dict[int, tuple[int, tuple[str, ...]]] = {}
    query = select(FileRecord.id, FileRecord.size, FileRecord.special_category).where(FileRecord.id.in_(of_findings))
    for fid, size, special in read_rows(conn, query):
        files[fid] = (size or 0, tuple(from_json(special) or ()))
    entities: dict[int, dict[str, int]] = defaultdict(dict)
    query = select(DetectionRow.file_id, DetectionRow.entity, DetectionRow.count).where(
        DetectionRow.file_id.in_(of_findings)
    )
    for fid, entity, count in read_rows(conn, query):
        entities[fid][entity] = count
    return files, entities


def _finding_fact(
    kind: str,
    rule: str,
    stored_evidence: dict[str, Any] | None,
    fid: int | None,
    file: tuple[int, tuple[str, ...]],
    entities: dict[str, int],
) -> FindingFact:
    evidence = dict(stored_evidence or {})
    return FindingFact(
        kind,
        rule,
        evidence,
        file[0],
        entities or dict(evidence.get("entities") or {}),
        file[1] or tuple(evidence.get("special_category") or ()),
        fid,
    )


def _special_files(session: Session, source: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for key, special in session.execute(
        select(FileRecord.asset_key, FileRecord.special_category).where(
            FileRecord.source == source, FileRecord.deleted_at.is_(None), FileRecord.special_category.is_not(None)
        )
    ):
        out[key] += bool(special)
    return out


def sync_source(session: Session, book: RiskFile, source: str, now: datetime, run_id: int | None = None) -> RiskCounts:
    """Derive, score and sync the risks of ``source``; commits."""
    counts = RiskCounts()
    # Each draft keeps its asset's name and owner, not the asset's findings (a first scan can open a million).
    drafts = {d.key: (d, replace(a, findings=())) for a in asset_facts(session, source) for d in derive(a, book, now)}
    stored = {r.key: r for r in session.scalars(select(Risk).where(Risk.origin == "scan", Risk.source == source))}
    for key, (d, a) in drafts.items():
        risk = stored.get(key)
        if risk is None:
            risk = _new(session, d, a, source, now)
            counts.opened += 1
            _event(session, risk, now, "opened", d.description, run_id)
        else:
            counts.reopened += _update(session, risk, d, a, now, run_id)
        _score(session, risk, now, run_id)
    for key, risk in stored.items():
        if key not in drafts and risk.status != "closed":
            risk.status, risk.closed_at = "closed", now
            counts.closed += 1
            _event(session, risk, now, "closed", "the findings behind it have all cleared", run_id)
            _score(session, risk, now, run_id)
    review_due(session, now)
    session.commit()
    return _open_by_band(session, book, source, counts)


def unchanged_risks(
    session: Session, book: RiskFile, source: str, now: datetime, run_id: int | None = None
) -> RiskCounts:
    """``sync_source`` when none of the risks' inputs moved since it last ran: every derived risk would get its own
    draft back, so only review dates are acted on and each derived risk's score is recorded for this scan."""
    review_due(session, now)
    for risk in session.scalars(
        select(Risk).where(Risk.origin == "scan", Risk.source == source, Risk.status != "closed")
    ):
        risk.last_seen = now
        _score(session, risk, now, run_id)
    session.commit()
    return _open_by_band(session, book, source, RiskCounts())


def _open_by_band(session: Session, book: RiskFile, source: str, counts: RiskCounts) -> RiskCounts:
    for likelihood, impact in session.execute(
        select(Risk.likelihood, Risk.impact).where(Risk.source == source, Risk.status != "closed")
    ):
        band = book.band(likelihood * impact)
        counts.open_by_band[band] = counts.open_by_band.get(band, 0) + 1
    return counts


def _new(session: Session, d: RiskDraft, a: AssetRiskFacts, source: str, now: datetime) -> Risk:
    risk = Risk(
        key=d.key,
        type=d.type,
        origin="scan",
        asset_id=a.id,
        source=source,
        title=d.title,
        description=d.description,
        owner=a.owner,
        likelihood=d.likelihood,
        impact=d.impact,
        controls=[],
        actions=[],
        status="open",
        evidence=d.evidence,
        first_seen=now,
        last_seen=now,
    )
    session.add(risk)
    session.flush()
    return risk


def _update(session: Session, risk: Risk, d: RiskDraft, a: AssetRiskFacts, now: datetime, run_id: int | None) -> int:
    """Refresh a stored risk from its draft; 1 when it reopened."""
    before = risk.score
    risk.title, risk.description, risk.evidence, risk.owner = d.title, d.description, d.evidence, a.owner
    risk.likelihood, risk.impact, risk.last_seen = d.likelihood, d.impact, now
    if risk.status == "closed":
        risk.status, risk.closed_at = "open", None
        _event(session, risk, now, "reopened", "the condition is back", run_id)
        return 1
    if risk.status in ("treated", "tolerated") and risk.score > (risk.decision_score or risk.score):
        risk.status = "open"
        _event(
            session,
            risk,
            now,
            "worsened",
            f"score rose from {risk.decision_score} to {risk.score} after it was {risk.treatment or 'treated'}d",
            run_id,
        )
        return 1
    if risk.score != before:
        _event(session, risk, now, "rescored", f"score {before} -> {risk.score}", run_id)
    return 0


def review_due(session: Session, now: datetime) -> int:
    """Reopen tolerated risks whose review date has passed; how many."""
    due = session.scalars(select(Risk).where(Risk.status == "tolerated", Risk.review_date < now.date())).all()
    for risk in due:
        risk.status = "open"
        _event(session, risk, now, "review-due", f"the acceptance was due for review on {risk.review_date}", None)
    return len(due)


def _score(session: Session, risk: Risk, now: datetime, run_id: int | None) -> None:
    session.add(
        RiskScore(
            risk_id=risk.id,
            at=now,
            run_id=run_id,
            likelihood=risk.likelihood,
            impact=risk.impact,
            score=risk.score,
            residual_score=risk.residual_score,
            status=risk.status,
        )
    )


def _event(
    session: Session,
    risk: Risk,
    now: datetime,
    event: str,
    reason: str | None,
    run_id: int | None,
    by: str | None = None,
) -> None:
    session.add(RiskEvent(risk_id=risk.id, at=now, event=event, by=by, reason=reason, run_id=run_id))


def event_row(e: RiskEvent) -> dict[str, Any]:
    return {"at": e.at.isoformat(timespec="seconds"), "event": e.event, "by": e.by, "reason": e.reason}
