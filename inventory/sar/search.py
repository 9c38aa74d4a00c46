"""The subject-access search: the values a handler types are digested in memory under the installation key and
only the digests are looked up; results are files (or database tables, by column), strongest evidence first.

Ranking: files holding two or more of the person's identifiers (names aside) first, then by the summed strength
of what matched; a file matched by a name alone is weak evidence and comes after every identifier match.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.findings.models import Finding
from inventory.register.models import DatabaseTable, TableColumn
from inventory.rules.facts import FileFacts
from inventory.rules.retention import hold_for
from inventory.rules.schema import RetentionFile
from inventory.sar.index import digest_bytes
from inventory.sar.models import IdentifierRow, IndexState
from inventory.store.models import Asset, FileRecord, ScanRun
from scanner.identifiers import NAME_INITIAL, digests

# option name -> (entity digested, label shown, strength)
KINDS: dict[str, tuple[str, str, int]] = {
    "nhs": ("UK_NHS", "NHS number", 10),
    "nino": ("UK_NINO", "NI number", 10),
    "email": ("EMAIL_ADDRESS", "e-mail", 8),
    "phone": ("PHONE_NUMBER", "phone", 6),
    "passport": ("UK_PASSPORT", "passport number", 10),
    "licence": ("UK_DRIVING_LICENCE", "driving licence", 10),
    "dob": ("DATE_OF_BIRTH", "date of birth", 2),
    "postcode": ("UK_POSTCODE", "postcode", 1),
    "name": ("PERSON", "name", 2),
}
_INITIAL = ("name (initial and surname)", 1)
WEAK_LABELS = frozenset({"name", _INITIAL[0], "date of birth", "postcode"})
MAX_RESULTS = 5000


@dataclass
class Hit:
    """One file (or database table) holding some of the person's identifiers. No value, only where and what."""

    file_id: int
    source: str
    path: str
    asset: str | None
    owner: str | None
    matched: list[str] = field(default_factory=list)  # labels, strongest first
    locators: list[str] = field(default_factory=list)
    score: int = 0
    table: str | None = None  # "schema.table" for a database source
    columns: dict[str, int] = field(default_factory=dict)  # column -> matching sample rows
    retention: list[str] = field(default_factory=list)  # erasure: retention classes
    holds: list[str] = field(default_factory=list)  # erasure: holds on the file or its asset
    asset_key: str = ""  # the asset's folder under its source

    @property
    def identifiers(self) -> int:
        return sum(1 for m in self.matched if m not in WEAK_LABELS)

    @property
    def strength(self) -> str:
        if self.identifiers >= 2:
            return "strong"
        return "identifier" if self.identifiers else "weak"


@dataclass
class Outcome:
    hits: list[Hit]
    searched: list[str]  # the kinds searched (labels), never the values
    last_scanned: dict[str, datetime | None]  # source -> last completed scan
    ignored: list[str] = field(default_factory=list)  # kinds given a value that does not normalise
    unindexed: int = 0  # files read before the hash key changed and not read since: not covered


def person_digests(key: bytes, given: dict[str, str | None]) -> tuple[dict[bytes, tuple[str, int]], list[str]]:
    """Digest -> (label, strength) for the values given; the values themselves are not kept."""
    wanted: dict[bytes, tuple[str, int]] = {}
    ignored: list[str] = []
    for option, value in given.items():
        if not value:
            continue
        entity, label, strength = KINDS[option]
        pairs = digests(key, entity, value)
        if not pairs:
            ignored.append(label)
        for digest_entity, hex_digest in pairs:
            wanted[digest_bytes(hex_digest)] = _INITIAL if digest_entity == NAME_INITIAL else (label, strength)
    return wanted, ignored


def _column(locator: str) -> str:
    return locator.rstrip("0123456789").rpartition("!")[2]


