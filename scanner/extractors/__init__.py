"""Extractors, one per MIME family: ``extract(stream, limits) -> Iterator[Chunk]``.

Adding one: a new function in a module of this package and one line in ``EXTRACTORS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from scanner.registry import load
from scanner.types import Chunk, Limits

Extractor = Callable[[BinaryIO, Limits], Iterator[Chunk]]

EXTRACTORS: dict[str, str] = {
    # MIME strings as libmagic 5.44 reports them (text/tab-separated-values comes from identification)
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
}


def for_mime(mime: str | None) -> Extractor | None:
    """The extractor for a MIME type, or None when Steward cannot read it."""
    if mime is None or mime not in EXTRACTORS:
        return None
    extractor: Extractor = load(EXTRACTORS[mime])
    return extractor
