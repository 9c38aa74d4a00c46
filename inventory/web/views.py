"""What the pages and the API show, assembled once for both: the "My assets" queue and an asset's review.
Only what the store holds is shown, and the store holds no raw value: types, counts, masked examples, locators."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from inventory.findings import due
from inventory.findings.models import Finding
from inventory.findings.queries import SEVERITY_ORDER, finding_row
from inventory.owners.models import AssetOwnership, OwnerDecision
from inventory.register.formats import format_name
from inventory.register.queries import iar_row
from inventory.risks import register
from inventory.risks.models import Risk
from inventory.store.models import Asset, DetectionRow, FileRecord
from inventory.web import audit, scope
from inventory.web.actions import approved_findings, disposal_list
from inventory.web.models import Comment, DisposalApproval
from inventory.web.scope import Viewer
from scanner.names import shown

SEVERITIES = ("critical", "high", "medium", "low", "info")
REVIEW_SOON = timedelta(days=30)  # a review date this close counts as due
PAGE = 50  # rows per page of an asset's files, findings and disposal list


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


def risk_row(r: Risk, today: date) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "type": r.type,
        "status": r.status,
        "owner": r.owner,
        "asset_id": r.asset_id,
        "likelihood": r.likelihood,
        "impact": r.impact,
        "score": r.score,
        "residual_score": r.residual_score,
        "treatment": r.treatment,
        "reason": r.reason,
        "review_date": _iso(r.review_date),
        "decided_by": r.decided_by,
        # due: a review date within REVIEW_SOON or past; to decide: open with no treatment decided yet
        "review_due": r.status != "closed" and r.review_date is not None and r.review_date <= today + REVIEW_SOON,
        "to_decide": r.status == "open" and r.review_date is None,
        "evidence": r.evidence,
    }


def risks_for(db: Session, viewer: Viewer, today: date) -> list[dict[str, Any]]:
    """Current risks the viewer may see (all for the SIRO; an IAO's assets' otherwise), highest score first."""

    mine = None if viewer.sees_everything else scope.visible_asset_ids(db, viewer)
    return [risk_row(r, today) for r in register.listing(db, "current") if mine is None or r.asset_id in mine]


def queue(db: Session, viewer: Viewer, today: date) -> list[dict[str, Any]]:
    """The viewer's assets, most urgent first: ownership proposed to them, open findings by severity, risks due
    for review (a review date within 30 days or past) or still to decide (open, no treatment yet)."""
    assets = scope.visible_assets(db, viewer)
    ids = [a.id for a in assets]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    for aid, severity, n in db.execute(
        select(Finding.asset_id, Finding.severity, func.count())
        .where(Finding.asset_id.in_(ids), Finding.status == "open")
        .group_by(Finding.asset_id, Finding.severity)
    ):
        if aid is not None:
            counts[aid][severity] = n
    due: dict[int, int] = dict.fromkeys(ids, 0)
    undecided: dict[int, int] = dict.fromkeys(ids, 0)
    for r in db.scalars(select(Risk).where(Risk.asset_id.in_(ids), Risk.status != "closed")):
        row = risk_row(r, today)
        if row["review_due"]:
            due[r.asset_id or 0] = due.get(r.asset_id or 0, 0) + 1
        if row["to_decide"]:
            undecided[r.asset_id or 0] = undecided.get(r.asset_id or 0, 0) + 1
    ownership = {o.asset_id: o for o in db.scalars(select(AssetOwnership).where(AssetOwnership.asset_id.in_(ids)))}
    rows: list[dict[str, Any]] = []
    for a in assets:
        proposed = scope.is_proposed_to(ownership.get(a.id), a, viewer) or (
            viewer.sees_everything and a.owner_status in ("proposed", "none", None)
        )
        c = counts[a.id]
        rows.append(
            {
                "id": a.id,
                "name": a.name,
                "source": a.source,
                "location": a.location,
                "owner": a.owner,
                "owner_status": a.owner_status,
                "ownership_to_review": proposed,
                "findings": {s: c.get(s, 0) for s in SEVERITIES},
                "open_findings": sum(c.values()),
                "risks_due": due[a.id],
                "risks_to_decide": undecided[a.id],
                "personal_files": a.personal_files,
                "past_retention_files": a.past_retention_files or 0,
            }
        )
    rows.sort(
        key=lambda r: (
            not r["ownership_to_review"],
            *(-r["findings"][s] for s in SEVERITIES[:3]),
            -r["risks_due"] - r["risks_to_decide"],
            *(-r["findings"][s] for s in SEVERITIES[3:]),
            r["name"],
        )
    )
    return rows


def personal_files(db: Session, a: Asset, page: int = 1) -> list[dict[str, Any]]:
    """One page of the asset's files holding personal data, most occurrences first."""
    total = func.sum(DetectionRow.count)
    top = db.execute(
        select(DetectionRow.file_id, total)
        .join(FileRecord, FileRecord.id == DetectionRow.file_id)
        .where(FileRecord.source == a.source, FileRecord.asset_key == a.key, FileRecord.deleted_at.is_(None))
        .group_by(DetectionRow.file_id)
        .order_by(total.desc(), DetectionRow.file_id)
        .offset((page - 1) * PAGE)
        .limit(PAGE)
    )
    ids = [fid for fid, _ in top]
    files = list(
        db.scalars(select(FileRecord).where(FileRecord.id.in_(ids)).options(selectinload(FileRecord.detections)))
    )
    files.sort(key=lambda f: (-sum(d.count for d in f.detections), f.path))
    return [
        {
            "id": f.id,
            "path": shown(f.path),
            "mime": f.mime,
            "format": format_name(f.mime),
            "special_category": f.special_category or [],
            "marking": f.marking,
            "modified": _iso(f.mtime),
            "detections": [
                {
                    "entity": d.entity,
                    "count": d.count,
                    "example": d.example,
                    "locators": list(d.locators[:5]),
                    "validated": d.validated,
                    "score": round(d.best_score, 2),
                }
                for d in sorted(f.detections, key=lambda d: (-d.count, d.entity))
            ],
        }
        for f in files
    ]


