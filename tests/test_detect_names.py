"""Person names with the real spaCy model: found where people are written about, not in logs and codes."""

from __future__ import annotations

import pytest

from scanner.detect import Detector
from scanner.types import Chunk
from tests.test_detect_api import cached_detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    return cached_detector()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dear Sarah Thompson,\nThank you for your letter.", 1),
        ("The review was carried out with Priya Sharma and her brother.", 1),
        ("Name: Daniel Okafor\nRole: tenant", 1),
        ("Kind regards,\nGareth Hughes\nHousing Officer", 1),
        ("Attendees: Emma Clarke, Tom Riley, Aisha Khan", 3),
        ("2024-03-01 12:00:01 INFO Worker started pid=4411 queue=default", 0),
        ("ERROR 500 at /api/v2/users: KeyError 'Email'", 0),
        ("The Data Protection Act 2018 applies to Highways and Transport Services.", 0),
        ("SKU 4411-AB Widget Large, SKU 4412-CD Widget Small", 0),
    ],
)
def test_names(detector: Detector, text: str, expected: int) -> None:
    assert detector.detect([Chunk(text, "p1")]).entities().get("PERSON", 0) == expected


def test_ner_reads_only_text_near_name_cues(detector: Detector) -> None:
    filler = "The gritting routes are reviewed each autumn and the results are published online. " * 200
    text = filler + "Complaint received from Harriet Walsh about the route." + filler
    result = detector.detect([Chunk(text, "p1")])
    assert result.entities() == {"PERSON": 1}
    assert result.chars_ner < len(text) / 20
