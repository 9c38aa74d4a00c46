"""Reading the parts of a zip-based Office package (OOXML, ODF) with lxml, safely and without object models.

- ``xml_parser()`` and ``iter_ends(stream, tags)`` parse with libxml2's defaults for hostile input: no DTD
  loaded, no entity substituted, nothing fetched from the network, text nodes and nesting depth limited.
  ``iter_ends`` streams: it yields each wanted element when it closes, and the caller clears what it has read.
- ``xml_limits(kind)`` turns the parser's refusal of input past those limits (a text node over 10 MB, nesting
  over 256 levels) into ``TooLarge``: such a file is not damaged, it is beyond what Steward reads. Other
  parse failures reach ``guards.corrupt_on`` as ``Corrupt``.
- ``relationships(archive, part)`` and ``main_part(archive, default)`` follow the package's ``.rels`` files.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from lxml import etree

from scanner.errors import TooLarge

PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
MAX_RELS_BYTES = 4 * 1024 * 1024
_LIMIT_MESSAGES = ("huge", "Excessive depth", "XML_PARSE_HUGE", "amplification")


def xml_parser() -> etree.XMLParser:
    """A parser for a whole (small) part: no DTD, no entities, no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def iter_ends(stream: IO[bytes], tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Each element whose tag is in ``tags``, as it closes, from a streamed part."""
    events = etree.iterparse(
        stream, events=("end",), tag=tags, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    for _, element in events:
        yield element


def release(element: etree._Element) -> None:
    """Free a streamed element that has been read, and the siblings read before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


@contextmanager
def xml_limits(kind: str) -> Iterator[None]:
    """Re-raise the XML parser's refusal of a part past its size or depth limits as ``TooLarge``."""
    try:
        yield
    except etree.XMLSyntaxError as exc:
        if any(text in str(exc) for text in _LIMIT_MESSAGES):
            raise TooLarge(f"{kind} holds XML beyond the parser's limits (text node or nesting depth)") from exc
        raise


def relationships(archive: zipfile.ZipFile, part: str, naming: bytes = b"") -> dict[str, tuple[str, str]]:
    """``{rId: (type, member name)}`` for the internal relationships of ``part`` ("" for the package); with
    ``naming``, {} at once when the part's bytes do not hold it (no relationship of that type can be there)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    try:
        info = archive.getinfo(rels)
    except KeyError:
        return {}
    if info.file_size > MAX_RELS_BYTES:
        raise TooLarge(f"{rels} is larger than {MAX_RELS_BYTES} bytes")
    raw = archive.read(info)
    if naming not in raw and b"\x00" not in raw[:4]:  # (UTF-16, which XML allows, spells it otherwise: parsed)
        return {}
    root = etree.fromstring(raw, xml_parser())
    found: dict[str, tuple[str, str]] = {}
    for rel in root.iter(PACKAGE_RELS):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id") or ""] = (rel.get("Type") or "", member)
    return found


def main_part(archive: zipfile.ZipFile, default: str) -> str:
    """The package's main part (the officeDocument relationship), or ``default``."""
    for rel_type, member in relationships(archive, "").values():
        if rel_type.endswith("/officeDocument"):
            return member
    return default


def of_type(rels: dict[str, tuple[str, str]], suffix: str) -> list[str]:
    """The members of the relationships whose type ends with ``suffix`` (such as "/notesSlide")."""
    return [member for rel_type, member in rels.values() if rel_type.endswith(suffix)]
