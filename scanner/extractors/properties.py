"""Document properties that say who wrote a file: author and last-modified-by of Office Open XML, OpenDocument
and PDF files. Only these properties are read, never the text: a name found *in* a document is personal data
and stays with detection; the author property is evidence of ownership."""

from __future__ import annotations

import logging
from typing import BinaryIO

log = logging.getLogger(__name__)

MAX_PROPS_BYTES = 1024 * 1024
OOXML_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
}
ODF_NS = {"dc": "http://purl.org/dc/elements/1.1/", "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"}


def document_authors(fh: BinaryIO, mime: str | None) -> tuple[str, ...]:
    """Distinct author names from the file's properties (in order: author, then last modified by); () when
    the format has none or the properties cannot be read. Never raises."""
    if not mime:
        return ()
    try:
        fh.seek(0)
        if mime == "application/pdf":
            return _pdf(fh)
        if mime.startswith("application/vnd.openxmlformats-officedocument.") or ".macroEnabled" in mime:
            return _zip_xml(fh, "docProps/core.xml", OOXML_NS, ("dc:creator", "cp:lastModifiedBy"))
        if mime.startswith("application/vnd.oasis.opendocument."):
            return _zip_xml(fh, "meta.xml", ODF_NS, (".//meta:initial-creator", ".//dc:creator"))
    except Exception as exc:  # properties are a bonus: a damaged file is reported by its extractor
        log.debug("no document properties: %s", type(exc).__name__)
    return ()


def _clean(names: list[str | None]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        text = " ".join((name or "").split())[:200]
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _zip_xml(fh: BinaryIO, member: str, ns: dict[str, str], paths: tuple[str, ...]) -> tuple[str, ...]:
    from defusedxml import ElementTree

    from scanner.extractors.guards import package_zip

    archive = package_zip(fh)
    info = archive.getinfo(member)
    if info.file_size > MAX_PROPS_BYTES:
        return ()
    root = ElementTree.fromstring(archive.read(info))
    return _clean([root.findtext(path, None, ns) for path in paths])


def _pdf(fh: BinaryIO) -> tuple[str, ...]:
    import pypdfium2.raw as pdfium_c

    from scanner.extractors.pdf import open_pdf

    document = open_pdf(fh)
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1:
            return ()  # encrypted, even if only with an owner password: its properties are left alone
        return _clean([document.get_metadata_value("Author") or None])
    finally:
        document.close()
