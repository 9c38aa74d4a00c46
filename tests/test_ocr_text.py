"""Repairs of OCR'd text: postcodes and e-mail addresses as Tesseract misread them on generated scans, put
right; everything else, and clean text, left as it is."""

from __future__ import annotations

import pytest

from benchmarks.corpus import generate
from scanner.extractors.ocr_text import repaired


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("Leamington Spa\nB1 ODJ", "Leamington Spa\nB1 0DJ"),  # O for 0 where the inward code wants a digit
        ("Coventry\nM14 OBN", "Coventry\nM14 0BN"),
        ("Leamington Spa\n$10 2NL", "Leamington Spa\nS10 2NL"),
        ("London\nECIA 2RL", "London\nEC1A 2RL"),  # I for 1
        ("Birmingham\nB9l 7LZ", "Birmingham\nB91 7LZ"),  # l for 1
        ("Coventry\nCV3 SLY", "Coventry\nCV3 5LY"),  # S for 5
        ("Coventry\nCVS 3AW", "Coventry\nCV5 3AW"),
        ("Coventry\nCV11 9Dx", "Coventry\nCV11 9DX"),  # a small x for X
        ("12 Mill Lane, Coventry, CVS 3AW.", "12 Mill Lane, Coventry, CV5 3AW."),
        ("Email: jo.bloggs1 @example.co.uk", "Email: jo.bloggs1@example.co.uk"),
        ("National Insurance number: AM 78:71 96 C", "National Insurance number: AM 78 71 96 C"),
        ("NI: NZ.07.21 90D", "NI: NZ 07 21 90 D"),
    ],
)
def test_misread_postcodes_and_split_email_addresses_are_put_right(read: str, meant: str) -> None:
    assert repaired(read) == meant


@pytest.mark.parametrize(
    "text",
    [
        "Coventry\nCV5.71U",  # T read as 1 where a letter belongs: no look-alike gives a postcode
        "Birmingham\nBlo 221",  # more than two repairs needed
        "London\nXY1 0AB",  # no such postcode area
        "see Appendix B12 3rd",  # small letters that are not shaped like their capitals
        "the end of Quarter 3.",
        "He said SOS 100",
        "in room B12 of the annexe 3rd floor",  # not at the end of its line
        "meet @ 3pm",
        "NI: AM 78 71 96 C",  # already as printed
        "ref AB123456C",
        "Score: AB 12.5 34 56 C",  # not pairs of digits
    ],
)
def test_text_that_is_not_a_misread_postcode_is_left_alone(text: str) -> None:
    assert repaired(text) == text


def test_clean_text_of_the_generated_corpus_is_left_unchanged() -> None:
    """Letters, case notes, tables, payments and e-mails with postcodes in every form the corpus writes them."""
    docs = list(generate(600, seed=7))
    assert [doc.name for doc in docs for chunk in doc.chunks if repaired(chunk.text) != chunk.text] == []
