"""Office Open XML: which module reads what, and password-protected files.

- Word (.docx/.docm): ``scanner.extractors.word``; Excel (.xlsx/.xlsm): ``scanner.extractors.sheets``;
  PowerPoint (.pptx/.pptm): ``scanner.extractors.slides``. Each streams the package's XML (or hands a
  workbook to calamine) rather than building python-docx/openpyxl/python-pptx object models; their
  locators are described there.
- A password-protected OOXML file is an OLE container, identified as ``ENCRYPTED_OOXML`` and answered
  by ``extract_encrypted``; the others check for it too (``guards.reject_ole_container``), whatever type
  they were called for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from scanner.errors import Encrypted
from scanner.types import Chunk, Limits


def extract_encrypted(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    """A password-protected Office file: nothing can be read without the password (raises at once)."""
    raise Encrypted("password-protected Office file")
