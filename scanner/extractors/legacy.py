"""Word 97-2003 (.doc) and Excel 97-2003 (.xls) through catdoc's ``catdoc`` and ``xls2csv``.

Why catdoc and not LibreOffice: the Debian ``catdoc`` package is about 1.3 MB and converts a small file
in milliseconds; LibreOffice (nogui) is about 307 MB and takes about a second per file cold, with a
profile directory to manage. Scanning millions of files on a share favours the small, fast tool;
LibreOffice is used only once, on a developer's machine, to make the sample files. (antiword, the
other small option, fails on small documents and is unmaintained.)

Locators:

- .doc: ``"p3"`` is the 3rd non-empty paragraph of catdoc's output (``catdoc -w`` writes one paragraph
  per line; headers and footers come out with the body, at the end).
- .xls: column-aware like .xlsx, ``"Staff!C"`` with ``first_row`` (see ``tables.columns_to_chunks``);
  sheet names are read from the workbook's BOUNDSHEET records, since xls2csv separates sheets with a
  form feed but does not name them.

The stream is copied to a file in a private temporary directory (mode 0700, removed afterwards) for
the tool to read; nothing is ever written next to the scanned file. The tools run with an argument
list (no shell) and are killed after ``limits.max_seconds`` (``Timeout``). A password-protected file
(msoffcrypto-tool reads the encryption flag) raises ``Encrypted`` without running the tool.
"""

from __future__ import annotations

import csv
import itertools
import logging
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import msoffcrypto
import olefile

from scanner.errors import Corrupt, Encrypted, Timeout, Unsupported
from scanner.extractors.chunking import bounded, split
from scanner.extractors.guards import OLE_MAGIC
from scanner.extractors.tables import columns_to_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

ENCRYPTED_EXIT = 69  # catdoc's exit status for "[File is encrypted]"
MAX_WORKBOOK_SCAN = 32 * 1024 * 1024  # read sheet names only from Workbook streams up to this size


def extract_doc(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    _check_ole(fh, "Word 97-2003 document", ("WordDocument",))
    with _tool_input(fh, "catdoc", ".doc") as path:
        lines = _run(["catdoc", "-w", "-d", "utf-8", str(path)], limits, "Word 97-2003 document")
        paragraphs = (line for line in lines if line.strip())
        chunks = (
            chunk
            for number, text in enumerate(paragraphs, start=1)
            for chunk in split(text.rstrip("\n"), f"p{number}", (), limits)
        )
        yield from bounded(chunks, limits)


def extract_xls(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    names = _check_ole(fh, "Excel 97-2003 workbook", ("Workbook", "Book"))
    with _tool_input(fh, "xls2csv", ".xls") as path:
        argv = ["xls2csv", "-d", "utf-8", "-f", "%Y-%m-%d", str(path)]
        lines = _run(argv, limits, "Excel 97-2003 workbook")
        yield from bounded(_xls_chunks(lines, names, limits), limits)


def _xls_chunks(lines: Iterator[str], names: list[str], limits: Limits) -> Iterator[Chunk]:
    sheet = [0]

    def sheet_lines() -> Iterator[str]:
        for line in lines:
            while line.startswith("\f"):  # xls2csv writes a form feed at the end of every sheet
                sheet[0] += 1
                line = line[1:]
            if line:
                yield line

    rows = ((sheet[0], row) for row in csv.reader(sheet_lines()))
    for index, sheet_rows in itertools.groupby(rows, key=lambda item: item[0]):
        name = names[index] if index < len(names) else f"Sheet{index + 1}"
        yield from columns_to_chunks((row for _, row in sheet_rows), f"{name}!", (name,), limits)


def _check_ole(fh: BinaryIO, kind: str, streams: tuple[str, ...]) -> list[str]:
    """Raise ``Corrupt`` unless ``fh`` is a readable OLE file with one of ``streams``, ``Encrypted`` if it
    is password-protected. Returns the worksheet names for a workbook."""
    fh.seek(0)
    if fh.read(8) != OLE_MAGIC:
        raise Corrupt(f"damaged {kind} (not an OLE compound file)")
    fh.seek(0)
    try:
        with olefile.OleFileIO(fh) as ole:
            present = [name for name in streams if ole.exists(name)]
            if not present:
                raise Corrupt(f"damaged {kind} (no {streams[0]} stream)")
            names = []
            if present[0] in ("Workbook", "Book") and ole.get_size(present[0]) <= MAX_WORKBOOK_SCAN:
                names = _sheet_names(ole.openstream(present[0]).read())
        fh.seek(0)
        encrypted = msoffcrypto.OfficeFile(fh).is_encrypted()
    except (OSError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error) as exc:
        log.debug("%s failed OLE checks (%s)", kind, type(exc).__name__)
        raise Corrupt(f"damaged {kind} ({type(exc).__name__})") from exc
    finally:
        fh.seek(0)
    if encrypted:
        raise Encrypted(f"password-protected {kind}")
    return names


def _sheet_names(workbook: bytes) -> list[str]:
    """Worksheet names, in order, from the BOUNDSHEET records of a BIFF8 workbook's globals."""
    names: list[str] = []
    at = 0
    while at + 4 <= len(workbook):
        kind, size = struct.unpack_from("<HH", workbook, at)
        body = workbook[at + 4 : at + 4 + size]
        at += 4 + size
        if kind == 0x000A:  # EOF of the globals substream
            break
        if kind == 0x0085 and len(body) >= 8 and body[5] == 0:  # BOUNDSHEET of a worksheet
            count, high = body[6], body[7] & 1
            raw = body[8 : 8 + count * (2 if high else 1)]
            names.append(raw.decode("utf-16-le" if high else "latin-1", "replace"))
    return names


@contextmanager
def _tool_input(fh: BinaryIO, tool: str, suffix: str) -> Iterator[Path]:
    """A private copy of the stream for ``tool`` to read, removed on exit."""
    if shutil.which(tool) is None:
        raise Unsupported(
            f"reading this file needs the '{tool}' command: install the Debian package 'catdoc' "
            "(apt-get install catdoc)"
        )
    with tempfile.TemporaryDirectory(prefix="steward-") as private:  # created with mode 0700
        path = Path(private) / f"input{suffix}"
        fh.seek(0)
        with open(path, "xb") as out:
            shutil.copyfileobj(fh, out, 1024 * 1024)
        fh.seek(0)
        yield path


def _run(argv: list[str], limits: Limits, kind: str) -> Iterator[str]:
    """Lines of a tool's standard output, as it writes them; the tool is killed if the reader stops."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(limits.max_seconds, expire)
        timer.start()
        try:
            assert proc.stdout is not None
            yield from proc.stdout
        finally:  # also when the reader stops early: the tool must not outlive it
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if timed_out.is_set():
            raise Timeout(f"{argv[0]} took longer than {limits.max_seconds} s")
        if proc.returncode != 0:
            errors.seek(0)
            message = errors.read(4096)
            if proc.returncode == ENCRYPTED_EXIT or b"encrypted" in message.lower():
                raise Encrypted(f"password-protected {kind}")
            raise Corrupt(f"damaged {kind} ({argv[0]} exit status {proc.returncode})")
