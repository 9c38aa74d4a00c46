"""What detection returns for one file. Holds masked examples, counts, locators and keyed hashes only."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.detect.tables import ColumnSample
from scanner.identifiers import IdentifierDigest
from scanner.types import Detection


@dataclass(frozen=True, slots=True)
class DetectResult:
    detections: tuple[Detection, ...]
    special_category: tuple[str, ...] = ()  # e.g. ("health", "criminal_offence")
    marking: str | None = None  # suggested classification, e.g. "OFFICIAL-SENSITIVE"
    marking_found: str | None = None  # the marking as found, e.g. "RESTRICTED" (legacy)
    columns: tuple[ColumnSample, ...] = ()  # how each table column was sampled and typed
    # (entity, HMAC-SHA256 hex digest of the normalised value), only when a hash key is configured
    hashes: tuple[tuple[str, str], ...] = ()
    identifiers: tuple[IdentifierDigest, ...] = ()  # indexed types' digests with locators (scanner.identifiers)
    chars: int = 0  # characters of text read
    chars_confirmed: int = 0  # characters presidio's pattern recognizers read (triage windows)
    chars_ner: int = 0  # characters given to NER

    def entities(self) -> dict[str, int]:
        """Entity type -> count, the shape of ``steward export files``."""
        return {d.entity: d.count for d in self.detections}
