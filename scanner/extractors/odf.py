"""OpenDocument: text (.odt) and spreadsheets (.ods), read straight from the zip with a streaming parser.

Locators:

- ODT: ``"p4"`` is the 4th paragraph or heading in document order, counting every ``text:p`` and
  ``text:h`` (empty ones and those inside tables and lists too); page headers and footers (from the
  master pages in styles.xml, where protective markings live) are ``"header"`` and ``"footer"``.
- ODS: column-aware like Excel, ``"Staff!C"`` with ``first_row`` (see ``tables.columns_to_chunks``). Read by
  calamine where it gives the same cells (``ods_grid``), else streamed as below.

The XML is streamed with lxml's ``iterparse`` (``ooxml.iter_ends``: no entity substituted, nothing fetched,
libxml2's size and depth limits, past which the file is ``TooLarge``), asking only for the elements read
(paragraphs, table rows), which are freed once read, so memory stays flat on large documents. A
password-protected document (``manifest:encryption-data`` in META-INF/manifest.xml) raises ``Encrypted``.
"""

from __future__ import annotations

import itertools
import logging
import zipfile
from collections.abc import Iterator
from typing import IO, BinaryIO

from lxml import etree

from scanner.errors import Encrypted
from scanner.extractors import ods_grid
from scanner.extractors.chunking import bounded, split
from scanner.extractors.guards import corrupt_on, open_package
from scanner.extractors.ooxml import iter_ends, release, xml_limits
from scanner.extractors.tables import columns_to_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
TEXT_P = TEXT + "p"
_HEADERS = {"header", "header-left", "header-first", "footer", "footer-left", "footer-first"}

MAX_COLUMNS = 16_384  # as many as a spreadsheet application shows


def extract_odt(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("ODT"), xml_limits("ODT"), open_package(fh, "ODT", limits) as archive:
        _reject_encrypted(archive, "ODT")
        yield from bounded(_odt_chunks(archive, limits), limits)


def extract_ods(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("ODS"), xml_limits("ODS"), open_package(fh, "ODS", limits) as archive:
        _reject_encrypted(archive, "ODS")
        grid = ods_grid.read(fh, archive)  # calamine, where it reads the cells as streaming them would
        yield from bounded(ods_grid.chunks(*grid, limits) if grid else _ods_chunks(archive, limits), limits)


def _reject_encrypted(archive: zipfile.ZipFile, kind: str) -> None:
    names = archive.namelist()
    manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
    if b"encryption-data" in manifest:
        raise Encrypted(f"password-protected {kind}")


def _odt_chunks(archive: zipfile.ZipFile, limits: Limits) -> Iterator[Chunk]:
    if "styles.xml" in archive.namelist():
        with archive.open("styles.xml") as styles:
            yield from _header_footer_chunks(styles, limits)
    number = 0
    with archive.open("content.xml") as content:
        for element in iter_ends(content, (TEXT + "p", TEXT + "h")):
            number += 1
            yield from split(_text(element), f"p{number}", (), limits)
            element.clear()


def _header_footer_chunks(styles: IO[bytes], limits: Limits) -> Iterator[Chunk]:
    seen: set[tuple[str, str]] = set()
    for element in iter_ends(styles, tuple(STYLE + local for local in _HEADERS)):
        local = element.tag.rpartition("}")[2]
        if local in _HEADERS:
            where = "header" if local.startswith("header") else "footer"
            lines = [_text(p) for p in element.iter() if p.tag in (TEXT + "p", TEXT + "h")]
            text = "\n".join(lines)
            if text.strip() and (where, text) not in seen:
                seen.add((where, text))
                yield from split(text, where, (where,), limits)
            element.clear()


def _text(element: etree._Element) -> str:
    """A paragraph's text, with ODF's space, tab and line-break elements turned back into characters."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child, etree._Comment | etree._ProcessingInstruction):
                pass  # not text, but its tail is
            elif child.tag == TEXT + "s":
                parts.append(" " * int(child.get(TEXT + "c", "1") or 1))
            elif child.tag == TEXT + "tab":
                parts.append("\t")
            elif child.tag == TEXT + "line-break":
                parts.append("\n")
            elif child.tag not in (TEXT + "p", TEXT + "h"):  # nested paragraphs are counted on their own
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join(parts)


def _ods_chunks(archive: zipfile.ZipFile, limits: Limits) -> Iterator[Chunk]:
    with archive.open("content.xml") as content:
        rows = _ods_rows(content, limits.max_table_rows)
        for (_, name), sheet_rows in itertools.groupby(rows, key=lambda item: item[0]):
            cells = (row for _, row in sheet_rows)
            yield from columns_to_chunks(cells, f"{name}!", (name,), limits)


def _ods_rows(content: IO[bytes], max_rows: int) -> Iterator[tuple[tuple[int, str], list[object]]]:
    """((sheet index, sheet name), row values) for every row of every sheet up to its last non-empty one.

    A row "repeated" N times stands for N rows, up to ``max_rows``. Empty rows are held back until a
    non-empty row follows them, so the filler row that ends a sheet (repeated about a million times)
    costs nothing."""
    sheet = (0, "")
    empty = 0
    events = etree.iterparse(
        content,
        events=("start", "end"),
        tag=(TABLE + "table", TABLE + "table-row"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    for event, element in events:
        if event == "start":
            if element.tag == TABLE + "table":
                sheet = (sheet[0] + 1, element.get(TABLE + "name") or f"Sheet{sheet[0] + 1}")
                empty = 0
            continue
        if element.tag != TABLE + "table-row":
            continue
        row = _row_values(element)
        repeat = min(int(element.get(TABLE + "number-rows-repeated", "1") or 1), max_rows)
        release(element)
        if not row:
            empty = min(empty + repeat, max_rows)
            continue
        for _ in range(empty):
            yield sheet, []
        empty = 0
        for _ in range(repeat):
            yield sheet, row


def _row_values(row: etree._Element) -> list[object]:
    """A row's values; empty cells become None, trailing empty cells are dropped."""
    values: list[object] = []
    empty = 0
    for cell in row:
        if cell.tag not in (TABLE + "table-cell", TABLE + "covered-table-cell"):
            continue
        value = _cell_value(cell)
        repeat = int(cell.get(TABLE + "number-columns-repeated", "1") or 1)
        if value is None:
            empty += repeat
            continue
        if len(values) + empty + repeat > MAX_COLUMNS:
            break
        values.extend([None] * empty + [value] * repeat)
        empty = 0
    return values


def _cell_value(cell: etree._Element) -> object:
    kind = cell.get(OFFICE + "value-type")
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(OFFICE + "value", "")
        try:
            number = float(raw)
        except ValueError:
            return raw or None
        return int(number) if number.is_integer() else number
    if kind == "date":
        return cell.get(OFFICE + "date-value")
    if kind == "boolean":
        return cell.get(OFFICE + "boolean-value") == "true"
    paragraphs = [p for p in cell if p.tag == TEXT_P]
    if len(paragraphs) == 1 and not len(paragraphs[0]):  # plain text, the usual cell: no markup inside to walk
        return paragraphs[0].text or None
    text = "\n".join(_text(p) for p in paragraphs)
    return text or None
