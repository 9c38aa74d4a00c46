"""Risk kinds: pure functions from one asset's frozen facts (its open findings, its register figures) to a risk
draft, or nothing. The store is read by ``inventory.risks.sync``; the clock is ``now``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from inventory.register.names import asset_label
from inventory.risks.scoring import Evidence, RiskFile, score

IDENTIFIERS = (
    "UK_NHS",
    "UK_NINO",
    "EMAIL_ADDRESS",
    "PERSON",
    "PHONE_NUMBER",
    "UK_POSTCODE",
    "UK_DRIVING_LICENCE",
    "UK_PASSPORT",
    "DATE_OF_BIRTH",
)


@dataclass(frozen=True, slots=True)
class FindingFact:
    kind: str
    rule: str
    evidence: dict[str, Any] = field(default_factory=dict)
    size: int = 0
    entities: dict[str, int] = field(default_factory=dict)  # the file's entity types -> occurrences
    special_category: tuple[str, ...] = ()  # the file's special categories
    file_id: int | None = None  # the file the finding is about (None for an asset's own finding)


@dataclass(frozen=True, slots=True)
class AssetRiskFacts:
    id: int
    source: str
    key: str
    name: str
    owner: str | None = None
    owner_status: str = "none"  # none | proposed | declared | confirmed | left
    file_count: int = 0
    personal_files: int = 0
    special_files: int = 0
    entities: dict[str, int] = field(default_factory=dict)  # entity -> files holding it
    findings: tuple[FindingFact, ...] = ()

    @property
    def ref(self) -> str:
        return asset_label(self.source, self.key)


@dataclass(frozen=True, slots=True)
class RiskDraft:
    type: str
    asset_id: int
    title: str
    description: str
    likelihood: int
    impact: int
    evidence: dict[str, Any]

    @property
    def key(self) -> str:
        return f"asset:{self.asset_id}:{self.type}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


def _people(f: FindingFact) -> int:
    return max((f.entities.get(e, 0) for e in IDENTIFIERS), default=0)


def evidence_of(a: AssetRiskFacts, found: Iterable[FindingFact], book: RiskFile, now: datetime) -> Evidence:
    found = tuple(found)
    sens = book.sensitivity
    breadth = 0
    days = 0
    for f in found:
        breadth = max(breadth, _breadth(f))
        due = f.evidence.get("due")
        if f.kind == "retention" and due:
            days = max(days, (now.date() - date.fromisoformat(str(due))).days)
    return Evidence(
        files=len(found),
        people=sum(_people(f) for f in found),
        special=sum(bool(f.special_category) for f in found),
        children=sum(bool(set(f.special_category) & set(sens.children)) for f in found),
        criminal=sum(bool(set(f.special_category) & set(sens.criminal)) for f in found),
        breadth=breadth,
        days_past=days,
        bytes=sum(f.size for f in found),
        owner=a.owner_status,
    )


def _draft(
    kind: str,
    a: AssetRiskFacts,
    found: tuple[FindingFact, ...],
    book: RiskFile,
    now: datetime,
    what: str,
    ev: Evidence | None = None,
) -> RiskDraft | None:
    rule = book.risks.get(kind)  # type: ignore[call-overload]
    if rule is None or not rule.enabled or not found:
        return None
    ev = ev or evidence_of(a, found, book, now)
    likelihood, impact = score(rule, ev)
    return RiskDraft(
        kind,
        a.id,
        f"{rule.title}: {a.ref}",
        f"{a.ref}: {what}",
        likelihood,
        impact,
        {**ev.model_dump(), "rules": sorted({f.rule for f in found})},
    )


def _breadth(f: FindingFact) -> int:
    grants = " ".join(f.evidence.get("grants") or ())
    return 2 if ": write" in grants else 1 if grants else 0


def _of(a: AssetRiskFacts, test: Callable[[FindingFact], bool]) -> tuple[FindingFact, ...]:
    """The asset's findings that pass ``test``, one per file (a file breaching two rules of a kind — personal data
    and special category both open to all — is one file of evidence: its widest grant is kept)."""
    by_file: dict[int, FindingFact] = {}
    own: list[FindingFact] = []
    for f in a.findings:
        if not test(f):
            continue
        if f.file_id is None:
            own.append(f)
        elif f.file_id not in by_file or _breadth(f) > _breadth(by_file[f.file_id]):
            by_file[f.file_id] = f
    return (*by_file.values(), *own)


def special_open(a: AssetRiskFacts, book: RiskFile, now: datetime) -> RiskDraft | None:
    found = _of(a, lambda f: f.kind == "exposure" and bool(f.special_category))
    return _draft(
        "special_open", a, found, book, now, f"{len(found):,} file(s) with special-category data open to a broad group"
    )


def past_retention(a: AssetRiskFacts, book: RiskFile, now: datetime) -> RiskDraft | None:
    found = _of(a, lambda f: f.kind == "retention" and bool(f.entities))
    return _draft(
        "past_retention", a, found, book, now, f"{len(found):,} file(s) with personal data past their retention period"
    )


def no_owner(a: AssetRiskFacts, book: RiskFile, now: datetime) -> RiskDraft | None:
    found = _of(a, lambda f: f.kind in ("unowned", "owner_left"))
    ev = Evidence(
        files=a.file_count, people=max(a.entities.values(), default=0), special=a.special_files, owner=a.owner_status
    )  # the whole asset is the evidence: what nobody answers for
    return _draft(
        "no_owner",
        a,
        found,
        book,
        now,
        f"no accountable owner for {a.file_count:,} files ({a.personal_files:,} with personal data)",
        ev,
    )


def licensed_writable(a: AssetRiskFacts, book: RiskFile, now: datetime) -> RiskDraft | None:
    found = _of(
        a, lambda f: f.kind == "third_party_licensed" and any(": write" in g for g in f.evidence.get("grants") or ())
    )
    return _draft(
        "licensed_writable", a, found, book, now, f"{len(found):,} licensed file(s) that any member of staff can change"
    )


def encrypted_unknown(a: AssetRiskFacts, book: RiskFile, now: datetime) -> RiskDraft | None:
    found = _of(a, lambda f: f.kind == "unscannable" and f.evidence.get("status") == "encrypted")
    return _draft("encrypted_unknown", a, found, book, now, f"{len(found):,} encrypted file(s) of unknown content")


def duplicate_personal(a: AssetRiskFacts, book: RiskFile, now: datetime) -> RiskDraft | None:
    found = _of(a, lambda f: f.kind == "duplicate" and bool(f.evidence.get("personal_data")))
    return _draft(
        "duplicate_personal",
        a,
        found,
        book,
        now,
        f"{len(found):,} file(s) with personal data held in more than one place",
    )


def bulk_export(a: AssetRiskFacts, book: RiskFile, now: datetime) -> RiskDraft | None:
    found = _of(a, lambda f: f.kind == "bulk_export")
    return _draft("bulk_export", a, found, book, now, f"{len(found):,} bulk export(s) of personal data left on a share")


KINDS: dict[str, Callable[[AssetRiskFacts, RiskFile, datetime], RiskDraft | None]] = {
    "special_open": special_open,
    "past_retention": past_retention,
    "no_owner": no_owner,
    "licensed_writable": licensed_writable,
    "encrypted_unknown": encrypted_unknown,
    "duplicate_personal": duplicate_personal,
    "bulk_export": bulk_export,
}


def derive(a: AssetRiskFacts, book: RiskFile, now: datetime) -> list[RiskDraft]:
    return [d for kind in KINDS.values() if (d := kind(a, book, now)) is not None]
