"""Plain pattern recognizers run by Steward's own loop give exactly what presidio's AnalyzerEngine gives: every
detection, score, locator, masked example and keyed hash, file by file, over generated trees of every kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.corpus_files import write_mixed, write_small
from scanner.config import DetectionConfig
from scanner.detect import build_detector
from scanner.detect.patterns import Hit, dedupe
from scanner.extractors import for_mime
from scanner.identify import identify
from scanner.types import Chunk, Limits


def _chunks(path: Path) -> list[Chunk]:
    with path.open("rb") as fh:
        extract = for_mime(identify(fh, path.name).mime)
        return list(extract(fh, Limits())) if extract else []


@pytest.mark.parametrize("kind", ["small", "mixed"])
def test_direct_patterns_equal_analyzer_engine(tmp_path: Path, kind: str) -> None:
    (write_small if kind == "small" else write_mixed)(tmp_path, 300 if kind == "small" else 40)
    direct = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    engine = build_detector(DetectionConfig(spacy_model="none", direct_patterns=False), hash_key=b"k")
    assert direct._patterns.entities >= {"UK_NHS", "UK_NINO", "UK_POSTCODE", "EMAIL_ADDRESS"}
    assert not engine._patterns.entities
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    found = 0
    for path in files:
        chunks = _chunks(path)
        a, b = direct.detect(chunks), engine.detect(chunks)
        assert a == b, path.name
        found += sum(a.entities().values())
    assert found > len(files)  # the trees hold personal data of many kinds: the comparison is not vacuous


def test_dedupe_keeps_what_presidio_keeps() -> None:
    hits = [
        Hit("UK_NHS", 0, 12, 1.0, "a", True),
        Hit("UK_NHS", 0, 12, 1.0, "b", True),  # the same result twice: once
        Hit("UK_NHS", 4, 12, 0.5, "a", False),  # inside a higher-scored one: dropped
        Hit("UK_NHS", 4, 12, 1.0, "a", False),  # inside an equal score: dropped
        Hit("EMAIL_ADDRESS", 4, 12, 0.5, "e", False),  # another entity is never compared
        Hit("UK_NINO", 20, 29, 0.0, "n", False),  # zero score: dropped
        Hit("UK_POSTCODE", 30, 38, 0.9, "p", False),
        Hit("UK_POSTCODE", 30, 36, 0.95, "p", False),  # inside, but scored higher: kept
    ]
    assert [(h.entity, h.start, h.end, h.score, h.recognizer) for h in dedupe(hits)] == [
        ("UK_NHS", 0, 12, 1.0, "a"),
        ("UK_POSTCODE", 30, 36, 0.95, "p"),
        ("UK_POSTCODE", 30, 38, 0.9, "p"),
        ("EMAIL_ADDRESS", 4, 12, 0.5, "e"),
    ]
