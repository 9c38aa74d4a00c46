"""Recognizers run by Steward's own loop give exactly what presidio's AnalyzerEngine gives: every detection,
score, locator, masked example and keyed hash, file by file, over generated trees of every kind; plain pattern
recognizers, dates of birth (patterns and a check around them), and phone numbers and IBANs (their own
``analyze``) alike."""

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
    assert direct._patterns.entities >= {"PHONE_NUMBER", "DATE_OF_BIRTH", "IBAN_CODE"}
    assert not engine._patterns.entities
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    found = 0
    for path in files:
        chunks = _chunks(path)
        a, b = direct.detect(chunks), engine.detect(chunks)
        assert a == b, path.name
        found += sum(a.entities().values())
    assert found > len(files)  # the trees hold personal data of many kinds: the comparison is not vacuous


TEXTS = [
    "Date of birth: 03/04/1981. Call 024 7683 3075 or +44 (0)7700 900123; IBAN GB82 WEST 1234 5698 7654 32.",
    "Children born between 1 September 2020 and 31 August 2021 qualify. DOB 1 Sept 2020 (aged 4).",
    "Valid from 23.07.2021. Birth certificates follow. Born on 12th March 1975, 49 years old.",
    "Job ref 0161 496 7493; the switchboard on 020 7946 0000; mobile 07700 900 982, tel 0113 496 0123 ext. 214.",
    "Pay to DE89 3704 0044 0532 0130 00 or GB33BUKB20201555555555, not GB00 0000 0000 0000 0000 00.",
    "dob 31/02/1990, d.o.b. 29/02/2000, born 2099-01-01, birth date 1890-05-05, age 30 on 5/6/95.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_direct_recognizers_equal_analyzer_engine_on_edge_cases(text: str) -> None:
    """Cut-off dates, birth words after a date, impossible dates, organisation and reference numbers, IBANs
    with and without a valid checksum: the direct pass keeps and drops what AnalyzerEngine keeps and drops."""
    direct = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    engine = build_detector(DetectionConfig(spacy_model="none", direct_patterns=False), hash_key=b"k")
    chunks = [Chunk(text, "p1"), Chunk(text.upper(), "p2", context=("Date of birth",))]
    a, b = direct.detect(chunks), engine.detect(chunks)
    assert a == b
    entities = {e for e, n in a.entities().items() if n}
    assert entities & {"PHONE_NUMBER", "DATE_OF_BIRTH", "IBAN_CODE"}


def test_name_model_keeps_person_with_presidio() -> None:
    """With a spaCy pipeline, PERSON has presidio's SpacyRecognizer among its recognizers: not served directly."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    from scanner.detect.context import WindowContextEnhancer
    from scanner.detect.engine import build_engine
    from scanner.detect.patterns import PatternPass

    engine = build_engine(DetectionConfig(spacy_model="none"))
    recognizers = [*engine.recognizers, SpacyRecognizer(supported_entities=["PERSON"])]
    served = PatternPass(recognizers, WindowContextEnhancer(), engine.cheap_artifacts()).entities
    assert "PERSON" not in served and "PHONE_NUMBER" in served


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
