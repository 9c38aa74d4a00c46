"""The audit log: every decision, sign-in and account change, with who, when, what and why."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.register.export import safe_cell
from inventory.web.models import AuditEntry

COLUMNS = ("id", "at", "actor", "role", "action", "subject", "subject_id", "asset_id", "reason", "detail", "ip")


def record(
    db: Session,
    now: datetime,
    actor: str,
    role: str | None,
    action: str,
    *,
    subject: str | None = None,
    subject_id: int | None = None,
    asset_id: int | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now,
        actor=actor,
        role=role,
        action=action,
        subject=subject,
        subject_id=subject_id,
        asset_id=asset_id,
        reason=reason,
        detail=detail or {},
        ip=ip,
    )
    db.add(entry)
    return entry


def entries(
    db: Session,
    asset_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if asset_id is not None:
        query = query.where(AuditEntry.asset_id == asset_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if limit:
        query = query.limit(limit)
    return list(db.scalars(query))


def row(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat(timespec="seconds") + "Z",
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "subject": e.subject,
        "subject_id": e.subject_id,
        "asset_id": e.asset_id,
        "reason": e.reason,
        "detail": e.detail,
        "ip": e.ip,
    }


def to_csv(items: Iterable[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    for e in items:
        r = row(e)
        r["detail"] = "; ".join(f"{k}={v}" for k, v in sorted(e.detail.items()))
        writer.writerow({k: safe_cell(v) for k, v in r.items()})
    return out.getvalue()