def ownership_view(db: Session, a: Asset, viewer: Viewer) -> dict[str, Any]:
    row = db.get(AssetOwnership, a.id)
    decisions = db.scalars(select(OwnerDecision).where(OwnerDecision.asset_id == a.id).order_by(OwnerDecision.id))
    return {
        "owner": a.owner,
        "status": a.owner_status,
        "confidence": a.owner_confidence,
        "owner_key": row.owner_key if row else None,
        "owner_email": row.owner_email if row else None,
        "evidence": list(row.evidence) if row else [],
        "notes": list(row.notes) if row else [],
        "candidates": [
            {
                "key": c["key"],
                "name": c["name"],
                "confidence": c["confidence"],
                "evidence": c["evidence"],
                "enabled": c["enabled"],
            }
            for c in (row.candidates if row else [])
        ],
        "proposed_to_me": scope.is_proposed_to(row, a, viewer),
        "decisions": [
            {
                "at": _iso(d.at),
                "action": d.action,
                "person": d.person_name,
                "by": d.by,
                "reason": d.reason,
                "reverted": d.reverted_at is not None,
            }
            for d in decisions
        ],
    }


def approvals(db: Session, asset_id: int) -> list[DisposalApproval]:
    return list(
        db.scalars(
            select(DisposalApproval).where(DisposalApproval.asset_id == asset_id).order_by(DisposalApproval.id.desc())
        )
    )


def pages(total: int, page: int) -> dict[str, int]:
    """Where a page of PAGE rows stands: its number, the last page, the first and last row shown."""
    last = max(1, -(-total // PAGE))
    page = min(max(1, page), last)
    return {"page": page, "last": last, "first": (page - 1) * PAGE + 1 if total else 0, "to": min(page * PAGE, total)}


def asset_view(
    db: Session, a: Asset, viewer: Viewer, today: date, page: dict[str, int] | None = None
) -> dict[str, Any]:
    """An asset's review page; ``page`` says which page of its files, findings and disposal list to show."""
    page = page or {}
    by_status = dict(
        db.execute(select(Finding.status, func.count()).where(Finding.asset_id == a.id).group_by(Finding.status)).all()
    )
    severity = case(SEVERITY_ORDER, value=Finding.severity, else_=9)
    findings_at = pages(sum(by_status.values()), page.get("findings", 1))
    checked = due.checked_at(db, a.source)
    findings = [
        finding_row(f, a, checked)
        for f in db.scalars(
            select(Finding)
            .where(Finding.asset_id == a.id)
            .order_by(case((Finding.status == "open", 0), else_=1), severity, Finding.id)
            .offset(findings_at["first"] - 1 if findings_at["first"] else 0)
            .limit(PAGE)
        )
    ]
    files_at = pages(a.personal_files or 0, page.get("files", 1))
    disposal = disposal_list(db, a.id)
    disposal_at = pages(len(disposal), page.get("disposal", 1))
    approved = approved_findings(db, a.id)
    for row in disposal:
        row["approved"] = row["finding"] in approved
    risks = db.scalars(select(Risk).where(Risk.asset_id == a.id, Risk.status != "closed"))
    comments = db.scalars(select(Comment).where(Comment.asset_id == a.id).order_by(Comment.id))
    return {
        "asset": iar_row(a),
        "ownership": ownership_view(db, a, viewer),
        "personal_files": personal_files(db, a, files_at["page"]),
        "files_page": files_at,
        "findings": findings,
        "findings_page": findings_at,
        "findings_total": sum(by_status.values()),
        "open_findings": by_status.get("open", 0),
        "risks": sorted((risk_row(r, today) for r in risks), key=lambda r: (-r["score"], r["id"])),
        "disposal": disposal[(disposal_at["page"] - 1) * PAGE : disposal_at["page"] * PAGE],
        "disposal_page": disposal_at,
        "disposal_total": len(disposal),
        "disposal_bytes": sum(r["size"] or 0 for r in disposal),
        "disposal_awaiting_approval": sum(not r["approved"] for r in disposal),
        "approvals": [
            {"id": p.id, "by": p.by, "at": _iso(p.at), "reason": p.reason, "files": p.files, "bytes": p.bytes}
            for p in approvals(db, a.id)
        ],
        "comments": [{"id": c.id, "by": c.by, "at": _iso(c.at), "text": c.text} for c in comments],
        "history": [audit.row(e) for e in audit.entries(db, asset_id=a.id, limit=50)],
    }
