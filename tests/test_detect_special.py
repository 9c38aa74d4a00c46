"""Special-category data needs terms together with a person; protective markings suggest a classification."""

from __future__ import annotations

import pytest

from scanner.config import DetectionConfig
from scanner.detect import Detector, build_detector
from scanner.types import Chunk
from tests.test_detect_api import cached_detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    return cached_detector()


POLICY = (
    "This policy describes how the council supports staff with mental health conditions, disability, "
    "religion or belief, and trade union membership. Criminal convictions are handled under the DBS "
    "policy. Safeguarding concerns go to the MASH."
)
CASE_NOTE = (
    "Case note: Mrs Amina Begum (NHS number 943 476 5919) was diagnosed with diabetes and has a "
    "child protection plan in place."
)


def test_policy_about_health_that_names_no_one_is_not_special_category(detector: Detector) -> None:
    result = detector.detect([Chunk(POLICY, "p1")])
    assert result.special_category == ()
    assert result.detections == ()


def test_case_note_with_a_person_and_a_diagnosis_is(detector: Detector) -> None:
    result = detector.detect([Chunk(CASE_NOTE, "p1")])
    assert result.special_category == ("health", "safeguarding")


def test_terms_and_identifiers_in_different_chunks_only_count_at_file_scope() -> None:
    chunks = [Chunk(POLICY, "p1"), Chunk("Contact: Mr John Smith, NHS number 943 476 5919", "p9")]
    chunk_scope = build_detector(DetectionConfig(spacy_model="none"))
    file_scope = build_detector(DetectionConfig(spacy_model="none", special_category_scope="file"))
    assert chunk_scope.detect(chunks).special_category == ()
    assert "health" in file_scope.detect(chunks).special_category


def test_a_table_row_joins_its_columns(detector: Detector) -> None:
    chunks = [
        Chunk("Sarah Thompson\nJohn Smith", "Cases!A", ("Cases",), column="Client name", first_row=2),
        Chunk("Type 2 diabetes\nDepression", "Cases!B", ("Cases",), column="Diagnosis", first_row=2),
    ]
    assert detector.detect(chunks).special_category == ("health",)


@pytest.mark.parametrize(
    ("text", "where", "marking", "found"),
    [
        ("OFFICIAL-SENSITIVE\nMinutes of the panel", "p1", "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"),
        ("OFFICIAL SENSITIVE: PERSONAL\nReport", "p1", "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"),
        ("Classification: OFFICIAL\nAgenda", "p1", "OFFICIAL", "OFFICIAL"),
        ("RESTRICTED - STAFF\nPay review", "p1", "OFFICIAL-SENSITIVE", "RESTRICTED"),
        ("PROTECT\nOld report", "p1", "OFFICIAL", "PROTECT"),
        ("IL3\nNetwork design", "p1", "OFFICIAL-SENSITIVE", "IL3"),
        ("Budget report", "header", None, None),
        ("SECRET", "footer", "SECRET", "SECRET"),
        ("HOW WE PROTECT YOUR DATA AND KEEP IT CONFIDENTIAL\n", "p1", None, None),  # a heading, not a marking
        ("Some official guidance on restricted parking.", "p1", None, None),
    ],
)
def test_protective_markings(detector: Detector, text: str, where: str, marking: str | None, found: str | None) -> None:
    result = detector.detect([Chunk(text, where)])
    assert (result.marking, result.marking_found) == (marking, found)


def test_marking_deep_in_the_body_is_not_the_files_marking(detector: Detector) -> None:
    body = "\n".join(f"Paragraph {i} of the report." for i in range(20)) + "\nSECRET\n"
    assert detector.detect([Chunk(body, "p1")]).marking is None


def test_first_names_christian_and_faith_are_not_religion(detector: Detector) -> None:
    chunks = [
        Chunk("Christian\nFaith\nJohn", "Staff!A", ("Staff",), column="First name", first_row=2),
        Chunk("Smith\nJones\nBrown", "Staff!B", ("Staff",), column="Surname", first_row=2),
        Chunk("AB123456C\nJK654321A\nNE112233D", "Staff!C", ("Staff",), column="NI number", first_row=2),
    ]
    result = detector.detect(chunks)
    assert "UK_NINO" in result.entities()
    assert result.special_category == ()
    prose = detector.detect([Chunk("Faith Jones (NHS 943 476 5919) and Mrs Christian visited the office.", "p1")])
    assert prose.special_category == ()


def test_religion_as_a_belief_still_counts(detector: Detector) -> None:
    text = "Mrs Amina Begum (NHS number 943 476 5919) is a practising Christian; her faith matters to her."
    assert detector.detect([Chunk(text, "p1")]).special_category == ("religion",)


def test_gp_as_an_ni_number_prefix_is_not_health(detector: Detector) -> None:
    chunks = [
        Chunk("Sarah Thompson\nJohn Smith", "A", column="Name", first_row=2),
        Chunk("GP 12 34 56 A\nGP123456B", "B", column="NI number", first_row=2),
    ]
    result = detector.detect(chunks)
    assert result.special_category == ()
    assert (
        "health"
        in detector.detect([Chunk("Mr John Smith, NHS 943 476 5919, saw his GP on Monday.", "p1")]).special_category
    )


def test_a_table_with_no_personal_data_is_never_special_category(detector: Detector) -> None:
    chunks = [
        Chunk("Christian Aid\nMuslim Hands\nJewish Care", "A", column="Charity", first_row=2),
        Chunk("diabetes\nasthma\ndementia", "B", column="Cause", first_row=2),
        Chunk("1200\n800\n450", "C", column="Grant", first_row=2),
    ]
    assert detector.detect(chunks).special_category == ()


def test_terms_count_only_in_the_row_of_the_person(detector: Detector) -> None:
    chunks = [
        Chunk("Sarah Thompson\n\n", "A", column="Client name", first_row=2),
        Chunk("\n\nasthma", "B", column="Notes", first_row=2),
    ]
    assert detector.detect(chunks).special_category == ()


def test_camhs_case_a_paragraph_from_the_name_and_nhs_number(detector: Detector) -> None:
    chunks = [
        Chunk("Client: Brandon Wells\nNHS number: 943 476 5919", "p1"),
        Chunk("Brandon was seen at school today. Diagnosed with asthma; attends CAMHS for anxiety.", "p2"),
    ]
    assert detector.detect(chunks).special_category == ("health",)


def test_every_term_of_a_row_counts_in_that_row(detector: Detector) -> None:
    chunks = [
        Chunk("Sarah Thompson\nJohn Smith", "A", column="Client name", first_row=2),
        Chunk("asthma and diabetes; a Muslim\nVisit went well", "B", column="Notes", first_row=2),
    ]
    assert detector.detect(chunks).special_category == ("health", "religion")
