"""What an evaluation keeps per file (``files.retention_class``, ``disposal_date``, ``rules_due``,
``copies_digest``) and the register's retention columns grouped from it, so the per-asset figures are the same
whether every file or a few were evaluated."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from inventory.findings.models import Finding
from inventory.findings.queries import awaiting_disposal
from inventory.findings.stream import Kept
from inventory.store.bulk import update_many
from inventory.store.models import Asset, FileRecord

NOTHING = Kept()  # what a row that was never evaluated holds


class KeptWriter:
    """Writes each file's kept values where they moved, ``FLUSH`` rows at a time in order of due date: the rows
    of the index on (source, due date) then change in order, which on SQLite costs half of changing them in the
    order of the files."""

    FLUSH = 20000

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: list[dict[str, object]] = []

    def add(self, kept: dict[int, Kept], now: dict[int, Kept]) -> None:
        self.rows.extend({"id": fid, **k._asdict()} for fid, k in now.items() if kept.get(fid, NOTHING) != k)
        if len(self.rows) >= self.FLUSH:
            self.flush()

    def flush(self) -> None:
        self.rows.sort(key=lambda r: (r["rules_due"] is not None, r["rules_due"] or 0))
        update_many(self.session.connection(), cast(Table, FileRecord.__table__), "id", self.rows)
        self.rows = []


def write_register(session: Session, source: str) -> None:
    """Each asset's files per retention class (most first; a tie goes to the class of its first file, as the
    files stream past in id order), its main class, its earliest disposal date (files not on hold) and what is
    past retention (``past_retention``)."""
    classes: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    earliest: dict[str, datetime] = {}
    for key, cls, n, first, due in session.execute(
        select(
            FileRecord.asset_key,
            FileRecord.retention_class,
            func.count(),
            func.min(FileRecord.id),
            func.min(FileRecord.disposal_date),
        )
        .where(FileRecord.source == source, FileRecord.deleted_at.is_(None), FileRecord.retention_class.is_not(None))
        .group_by(FileRecord.asset_key, FileRecord.retention_class)
    ):
        classes[key].append((-int(n), int(first), str(cls)))
        if due is not None:
            earliest[key] = min(earliest.get(key, due), due)
    past = past_retention(session, source)
    for a in session.scalars(select(Asset).where(Asset.source == source, Asset.deleted_at.is_(None))):
        ranked = sorted(classes.get(a.key, ()))
        a.retention_classes = {cls: -n for n, _, cls in ranked} or None
        a.retention_class = ranked[0][2] if ranked else None
        a.disposal_date = earliest.get(a.key)
        a.past_retention_files, a.past_retention_bytes = past.get(a.id, (0, 0))


def past_retention(session: Session, source: str) -> dict[int, tuple[int, int]]:
    """Per asset, the files (and their bytes) past retention that still need a decision: open retention findings,
    so a file whose finding was dismissed or accepted, or that is on hold, is counted nowhere — the register, the
    report and the disposal list agree."""
    rows = session.execute(
        select(Finding.asset_id, func.count(), func.coalesce(func.sum(FileRecord.size), 0))
        .join(FileRecord, FileRecord.id == Finding.subject_id)
        .where(Finding.source == source, *awaiting_disposal())
        .group_by(Finding.asset_id)
    )
    return {a: (n, int(b or 0)) for a, n, b in rows if a is not None}
