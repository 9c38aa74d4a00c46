"""When the rules must be evaluated again for a source, and whether over all of it, so a re-scan that changed
nothing costs a few queries and one that changed a few files evaluates a few files.

The findings of a source (and the register's retention columns) are a function of its files, its assets and their
owners, people's decisions about its findings, the rule files and settings, and the clock. After an evaluation the
source keeps (on its scan run's provenance, ``"evaluation"``): a digest of the rule files, the rule settings and
which asset each folder makes; a digest of the assets as the asset policies see them (owners, figures, folders);
the latest decision taken about one of its findings; the last file event the evaluation saw; when it ran; and the
next legal hold start or end. Each file keeps its own next due date (``files.rules_due``): the earliest moment the
clock alone could change one of its findings (its retention period ending, it becoming stale or a bulk export too
old).

- Skipped: the digests and the decision are the same, no file of the source (of any source, while a duplicate
  policy is on) has an event since, no hold date and no file's due date has come.
- Over every file (full): there is no state, the first digest changed, a hold started or ended, or the clock is
  behind the last evaluation's. ``steward rules apply --all`` always evaluates in full.
- Otherwise over the files in scope (``inventory.findings.scope``; none when only the assets or a decision
  changed) and every asset.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.findings.models import Finding, FindingEvent
from inventory.rules import Rulebook
from inventory.rules.facts import AssetFacts, FileFacts
from inventory.rules.periods import Period, parse_period
from inventory.rules.retention import Disposition
from inventory.rules.schema import BulkExportPolicy, DuplicatePolicy, StalePolicy
from inventory.store.models import FileEvent, FileRecord, ScanRun

KEY = "evaluation"
VERSION = 2  # of what the state and the files' rows hold: an older state means one full evaluation


@dataclass(frozen=True)
class EvalState:
    inputs: str
    last_event: int
    next_due: datetime | None  # the next legal hold start or end (files keep their own due dates)
    decided: int = 0  # the latest decision a person took about a finding of the source
    at: datetime | None = None  # the clock the evaluation ran at
    assets: str = ""  # ``assets_digest``
    # When the standing findings were last confirmed: the clock of the latest evaluation, run or skipped because
    # nothing it depends on had moved. A standing finding was last seen then (``seen``), so no evaluation rewrites
    # every standing finding's row to say so.
    checked: datetime | None = None


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


def inputs_digest(book: Rulebook, config: StewardConfig, assets: dict[str, AssetFacts]) -> str:
    """Digest of what every file's findings depend on besides the file itself and the clock: the rule files and
    settings, and which asset each folder makes."""
    rules = config.rules
    parts = {
        "version": VERSION,
        "rules": book.digests,
        "broad": [str(g) for g in rules.broad_groups],
        "lapse": rules.decisions_lapse_on,
        "assets": sorted((key, a.id) for key, a in assets.items()),
    }
    return _digest(parts)


def assets_digest(assets: dict[str, AssetFacts]) -> str:
    """Digest of the assets as the asset policies see them (owners, figures, folders): evaluated again when it
    moves, with no file."""
    return _digest([list(asdict(a).values()) for _, a in sorted(assets.items())])


def _digest(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def last_event(session: Session) -> int:
    return int(session.scalar(select(func.max(FileEvent.id))) or 0)


def last_state(session: Session, source: str) -> EvalState | None:
    """The state the source's last evaluation left (on its latest scan run that holds one)."""
    for provenance in session.scalars(
        select(ScanRun.provenance).where(ScanRun.source == source).order_by(ScanRun.id.desc()).limit(20)
    ):
        found = (provenance or {}).get(KEY)
        if found:
            try:
                return EvalState(
                    str(found["inputs"]),
                    int(found["last_event"]),
                    _when(found.get("next_due")),
                    int(found.get("decided", -1)),
                    _when(found.get("at")),
                    str(found.get("assets", "")),
                    _when(found.get("checked")) or _when(found.get("at")),
                )
            except (KeyError, TypeError, ValueError):
                return None
    return None


def checked_at(session: Session, source: str) -> datetime | None:
    """When the standing findings of ``source`` were last confirmed (None before its first evaluation)."""
    state = last_state(session, source)
    return state.checked if state else None


