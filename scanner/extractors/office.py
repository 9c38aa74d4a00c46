"""Office Open XML: Word (.docx/.docm), Excel (.xlsx/.xlsm) and PowerPoint (.pptx/.pptm).

Locators:

- Word: ``"p12"`` is the 12th paragraph of the body, counting every paragraph (empty ones too) in
  document order, tables aside; a table is column-aware like a sheet, ``"table1!B"`` with
  ``first_row``, so ``"table1!B3"`` is the cell in its third row; page headers and footers (where
  protective markings live) are ``"header"`` and ``"footer"``.
- Excel: ``"Staff!C"`` with ``first_row`` per column batch (see ``tables.columns_to_chunks``); each
  chunk's context is (column header, sheet name).
- PowerPoint: ``"slide 2"`` for the text on a slide, ``"slide 2 notes"`` for its speaker notes.

A password-protected OOXML file is an OLE container, identified as ``ENCRYPTED_OOXML`` and answered
by ``extract_encrypted``; the others check for it too, whatever type they were called for.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from scanner.errors import Encrypted
from scanner.extractors.chunking import bounded, split
from scanner.extractors.guards import check_expanded_size, corrupt_on, reject_ole_container
from scanner.extractors.tables import columns_to_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)


def extract_encrypted(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    """A password-protected Office file: nothing can be read without the password."""
    raise Encrypted("password-protected Office file")
    yield  # pragma: no cover - makes this a generator like every other extractor


def _open_zip(fh: BinaryIO, kind: str, limits: Limits) -> None:
    reject_ole_container(fh, kind)
    with zipfile.ZipFile(fh) as archive:
        check_expanded_size(archive, limits)
    fh.seek(0)


def extract_docx(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("DOCX"):
        _open_zip(fh, "DOCX", limits)
        yield from bounded(_docx_chunks(fh, limits), limits)


def _docx_chunks(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(fh)
    seen: set[tuple[str, str]] = set()
    for section in document.sections:  # headers first: a marking is the first thing a reader sees
        for where, part in (
            ("header", section.header),
            ("footer", section.footer),
            ("header", section.first_page_header),
            ("footer", section.first_page_footer),
            ("header", section.even_page_header),
            ("footer", section.even_page_footer),
        ):
            if part.is_linked_to_previous:
                continue
            text = "\n".join(_part_lines(part.iter_inner_content()))
            if text.strip() and (where, text) not in seen:
                seen.add((where, text))
                yield from split(text, where, (where,), limits)
    paragraphs = tables = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraphs += 1
            yield from split(block.text, f"p{paragraphs}", (), limits)
        elif isinstance(block, Table):
            tables += 1
            rows = ([cell.text for cell in row.cells] for row in block.rows)
            yield from columns_to_chunks(rows, f"table{tables}!", (), limits)


def _part_lines(blocks: Iterable[object]) -> Iterator[str]:
    """Text lines of a header or footer: its paragraphs, and its tables' cells row by row."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                yield "\t".join(cell.text for cell in row.cells)


def extract_xlsx(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("XLSX"):
        reject_ole_container(fh, "XLSX")
        yield from bounded(_xlsx_chunks(fh, limits), limits)


def _xlsx_chunks(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    import openpyxl

    workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
            yield from columns_to_chunks(rows, f"{sheet.title}!", (sheet.title,), limits)
    finally:
        workbook.close()


def extract_pptx(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("PPTX"):
        _open_zip(fh, "PPTX", limits)
        yield from bounded(_pptx_chunks(fh, limits), limits)


def _pptx_chunks(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    import pptx

    deck = pptx.Presentation(fh)
    for number, slide in enumerate(deck.slides, start=1):
        text = "\n".join(_shape_lines(slide.shapes))
        yield from split(text, f"slide {number}", (), limits)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                yield from split(notes.text, f"slide {number} notes", ("notes",), limits)


def _shape_lines(shapes: Iterable[object]) -> Iterator[str]:
    """Text of shapes in slide order: text frames, table cells (row by row), and groups' members."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shape_lines(shape.shapes)  # type: ignore[attr-defined]
        elif getattr(shape, "has_table", False):
            for row in shape.table.rows:  # type: ignore[attr-defined]
                yield "\t".join(cell.text for cell in row.cells)
        elif getattr(shape, "has_text_frame", False):
            yield shape.text_frame.text  # type: ignore[attr-defined]
