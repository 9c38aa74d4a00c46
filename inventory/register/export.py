"""Exports of the information asset register and of the per-file observations."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from inventory.register.formats import format_counts
from inventory.register.queries import IAR_COLUMNS


def _flat(value: Any) -> Any:
    """Spreadsheet cell for a structured value: "a: 1; b: 2" for mappings, "x; y" for lists."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


def _cell(key: str, value: Any) -> Any:
    """A register value as a person reads it in CSV or XLSX: formats by their names, not MIME types."""
    return _flat(format_counts(value) if key == "formats" and isinstance(value, dict) else value)


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: prefix =, +, -, @, tab, CR with a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_iar_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=IAR_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(k, row[k]) for k in IAR_COLUMNS})


def write_iar_json(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    json.dump({"information_asset_register": list(rows)}, out, indent=2)
    out.write("\n")


def write_iar_xlsx(rows: Iterable[dict[str, Any]], out: IO[bytes]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Information asset register")
    header = [c.replace("_", " ").capitalize() for c in IAR_COLUMNS]
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(k, row[k]) for k in IAR_COLUMNS])
    sheet.freeze_panes = "A2"
    book.save(out)


# Characters JSON may leave raw but that many readers take as a line break: escaped, so one object is one line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def write_jsonl(lines: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One JSON object a line, UTF-8, with no character any reader takes as a line break inside a line."""
    n = 0
    for line in lines:
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS) + "\n")
        n += 1
    return n


def write_table_xlsx(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], title: str, out: IO[bytes]) -> None:
    """One sheet: a header row from ``columns`` and one row per mapping."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([c.replace("_", " ").capitalize() for c in columns])
    for row in rows:
        sheet.append([_flat(row.get(k)) for k in columns])
    sheet.freeze_panes = "A2"
    book.save(out)
