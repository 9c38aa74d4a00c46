"""The read side: the register, one asset's detail, and the per-file export stream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inventory.register.models import TableColumn
from inventory.store.models import Asset, DetectionRow, FileRecord
from scanner.errors import StewardError
from scanner.names import shown

IAR_COLUMNS = (
    "id",
    "source",
    "name",
    "location",
    "owner",
    "owner_status",
    "owner_confidence",
    "service",
    "access",
    "file_count",
    "bytes",
    "rows",
    "formats",
    "personal_data",
    "personal_files",
    "special_category",
    "security_classification",
    "retention_class",
    "disposal_date",
    "oldest_modified",
    "newest_modified",
    "last_scanned",
    "statuses",
    "retention_classes",
    "past_retention_files",
    "past_retention_bytes",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def present_assets(session: Session) -> list[Asset]:
    return list(session.scalars(select(Asset).where(Asset.deleted_at.is_(None)).order_by(Asset.source, Asset.key)))


def iar_row(asset: Asset) -> dict[str, Any]:
    """One register entry as plain values (lists and mappings kept structured)."""
    return {
        "id": asset.id,
        "source": asset.source,
        "name": asset.name,
        "location": asset.location,
        "owner": asset.owner,
        "owner_status": asset.owner_status,
        "owner_confidence": asset.owner_confidence,
        "service": asset.service,
        "access": asset.access,
        "file_count": asset.file_count,
        "bytes": asset.bytes,
        "rows": asset.rows,
        "formats": dict(sorted(asset.formats.items())),
        "personal_data": dict(sorted(asset.entities.items())),
        "personal_files": asset.personal_files,
        "special_category": asset.special_category,
        "security_classification": asset.security_classification,
        "retention_class": asset.retention_class,
        "disposal_date": _iso(asset.disposal_date),
        "oldest_modified": _iso(asset.oldest_mtime),
        "newest_modified": _iso(asset.newest_mtime),
        "last_scanned": _iso(asset.last_scanned),
        "statuses": dict(sorted(asset.status_counts.items())),
        "retention_classes": dict(asset.retention_classes or {}),
        "past_retention_files": asset.past_retention_files,
        "past_retention_bytes": asset.past_retention_bytes,
    }


def find_asset(session: Session, ref: str) -> Asset:
    """An asset by numeric id, by "source:folder", or by a unique name."""
    query = select(Asset).where(Asset.deleted_at.is_(None))
    if ref.isdigit():
        found = session.scalars(query.where(Asset.id == int(ref))).all()
    elif ":" in ref:
        source, _, key = ref.partition(":")
        found = session.scalars(query.where(Asset.source == source, Asset.key == key.strip("/"))).all()
    else:
        found = session.scalars(query.where(Asset.name == ref)).all()
    if len(found) == 1:
        return found[0]
    if not found:
        raise StewardError(f"no asset {ref!r}; `steward assets` lists them")
    raise StewardError(f"{ref!r} names {len(found)} assets; use the id or source:folder")


def asset_files(session: Session, asset: Asset) -> list[FileRecord]:
    return list(
        session.scalars(
            select(FileRecord)
            .where(
                FileRecord.source == asset.source, FileRecord.asset_key == asset.key, FileRecord.deleted_at.is_(None)
            )
            .options(selectinload(FileRecord.detections))
            .order_by(FileRecord.path)
        )
    )


def sampled_phrase(count: int, sampled: int, rows: int | None) -> str:
    """How a database table's count was reached: "37 in 1,000 sampled of 52,341 rows"."""
    total = f"{rows:,}" if rows is not None else "an unknown number of"
    return f"{count:,} in {sampled:,} sampled of {total} rows"


def file_lines(session: Session, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """One mapping per file present in the store, in a stable order, streamed in batches."""
    last = 0
    while True:
        files = session.scalars(
            select(FileRecord)
            .where(FileRecord.deleted_at.is_(None), FileRecord.id > last)
            .order_by(FileRecord.id)
            .limit(batch)
        ).all()
        if not files:
            return
        ids = [f.id for f in files]
        found: dict[int, list[DetectionRow]] = {}
        for det in session.scalars(select(DetectionRow).where(DetectionRow.file_id.in_(ids))):
            found.setdefault(det.file_id, []).append(det)
        sampled: dict[int, int] = {
            file_id: rows
            for file_id, rows in session.execute(
                select(TableColumn.file_id, func.max(TableColumn.rows_sampled))
                .where(TableColumn.file_id.in_(ids))
                .group_by(TableColumn.file_id)
            )
        }
        for f in files:
            dets = sorted(found.get(f.id, []), key=lambda d: d.entity)
            table = {"rows_sampled": sampled[f.id]} if f.id in sampled else {}
            yield {
                "source": f.source,
                # Readable (no control, bidirectional or undecodable character), and the stored form, which gives
                # the name back exactly (scanner.names.from_store), when the two differ.
                "path": shown(f.path),
                **({} if shown(f.path) == f.path else {"path_escaped": f.path}),
                "mime": f.mime,
                "status": f.status,
                "size": f.size,
                "modified": _iso(f.mtime),
                "entities": {d.entity: d.count for d in dets},
                "special_category": list(f.special_category or []),
                "marking": f.marking,
                "extension_mismatch": f.extension_mismatch,
                "reason": f.reason,
                "ocr": f.ocr is not None,  # some of the text was read by OCR (scanned pages, images)
                "ocr_pages": (f.ocr or {}).get("pages"),
                "ocr_pages_read": (f.ocr or {}).get("read"),
                "ocr_mean_confidence": (f.ocr or {}).get("mean_confidence"),
                "ocr_low_confidence_pages": (f.ocr or {}).get("low_confidence"),
                **table,
                "detections": [
                    {
                        "entity": d.entity,
                        "count": d.count,
                        "score": round(d.best_score, 2),
                        "example": d.example,
                        "where": d.locators,
                        "recognizer": d.recognizer,
                        "validated": d.validated,
                        "context": d.context_words,
                        **({"counted": sampled_phrase(d.count, sampled[f.id], f.size)} if f.id in sampled else {}),
                    }
                    for d in dets
                ],
            }
        last = ids[-1]
        session.expunge_all()