def seen(last_seen: datetime, status: str, checked: datetime | None) -> datetime:
    """When a finding was last seen: a standing one (open, dismissed, accepted) at the source's latest check, a
    resolved one when it last held (its row keeps that)."""
    return max(last_seen, checked) if checked is not None and status != "resolved" else last_seen


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def save_state(session: Session, source: str, run_id: int | None, state: EvalState) -> None:
    """Keep ``state`` on run ``run_id`` (else the source's latest run); without a run nothing is kept."""
    query = select(ScanRun).where(ScanRun.source == source)
    query = query.where(ScanRun.id == run_id) if run_id is not None else query.order_by(ScanRun.id.desc())
    run = session.scalars(query.limit(1)).first()
    if run is not None:
        kept = {
            **asdict(state),
            "next_due": _iso(state.next_due),
            "at": _iso(state.at),
            "checked": _iso(state.checked or state.at),
        }
        run.provenance = {**(run.provenance or {}), KEY: kept}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def needs_full(previous: EvalState | None, inputs: str, now: datetime) -> bool:
    """True when every file of the source must be evaluated again (not only those in scope)."""
    return (
        previous is None
        or previous.inputs != inputs
        or (previous.next_due is not None and now >= previous.next_due)
        or (previous.at is not None and now < previous.at)
    )


def up_to_date(session: Session, source: str, book: Rulebook, previous: EvalState | None, current: EvalState,
               now: datetime) -> bool:  # fmt: skip
    """True when evaluating again could change no finding of ``source``, nor the register (``current``: the
    inputs, assets and decision as they are now)."""
    if previous is None or needs_full(previous, current.inputs, now):
        return False
    if (previous.assets, previous.decided) != (current.assets, current.decided):
        return False
    if session.scalar(select(FileRecord.id).where(*due_files(source, now)).limit(1)) is not None:
        return False
    changed = select(FileEvent.id).where(FileEvent.id > previous.last_event)
    if not any(isinstance(p, DuplicatePolicy) for p in book.enabled):  # copies elsewhere matter only to these
        changed = changed.join(FileRecord, FileRecord.id == FileEvent.file_id).where(FileRecord.source == source)
    return session.scalar(changed.limit(1)) is None


def due_files(source: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions of the present files of ``source`` whose due date has come (``ix_files_source_rules_due``)."""
    return FileRecord.source == source, FileRecord.rules_due <= now, FileRecord.deleted_at.is_(None)


def next_hold_date(book: Rulebook, now: datetime) -> datetime | None:
    """The next start or end of a legal hold: the whole source is evaluated again then."""
    today, out = now.date(), None
    for hold in book.retention.holds if book.retention else ():
        for day in (hold.since, hold.until + timedelta(days=1) if hold.until else None):
            if day is not None and day > today:
                when = datetime(day.year, day.month, day.day)
                out = min(out or when, when)
    return out


class FileDue:
    """A file's next due date: the earliest moment after ``now`` at which the clock alone changes its findings."""

    def __init__(self, book: Rulebook, now: datetime) -> None:
        self.now = now
        periods = [
            parse_period(p.period if isinstance(p, StalePolicy) else p.older_than)
            for p in book.enabled
            if isinstance(p, StalePolicy | BulkExportPolicy)
        ]
        self.aged: list[tuple[Period, datetime]] = [(p, p.before(now)) for p in set(periods)]

    def of(self, f: FileFacts, d: Disposition | None) -> datetime | None:
        out = d.due if d is not None and d.due is not None and d.due > self.now else None
        if f.mtime is not None:
            for period, cutoff in self.aged:
                if f.mtime > cutoff:  # not old enough yet; it is at the earliest once the period has passed
                    when = period.after(f.mtime)  # (kept when already past: evaluated until it is old enough)
                    out = when if out is None else min(out, when)
        return out


__all__ = [
    "EvalState",
    "FileDue",
    "assets_digest",
    "checked_at",
    "due_files",
    "inputs_digest",
    "last_decision",
    "last_event",
    "last_state",
    "needs_full",
    "next_hold_date",
    "save_state",
    "seen",
    "up_to_date",
]
