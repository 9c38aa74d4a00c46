"""OpenDocument spreadsheets read by python-calamine (Rust) where it gives the values the streaming reader gives
(``odf._ods_rows``): about a fifth of the time (the 200 spreadsheets of 2,000 mixed documents: 2.3 → 0.5 ms each,
their chunks identical).

calamine builds each sheet as a dense grid of its used area before handing rows over. A row or cell can stand for
many (``table:number-rows-repeated``), so a few bytes can ask for a grid of millions of cells: ``grid_cells``
bounds the cells calamine would hold from content.xml's bytes (per table, the rows up to the last one holding
anything, times the widest row up to its last cell holding anything; a sheet's filler rows and cells at its end
cost nothing), and a spreadsheet past ``MAX_CELLS`` is streamed as before. So is one whose content calamine reads
otherwise: a tab or a line break inside a cell (calamine drops them, running the words together), a cell with
text but no value type (calamine leaves it empty), a time or an error value (calamine gives its value, not the
text shown), content.xml not written with the usual prefixes, a table inside a cell, a content.xml over
``MAX_CONTENT`` or a file over ``MAX_FILE`` (calamine reads the whole file into memory), and anything calamine
refuses (it wants no whitespace between cells). Dates with a time keep the form the file writes them in
("2019-05-01T10:30:00"). Column definitions (``table:table-column``, however repeated) do not widen the grid.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from scanner.extractors.tables import columns_to_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

MAX_CELLS = 1_000_000  # cells calamine may hold at once (about 125 bytes each with its rows)
MAX_CONTENT = 8 * 1024 * 1024  # bytes of content.xml looked through; a larger sheet is streamed
MAX_FILE = 32 * 1024 * 1024  # calamine holds the whole file in memory: a larger one (pictures, say) is streamed
_NAMESPACES = (
    b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
    b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
    b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
)
# What calamine reads otherwise than the streaming reader: marks looked for as they are, then a cell holding
# something with no value type.
_OTHERWISE = (b"<text:tab", b"<text:line-break", b'value-type="time"', b'value-type="error"', b"table:is-sub-table")
_UNTYPED = re.compile(rb"<table:(?:covered-)?table-cell(?![^>]*value-type)(?:\s[^>]*)?(?<!/)>")
_ROW = b"<table:table-row"
_CELLS = (b"<table:table-cell", b"<table:covered-table-cell")
_BLANK_ROW = re.compile(rb"<table:table-row(?:\s[^>]*)?/>")
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')
_EMPTY_TAIL = re.compile(rb"(?:<table:(?:covered-)?table-cell(?![^>]*value-type)[^>]*/>)+\Z")


def grid_cells(content: bytes) -> int:
    """At least as many cells as calamine's grids would hold for this content.xml (no table inside a cell)."""
    rows, cells = content.count(_ROW), sum(content.count(c) for c in _CELLS)
    if b"-repeated=" not in content and rows * cells <= MAX_CELLS:
        return rows * cells  # each row at most every cell wide
    return sum(_table_cells(table) for table in content.split(b"</table:table>")[:-1])


def _table_cells(table: bytes) -> int:
    """The rows up to the last one holding anything, times the widest row up to its last cell holding anything."""
    rows = columns = blank = 0
    for piece in table.split(b"</table:table-row>"):  # each piece ends with a row (but the last)
        start = piece.rfind(_ROW)
        head, row = (piece[:start], piece[start:]) if start >= 0 else (piece, b"")
        if _ROW in head:  # rows written as one empty tag: blank, however many they stand for
            blank += sum(_repeat(found.group(), _ROWS_REPEATED) for found in _BLANK_ROW.finditer(head))
        end = row.find(b">") + 1
        tag, cells = row[:end], row[end:]
        if cells.endswith(b"/>"):
            cells = _EMPTY_TAIL.sub(b"", cells)
        if not tag or tag.endswith(b"/>") or not cells:
            blank += _repeat(tag, _ROWS_REPEATED) if tag else 0  # counted only when a row holding anything follows
            continue
        rows, blank = rows + blank + _repeat(tag, _ROWS_REPEATED), 0
        width = sum(cells.count(c) for c in _CELLS)
        if b"columns-repeated" in cells:
            width += sum(int(n) - 1 for n in _COLUMNS_REPEATED.findall(cells))
        columns = max(columns, width)
    return rows * columns


def _repeat(tag: bytes, attribute: re.Pattern[bytes]) -> int:
    found = attribute.search(tag)
    return int(found.group(1)) if found else 1


def read(fh: BinaryIO, archive: zipfile.ZipFile) -> tuple[list[tuple[str, Any]], bool] | None:
    """The spreadsheet's sheets as calamine reads them (name, sheet), and whether it holds dates; None when it is
    to be streamed instead (the module's docstring says when)."""
    info = archive.NameToInfo.get("content.xml")
    if info is None or info.file_size > MAX_CONTENT or fh.seek(0, 2) > MAX_FILE:
        return None
    with archive.open(info) as part:
        content = part.read(MAX_CONTENT + 1)
    if len(content) > MAX_CONTENT or not all(ns in content for ns in _NAMESPACES):
        return None
    if any(mark in content for mark in _OTHERWISE) or _UNTYPED.search(content):
        return None
    if grid_cells(content) > MAX_CELLS:
        return None
    from python_calamine import CalamineWorkbook

    try:
        fh.seek(0)
        workbook = CalamineWorkbook.from_filelike(fh)
        sheets = [(name, workbook.get_sheet_by_name(name)) for name in workbook.sheet_names]
    except Exception as exc:  # calamine refuses what the streaming reader may still read: it decides
        log.debug("calamine did not read the spreadsheet (%s); streaming it", type(exc).__name__)
        return None
    return sheets, b'value-type="date"' in content


def chunks(sheets: list[tuple[str, Any]], dated: bool, limits: Limits) -> Iterator[Chunk]:
    """The sheets' column chunks, as ``odf`` streams them."""
    for name, sheet in sheets:
        if sheet.start is None:
            continue  # no cells
        pad: list[object] = [None] * sheet.start[1]  # iter_rows starts at the first used column: put it back
        rows: Iterator[list[object]] = (pad + row for row in sheet.iter_rows())
        if dated:
            rows = ([_as_written(value) for value in row] for row in rows)
        yield from columns_to_chunks(rows, f"{name}!", (name,), limits)


def _as_written(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value
