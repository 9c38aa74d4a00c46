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


@pytest.mark.parametrize(
    "text",
    [
        "The family moved here last year from Sierra Leone.",  # a country (phonenumbers' region names)
        "Her grandparents came from North Walsham.",  # a place: no forename is a compass point
        "Flights from Port Talbot were cancelled.",
        "This single by ex-Beatle Lennon is still played at weddings.",  # not a name: half of a hyphenated word
        "The Smith-Lord Choir sang at the civic service.",  # a title inside a hyphenated name, and a choir
        "Tickets for the Hallé Orchestra are sold at the library.",
        "The fair is held on the north side of Ealing Common.",
    ],
)
def test_places_and_organisations_shaped_like_names_are_not_people(detector: Detector, text: str) -> None:
    assert "PERSON" not in detector.detect([Chunk(text, "p1")]).entities()


def test_a_lone_forename_is_weaker_evidence_than_a_full_name(detector: Detector) -> None:
    def score(text: str) -> float:
        found = [d for d in detector.detect([Chunk(text, "p1")]).detections if d.entity == "PERSON"]
        assert len(found) == 1, text
        return found[0].best_score

    lone = score("Contact log\n\nBartholomew's mother called to move the appointment.")
    assert lone < score("Contact log\n\nBartholomew Okonjo's mother called to move the appointment.")
    assert lone < score("Dear Mrs Okonjo,\n\nThank you for your letter.")
    assert score("Hi Bartholomew,\n\nThe meeting is at ten.") == lone


def test_a_family_name_that_is_also_a_compass_point_is_still_a_name(detector: Detector) -> None:
    text = "Rebecca West visited the office after she drove in from West Bromwich."
    assert detector.detect([Chunk(text, "p1")]).entities() == {"PERSON": 1}


def test_people_who_say_who_they_are(detector: Detector) -> None:
    for text in (
        "Hello, my name is Oluwaseun Bankole and I rent the flat above the shop.",
        "I'm Grainne Mulcahy, the tenant at number 4.",
        "Please pay the grant into the account in the name of Tomasz Wiśniewski.",
    ):
        assert detector.detect([Chunk(text, "p1")]).entities() == {"PERSON": 1}, text


def test_a_verb_that_starts_the_sentence_is_not_part_of_the_name(detector: Detector) -> None:
    found = detector.detect([Chunk("Ring Bartholomew's mum on 07700 900123 after six.", "p1")]).detections
    assert {d.entity: d.example for d in found}["PERSON"] == "B**********"


def test_a_forename_that_is_also_a_country_is_still_a_name(detector: Detector) -> None:
    for text in ("Hi Georgia,\n\nThe visit is booked for Monday.", "Jordan's mother called about the appointment."):
        assert detector.detect([Chunk(text, "p1")]).entities() == {"PERSON": 1}, text


def test_ner_reads_only_text_near_name_cues(detector: Detector) -> None:
    filler = "The gritting routes are reviewed each autumn and the results are published online. " * 200
    text = filler + "Complaint received from Harriet Walsh about the route." + filler
    result = detector.detect([Chunk(text, "p1")])
    assert result.entities() == {"PERSON": 1}
    assert result.chars_ner < len(text) / 20


def test_a_paragraph_read_again_in_another_file_gives_the_same_names(detector: Detector) -> None:
    """NER remembers windows across files: a paragraph copied into another file is not read by the model again,
    and that file still gets its names, at its own place."""
    paragraph = "Yesterday Harriet Walsh and Tom Riley met the officer at the depot."
    first = detector.detect([Chunk(paragraph, "p1")])
    copy = detector.detect([Chunk(paragraph, "p7")])
    assert first.entities() == copy.entities() == {"PERSON": 2}
    assert copy.chars_ner == 0 < first.chars_ner or first.chars_ner == 0
    assert [d.where for d in copy.detections] == [("p7",)]
