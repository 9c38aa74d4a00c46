"""Council formats, allow-lists and deny-lists come from YAML, without code."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config import DetectionConfig
from scanner.detect import Detector, build_detector
from scanner.errors import ConfigError
from scanner.types import Chunk
from tests.test_detect_api import cached_detector


@pytest.fixture(scope="session")
def patterns() -> Detector:
    return cached_detector("none")


def _build(tmp_path: Path, **files: str) -> Detector:
    paths = {}
    for key, text in files.items():
        path = tmp_path / f"{key}.yaml"
        path.write_text(text)
        paths[key] = path
    return build_detector(DetectionConfig(spacy_model="none", **paths))


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("Case ref ASC-1234567 reviewed", "UK_SOCIAL_CARE_CASE_ID", 1),
        ("Mosaic case CSC 12345678", "UK_SOCIAL_CARE_CASE_ID", 1),
        ("Item ASC-1234567 in stock", "UK_SOCIAL_CARE_CASE_ID", 0),  # needs case context
        ("Council tax account reference 123456789", "UK_COUNCIL_TAX_REF", 1),
        ("Invoice 123456789 paid", "UK_COUNCIL_TAX_REF", 0),
    ],
)
def test_shipped_council_formats(patterns: Detector, text: str, entity: str, expected: int) -> None:
    assert patterns.detect([Chunk(text, "p1")]).entities().get(entity, 0) == expected


def test_a_council_adds_a_reference_format_without_code(tmp_path: Path) -> None:
    detector = _build(
        tmp_path,
        recognizers_file="""
version: 1
recognizers:
  - name: HousingTenancyRecognizer
    entity: HOUSING_TENANCY_REF
    patterns: [{name: tenancy, regex: '\\bTEN-\\d{6}\\b', score: 0.8}]
    context: [tenancy]
""",
    )
    result = detector.detect([Chunk("Tenancy TEN-123456 ended; TEN-12345 is not one", "p1")])
    (found,) = result.detections
    assert (found.entity, found.count, found.recognizer) == (
        "HOUSING_TENANCY_REF",
        1,
        "HousingTenancyRecognizer",
    )
    assert found.example == "T**-******"
    assert "HousingTenancyRecognizer:HOUSING_TENANCY_REF" in detector.provenance["recognizers"]


def test_a_yaml_recognizer_can_use_a_stdnum_checksum(tmp_path: Path) -> None:
    detector = _build(
        tmp_path,
        recognizers_file="""
version: 1
recognizers:
  - name: SupplierVatRecognizer
    entity: UK_VAT
    patterns: [{name: vat, regex: '\\bGB ?\\d{3} ?\\d{4} ?\\d{2}\\b', score: 0.4}]
    validator: gb.vat
""",
    )
    assert detector.detect([Chunk("VAT GB 980 7806 84", "p")]).entities() == {"UK_VAT": 1}
    assert detector.detect([Chunk("VAT GB 980 7806 85", "p")]).entities() == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\n", "key 'version'"),
        (
            "version: 1\nrecognizers: [{name: x, entity: lower,\n  patterns: [{name: p, regex: a, score: 1}]}]\n",
            "key 'recognizers.0.entity'",
        ),
        (
            "version: 1\nrecognizers: [{name: x, entity: X, patterns: [{name: p, regex: '(', score: 1}]}]\n",
            "invalid regular expression",
        ),
        ("version: 1\nrecognizers: [{name: x, entity: X, colour: red, patterns: []}]\n", "recognizers.0"),
    ],
)
def test_bad_recognizer_file_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        _build(tmp_path, recognizers_file=text)
    assert "recognizers_file.yaml" in str(err.value)


def test_allow_list_drops_switchboard_and_role_mailboxes(patterns: Detector) -> None:
    text = "Call our switchboard on 0300 123 4567 or email info@council.gov.uk; tel 020 7946 0958."
    result = patterns.detect([Chunk(text, "p1")])
    assert result.entities() == {"PHONE_NUMBER": 1}


def test_deny_list_always_reports(tmp_path: Path) -> None:
    detector = _build(
        tmp_path,
        allowlist_file="""
version: 1
deny:
  - entity: PERSON
    values: [Operation Bluebird]
    reason: code name for a child protection case
""",
    )
    result = detector.detect([Chunk("Notes on operation bluebird follow", "p1")])
    assert result.entities() == {"PERSON": 1}


def test_deny_entry_needs_an_entity(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"deny\.0\.entity"):
        _build(tmp_path, allowlist_file="version: 1\ndeny: [{values: [x]}]\n")
