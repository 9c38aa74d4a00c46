"""PowerPoint decks (.pptx/.pptm), read part by part with lxml rather than built as an object model.

Locators: ``"slide 2"`` for the text on a slide, ``"slide 2 notes"`` for its speaker notes. Slides come in
the order of the presentation's slide list.

The text is what python-pptx gives (Steward read decks with it before): a slide is one line per shape, in
the order of its shape tree, with groups' members in place; a text shape's line is its paragraphs joined
by "\\n" (a soft line break is "\\v", as PowerPoint puts it on the clipboard), and a shape without text
gives an empty line; a table gives one line per row, cells separated by tabs; pictures, connectors and
charts give nothing. The notes are the text of the notes slide's body placeholder.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from scanner.extractors.chunking import bounded, split
from scanner.extractors.guards import corrupt_on, open_package
from scanner.extractors.ooxml import R_ID, iter_ends, main_part, of_type, relationships, xml_limits, xml_parser
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

P_NS = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
A_NS = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
SP, GRP_SP, GRAPHIC_FRAME = P_NS + "sp", P_NS + "grpSp", P_NS + "graphicFrame"
_SHAPES = {SP, GRP_SP, GRAPHIC_FRAME, P_NS + "cxnSp", P_NS + "pic", P_NS + "contentPart"}
TABLE_URI = "http://schemas.openxmlformats.org/drawingml/2006/table"


def extract_pptx(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    with corrupt_on("PPTX"), xml_limits("PPTX"), open_package(fh, "PPTX", limits) as archive:
        yield from bounded(_pptx_chunks(archive, limits), limits)


def _pptx_chunks(archive: zipfile.ZipFile, limits: Limits) -> Iterator[Chunk]:
    presentation = main_part(archive, "ppt/presentation.xml")
    rels = relationships(archive, presentation)
    with archive.open(presentation) as stream:
        slide_ids = [element.get(R_ID, "") for element in iter_ends(stream, (P_NS + "sldId",))]
    for number, rel in enumerate(slide_ids, start=1):
        if rel not in rels:
            continue
        slide = rels[rel][1]
        tree = _parse(archive, slide)
        yield from split("\n".join(_shape_lines(_shape_tree(tree))), f"slide {number}", (), limits)
        notes = of_type(relationships(archive, slide, b"/notesSlide"), "/notesSlide")
        if notes:
            body = _notes_body(_parse(archive, notes[0]))
            if body is not None:
                yield from split(_text_frame(body), f"slide {number} notes", ("notes",), limits)


def _parse(archive: zipfile.ZipFile, member: str) -> etree._Element:
    with archive.open(member) as stream:
        return etree.parse(stream, xml_parser()).getroot()


def _shape_tree(root: etree._Element) -> Iterator[etree._Element]:
    tree = root.find(f"{P_NS}cSld/{P_NS}spTree")
    return (child for child in (tree if tree is not None else ()) if child.tag in _SHAPES)


def _shape_lines(shapes: Iterator[etree._Element]) -> Iterator[str]:
    """One line per text shape, one per table row, groups' members in place."""
    for shape in shapes:
        if shape.tag == GRP_SP:
            yield from _shape_lines(child for child in shape if child.tag in _SHAPES)
        elif shape.tag == GRAPHIC_FRAME:
            data = shape.find(f"{A_NS}graphic/{A_NS}graphicData")
            table = data.find(A_NS + "tbl") if data is not None and data.get("uri") == TABLE_URI else None
            for row in table.iterchildren(A_NS + "tr") if table is not None else ():
                yield "\t".join(_text_frame(cell) for cell in row.iterchildren(A_NS + "tc"))
        elif shape.tag == SP:
            yield _text_frame(shape)


def _text_frame(holder: etree._Element) -> str:
    """The text of a shape's or a table cell's text body: paragraphs joined by "\\n"."""
    body = holder.find(P_NS + "txBody")
    if body is None:
        body = holder.find(A_NS + "txBody")
    if body is None:
        return ""
    return "\n".join(_paragraph(p) for p in body.iterchildren(A_NS + "p"))


def _paragraph(p: etree._Element) -> str:
    parts: list[str] = []
    for child in p:
        if child.tag in (A_NS + "r", A_NS + "fld"):
            parts.append(child.findtext(A_NS + "t") or "")
        elif child.tag == A_NS + "br":
            parts.append("\v")
    return "".join(parts)


def _notes_body(root: etree._Element) -> etree._Element | None:
    """The notes slide's body placeholder, which holds the speaker notes."""
    for shape in _shape_tree(root):
        for placeholder in shape.iterfind(f"*/{P_NS}nvPr/{P_NS}ph"):
            if placeholder.get("type") == "body":
                return shape
    return None
