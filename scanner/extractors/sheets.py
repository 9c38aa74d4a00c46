"""Excel workbooks (.xlsx/.xlsm): column-aware chunks ``"Staff!C"`` with ``first_row`` per column batch.

The cells are read by python-calamine (calamine, in Rust), some twenty times faster than openpyxl. calamine
builds each sheet as a dense grid of its used area before handing rows over, so a sheet whose used area
is huge (two cells at A1 and XFD1048576 make a grid of 17 billion cells; the allocation aborts the process)
would exhaust memory. Before calamine sees a workbook, ``_dense_enough`` streams every worksheet's XML
once and bounds its area from the row numbers and cell references in it; a workbook with a sheet past
``MAX_CELLS`` or ``MAX_SHEET_XML`` is read by openpyxl in read-only mode instead, which streams rows and
stops at ``limits.max_table_rows``. Either way the chunks are the same (see ``tables.columns_to_chunks``).

Only worksheets are read (chart sheets hold no cells); formulas give their cached values. A
password-protected workbook is an OLE container and raises ``Encrypted``; a damaged one ``Corrupt``.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import Corrupt, Encrypted
from scanner.extractors.chunking import bounded
from scanner.extractors.guards import (
    PACKAGE_MAX_PARTS,
    check_expanded_size,
    check_zip_directory,
    corrupt_on,
    package_zip,
    reject_ole_container,
)
from scanner.extractors.ooxml import main_part, of_type, relationships
from scanner.extractors.tables import columns_to_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

MAX_CELLS = 4_000_000  # a sheet's used area that calamine may hold (about 32 bytes a cell)
MAX_SHEET_XML = 96 * 1024 * 1024  # bytes of one sheet's XML that calamine may parse
BLOCK = 1024 * 1024
_OVERLAP = 64  # bytes carried between blocks so a reference cut in two is still seen
# Literal-led patterns, so the scan runs at memory speed; an attribute that merely ends in "r" can match too,
# which only makes the bound larger. Row numbers: r="12"; cell references past column Z (rare): r="AB12".
_ROW_NUMBER = re.compile(rb'r="(\d{1,9})"')
_WIDE_REF = re.compile(rb'r="([A-Z]{2,3})\d')


def extract_xlsx(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("XLSX"):
        reject_ole_container(fh, "XLSX")
        check_zip_directory(fh, PACKAGE_MAX_PARTS)
        archive = package_zip(fh)
        check_expanded_size(archive, limits)
        dense = _dense_enough(archive)
        fh.seek(0)
        yield from bounded(_calamine_chunks(fh, limits) if dense else _openpyxl_chunks(fh, limits), limits)


def _calamine_chunks(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_filelike(fh)
        with workbook:
            for meta in workbook.sheets_metadata:
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue
                sheet = workbook.get_sheet_by_name(meta.name)
                if sheet.start is None:
                    continue  # no cells
                # iter_rows starts at row 1 but at the first used column: put the leading columns back
                pad: list[object] = [None] * sheet.start[1]
                rows = (pad + row for row in sheet.iter_rows())
                yield from columns_to_chunks(rows, f"{meta.name}!", (meta.name,), limits)
    except PasswordError as exc:
        raise Encrypted("password-protected XLSX") from exc
    except CalamineError as exc:
        raise Corrupt(f"damaged XLSX ({type(exc).__name__})") from exc


def _openpyxl_chunks(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    import openpyxl

    log.debug("a sheet's used area is too large to hold: streaming the workbook with openpyxl")
    workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
            yield from columns_to_chunks(rows, f"{sheet.title}!", (sheet.title,), limits)
    finally:
        workbook.close()


def _dense_enough(archive: zipfile.ZipFile) -> bool:
    """True when every worksheet's used area is at most ``MAX_CELLS`` and its XML at most ``MAX_SHEET_XML``.

    The worksheets are those the workbook's relationships name (where calamine finds them). The area is
    bounded above by (last row) x (last column), read from ``<row r="…">`` and from cell references past
    column Z, counting the bytes actually decompressed (a member's declared size can lie).
    """
    workbook = main_part(archive, "xl/workbook.xml")
    for member in of_type(relationships(archive, workbook), "/worksheet"):
        info = archive.NameToInfo.get(member)
        if info is None:
            continue
        rows = columns = read = ends = 0
        carry = b""
        with archive.open(info) as part:
            while block := part.read(BLOCK):
                read += len(block)
                if read > MAX_SHEET_XML:
                    return False
                text = carry + block
                # rows without a number still close: count the ends ("</row>", "</x:row>")
                ends += text.count(b"row>")
                rows = max([rows, ends, *map(int, _ROW_NUMBER.findall(text))])
                columns = max([columns, *(_column_number(ref) for ref in set(_WIDE_REF.findall(text)))])
                if rows * max(columns, 26) > MAX_CELLS:
                    return False
                carry = text[-_OVERLAP:]
    return True


def _column_number(letters: bytes) -> int:
    """Spreadsheet column letters as a 1-based number: b"A" -> 1, b"AA" -> 27, b"XFD" -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
