"""Turns finding drafts into stored findings, keeping human decisions.

A finding is keyed by (rule, subject, subject id). On every evaluation: a new draft opens a finding; a draft
for a resolved finding reopens it (or restores its decision, if the subject has not changed since); a draft
for a dismissed or accepted finding whose subject changed materially lapses the decision (the finding is open
again); a stored finding with no draft resolves. Every transition is written to ``finding_events``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, case, insert, literal, select, update
from sqlalchemy.orm import Session

from inventory.findings.models import DECISIONS, Finding, FindingEvent
from inventory.rules.facts import FindingDraft
from inventory.store.bulk import insert_many

log = logging.getLogger(__name__)
BATCH = 1000


class _Stored(NamedTuple):
    id: int
    status: str
    message: str
    severity: str
    path: str | None
    fingerprint: str | None
    decision: str | None
    decision_fingerprint: str | None


@dataclass
class SyncCounts:
    new: int = 0
    reopened: int = 0
    lapsed: int = 0
    resolved: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class FindingSync:
    """Syncs the findings of one source, batch by batch, then resolves what was not seen (``finish``). With
    ``files`` only the findings of those files and of the assets are looked at: the drafts must then be those of
    exactly these files, and every other finding of the source stands."""

    session: Session
    source: str
    now: datetime
    run_id: int | None = None
    lapse_on: str = "content"
    files: Collection[int] | None = None  # only the findings of these files (and every asset finding); None: all
    checked: datetime | None = None  # the previous evaluation's check: when the findings standing then held last
    counts: SyncCounts = field(default_factory=SyncCounts)

    def __post_init__(self) -> None:
        columns = select(
            Finding.rule, Finding.subject, Finding.subject_id, *(getattr(Finding, f) for f in _Stored._fields)
        ).where(Finding.source == self.source)
        if self.files is None:
            rows = list(self.session.execute(columns))
        else:  # every asset finding, and the findings of these files
            rows = list(self.session.execute(columns.where(Finding.subject == "asset")))
            ids = sorted(self.files)
            for i in range(0, len(ids), BATCH):
                chunk = columns.where(Finding.subject == "file", Finding.subject_id.in_(ids[i : i + BATCH]))
                rows.extend(self.session.execute(chunk))
        self.stored = {(r[0], r[1], r[2]): _Stored(*r[3:]) for r in rows}
        self.seen: set[tuple[str, str, int]] = set()

    def add(self, drafts: Iterable[FindingDraft]) -> None:
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for d in drafts:
            key = d.key
            if key in self.seen:
                continue
            self.seen.add(key)
            old = self.stored.get(key)
            if old is None:
                new.append(self._row(d))
                continue
            status = self._status(old, d, events)
            if (status, d.message, d.severity, d.path, d.fingerprint) != (
                old.status,
                old.message,
                old.severity,
                old.path,
                old.fingerprint,
            ):
                changed.append(
                    {
                        "fid": old.id,
                        "status": status,
                        "message": d.message,
                        "severity": d.severity,
                        "path": d.path,
                        "evidence": d.evidence,
                        "fingerprint": d.fingerprint,
                        "kind": d.kind,
                        "asset_id": d.asset_id,
                        "last_seen": self.now,
                        "resolved_at": None,
                    }
                )
        self._write(new, changed, events)

    def _status(self, old: _Stored, d: FindingDraft, events: list[dict[str, Any]]) -> str:
        unchanged = self.lapse_on == "never" or old.decision_fingerprint == d.fingerprint
        if old.status == "resolved":
            status = old.decision if old.decision and unchanged else "open"
            self.counts.reopened += 1
            events.append(
                self._event(
                    old.id,
                    "reopened",
                    "the condition is back"
                    + (f"; the {old.decision} decision still applies" if status != "open" else ""),
                )
            )
            return status
        if old.status in DECISIONS and not unchanged:
            self.counts.lapsed += 1
            events.append(self._event(old.id, "lapsed", f"the {d.subject} changed after it was {old.status}"))
            return "open"
        return old.status

    def _row(self, d: FindingDraft) -> dict[str, Any]:
        self.counts.new += 1
        return {
            "rule": d.rule,
            "kind": d.kind,
            "severity": d.severity,
            "source": self.source,
            "subject": d.subject,
            "subject_id": d.key[2],
            "asset_id": d.asset_id,
            "path": d.path,
            "message": d.message,
            "evidence": d.evidence,
            "fingerprint": d.fingerprint,
            "status": "open",
            "first_seen": self.now,
            "last_seen": self.now,
        }

    def _event(self, fid: int, event: str, reason: str | None) -> dict[str, Any]:
        return {"finding_id": fid, "at": self.now, "event": event, "by": None, "reason": reason, "run_id": self.run_id}

    def _write(self, new: list[dict[str, Any]], changed: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        conn = self.session.connection()
        insert_many(conn, cast(Table, Finding.__table__), new)  # PostgreSQL's COPY for the first evaluation's many
        if changed:
            table = cast(Table, Finding.__table__)
            conn.execute(
                table.update()
                .where(table.c.id == bindparam("fid"))
                .values({k: bindparam(k) for k in changed[0] if k != "fid"}),
                changed,
            )
        if events:
            conn.execute(insert(FindingEvent), events)

    def finish(self) -> SyncCounts:
        """Resolve stored findings with no draft this time; record 'opened' events for the new ones."""
        gone = [s.id for k, s in self.stored.items() if k not in self.seen and s.status != "resolved"]
        conn = self.session.connection()
        # A standing finding's row is not rewritten to say it still stands (``due.seen``): one that resolves now
        # was last seen at the previous check.
        values: dict[str, Any] = {"status": "resolved", "resolved_at": self.now}
        if self.checked is not None:
            values["last_seen"] = case((Finding.last_seen < self.checked, self.checked), else_=Finding.last_seen)
        for i in range(0, len(gone), BATCH):
            ids = gone[i : i + BATCH]
            conn.execute(update(Finding).where(Finding.id.in_(ids)).values(values))
            conn.execute(
                insert(FindingEvent), [self._event(f, "resolved", "the condition no longer holds") for f in ids]
            )
        self.counts.resolved = len(gone)
        conn.execute(
            insert(FindingEvent).from_select(
                ["finding_id", "at", "event", "run_id"],
                select(Finding.id, literal(self.now), literal("opened"), literal(self.run_id)).where(
                    Finding.source == self.source, Finding.first_seen == self.now
                ),
            )
        )
        return self.counts


def decide(
    session: Session, finding: Finding, decision: str, by: str, reason: str, now: datetime, verdict: str | None = None
) -> None:
    """Record a person's dismissal or acceptance of a finding (kept until its subject changes); a dismissal may
    say why the match is wrong (verdict ``false_positive`` or ``test_data``)."""
    finding.status, finding.decision, finding.verdict = decision, decision, verdict
    finding.decided_by, finding.decided_at, finding.decision_reason = by, now, reason
    finding.decision_fingerprint = finding.fingerprint
    session.add(FindingEvent(finding_id=finding.id, at=now, event=decision, by=by, reason=reason))
    session.commit()


def confirm(session: Session, finding: Finding, by: str, reason: str, now: datetime) -> None:
    """Record that a reviewer confirmed an open finding as a true match: it stays open until it is dealt with."""
    finding.verdict, finding.decided_by, finding.decided_at, finding.decision_reason = "confirmed", by, now, reason
    session.add(FindingEvent(finding_id=finding.id, at=now, event="confirmed", by=by, reason=reason))
    session.commit()
