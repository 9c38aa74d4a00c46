"""Word documents (.docx/.docm), streamed from word/document.xml with lxml rather than built as an object model.

Locators: ``"p12"`` is the 12th paragraph of the body, counting every paragraph (empty ones too) in
document order, tables aside; a table is column-aware like a sheet, ``"table1!B"`` with ``first_row``, so
``"table1!B3"`` is the cell in its third row; page headers and footers (where protective markings live)
are ``"header"`` and ``"footer"`` and come first.

The text is what python-docx gives (Steward read Word files with it before), element for element:

- a paragraph is its runs and hyperlinks' runs (``w:t``; ``w:tab`` and ``w:ptab`` as tabs; ``w:br`` of
  the text-wrapping kind and ``w:cr`` as line breaks; ``w:noBreakHyphen`` as "-"); only the body's own
  paragraphs and tables count, not those wrapped in content controls;
- a table row has one cell per grid column (a cell spanning three columns is repeated three times), and
  a vertically merged cell repeats the cell above it; a cell's text is its paragraphs, one a line;
- each section's headers and footers are read in the order default, first page, even pages, a header
  before its footer; one linked to the previous section's is not repeated, nor is the same text twice.

The body is streamed: each top-level paragraph or table is read when it closes and then freed, so
memory stays flat on long documents. Section properties (which name the header and footer parts) sit
among and after the paragraphs, so when the document has headers or footers a first streamed pass finds
them.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from scanner.extractors.chunking import bounded, split
from scanner.extractors.guards import corrupt_on, open_package
from scanner.extractors.ooxml import R_ID, iter_ends, main_part, relationships, release, xml_limits
from scanner.extractors.tables import columns_to_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BODY, P, TBL, TR, TC, SECT = W + "body", W + "p", W + "tbl", W + "tr", W + "tc", W + "sectPr"
R, HYPERLINK, T, TAB, PTAB, BR, CR, NB_HYPHEN = (
    W + "r",
    W + "hyperlink",
    W + "t",
    W + "tab",
    W + "ptab",
    W + "br",
    W + "cr",
    W + "noBreakHyphen",
)
_ORDER = (
    ("header", "default"),
    ("footer", "default"),
    ("header", "first"),
    ("footer", "first"),
    ("header", "even"),
    ("footer", "even"),
)


def extract_docx(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("DOCX"), xml_limits("DOCX"), open_package(fh, "DOCX", limits) as archive:
        yield from bounded(_docx_chunks(archive, limits), limits)


def _docx_chunks(archive: zipfile.ZipFile, limits: Limits) -> Iterator[Chunk]:
    document = main_part(archive, "word/document.xml")
    rels = relationships(archive, document)
    if any(t.endswith(("/header", "/footer")) for t, _ in rels.values()):
        yield from _headers_and_footers(archive, document, rels, limits)
    paragraphs = tables = 0
    with archive.open(document) as stream:
        for element in iter_ends(stream, (P, TBL)):
            parent = element.getparent()
            if parent is None or parent.tag != BODY:
                continue  # inside a table or a content control: read with what holds it
            if element.tag == P:
                paragraphs += 1
                yield from split(paragraph_text(element), f"p{paragraphs}", (), limits)
            else:
                tables += 1
                yield from columns_to_chunks(table_rows(element), f"table{tables}!", (), limits)
            release(element)


def _headers_and_footers(
    archive: zipfile.ZipFile, document: str, rels: dict[str, tuple[str, str]], limits: Limits
) -> Iterator[Chunk]:
    seen: set[tuple[str, str]] = set()
    for references in _sections(archive, document):
        for kind, which in _ORDER:
            rel = references.get((kind, which))
            if rel is None or rel not in rels or rels[rel][1] not in archive.NameToInfo:
                continue  # linked to the previous section's
            text = "\n".join(_part_lines(archive, rels[rel][1]))
            if text.strip() and (kind, text) not in seen:
                seen.add((kind, text))
                yield from split(text, kind, (kind,), limits)


def _sections(archive: zipfile.ZipFile, document: str) -> Iterator[dict[tuple[str, str], str]]:
    """Each section's header and footer references, ``{("header", "default"): rId}``, in document order."""
    with archive.open(document) as stream:
        for element in iter_ends(stream, (P, TBL, SECT)):
            parent = element.getparent()
            if element.tag == SECT:
                if _top_level_section(parent):
                    yield {
                        (child.tag[len(W) :].removesuffix("Reference"), child.get(W + "type", "default")): child.get(
                            R_ID, ""
                        )
                        for child in element
                        if child.tag in (W + "headerReference", W + "footerReference")
                    }
            elif parent is not None and parent.tag == BODY:
                release(element)


def _top_level_section(parent: etree._Element | None) -> bool:
    """A section's properties sit at the end of the body or in a top-level paragraph's properties."""
    if parent is None:
        return False
    if parent.tag == BODY:
        return True
    paragraph = parent.getparent() if parent.tag == W + "pPr" else None
    holder = paragraph.getparent() if paragraph is not None and paragraph.tag == P else None
    return holder is not None and holder.tag == BODY


def _part_lines(archive: zipfile.ZipFile, member: str) -> Iterator[str]:
    """A header or footer's lines: its paragraphs, and its tables' rows with cells separated by tabs."""
    with archive.open(member) as stream:
        for element in iter_ends(stream, (P, TBL)):
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # not a direct child of w:hdr / w:ftr
            if element.tag == P:
                yield paragraph_text(element)
            else:
                yield from ("\t".join(row) for row in table_rows(element))
            release(element)


def paragraph_text(p: etree._Element) -> str:
    """A paragraph's text as python-docx reads it: its runs, and the runs of its hyperlinks."""
    parts: list[str] = []
    for child in p:
        if child.tag == R:
            _run_text(child, parts)
        elif child.tag == HYPERLINK:
            for run in child:
                if run.tag == R:
                    _run_text(run, parts)
    return "".join(parts)


def _run_text(run: etree._Element, parts: list[str]) -> None:
    for item in run:
        tag = item.tag
        if tag == T:
            parts.append(item.text or "")
        elif tag in (TAB, PTAB):
            parts.append("\t")
        elif tag == BR:
            if item.get(W + "type", "textWrapping") == "textWrapping":
                parts.append("\n")
        elif tag == CR:
            parts.append("\n")
        elif tag == NB_HYPHEN:
            parts.append("-")


def table_rows(table: etree._Element) -> Iterator[list[str]]:
    """A table's rows, one text per grid column (spans repeated, vertical merges filled from above)."""
    above: dict[int, tuple[str, int]] = {}  # grid offset -> (text, span) of the cell starting there
    for row in table:
        if row.tag != TR:
            continue
        offset = _int(row.find(f"{W}trPr/{W}gridBefore"), 0)
        cells: list[str] = []
        current: dict[int, tuple[str, int]] = {}
        for cell in row:
            if cell.tag != TC:
                continue
            properties = cell.find(W + "tcPr")
            span = _int(properties.find(W + "gridSpan") if properties is not None else None, 1)
            merge = properties.find(W + "vMerge") if properties is not None else None
            if merge is not None and merge.get(W + "val", "continue") == "continue":
                text, width = above.get(offset, ("", span))
            else:
                text = "\n".join(paragraph_text(p) for p in cell if p.tag == P)
                width = span
            current[offset] = (text, width)
            cells.extend([text] * width)
            offset += span
        above = current
        yield cells


def _int(element: etree._Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return int(element.get(W + "val", default))
    except ValueError:
        return default
