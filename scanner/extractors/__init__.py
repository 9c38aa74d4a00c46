"""Extractors, one per MIME family: ``extract(stream, limits) -> Iterator[Chunk]``.

Adding one: a new function in a module of this package and one line in ``EXTRACTORS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from scanner.registry import load
from scanner.types import Chunk, Limits

Extractor = Callable[[BinaryIO, Limits], Iterator[Chunk]]

EXTRACTORS: dict[str, str] = {}


def for_mime(mime: str | None) -> Extractor | None:
    """The extractor for a MIME type, or None when Steward cannot read it."""
    if mime is None or mime not in EXTRACTORS:
        return None
    extractor: Extractor = load(EXTRACTORS[mime])
    return extractor
