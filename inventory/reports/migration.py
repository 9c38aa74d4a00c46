"""Migration triage: what of each asset to dispose of, review, move with protection or simply move, with what it
would cost in cloud storage — so a move to SharePoint or OneDrive does not carry everything across.

Every present file falls in exactly one bucket, the first that applies:

- **dispose**: past retention and not on hold (an open retention finding: dismissed, accepted and held files are
  not here, as on the disposal list);
- **review**: stale, duplicated or badly named (an open finding of those kinds), or in an asset nobody owns;
- **move with protection**: holds personal data (special category included): fix open access before it moves;
- **move**: the rest.

So the four add up to the register's files and bytes. One grouped query; memory does not grow with the estate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from inventory.findings.models import Finding
from inventory.register.names import asset_label
from inventory.store.models import Asset, DetectionRow, FileRecord

BUCKETS = ("dispose", "review", "protect", "move")
BUCKET_NAMES = {
    "dispose": "Dispose (past retention)",
    "review": "Review (stale, duplicate, unowned, naming)",
    "protect": "Move with protection (personal data)",
    "move": "Move",
}
REVIEW_KINDS = ("stale", "duplicate", "naming")
TB = 1024**4


@dataclass
class Triage:
    """One asset's files and bytes per bucket."""

    asset_id: int
    asset: str
    service: str | None
    owner: str | None
    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))

    @property
    def total_files(self) -> int:
        return sum(self.files.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes.values())


def monthly_cost(size: int, price_per_tb: float) -> float:
    """Storage cost per month of ``size`` bytes at ``price_per_tb`` per TB (1024⁴ bytes) per month."""
    return size / TB * price_per_tb


def triage(session: Session) -> list[Triage]:
    """Every present asset with its files and bytes per bucket, by service then asset."""
    file_finding = and_(Finding.subject == "file", Finding.subject_id == FileRecord.id, Finding.status == "open")
    dispose = exists().where(file_finding, Finding.kind == "retention")
    review = exists().where(file_finding, Finding.kind.in_(REVIEW_KINDS))
    unowned = exists().where(
        Finding.subject == "asset",
        Finding.subject_id == Asset.id,
        Finding.status == "open",
        Finding.kind == "unowned",
    )
    personal = exists().where(DetectionRow.file_id == FileRecord.id)
    bucket = case(
        (dispose, "dispose"),
        (review, "review"),
        (unowned, "review"),
        (personal, "protect"),
        else_="move",
    ).label("bucket")
    rows = session.execute(
        select(Asset.id, bucket, func.count(FileRecord.id), func.coalesce(func.sum(FileRecord.size), 0))
        .join(FileRecord, and_(FileRecord.source == Asset.source, FileRecord.asset_key == Asset.key))
        .where(Asset.deleted_at.is_(None), FileRecord.deleted_at.is_(None))
        .group_by(Asset.id, bucket)
    )
    assets = {
        a.id: Triage(a.id, asset_label(a.source, a.key), a.service, a.owner)
        for a in session.scalars(select(Asset).where(Asset.deleted_at.is_(None)))
    }
    for asset_id, name, files, size in rows:
        assets[asset_id].files[name] += files
        assets[asset_id].bytes[name] += int(size or 0)
    return sorted(assets.values(), key=lambda t: (t.service or "~", t.asset))
