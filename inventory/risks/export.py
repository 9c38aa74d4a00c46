"""The risk register as a committee paper lays it out: CSV and XLSX."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

PAPER = (
    "id",
    "title",
    "description",
    "asset",
    "owner",
    "likelihood",
    "impact",
    "score",
    "band",
    "controls",
    "residual_likelihood",
    "residual_impact",
    "residual_score",
    "residual_band",
    "treatment",
    "actions",
    "target_score",
    "review_date",
    "status",
    "trend",
)
HEADERS = {
    "likelihood": "Inherent L",
    "impact": "Inherent I",
    "score": "Inherent score",
    "band": "Inherent band",
    "residual_likelihood": "Residual L",
    "residual_impact": "Residual I",
}


def header() -> list[str]:
    return [HEADERS.get(c, c.replace("_", " ").capitalize()) for c in PAPER]


def write_risks_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(header())
    for row in rows:
        writer.writerow([row.get(c) for c in PAPER])


def write_risks_xlsx(rows: Iterable[dict[str, Any]], out: IO[bytes]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Information risk register")
    sheet.append(header())
    for row in rows:
        sheet.append([row.get(c) for c in PAPER])
    sheet.freeze_panes = "A2"
    book.save(out)
