"""Notes an extractor leaves about a well-formed file it could not read whole: the status stays ``ok``.

An extractor that stops at a limit (the per-file text limit, a sheet's row limit) or reads something in
pieces (a line longer than a chunk) calls ``note("...")``; whoever runs the extraction collects the notes
with ``collecting()`` and records them as the file's reason. Notes name limits, never document content.
Outside ``collecting()`` a note goes nowhere. Extractors are generators: their notes land in the context
of whoever iterates them, so the collector must wrap the iteration, not just the call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_NOTES: ContextVar[list[str] | None] = ContextVar("extraction_notes", default=None)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the notes left while the block runs, in order, each once."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def note(text: str) -> None:
    """Leave a note about the file being read (a limit reached, something read in pieces)."""
    notes = _NOTES.get()
    if notes is not None and text not in notes:
        notes.append(text)
