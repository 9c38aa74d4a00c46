"""What the steps after a walk last worked from, so that a re-scan in which nothing changed skips them.

After a complete walk a scan rolls the files up into assets, refreshes ownership and access, evaluates the rules
and syncs the risk register. Each is a function of the store and the clock; a re-scan that found every file as it
was would recompute the same rows from 100,000 files. So the scan keeps, on its run's provenance (``"settled"``),
the last file event the steps saw and a digest of each step's other inputs, and the next scan repeats a step only
when one of them moved:

- roll-up: a file of the source has an event since (added, changed, moved, deleted, restored, access), or files
  were given new asset keys;
- ownership: that, or the directory as read, the owner and asset settings, a person's decision about an owner, an
  asset root folder's owner or permissions, or a file crossing the "recent changes" boundary since the last
  refresh (its inference weighs recent changes double);
- risks: that, or the rule evaluation ran, a finding's status was decided, an asset's owner or figures changed,
  the risk rules changed, or the day changed while a retention finding is open (its evidence counts days).

Like the rule evaluation's own state (``inventory.findings.due``), a missing or unreadable state means "run".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.findings.due import EvalState
from inventory.findings.models import Finding, FindingEvent
from inventory.owners.models import FolderRecord, OwnerDecision
from inventory.owners.refresh import DirectoryState
from inventory.risks.scoring import RiskFile
from inventory.store.models import Asset, FileEvent, FileRecord, ScanRun

KEY = "settled"


@dataclass(frozen=True)
class Settled:
    last_event: int  # the newest file event (of any source) when the steps last ran
    owners: str  # digest of ownership's inputs other than the files and the clock
    owners_at: datetime  # the clock ownership was last computed at
    risks: str  # digest of the risk register's inputs


def _digest(parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def last(session: Session, source: str) -> Settled | None:
    """The state the source's last complete walk left (on its latest scan run that holds one)."""
    for provenance in session.scalars(
        select(ScanRun.provenance).where(ScanRun.source == source).order_by(ScanRun.id.desc()).limit(20)
    ):
        found = (provenance or {}).get(KEY)
        if found:
            try:
                at = datetime.fromisoformat(found["owners_at"])
                return Settled(int(found["last_event"]), str(found["owners"]), at, str(found["risks"]))
            except (KeyError, TypeError, ValueError):
                return None
    return None


def save(run: ScanRun, state: Settled) -> None:
    run.provenance = {**(run.provenance or {}), KEY: {**asdict(state), "owners_at": state.owners_at.isoformat()}}


def last_event(session: Session) -> int:
    return int(session.scalar(select(func.max(FileEvent.id))) or 0)


def files_changed(session: Session, source: str, since: int) -> bool:
    """True when a file of ``source`` has an event newer than ``since``."""
    changed = (
        select(FileEvent.id)
        .join(FileRecord, FileRecord.id == FileEvent.file_id)
        .where(FileEvent.id > since, FileRecord.source == source)
        .limit(1)
    )
    return session.scalar(changed) is not None


def owner_inputs(session: Session, config: StewardConfig, source: str, state: DirectoryState) -> str:
    """Digest of what ownership depends on besides the files and the clock."""
    directory = state.directory
    roots = select(Asset.key).where(Asset.source == source, Asset.deleted_at.is_(None))
    folders = session.execute(
        select(
            FolderRecord.path,
            FolderRecord.owner,
            FolderRecord.uid,
            FolderRecord.gid,
            FolderRecord.mode,
            FolderRecord.acl,
        )
        .where(FolderRecord.source == source, FolderRecord.path.in_(roots))
        .order_by(FolderRecord.path)
    ).all()
    assets = session.execute(
        select(Asset.id, Asset.key, Asset.name).where(Asset.source == source, Asset.deleted_at.is_(None))
    ).all()
    return _digest(
        {
            "people": sorted(repr(p) for p in directory.people.values()),
            "groups": sorted(repr(g) for g in directory.membership.groups.values()),
            "problem": [state.problem, state.degraded, state.remembered_at],
            "owners": config.owners.model_dump(mode="json"),
            "broad": [str(g) for g in config.rules.broad_groups],
            "services": config.assets.services,
            "decided": session.scalar(select(func.max(OwnerDecision.id))) or 0,
            "folders": [list(f) for f in folders],
            "assets": [list(a) for a in assets],
        }
    )


def recency_moved(session: Session, config: StewardConfig, source: str, since: datetime, now: datetime) -> bool:
    """True when a file of ``source`` stopped counting as a recent change between ``since`` and ``now``."""
    window = timedelta(days=config.owners.recent_days)
    crossed = (
        select(FileRecord.id)
        .where(
            FileRecord.source == source,
            FileRecord.deleted_at.is_(None),
            FileRecord.mtime >= since - window,
            FileRecord.mtime < now - window,
        )
        .limit(1)
    )
    return since > now or session.scalar(crossed) is not None


def risk_inputs(session: Session, book: RiskFile, source: str, evaluation: EvalState | None, now: datetime) -> str:
    """Digest of what the source's derived risks depend on: its findings as last evaluated and decided, its
    assets' owners and figures, the risk rules, and the day while an open retention finding counts days. When
    the findings were last confirmed to stand (``checked``, every scan) is not among them."""
    evaluation = replace(evaluation, checked=None) if evaluation is not None else None
    assets = session.execute(
        select(
            Asset.id,
            Asset.owner,
            Asset.owner_status,
            Asset.file_count,
            Asset.personal_files,
            Asset.bytes,
            Asset.entities,
            Asset.deleted_at,
        )
        .where(Asset.source == source)
        .order_by(Asset.id)
    ).all()
    decided = session.scalar(
        select(func.max(FindingEvent.id))
        .join(Finding, Finding.id == FindingEvent.finding_id)
        .where(Finding.source == source)
    )
    dated = session.scalar(
        select(Finding.id)
        .where(Finding.source == source, Finding.status == "open", Finding.kind == "retention")
        .limit(1)
    )
    return _digest(
        {
            "evaluation": evaluation,
            "decided": decided or 0,
            "assets": [list(a) for a in assets],
            "rules": book.model_dump(mode="json"),
            "day": now.date().isoformat() if dated is not None else None,
        }
    )


__all__ = ["Settled", "files_changed", "last", "last_event", "owner_inputs", "recency_moved", "risk_inputs", "save"]
