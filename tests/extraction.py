"""Helpers the extractor tests share: read a file as Steward would, and find where a value came out."""

from __future__ import annotations

from pathlib import Path

from scanner.extractors import for_mime
from scanner.identify import identify
from scanner.types import Chunk, Limits


def extract(path: Path, limits: Limits | None = None, mime: str | None = None) -> list[Chunk]:
    """The chunks of ``path``, identified by content (or as ``mime``) and read by the registered extractor."""
    with path.open("rb") as fh:
        mime = mime or identify(fh, path.name).mime
        extractor = for_mime(mime)
        assert extractor is not None, f"no extractor for {mime}"
        return list(extractor(fh, limits or Limits()))


def locators(chunks: list[Chunk], needle: str) -> list[str]:
    """Cell locators for column chunks, plain locators otherwise, of every line holding ``needle``."""
    found = []
    for chunk in chunks:
        for i, line in enumerate(chunk.text.split("\n")):
            if needle in line:
                found.append(f"{chunk.where}{chunk.first_row + i}" if chunk.first_row else chunk.where)
    return found
