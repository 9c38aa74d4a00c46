"""Stand-in for the content identification module (the real one adds zip/OLE refinement).

Only what the container extractors need: libmagic's MIME type for a stream, by content, with an extension
tie-break for delimited text. The stream position is restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import magic

_HEAD = 64 * 1024
_OLE_HEAD = 7 * 1024 * 1024  # libmagic needs the CFB directory, which can sit anywhere in the file
_BY_EXTENSION = {"csv": "text/csv", "tsv": "text/tab-separated-values", "tab": "text/tab-separated-values"}


@dataclass(frozen=True, slots=True)
class Identified:
    mime: str
    extension_mismatch: bool = False


def identify(fh: BinaryIO, name: str) -> Identified:
    start = fh.tell()
    head = fh.read(_HEAD)
    mime = magic.from_buffer(head, mime=True)
    if mime == "application/x-ole-storage":
        mime = magic.from_buffer(head + fh.read(_OLE_HEAD - _HEAD), mime=True)
    fh.seek(start)
    if mime == "text/plain":
        mime = _BY_EXTENSION.get(name.rpartition(".")[2].lower(), mime)
    return Identified(mime)