def _position(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def search(
    session: Session,
    key: bytes,
    given: dict[str, str | None],
    erasure: bool = False,
    schedule: RetentionFile | None = None,
) -> Outcome:
    """``schedule``: the retention rules, whose disposal holds (by path or asset) an erasure search reports."""
    wanted, ignored = person_digests(key, given)
    searched = [KINDS[o][1] for o, v in given.items() if v]
    hits: dict[int, Hit] = {}
    if wanted:
        rows = session.execute(
            select(
                IdentifierRow.file_id, IdentifierRow.digest, IdentifierRow.locator, FileRecord, Asset.name, Asset.owner
            )
            .join(FileRecord, FileRecord.id == IdentifierRow.file_id)
            .outerjoin(
                Asset,
                (Asset.source == FileRecord.source) & (Asset.key == FileRecord.asset_key) & Asset.deleted_at.is_(None),
            )
            .where(IdentifierRow.digest.in_(list(wanted)), FileRecord.deleted_at.is_(None))
            .limit(MAX_RESULTS * 4)
        ).all()
        for file_id, digest, locator, record, asset, owner in rows:
            hit = hits.get(file_id)
            if hit is None:
                hit = hits[file_id] = Hit(file_id, record.source, record.path, asset, owner, asset_key=record.asset_key)
            label, _ = wanted[digest]
            if label not in hit.matched:
                hit.matched.append(label)
            if locator and locator not in hit.locators and len(hit.locators) < 20:
                hit.locators.append(locator)
            if locator:
                col = _column(locator)
                hit.columns[col] = hit.columns.get(col, 0) + 1
        for hit in hits.values():
            if "name" in hit.matched and _INITIAL[0] in hit.matched:
                hit.matched.remove(_INITIAL[0])  # the full name matched: the initial adds nothing
            strength = dict(wanted.values())
            hit.matched.sort(key=lambda m: -strength.get(m, 0))
            hit.score = sum(strength.get(m, 0) for m in hit.matched)
        _tables(session, hits)
        if erasure:
            _erasure(session, hits, schedule)
    ordered = sorted(hits.values(), key=lambda h: (h.identifiers < 2, h.identifiers == 0, -h.score, h.source, h.path))
    return Outcome(ordered[:MAX_RESULTS], searched, last_scanned(session), ignored, unindexed(session))


def unindexed(session: Session) -> int:
    """Files last read before the index was emptied for a new hash key: a full scan brings them back."""
    built = session.scalar(select(IndexState.rebuilt_at).limit(1))
    if built is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(FileRecord)
            .where(FileRecord.deleted_at.is_(None), FileRecord.status == "ok", FileRecord.content_read_at < built)
        )
        or 0
    )


def _tables(session: Session, hits: dict[int, Hit]) -> None:
    """Database tables answer by table and column (named, with the matching sample rows), not by cell."""
    ids = list(hits)
    tables = {t.file_id: t for t in session.scalars(select(DatabaseTable).where(DatabaseTable.file_id.in_(ids))).all()}
    names: dict[tuple[int, int], str] = {
        (c.file_id, c.position): c.name
        for c in session.scalars(select(TableColumn).where(TableColumn.file_id.in_(list(tables)))).all()
    }
    for file_id, hit in hits.items():
        if file_id in tables:
            t = tables[file_id]
            hit.table = f"{t.schema_name}.{t.table_name}" if t.schema_name else t.table_name
            hit.columns = {names.get((file_id, _position(c)), c): n for c, n in hit.columns.items()}
            hit.locators = []  # sample row numbers mean nothing to the database's owner
        else:
            hit.columns = {}


def _erasure(session: Session, hits: dict[int, Hit], schedule: RetentionFile | None) -> None:
    """Retention classes and holds of each file and its asset, so the handler knows what may go."""
    ids = list(hits)
    for f in session.scalars(
        select(Finding).where(
            Finding.status == "open",
            Finding.kind.in_(("retention", "hold")),
            Finding.subject == "file",
            Finding.subject_id.in_(ids),
        )
    ).all():
        hit = hits[f.subject_id]
        (hit.retention if f.kind == "retention" else hit.holds).append(f.rule)
    asset_ids = dict(
        session.execute(
            select(FileRecord.id, Asset.id)
            .join(Asset, (Asset.source == FileRecord.source) & (Asset.key == FileRecord.asset_key))
            .where(FileRecord.id.in_(ids))
        ).all()
    )
    if schedule is not None:  # holds in force now, whether or not the file is past retention
        now = datetime.now(UTC).replace(tzinfo=None)
        for hit in hits.values():
            facts = FileFacts(hit.file_id, hit.source, hit.path, asset=f"{hit.source}:{hit.asset_key}")
            held = hold_for(schedule, facts, now)
            if held is not None and held.id not in hit.holds:
                hit.holds.append(held.id)
    by_asset: dict[int, list[int]] = defaultdict(list)
    for file_id, asset_id in asset_ids.items():
        by_asset[asset_id].append(file_id)
    for asset in session.scalars(select(Asset).where(Asset.id.in_(list(by_asset)))).all():
        for file_id in by_asset[asset.id]:
            if asset.retention_class and asset.retention_class not in hits[file_id].retention:
                hits[file_id].retention.append(asset.retention_class)
    for f in session.scalars(
        select(Finding).where(
            Finding.status == "open",
            Finding.kind == "hold",
            Finding.subject == "asset",
            Finding.subject_id.in_(list(by_asset)),
        )
    ).all():
        for file_id in by_asset[f.subject_id]:
            if f.rule not in hits[file_id].holds:
                hits[file_id].holds.append(f.rule)


def last_scanned(session: Session) -> dict[str, datetime | None]:
    """Each source's last completed scan: only files Steward has read are covered."""
    rows = session.execute(
        select(ScanRun.source, func.max(ScanRun.finished_at))
        .where(ScanRun.status == "completed")
        .group_by(ScanRun.source)
    ).all()
    return {source: at for source, at in rows}
