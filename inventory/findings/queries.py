"""The read side of findings: filtered lists, one finding with its history, and the disposal list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from inventory.findings import due
from inventory.findings.models import STATUSES, Finding, FindingEvent
from inventory.register.names import asset_label
from inventory.store.models import Asset, FileRecord
from scanner.errors import StewardError
from scanner.names import shown

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
FINDING_COLUMNS = (
    "id",
    "rule",
    "kind",
    "severity",
    "status",
    "source",
    "asset",
    "asset_id",
    "path",
    "message",
    "first_seen",
    "last_seen",
    "decided_by",
    "decided_at",
    "decision_reason",
)
DISPOSAL_COLUMNS = (
    "finding",
    "source",
    "asset",
    "owner",
    "path",
    "size",
    "modified",
    "class",
    "class_name",
    "category",
    "trigger",
    "start",
    "due",
    "action",
    "mandate",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _assets(session: Session) -> dict[int, Asset]:
    return {a.id: a for a in session.scalars(select(Asset))}


def get_finding(session: Session, ref: str) -> Finding:
    found = session.get(Finding, int(ref)) if ref.isdigit() else None
    if found is None:
        raise StewardError(f"no finding {ref!r}; `steward findings` lists them")
    return found


def find_findings(
    session: Session,
    rule: str | None = None,
    asset_id: int | None = None,
    status: str | None = "open",
    kind: str | None = None,
) -> list[dict[str, Any]]:
    query = select(Finding)
    if rule:
        query = query.where(Finding.rule == rule)
    if asset_id is not None:
        query = query.where(Finding.asset_id == asset_id)
    if status and status != "all":
        if status not in STATUSES:
            raise StewardError(f"no status {status!r} (use {', '.join(STATUSES)} or all)")
        query = query.where(Finding.status == status)
    if kind:
        query = query.where(Finding.kind == kind)
    assets, checked = _assets(session), Checked(session)
    rows = [
        finding_row(f, assets.get(f.asset_id or 0), checked(f.source))
        for f in session.scalars(query.order_by(Finding.id))
    ]
    rows.sort(key=lambda r: (SEVERITY_ORDER.get(r["severity"], 9), r["rule"], r["id"]))
    return rows


class Checked:
    """When each source's standing findings were last confirmed (``due.checked_at``), looked up once per source."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[str, datetime | None] = {}

    def __call__(self, source: str) -> datetime | None:
        if source not in self.known:
            self.known[source] = due.checked_at(self.session, source)
        return self.known[source]


def finding_row(f: Finding, asset: Asset | None, checked: datetime | None = None) -> dict[str, Any]:
    """A finding as people see it; ``checked``: when its source's standing findings were last confirmed."""
    return {
        "id": f.id,
        "rule": f.rule,
        "kind": f.kind,
        "severity": f.severity,
        "status": f.status,
        "source": f.source,
        "asset": asset_label(asset.source, asset.key) if asset else None,
        "asset_name": asset.name if asset else None,
        "asset_id": f.asset_id,
        "subject": f.subject,
        "path": shown(f.path) if f.subject == "file" and f.path is not None else None,
        "message": f.message,
        "evidence": f.evidence,
        "first_seen": _iso(f.first_seen),
        "last_seen": _iso(due.seen(f.last_seen, f.status, checked)),
        "resolved_at": _iso(f.resolved_at),
        "decided_by": f.decided_by,
        "decided_at": _iso(f.decided_at),
        "decision_reason": f.decision_reason,
        "verdict": f.verdict,
    }


def history(session: Session, finding: Finding) -> list[dict[str, Any]]:
    events = session.scalars(
        select(FindingEvent).where(FindingEvent.finding_id == finding.id).order_by(FindingEvent.at, FindingEvent.id)
    )
    return [{"at": _iso(e.at), "event": e.event, "by": e.by, "reason": e.reason} for e in events]


def awaiting_disposal() -> tuple[ColumnElement[bool], ...]:
    """The open past-retention findings of files still present (held, dismissed and accepted ones excluded), joined
    to their files: what the disposal list shows and the register's past-retention figures count, so they agree."""
    return (
        Finding.kind == "retention",
        Finding.status == "open",
        Finding.subject == "file",
        FileRecord.deleted_at.is_(None),
    )


def disposal_rows(session: Session, asset_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Open past-retention findings (held, dismissed and accepted ones excluded), oldest due date first; of one
    asset, or all."""
    assets = _assets(session)
    query = (
        select(Finding, FileRecord.size, FileRecord.mtime)
        .join(FileRecord, FileRecord.id == Finding.subject_id)
        .where(*awaiting_disposal())
    )
    if asset_id is not None:
        query = query.where(Finding.asset_id == asset_id)
    rows = list(session.execute(query).all())
    rows.sort(key=lambda r: (r[0].evidence.get("due", ""), r[0].source, r[0].path or ""))
    for f, size, mtime in rows:
        ev, asset = f.evidence, assets.get(f.asset_id or 0)
        yield {
            "finding": f.id,
            "source": f.source,
            "asset": asset.name if asset else None,
            "owner": asset.owner if asset else None,
            "path": shown(f.path) if f.path is not None else None,
            "size": size,
            "modified": _iso(mtime),
            "class": ev.get("class"),
            "class_name": ev.get("class_name"),
            "category": ev.get("category"),
            "trigger": ev.get("trigger"),
            "start": ev.get("start"),
            "due": ev.get("due"),
            "action": ev.get("action"),
            "mandate": ev.get("mandate"),
        }
