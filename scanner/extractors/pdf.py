"""PDF text with pypdf, one page at a time; locator ``"page 3"`` (1-based).

Encryption: a PDF that opens with the empty user password (only an owner password, restricting
printing or copying) is read like any other, since every PDF viewer shows it without asking. One that
needs a user password raises ``Encrypted``. A file without the ``%%EOF`` end marker is truncated and
raises ``Corrupt``, as does any parse error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import Corrupt, Encrypted, Unsupported
from scanner.extractors import ocr
from scanner.extractors.chunking import bounded, split
from scanner.extractors.guards import corrupt_on
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

TAIL_BYTES = 4096


def extract_pdf(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    with corrupt_on("PDF"):
        _check_complete(fh)
        try:
            yield from bounded(_pages(fh, limits), limits)
        except FileNotDecryptedError as exc:
            raise Encrypted("password-protected PDF") from exc
        except DependencyError as exc:
            raise Unsupported("this PDF's encryption needs the 'cryptography' package") from exc
        except (PyPdfError, RecursionError) as exc:
            raise Corrupt(f"damaged PDF ({type(exc).__name__})") from exc


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


def _pages(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    import pypdf

    reader = pypdf.PdfReader(fh)
    if reader.is_encrypted and not reader.decrypt(""):
        raise Encrypted("password-protected PDF")
    scanned: list[int] = []  # pages with no text layer: OCR reads them after every page with one
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        if ocr.needs_ocr(text):
            scanned.append(number)
        yield from split(text, f"page {number}", (), limits)
    yield from ocr.pdf_pages(fh, scanned, limits)
