"""The seam between the scan pipeline and detection, and the typed extras of Steward's recognizers.

``Detector`` is what ``scanner.pipeline`` holds: one per process, built by ``build_detector``, reading a file's
chunk stream and recording its provenance with each scan run. ``StewardRecognizer`` is the one type whose fields
the confirm tier and the context enhancer read from a recognizer (a presidio recognizer that is not one of
Steward's gets ``PLAIN``'s defaults). This module imports neither presidio nor spaCy, so importing it is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scanner.detect.aggregate import Match
    from scanner.detect.result import DetectResult
    from scanner.types import Chunk, FileObservation


class Detector(Protocol):
    """Tiered personal-data detection for one process (``scanner.detect.TieredDetector`` implements it)."""

    @property
    def provenance(self) -> dict[str, object]:
        """Model, recognizers, rule-file digests and settings, recorded with each scan run."""
        ...

    def detect(self, chunks: Iterable[Chunk]) -> DetectResult:
        """Consume one file's chunks; return counts, masked examples, locators and keyed hashes only."""
        ...

    def with_names(self, obs: FileObservation) -> FileObservation:
        """The observation with what its file and folder names hold added (anyone who lists the folder sees them)."""
        ...


class Later(Protocol):
    """A file's detection waiting for NER to read its last ``texts`` (``TieredDetector.detect_later``)."""

    texts: list[str]

    def finish(self, found: list[list[Match]] | None = None, read: int = 0) -> DetectResult:
        """The file's result, given what NER found in each of ``texts`` (``read`` characters of them new to
        it); with nothing given, NER reads them now."""
        ...


class StewardRecognizer:
    """Mixed into each of Steward's presidio recognizers; class attributes, overridden per recognizer."""

    steward_validator: str | None = None  # the check that validated a match, for explanations
    requires_context: bool = False  # report a match only with a context word near it
    bare_score: float | None = None  # the score cap of a match without a context word
    context_before: int | None = None  # characters searched for context words (None: the default)
    context_after: int | None = None
    steward_deny: bool = False  # a deny-list entry: always reported, never allow-listed or name-checked


PLAIN = StewardRecognizer()


def extras(recognizer: object) -> StewardRecognizer:
    """The recognizer's Steward fields, or the defaults for a recognizer that is not Steward's."""
    return recognizer if isinstance(recognizer, StewardRecognizer) else PLAIN
