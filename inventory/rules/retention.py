"""Retention: which class a file belongs to, when it falls due, and findings for files past retention
(or held from disposal). Pure: the store and the clock come in as facts and ``Context.now``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from inventory.rules.facts import Context, FileFacts, FindingDraft, file_draft
from inventory.rules.match import Check, _path_match, compiled
from inventory.rules.periods import date_in_path, parse_period
from inventory.rules.schema import Hold, RetentionClass, RetentionFile

ACTION_WORDS = {
    "destroy": "due for destruction",
    "review": "due for review",
    "transfer_to_archive": "due for transfer to the archive",
}


@dataclass(frozen=True, slots=True)
class Disposition:
    """A file's place in the schedule."""

    cls: RetentionClass
    start: datetime | None  # when the period started (None: permanent, or no date to start from)
    started_by: str  # "modified", "created", "path date 'Closed 2015'", ...
    due: datetime | None
    hold: Hold | None

    def past(self, now: datetime) -> bool:
        return self.due is not None and self.due <= now


def ordered(schedule: RetentionFile) -> tuple[RetentionClass, ...]:
    """Matching classes by priority, highest first; the default class is last."""
    return tuple(sorted((c for c in schedule.classes if c.id != schedule.default), key=lambda c: -c.priority))


Checked = tuple[tuple[RetentionClass, Check], ...]
_CHECKS: dict[int, tuple[tuple[RetentionClass, ...], Checked]] = {}  # by id, holding the order so it is not reused


def _checks(order: tuple[RetentionClass, ...]) -> Checked:
    """Each class of ``order`` with its compiled condition, looked up once per order rather than once per file and
    class (an evaluation asks every class about every file it classifies)."""
    found = _CHECKS.get(id(order))
    if found is None or found[0] is not order:
        if len(_CHECKS) > 64:  # rule books loaded again and again (a long-running service)
            _CHECKS.clear()
        checks = tuple((c, compiled(c.match) if c.match is not None else _every) for c in order)
        found = _CHECKS[id(order)] = (order, checks)
    return found[1]


def _every(f: FileFacts) -> bool:
    return True


def classify(
    schedule: RetentionFile, f: FileFacts, now: datetime, order: tuple[RetentionClass, ...] | None = None
) -> Disposition:
    cls = next((c for c, check in _checks(order or ordered(schedule)) if check(f)), None)
    if cls is None:
        cls = next(c for c in schedule.classes if c.id == schedule.default)
    start, how = _start(cls, f)
    due = parse_period(cls.period).after(start) if cls.period and start else None
    return Disposition(cls, start, how, due, hold_for(schedule, f, now))


def _start(cls: RetentionClass, f: FileFacts) -> tuple[datetime | None, str]:
    event: str = cls.trigger.event
    if event == "path_date":
        found = date_in_path(f.path, cls.trigger.patterns)
        if found:
            return found[0], f"date in path {found[1]!r}"
        event = cls.trigger.otherwise
        if event == "none":
            return None, "no date in the path"
    when = f.ctime if event == "created" else f.mtime
    return when, "created" if event == "created" else "last modified"


def hold_for(schedule: RetentionFile, f: FileFacts, now: datetime) -> Hold | None:
    today = now.date()
    for hold in schedule.holds:
        if hold.since > today or (hold.until is not None and hold.until < today):
            continue
        if f.asset in hold.assets or (hold.paths and _path_match(hold.paths, f.path)):
            return hold
    return None


def evaluate(
    schedule: RetentionFile, files: tuple[FileFacts, ...], ctx: Context, order: tuple[RetentionClass, ...] | None = None
) -> Iterator[tuple[FileFacts, Disposition, FindingDraft | None]]:
    """Each file with its disposition and, when past retention, a finding (a hold finding if held)."""
    order = order or ordered(schedule)
    for f in files:
        d = classify(schedule, f, ctx.now, order)
        yield f, d, draft(d, f, ctx.now)


def draft(d: Disposition, f: FileFacts, now: datetime) -> FindingDraft | None:
    if not d.past(now) or d.due is None or d.start is None:
        return None
    cls = d.cls
    evidence = {
        "class": cls.id,
        "class_name": cls.name,
        "category": cls.category,
        "period": cls.period,
        "trigger": d.started_by,
        "start": d.start.date().isoformat(),
        "due": d.due.date().isoformat(),
        "action": cls.action,
        "mandate": cls.mandate,
        "size": f.size,
    }
    if d.hold is not None:
        h = d.hold
        evidence.update(
            {"hold": h.id, "hold_reason": h.reason, "hold_reference": h.reference, "hold_since": h.since.isoformat()}
        )
        return file_draft(
            _HoldRule(h.id),
            f,
            f"past retention under '{cls.name}' since {d.due:%Y-%m-%d}, but "
            f"disposal is suspended by hold {h.id} ({h.reason.replace('_', ' ')})",
            evidence,
            kind="hold",
            severity="info",
        )
    return file_draft(
        cls,
        f,
        f"{ACTION_WORDS[cls.action]} since {d.due:%Y-%m-%d} under "
        f"'{cls.name}' ({cls.category}, {cls.period} from {d.started_by})",
        evidence,
        kind="retention",
        severity=cls.severity,
    )


@dataclass(frozen=True, slots=True)
class _HoldRule:
    id: str
    kind: str = "hold"
    severity: str = "info"
