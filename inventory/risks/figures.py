"""What the SIRO's summary shows, read from the store: headline figures, the heat map of open risks, the top
risks with trend, change since an earlier date, and breakdowns. Counts and types only, never a value."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.findings.models import Finding
from inventory.risks import register
from inventory.risks.maturity import Readout, readouts
from inventory.risks.models import Risk, RiskScore
from inventory.risks.scoring import RiskFile
from inventory.store.models import Asset, DetectionRow, FileRecord

OWNED = ("confirmed", "declared")


@dataclass
class Summary:
    now: datetime
    since: datetime
    headline: dict[str, Any]
    heat: dict[tuple[int, int], int]  # (likelihood, impact) -> open risks
    top: list[dict[str, Any]]
    change: dict[str, Any]
    services: list[dict[str, Any]]
    special_exposure: dict[str, int]
    retention: list[dict[str, Any]]
    bands: dict[str, int] = field(default_factory=dict)
    maturity: list[Readout] = field(default_factory=list)


def headline(session: Session) -> dict[str, Any]:
    assets = session.scalars(select(Asset).where(Asset.deleted_at.is_(None))).all()
    present = FileRecord.deleted_at.is_(None)
    personal_files = (
        session.scalar(
            select(func.count(func.distinct(DetectionRow.file_id)))
            .join(FileRecord, FileRecord.id == DetectionRow.file_id)
            .where(present)
        )
        or 0
    )
    special = session.execute(
        select(FileRecord.source, FileRecord.asset_key, FileRecord.special_category).where(
            present, FileRecord.special_category.is_not(None)
        )
    ).all()
    special_files = [(s, k) for s, k, cats in special if cats]
    owned = sum(a.owner_status in OWNED for a in assets)
    return {
        "assets": len(assets),
        "files": sum(a.file_count for a in assets),
        "bytes": sum(a.bytes for a in assets),
        "owned_assets": owned,
        "owned_share": owned / len(assets) if assets else 0.0,
        "personal_files": personal_files,
        "personal_assets": sum(a.personal_files > 0 for a in assets),
        "special_files": len(special_files),
        "special_assets": len(set(special_files)),
        "past_retention_files": sum(a.past_retention_files or 0 for a in assets),
        "past_retention_bytes": sum(a.past_retention_bytes or 0 for a in assets),
    }


def summarise(session: Session, book: RiskFile, now: datetime, since: datetime) -> Summary:
    current = register.listing(session, "current")
    refs = register.asset_refs(session)
    heat: dict[tuple[int, int], int] = Counter((r.likelihood, r.impact) for r in current)
    top = [register.row(session, r, book, refs, since) for r in current[:10]]
    exposure = special_exposure(session)
    bands = Counter(book.band(r.score) for r in current)
    high = sum(1 for r in current if book.band(r.score) == book.band(25))
    open_special = exposure.get("readable by all staff", 0) + exposure.get("writable by all staff", 0)
    return Summary(
        now,
        since,
        headline(session),
        dict(heat),
        top,
        change(session, book, since, current),
        services(session, current),
        exposure,
        retention(session),
        dict(bands),
        readouts(session, book, open_special, high),
    )


def change(session: Session, book: RiskFile, since: datetime, current: list[Risk]) -> dict[str, Any]:
    """Open risks then and now, by band; opened, closed, up and down since ``since`` (from the score history)."""
    latest = (
        select(RiskScore.risk_id, func.max(RiskScore.id).label("id"))
        .where(RiskScore.at <= since)
        .group_by(RiskScore.risk_id)
        .subquery()
    )
    then = session.execute(
        select(RiskScore.risk_id, RiskScore.score, RiskScore.status).join(latest, latest.c.id == RiskScore.id)
    ).all()
    then_open = {rid: score for rid, score, status in then if status != "closed"}
    up = sum(1 for r in current if r.id in then_open and r.score > then_open[r.id])
    down = sum(1 for r in current if r.id in then_open and r.score < then_open[r.id])
    opened = sum(1 for r in current if r.id not in then_open)
    closed = (
        session.scalar(select(func.count()).select_from(Risk).where(Risk.status == "closed", Risk.closed_at > since))
        or 0
    )
    return {
        "open_then": len(then_open),
        "open_now": len(current),
        "opened": opened,
        "closed": closed,
        "up": up,
        "down": down,
        "bands_then": dict(Counter(book.band(s) for s in then_open.values())),
        "bands_now": dict(Counter(book.band(r.score) for r in current)),
    }


def services(session: Session, current: list[Risk]) -> list[dict[str, Any]]:
    by_asset: dict[int, list[Risk]] = defaultdict(list)
    for r in current:
        if r.asset_id:
            by_asset[r.asset_id].append(r)
    out: dict[str, dict[str, Any]] = {}
    for a in session.scalars(select(Asset).where(Asset.deleted_at.is_(None))):
        s = out.setdefault(
            a.service or "(no service recorded)",
            {
                "service": a.service or "(no service recorded)",
                "assets": 0,
                "files": 0,
                "personal_files": 0,
                "owned": 0,
                "risks": 0,
                "high_risks": 0,
            },
        )
        s["assets"] += 1
        s["files"] += a.file_count
        s["personal_files"] += a.personal_files
        s["owned"] += a.owner_status in OWNED
        s["risks"] += len(by_asset.get(a.id, ()))
        s["high_risks"] += sum(r.score >= 12 for r in by_asset.get(a.id, ()))
    return sorted(out.values(), key=lambda s: (-s["risks"], s["service"]))


def special_exposure(session: Session) -> dict[str, int]:
    """Files with special-category data by how widely their asset is open."""
    assets = session.scalars(select(Asset).where(Asset.deleted_at.is_(None)))
    access = {(a.source, a.key): a.access or {} for a in assets}
    out: Counter[str] = Counter()
    for source, key, cats in session.execute(
        select(FileRecord.source, FileRecord.asset_key, FileRecord.special_category).where(
            FileRecord.deleted_at.is_(None), FileRecord.special_category.is_not(None)
        )
    ):
        if not cats:
            continue
        a = access.get((source, key), {})
        out[
            "writable by all staff"
            if a.get("broad_write")
            else "readable by all staff"
            if a.get("broad_read")
            else "restricted"
        ] += 1
    return dict(out)


def retention(session: Session) -> list[dict[str, Any]]:
    """Open past-retention findings by class: files and volume."""
    rows: dict[str, dict[str, Any]] = {}
    for rule, evidence in session.execute(
        select(Finding.rule, Finding.evidence).where(Finding.kind == "retention", Finding.status == "open")
    ):
        ev = evidence or {}
        r = rows.setdefault(rule, {"class": rule, "name": ev.get("class_name", rule), "files": 0, "bytes": 0})
        r["files"] += 1
        r["bytes"] += int(ev.get("size") or 0)
    return sorted(rows.values(), key=lambda r: -r["bytes"])
