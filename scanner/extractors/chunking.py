"""Keeping extractor output within ``Limits``: chunk size and total text per file.

Extractors yield as they read. Two helpers keep them honest:

- ``split(text, where, context, limits)`` cuts one long piece of text (a huge paragraph, a PDF page) into
  chunks of at most ``limits.max_chunk_chars``, preferring to cut at a line break or a space; every piece
  keeps the same locator.
- ``bounded(chunks, limits)`` passes chunks through until the file's total reaches
  ``limits.max_text_chars``, truncates the chunk that crosses it, and stops. Because extractors are
  generators, stopping here also stops the reading.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace

from scanner.extractors.notes import note
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)


def split(text: str, where: str, context: tuple[str, ...], limits: Limits) -> Iterator[Chunk]:
    """Yield ``text`` as chunks of at most ``limits.max_chunk_chars``; nothing for blank text."""
    size = max(1, limits.max_chunk_chars)
    start = 0  # cut by position: slicing the rest off each time would copy a huge text over and over
    while len(text) - start > size:
        cut = _cut_point(text, start, size)
        piece, start = text[start:cut], cut
        if piece.strip():
            yield Chunk(piece, where, context)
    rest = text[start:] if start else text
    if rest.strip():
        yield Chunk(rest, where, context)


def _cut_point(text: str, start: int, size: int) -> int:
    """Where to cut ``text[start:]`` so the head is at most ``size`` long: the last line break or space if any."""
    for sep in ("\n", " "):
        at = text.rfind(sep, start + size // 2, start + size)
        if at > start:
            return at + 1
    return start + size


def bounded(chunks: Iterable[Chunk], limits: Limits) -> Iterator[Chunk]:
    """Pass ``chunks`` through until ``limits.max_text_chars`` characters have gone out, then stop."""
    remaining = limits.max_text_chars
    source = iter(chunks)
    try:
        for chunk in source:
            if len(chunk.text) >= remaining:
                if remaining > 0:
                    yield replace(chunk, text=chunk.text[:remaining])
                note(f"text beyond {limits.max_text_chars} characters was not read")
                log.debug(
                    "text limit of %d characters reached; the rest of the file is not read",
                    limits.max_text_chars,
                )
                return
            remaining -= len(chunk.text)
            yield chunk
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()  # a generator's finally blocks (open files, temp dirs) run now, not at collection
