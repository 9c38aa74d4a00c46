"""Plain-text renderings for the terminal: the register table and one asset's detail."""

from __future__ import annotations

from typing import Any

from inventory.register.formats import format_counts, format_name
from inventory.store.models import Asset, FileRecord
from scanner.names import shown


def human_bytes(n: int | None) -> str:
    value = float(n or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _entities(entities: dict[str, int], limit: int = 4) -> str:
    top = sorted(entities.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{k} {v}" for k, v in top[:limit])
    return text + (f", +{len(top) - limit} more" if len(top) > limit else "")


def register_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "The register is empty: run `steward scan` first."
    header = [
        "ID",
        "Source",
        "Asset",
        "Files",
        "Size",
        "Personal files",
        "Personal data (files)",
        "Special",
        "Owner",
        "Newest change",
    ]
    body = [
        [
            str(r["id"]),
            r["source"],
            r["name"],
            f"{r['file_count']:,}",
            human_bytes(r["bytes"]) + (f", {r['rows']:,} rows" if r.get("rows") is not None else ""),
            f"{r['personal_files']:,}",
            _entities(r["personal_data"]) or "-",
            {True: "yes", False: "no", None: "-"}[r["special_category"]],
            r["owner"] or "-",
            (r["newest_modified"] or "-")[:10],
        ]
        for r in rows
    ]
    total_files = sum(r["file_count"] for r in rows)
    total_bytes = sum(r["bytes"] for r in rows)
    return _table(header, body) + f"\n\n{len(rows)} assets, {total_files:,} files, {human_bytes(total_bytes)}"


def asset_detail(asset: Asset, files: list[FileRecord], class_names: dict[str, str] | None = None) -> str:
    """One asset for the terminal; retention classes by the names the schedule gives them."""
    names = class_names or {}
    out = [
        f"Asset {asset.id}: {asset.name}",
        f"  Location:        {asset.location}",
        f"  Source:          {asset.source}",
        f"  Owner:           {asset.owner or 'not yet identified'}{_owner_status(asset)}",
        f"  Service:         {asset.service or '-'}",
        f"  Open to:         {_open_to(asset.access)}",
        f"  Files:           {asset.file_count:,} ({human_bytes(asset.bytes)})",
        f"  Formats:         {', '.join(f'{k} {v}' for k, v in format_counts(asset.formats or {}).items()) or '-'}",
        f"  Personal data:   {_entities(asset.entities, 20) or 'none found'}",
        f"  Special category:{' yes' if asset.special_category else ' no'}",
        f"  Classification:  {asset.security_classification or '-'}",
        f"  Modified:        {_day(asset.oldest_mtime)} to {_day(asset.newest_mtime)}",
        f"  Last scanned:    {_day(asset.last_scanned, 19)}",
        f"  Statuses:        {', '.join(f'{k} {v}' for k, v in sorted(asset.status_counts.items()))}",
        f"  Retention:       "
        f"{', '.join(f'{names.get(k, k)} {v}' for k, v in (asset.retention_classes or {}).items()) or '-'}",
        f"  Next disposal:   {_day(asset.disposal_date)}; past retention: {asset.past_retention_files or 0:,} "
        f"files ({human_bytes(asset.past_retention_bytes)})",
    ]
    personal = [f for f in files if f.detections]
    out.append(f"\nFiles holding personal data ({len(personal)}):")
    for f in personal:
        extra = f"  [special: {', '.join(f.special_category)}]" if f.special_category else ""
        out.append(f"  {shown(f.path)}  ({format_name(f.mime)}){extra}")
        for d in sorted(f.detections, key=lambda d: (-d.count, d.entity)):
            how = d.recognizer or "?"
            if d.validated:
                how += ", validated"
            if d.context_words:
                how += f", context: {', '.join(d.context_words[:3])}"
            where = ", ".join(d.locators[:3])
            out.append(
                f"    {d.entity:<20} x{d.count:<5} e.g. {d.example:<22} at {where}  ({how}; score {d.best_score:.2f})"
            )
    out.extend(_ocr_lines(files))
    problems = [f for f in files if f.status != "ok"]
    if problems:
        out.append(f"\nFiles not fully read ({len(problems)}):")
        out.extend(f"  {f.status:<11} {shown(f.path)}" + (f"  — {f.reason}" if f.reason else "") for f in problems)
    mismatched = [f for f in files if f.extension_mismatch]
    if mismatched:
        out.append(f"\nExtension does not match content ({len(mismatched)}):")
        out.extend(f"  {shown(f.path)}  is a {format_name(f.mime)} ({f.mime})" for f in mismatched)
    return "\n".join(out)


def _ocr_lines(files: list[FileRecord], limit: int = 20) -> list[str]:
    """The files whose text was read by OCR: pages read and the confidence of the reading."""
    scanned = [f for f in files if f.ocr]
    if not scanned:
        return []
    out = [f"\nRead by OCR ({len(scanned)}):"]
    for f in scanned[:limit]:
        ocr = f.ocr or {}
        confidence = ocr.get("mean_confidence")
        low = f", {ocr.get('low_confidence')} low-confidence" if ocr.get("low_confidence") else ""
        out.append(
            f"  {f.path}  ocr: {ocr.get('read')} of {ocr.get('pages')} pages read, mean confidence "
            f"{'-' if confidence is None else f'{confidence:.0f}'}{low}"
        )
    if len(scanned) > limit:
        out.append(f"  ... and {len(scanned) - limit} more (steward export files)")
    return out


def _owner_status(asset: Asset) -> str:
    if not asset.owner_status:
        return ""
    confidence = f" {asset.owner_confidence:.0%}" if asset.owner_confidence is not None else ""
    return f" ({asset.owner_status}{confidence}; `steward owners` shows the evidence)"


def _open_to(access: dict[str, Any] | None) -> str:
    if not access:
        return "-"
    read, write = access.get("broad_read") or [], access.get("broad_write") or []
    if not read and not write:
        return "no broad group"
    return f"read: {', '.join(read) or '-'}; write: {', '.join(write) or '-'}"


def _day(value: Any, n: int = 10) -> str:
    return value.isoformat()[:n] if value else "-"
