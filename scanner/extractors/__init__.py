"""Extractors, one per MIME family: ``extract(stream, limits) -> Iterator[Chunk]``.

Adding one: a new function in a module of this package and one line in ``EXTRACTORS``.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from scanner.errors import ConfigError
from scanner.registry import load
from scanner.types import Chunk, Limits

Extractor = Callable[[BinaryIO, Limits], Iterator[Chunk]]

_OOXML = "application/vnd.openxmlformats-officedocument."

EXTRACTORS: dict[str, str] = {
    # Office documents, by the MIME types scanner.identify gives. libmagic 5.44 gives the same, except
    # that it calls an .xlsm an .xlsx and a password-protected OOXML file "application/encrypted".
    _OOXML + "wordprocessingml.document": "scanner.extractors.word:extract_docx",
    "application/vnd.ms-word.document.macroEnabled.12": "scanner.extractors.word:extract_docx",
    _OOXML + "spreadsheetml.sheet": "scanner.extractors.sheets:extract_xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.12": "scanner.extractors.sheets:extract_xlsx",
    _OOXML + "presentationml.presentation": "scanner.extractors.slides:extract_pptx",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.12": "scanner.extractors.slides:extract_pptx",
    "application/x-ooxml-encrypted": "scanner.extractors.office:extract_encrypted",
    "application/encrypted": "scanner.extractors.office:extract_encrypted",
    "application/vnd.oasis.opendocument.text": "scanner.extractors.odf:extract_odt",
    "application/vnd.oasis.opendocument.spreadsheet": "scanner.extractors.odf:extract_ods",
    "application/pdf": "scanner.extractors.pdf:extract_pdf",
    "text/rtf": "scanner.extractors.rtf:extract_rtf",
    "application/rtf": "scanner.extractors.rtf:extract_rtf",
    "application/msword": "scanner.extractors.legacy:extract_doc",
    "application/vnd.ms-excel": "scanner.extractors.legacy:extract_xls",
    # Text, structured data, mail and archives (text/tab-separated-values comes from identification).
    "text/plain": "scanner.extractors.text:extract_text",
    "text/csv": "scanner.extractors.text:extract_csv",
    "text/tab-separated-values": "scanner.extractors.text:extract_tsv",
    "application/json": "scanner.extractors.structured:extract_json",
    "text/xml": "scanner.extractors.structured:extract_xml",
    "application/xml": "scanner.extractors.structured:extract_xml",
    "text/html": "scanner.extractors.markup:extract_html",
    "message/rfc822": "scanner.extractors.mail:extract_eml",
    "application/vnd.ms-outlook": "scanner.extractors.mail:extract_msg",
    "application/zip": "scanner.extractors.archive:extract_zip",
    # Images: metadata (EXIF/XMP/IPTC), then OCR (scanner.extractors.ocr; extract.ocr in config.yaml).
    **dict.fromkeys(
        ("image/tiff", "image/png", "image/jpeg", "image/bmp", "image/x-ms-bmp", "image/gif"),
        "scanner.extractors.images:extract_image",
    ),
}


# Libraries the extractors import on first use (so that commands which read no file start quickly).
_ON_FIRST_USE = (
    "pypdfium2",
    "python_calamine",
    "striprtf.striprtf",
    "defusedxml.ElementTree",
    "PIL.Image",
    "tesserocr",
)


def preload() -> None:
    """Import every extractor and the libraries they load on first use, now: a scan's parent does this before
    forking its content workers, so each worker shares them rather than importing (and paying for) its own copy
    when its first PDF or workbook comes along. A missing optional library is left for its first file to report."""
    for path in set(EXTRACTORS.values()):
        with contextlib.suppress(ConfigError):
            load(path)
    for name in _ON_FIRST_USE:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def for_mime(mime: str | None) -> Extractor | None:
    """The extractor for a MIME type, or None when Steward cannot read it."""
    if mime is None or mime not in EXTRACTORS:
        return None
    extractor: Extractor = load(EXTRACTORS[mime])
    return extractor
