"""Turning what parsers do with damaged or hostile files into Steward's outcomes.

- ``corrupt_on(kind)`` wraps an extractor's work: a parser failure on a damaged file (bad zip, missing
  part, broken XML, truncated stream) becomes ``Corrupt`` with a short reason naming only the format and
  the error class, never the library's message (it can quote document content).
- ``reject_ole_container(fh)`` is for zip-based formats: a password-protected OOXML file is an OLE
  compound file, not a zip, so one that arrives under an OOXML type is reported as ``Encrypted``.
- ``check_expanded_size(archive, limits)`` refuses a zip that would expand past
  ``limits.max_expanded_bytes`` before a parser loads a part into memory (zip bombs).
- ``check_zip_directory(fh, max_entries)`` refuses a zip whose central directory lists more entries than
  ``max_entries`` (or is bigger than they could need), read from the end record before ``zipfile`` builds
  an object per entry (an archive of millions of empty members would take gigabytes and minutes).
- ``open_package(fh, kind, limits)`` does all three for an Office package and opens it as a zip.
- ``package_zip(fh)`` is that zip, its central directory read once per open file: naming a package, extracting
  it and reading its properties each ask for it (each read cost about 60 µs a document).
"""

from __future__ import annotations

import logging
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

import msoffcrypto
from defusedxml import DefusedXmlException
from lxml import etree

from scanner.errors import Corrupt, Encrypted, ItemError, TooLarge
from scanner.types import Limits

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PACKAGE_MAX_PARTS = 50_000  # an Office package with more parts than this is not a document but a bomb
ENTRY_BYTES = 1024  # central directory bytes allowed per entry (46 fixed, a name, extra fields)
_EOCD, _EOCD64_LOCATOR, _EOCD64 = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"

PARSE_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    KeyError,
    IndexError,
    ValueError,  # includes UnicodeDecodeError
    TypeError,
    AttributeError,  # python-docx/pptx on elements missing where the schema wants them
    OSError,
    ParseError,
    etree.LxmlError,
    DefusedXmlException,
    NotImplementedError,  # e.g. an unsupported zip compression method
)


@contextmanager
def corrupt_on(kind: str) -> Iterator[None]:
    """Re-raise a parser's failure as ``Corrupt("damaged <kind> (<ErrorClass>)")``."""
    try:
        yield
    except ItemError:
        raise
    except PARSE_ERRORS as exc:
        log.debug("%s parse failed (%s)", kind, type(exc).__name__)
        raise Corrupt(f"damaged {kind} ({type(exc).__name__})") from exc


def reject_ole_container(fh: BinaryIO, kind: str) -> None:
    """Raise ``Encrypted`` for a password-protected OLE container, ``Corrupt`` for any other OLE file."""
    fh.seek(0)
    if fh.read(8) != OLE_MAGIC:
        fh.seek(0)
        return
    fh.seek(0)
    try:
        encrypted = msoffcrypto.OfficeFile(fh).is_encrypted()
    except Exception as exc:  # msoffcrypto raises plain Exception for unknown containers
        raise Corrupt(f"damaged {kind} (an OLE file, not a zip)") from exc
    finally:
        fh.seek(0)
    if encrypted:
        raise Encrypted(f"password-protected {kind}")
    raise Corrupt(f"damaged {kind} (an OLE file, not a zip)")


def check_expanded_size(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Raise ``TooLarge`` when the zip's members add up to more than ``limits.max_expanded_bytes``."""
    total = sum(info.file_size for info in archive.infolist())
    if total > limits.max_expanded_bytes:
        raise TooLarge(f"expands to {total} bytes, more than {limits.max_expanded_bytes}")


def check_zip_directory(fh: BinaryIO, max_entries: int) -> None:
    """Raise ``TooLarge`` when the zip's end record lists more than ``max_entries`` entries, or a central
    directory larger than ``max_entries * ENTRY_BYTES``. Leaves ``fh`` at 0; a file with no end record is
    left for ``zipfile`` to report."""
    entries, size = _directory_size(fh)
    fh.seek(0)
    if entries > max_entries or size > max(max_entries, 1) * ENTRY_BYTES:
        raise TooLarge(f"a zip directory of {entries} entries ({size} bytes), more than the limit of {max_entries}")


def _directory_size(fh: BinaryIO) -> tuple[int, int]:
    """(entries, bytes) of the central directory, from the (zip64) end record; (0, 0) when there is none."""
    fh.seek(0, 2)
    end = fh.tell()
    start = max(0, end - (22 + 0xFFFF + 20))  # the end record, its comment and a zip64 locator before it
    fh.seek(start)
    tail = fh.read(end - start)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        return 0, 0
    entries, size = struct.unpack_from("<HI", tail, at + 10)
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and at >= 20 and tail[at - 20 : at - 16] == _EOCD64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", tail, at - 12)
        fh.seek(offset)
        record = fh.read(56)
        if len(record) == 56 and record[:4] == _EOCD64:
            entries, size = struct.unpack_from("<QQ", record, 32)
    return entries, size


@contextmanager
def open_package(fh: BinaryIO, kind: str, limits: Limits) -> Iterator[zipfile.ZipFile]:
    """The zip of an Office package, once it is known not to be encrypted nor to expand past the limits."""
    reject_ole_container(fh, kind)
    check_zip_directory(fh, PACKAGE_MAX_PARTS)
    archive = package_zip(fh)
    check_expanded_size(archive, limits)
    yield archive


KEPT_PARTS = 4096  # a zip of more members (an archive, not a document) is not kept: its directory takes megabytes
_last_zip: zipfile.ZipFile | None = None  # the zip over the open file read last, in this process


def package_zip(fh: BinaryIO) -> zipfile.ZipFile:
    """A zip over ``fh`` (a seekable file left open by its owner), its central directory parsed once while that
    file is open: the same object again for the same open file (of up to ``KEPT_PARTS`` members). Not to be
    closed by the caller (closing a zip given a file object leaves that file open anyway); a zip that cannot be
    read raises each time."""
    global _last_zip
    last = _last_zip
    if last is not None and last.fp is fh and not fh.closed:
        return last
    fh.seek(0)
    archive = zipfile.ZipFile(fh)
    _last_zip = archive if len(archive.filelist) <= KEPT_PARTS else None
    return archive
