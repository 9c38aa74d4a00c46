"""Rolls files up into information assets: folder subtrees at the configured depth under each source root,
plus the root itself for loose files. Recomputed from the store after every scan of a source."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inventory.register.names import asset_label
from inventory.runs.record import asset_key, utcnow
from inventory.store.models import Asset, DetectionRow, FileRecord
from scanner.names import shown


def rekey(session: Session, source: str, depth: int, key_for: Callable[[str], str] | None = None) -> bool:
    """Recompute files' asset keys when the configured depth (or ``key_for``'s rule) changed since they were
    recorded; True when it did."""
    key = key_for or (lambda path: asset_key(path, depth))
    sample = session.execute(
        select(FileRecord.path, FileRecord.asset_key)
        .where(FileRecord.source == source, FileRecord.path.like("%/%" if key_for else "%/%/%"))
        .limit(1)
    ).first()
    if sample is None or key(sample.path) == sample.asset_key:
        return False
    for fid, path in session.execute(select(FileRecord.id, FileRecord.path).where(FileRecord.source == source)).all():
        session.execute(update(FileRecord).where(FileRecord.id == fid).values(asset_key=key(path)))
    return True


def roll_up(session: Session, source: str, root: str) -> int:
    """Refresh the register entries of one source from its present files; returns the number of assets."""
    present = (FileRecord.source == source) & FileRecord.deleted_at.is_(None)
    stats: dict[str, dict[str, Any]] = {}
    for key, n, size, oldest, newest in session.execute(
        select(
            FileRecord.asset_key,
            func.count(),
            func.coalesce(func.sum(FileRecord.size), 0),
            func.min(FileRecord.mtime),
            func.max(FileRecord.mtime),
        )
        .where(present)
        .group_by(FileRecord.asset_key)
    ):
        stats[key] = {
            "file_count": n,
            "bytes": int(size or 0),
            "oldest_mtime": oldest,
            "newest_mtime": newest,
            "formats": {},
            "entities": {},
            "status_counts": {},
            "personal_files": 0,
            "special_category": False,
            "markings": set(),
        }
    for key, mime, n in session.execute(
        select(FileRecord.asset_key, FileRecord.mime, func.count())
        .where(present, FileRecord.mime.is_not(None))
        .group_by(FileRecord.asset_key, FileRecord.mime)
    ):
        stats[key]["formats"][mime] = n
    for key, status, n in session.execute(
        select(FileRecord.asset_key, FileRecord.status, func.count())
        .where(present)
        .group_by(FileRecord.asset_key, FileRecord.status)
    ):
        stats[key]["status_counts"][status] = n
    joined = (
        select(FileRecord.asset_key, DetectionRow.entity, func.count(func.distinct(FileRecord.id)))
        .join(DetectionRow, DetectionRow.file_id == FileRecord.id)
        .where(present)
    )
    for key, entity, n in session.execute(joined.group_by(FileRecord.asset_key, DetectionRow.entity)):
        stats[key]["entities"][entity] = n
    for key, n in session.execute(
        select(FileRecord.asset_key, func.count(func.distinct(FileRecord.id)))
        .join(DetectionRow, DetectionRow.file_id == FileRecord.id)
        .where(present)
        .group_by(FileRecord.asset_key)
    ):
        stats[key]["personal_files"] = n
    _flags(session, present, stats)
    return _write(session, source, root, stats)


def _flags(session: Session, present: Any, stats: dict[str, dict[str, Any]]) -> None:
    """Special category and protective markings, from the (few) files that carry them."""
    rows = session.execute(
        select(FileRecord.asset_key, FileRecord.special_category, FileRecord.marking).where(
            present, FileRecord.marking.is_not(None) | FileRecord.special_category.is_not(None)
        )
    )
    for key, special, marking in rows:
        if special:
            stats[key]["special_category"] = True
        if marking:
            stats[key]["markings"].add(marking)


def location(root: str, key: str) -> str:
    """Where the asset is, as its users see it: /srv/share/HR, or \\\\fs1\\Shared\\HR for an SMB share."""
    if not key:
        return root
    if root.startswith("\\\\"):
        return f"{root.rstrip(chr(92))}\\{key.replace('/', chr(92))}"
    return f"{root.rstrip('/')}/{key}"


MARKING_ORDER = ("SECRET", "OFFICIAL-SENSITIVE", "OFFICIAL")


def _classification(markings: set[str]) -> str | None:
    for level in MARKING_ORDER:
        if level in markings:
            return level
    return sorted(markings)[0] if markings else None


def _write(session: Session, source: str, root: str, stats: dict[str, dict[str, Any]]) -> int:
    now = utcnow()
    existing = {a.key: a for a in session.scalars(select(Asset).where(Asset.source == source))}
    for key, st in stats.items():
        asset = existing.pop(key, None)
        if asset is None:
            asset = Asset(
                source=source,
                key=key,
                # Shown as a person reads them (scanner.names); the key keeps the lossless stored form.
                name=shown(key.rpartition("/")[2]) or asset_label(source, key),
                location=location(root, shown(key)),
            )
            session.add(asset)
        markings = st.pop("markings")
        for field, value in st.items():
            setattr(asset, field, value)
        asset.security_classification = _classification(markings)
        asset.last_scanned, asset.deleted_at = now, None
    for gone in existing.values():
        if gone.deleted_at is None:
            gone.deleted_at, gone.file_count, gone.bytes = now, 0, 0
    session.commit()
    return len(stats)


def entity_totals(assets: list[Asset]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for asset in assets:
        for entity, n in asset.entities.items():
            totals[entity] += n
    return dict(totals)
