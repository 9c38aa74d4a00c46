"""PDF text with pypdfium2 (PDFium, the engine of Chromium's viewer), one page at a time; locator ``"page 3"``.

Why PDFium: on the same files it extracts text about fifteen times faster than pypdf and sixty times faster
than pdfminer.six (``benchmarks/extract.py``, figures in docs/performance.md), keeps a page structure, reads
the document from the open stream without copying it, and expands ligatures ("ﬃ" -> "ffi"), which helps the
recognisers. Line ends are normalised to "\\n".

Encryption: a PDF that opens with the empty user password (only an owner password, restricting
printing or copying) is read like any other, since every PDF viewer shows it without asking. One that
needs a user password raises ``Encrypted``. A file without the ``%%EOF`` end marker is truncated and
raises ``Corrupt``, as does any parse error.

The page loop is ``_pages``: each page's text comes from ``page_text(page)``; a page without a text
layer gives "" there (the place for OCR to take over).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from scanner.errors import Corrupt, Encrypted, Unsupported
from scanner.extractors import ocr
from scanner.extractors.chunking import bounded, split
from scanner.types import Chunk, Limits

if TYPE_CHECKING:
    import pypdfium2

log = logging.getLogger(__name__)

TAIL_BYTES = 4096
_ERR_PASSWORD = 4  # FPDF_ERR_PASSWORD
_ERR_SECURITY = 5  # FPDF_ERR_SECURITY: an encryption scheme PDFium does not support


def extract_pdf(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    _check_complete(fh)
    yield from bounded(_pages(fh, limits), limits)


def _check_complete(fh: BinaryIO) -> None:
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(max(0, size - TAIL_BYTES))
    tail = fh.read()
    fh.seek(0)
    if not fh.read(1024).lstrip().startswith(b"%PDF-"):
        raise Corrupt("damaged PDF (no %PDF header)")
    if b"%%EOF" not in tail:
        raise Corrupt("truncated PDF (no %%EOF marker)")
    fh.seek(0)


def open_pdf(fh: BinaryIO) -> pypdfium2.PdfDocument:
    """The document read from ``fh`` (which must stay open while it is used), or the file's status."""
    import pypdfium2

    fh.seek(0)
    try:
        return pypdfium2.PdfDocument(fh, autoclose=False)
    except pypdfium2.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == _ERR_PASSWORD:
            raise Encrypted("password-protected PDF") from exc
        if code == _ERR_SECURITY:
            raise Unsupported("this PDF's encryption scheme is not supported") from exc
        raise Corrupt(f"damaged PDF ({type(exc).__name__})") from exc


def page_text(page: pypdfium2.PdfPage) -> str:
    """The text layer of one page, with "\\n" line ends ("" when the page has none)."""
    textpage = page.get_textpage()
    try:
        text: str = textpage.get_text_range()
    finally:
        textpage.close()
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _pages(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    import pypdfium2

    document = open_pdf(fh)
    try:
        scanned: list[int] = []  # pages with no text layer: OCR reads them after every page with one
        for index in range(len(document)):
            try:
                page = document[index]
            except pypdfium2.PdfiumError as exc:
                raise Corrupt(f"damaged PDF (page {index + 1} cannot be loaded)") from exc
            try:
                text = page_text(page)
            finally:
                page.close()
            if ocr.needs_ocr(text):
                scanned.append(index + 1)
            yield from split(text, f"page {index + 1}", (), limits)
        yield from ocr.pdf_pages(document, scanned, limits)
    finally:
        document.close()
