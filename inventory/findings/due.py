"""When the rules must be evaluated again for a source, so a re-scan that changed nothing costs a few queries.

The findings of a source (and the register's retention columns) are a function of its files, its assets and their
owners, people's decisions about its findings, the rule files and settings, and the clock. After a full evaluation
the source keeps (on its scan run's provenance, ``"evaluation"``): a digest of the rule files, the rule settings,
the assets and the latest decision taken; the last file event the evaluation saw; and the next due date — the
earliest moment the clock alone could change a finding (a retention period ending, a legal hold starting or
ending, a file becoming stale or a bulk export too old). A later evaluation is skipped when the digest is the
same, no file of the source (of any source, while a duplicate policy is on) has an event since, and the due date
has not come. ``steward rules apply --all`` always evaluates in full.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.findings.models import Finding, FindingEvent
from inventory.rules import Rulebook
from inventory.rules.facts import AssetFacts, Context, FileFacts
from inventory.rules.periods import parse_period
from inventory.rules.retention import Disposition
from inventory.rules.schema import BulkExportPolicy, DuplicatePolicy, StalePolicy
from inventory.store.models import FileEvent, FileRecord, ScanRun

KEY = "evaluation"
SLACK = timedelta(days=1)  # due dates are taken a day early: an extra evaluation, never a missed change


@dataclass(frozen=True)
class EvalState:
    inputs: str
    last_event: int
    next_due: datetime | None


def last_decision(session: Session, source: str) -> int:
    """The latest decision a person took about a finding of ``source`` (the register counts decisions)."""
    return int(
        session.scalar(
            select(func.max(FindingEvent.id))
            .join(Finding, Finding.id == FindingEvent.finding_id)
            .where(Finding.source == source, FindingEvent.by.is_not(None))
        )
        or 0
    )


def inputs_digest(book: Rulebook, config: StewardConfig, assets: dict[str, AssetFacts], decided: int = 0) -> str:
    """Digest of everything but the files and the clock that findings and the register depend on."""
    rules = config.rules
    parts = {
        "decided": decided,
        "rules": book.digests,
        "broad": [str(g) for g in rules.broad_groups],
        "lapse": rules.decisions_lapse_on,
        "assets": [list(asdict(a).values()) for _, a in sorted(assets.items())],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def last_event(session: Session) -> int:
    return int(session.scalar(select(func.max(FileEvent.id))) or 0)


def last_state(session: Session, source: str) -> EvalState | None:
    """The state the source's last full evaluation left (on its latest scan run that holds one)."""
    for provenance in session.scalars(
        select(ScanRun.provenance).where(ScanRun.source == source).order_by(ScanRun.id.desc()).limit(20)
    ):
        found = (provenance or {}).get(KEY)
        if found:
            due = datetime.fromisoformat(found["next_due"]) if found.get("next_due") else None
            return EvalState(found["inputs"], int(found["last_event"]), due)
    return None


def save_state(session: Session, source: str, run_id: int | None, state: EvalState) -> None:
    """Keep ``state`` on run ``run_id`` (else the source's latest run); without a run nothing is kept."""
    query = select(ScanRun).where(ScanRun.source == source)
    query = query.where(ScanRun.id == run_id) if run_id is not None else query.order_by(ScanRun.id.desc())
    run = session.scalars(query.limit(1)).first()
    if run is not None:
        due = state.next_due.isoformat() if state.next_due else None
        run.provenance = {**(run.provenance or {}), KEY: {"inputs": state.inputs, "last_event": state.last_event,
                                                          "next_due": due}}  # fmt: skip


def up_to_date(session: Session, source: str, book: Rulebook, previous: EvalState | None, inputs: str,
               now: datetime) -> bool:  # fmt: skip
    """True when evaluating again could change no finding of ``source``."""
    if previous is None or previous.inputs != inputs:
        return False
    if previous.next_due is not None and now >= previous.next_due:
        return False
    changed = select(FileEvent.id).where(FileEvent.id > previous.last_event)
    if not any(isinstance(p, DuplicatePolicy) for p in book.enabled):  # copies elsewhere matter only to these
        changed = changed.join(FileRecord, FileRecord.id == FileEvent.file_id).where(FileRecord.source == source)
    return session.scalar(changed.limit(1)) is None


class DueDates:
    """Gathers the earliest moment after ``now`` at which the clock alone changes a finding."""

    def __init__(self, book: Rulebook, ctx: Context) -> None:
        self.now = ctx.now
        self.earliest: datetime | None = None
        self.aged = [
            parse_period(p.period if isinstance(p, StalePolicy) else p.older_than)
            for p in book.enabled
            if isinstance(p, StalePolicy | BulkExportPolicy)
        ]
        today = ctx.now.date()
        for hold in book.retention.holds if book.retention else ():
            for day in (hold.since, hold.until + timedelta(days=1) if hold.until else None):
                if day is not None and day > today:
                    self.add(datetime(day.year, day.month, day.day))

    def add(self, when: datetime | None) -> None:
        if when is not None and when > self.now:
            self.earliest = min(self.earliest or when, when)

    def files(self, files: tuple[FileFacts, ...]) -> None:
        for period in self.aged:
            for f in files:
                if f.mtime is not None:
                    self.add(period.after(f.mtime) - SLACK)

    def disposition(self, d: Disposition) -> None:
        if d.due is not None:
            self.add(d.due - SLACK)

    def state(self, inputs: str, event: int) -> EvalState:
        return EvalState(inputs, event, self.earliest)


__all__ = ["DueDates", "EvalState", "inputs_digest", "last_event", "last_state", "save_state", "up_to_date"]
