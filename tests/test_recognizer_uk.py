"""Table tests for every recognizer: valid values, checksum failures, near misses and context-dependent cases,
run through the public detector in pattern-only mode (names have their own tests with the real model)."""

from __future__ import annotations

import pytest

from scanner.detect import Detector
from scanner.types import Chunk
from tests.test_detect_api import cached_detector


@pytest.fixture(scope="session")
def patterns() -> Detector:
    return cached_detector("none")


CASES = [
    # --- NHS number: mod 11 via stdnum.gb.nhs
    ("UK_NHS", "NHS number 943 476 5919", 1),
    ("UK_NHS", "nhs no: 401-023-2137", 1),
    ("UK_NHS", "patient 2213951837 admitted", 1),
    ("UK_NHS", "NHS number 943 476 5918", 0),  # checksum failure
    ("UK_NHS", "NHS number 401-023-2138", 0),  # checksum failure
    ("UK_NHS", "NHS number 943 476 591", 0),  # too short
    ("UK_NHS", "Supplier ref 943 476 5919", 0),  # valid checksum, but 1 in 11 random numbers pass: no context
    ("UK_NHS", "Tel: +44 113 496 0000", 0),
    # --- National Insurance number: HMRC prefix rules, with or without spaces
    ("UK_NINO", "NI number AB 12 34 56 C", 1),
    ("UK_NINO", "National Insurance: JG103759A", 1),
    ("UK_NINO", "nino ab123456c", 1),
    ("UK_NINO", "NI number BG 12 34 56 C", 0),  # never issued
    ("UK_NINO", "NI number GB123456A", 0),
    ("UK_NINO", "NI number NK123456A", 0),
    ("UK_NINO", "NI number TN123456A", 0),
    ("UK_NINO", "NI number ZZ123456A", 0),
    ("UK_NINO", "NI number QQ123456C", 0),  # Q never a first letter
    ("UK_NINO", "NI number AO123456C", 0),  # O never a second letter
    ("UK_NINO", "NI number AB123456E", 0),  # suffix A-D only
    ("UK_NINO", "NI number PP123456A", 0),  # administrative prefix
    # --- Postcode: full format; bare postcodes need address context or an address block
    ("UK_POSTCODE", "Postcode: CV1 5RR", 1),
    ("UK_POSTCODE", "12 Priory Street, Coventry CV1 5RR", 1),
    ("UK_POSTCODE", "Flat 2\nNorth Holly\nS6 7LJ", 1),
    ("UK_POSTCODE", "send it to SW1A 1AA today", 0),  # no context: 0.3
    ("UK_POSTCODE", "Postcode: QV1 5RR", 0),  # Q never first
    ("UK_POSTCODE", "Postcode: CV1 5CI", 0),  # C and I never in the inward code
    # --- Phone: phonenumbers (GB), +44 and 0 forms, context raises the score
    ("PHONE_NUMBER", "Tel: 020 7946 0958", 1),
    ("PHONE_NUMBER", "mobile +44 7911 123456", 1),
    ("PHONE_NUMBER", "please call 0121 496 0000", 1),
    ("PHONE_NUMBER", "reference 0121 496 0000", 0),  # shaped like a phone, no phone context
    ("PHONE_NUMBER", "Tel: 01632 960000", 1),  # drama range: a possible length, and a phone label
    ("PHONE_NUMBER", "stop sending messages to 01632 960000", 0),  # possible length only, no phone word
    ("PHONE_NUMBER", "Ring me on +44 (0)24 7683 3075", 1),
    ("PHONE_NUMBER", "Direct line 024 7683 3075 ext. 214", 1),
    ("PHONE_NUMBER", "mobile 07700 900 123", 1),
    ("PHONE_NUMBER", "I would like to stop receiving messages to 0113 496 0886", 1),  # valid, no phone word
    ("PHONE_NUMBER", "her sister in Lyon, +33 6 12 34 56 78", 1),
    ("PHONE_NUMBER", "calls from Dublin: 00353 85 012 3456", 1),
    ("PHONE_NUMBER", "Call the switchboard on 024 7683 3075", 0),  # an organisation's number
    ("PHONE_NUMBER", "Order number 847 134 0306", 0),
    ("PHONE_NUMBER", "Tel: 0123 456", 0),
    # --- Payment card: Luhn via stdnum
    ("CREDIT_CARD", "card 4111 1111 1111 1111", 1),
    ("CREDIT_CARD", "paid with 5500-0000-0000-0004", 1),
    ("CREDIT_CARD", "card 4111 1111 1111 1112", 0),  # Luhn failure
    ("CREDIT_CARD", "My credit card 2711614610033072 has been lost", 1),  # Mastercard 2-series
    ("CREDIT_CARD", "card # 4180967929081003391", 1),  # 19-digit Visa
    ("CREDIT_CARD", "What is the limit for card 501879041389?", 1),  # 12-digit Maestro, next to "card"
    ("CREDIT_CARD", "Batch 501879041389 was posted", 0),  # the same digits with no card word
    # --- IBAN: stdnum.iban
    ("IBAN_CODE", "IBAN GB82WEST12345698765432", 1),
    ("IBAN_CODE", "pay GB82 WEST 1234 5698 7654 32 now", 1),
    ("IBAN_CODE", "IBAN GB83WEST12345698765432", 0),  # check digits wrong
    # --- Sort code with account number: needs a bank context word
    ("UK_BANK_ACCOUNT", "Sort code 20-00-00, account number 12345678", 1),
    ("UK_BANK_ACCOUNT", "Bank details: 12345678 / 40 47 84", 1),
    ("UK_BANK_ACCOUNT", "20-00-00 12345678", 0),  # no context
    ("UK_BANK_ACCOUNT", "On 12-03-24 ref 12345678 was closed", 0),  # a date and a reference
    # --- Unique Pupil Number: stdnum.gb.upn
    ("UK_UPN", "UPN H801200001001", 1),
    ("UK_UPN", "pupil J201300101001 joined", 1),
    ("UK_UPN", "UPN H801200001002", 0),  # check letter wrong
    ("UK_UPN", "UPN H80120000100", 0),  # too short
    # --- Passport: needs a passport context word
    ("UK_PASSPORT", "Passport number: 123456789", 1),
    ("UK_PASSPORT", "passport AB1234567 expires", 1),
    ("UK_PASSPORT", "order 123456789 dispatched", 0),
    # --- Driving licence: DVLA structure
    ("UK_DRIVING_LICENCE", "Driving licence MORGA753116SM9IJ", 1),
    ("UK_DRIVING_LICENCE", "licence 99999753116SM9IJ", 0),  # no surname
    ("UK_DRIVING_LICENCE", "licence MORGA713116SM9IJ", 0),  # month 13
    # --- E-mail
    ("EMAIL_ADDRESS", "email jo.bloggs@example.co.uk", 1),
    ("EMAIL_ADDRESS", "write to J.Bloggs+cases@council.gov.uk", 1),
    ("EMAIL_ADDRESS", "user@localhost", 0),
    # --- IP address
    ("IP_ADDRESS", "login from 192.168.10.20", 1),
    ("IP_ADDRESS", "ip 2001:db8::8a2e:370:7334", 1),
    ("IP_ADDRESS", "release 1.2.3.4 notes", 0),  # version-like
    ("IP_ADDRESS", "value 999.1.1.1", 0),
    # --- Date of birth: a plausible past date with birth context
    ("DATE_OF_BIRTH", "Date of birth: 03/04/1975", 1),
    ("DATE_OF_BIRTH", "DOB 1975-04-03", 1),
    ("DATE_OF_BIRTH", "she was born on 3rd April 1975", 1),
    ("DATE_OF_BIRTH", "meeting on 03/04/1975", 0),  # no birth context
    ("DATE_OF_BIRTH", "DOB: 03/04/2090", 0),  # future
    ("DATE_OF_BIRTH", "DOB: 31/02/1975", 0),  # no such date
    ("DATE_OF_BIRTH", "DOB: 03/04/1890", 0),  # over 120 years ago
    ("DATE_OF_BIRTH", "seen on 03/04/2015 (aged 7)", 1),  # an age just after it
    ("DATE_OF_BIRTH", "Invoice date: 03/04/2024. Due date: 03/05/2024", 0),
    ("DATE_OF_BIRTH", "Children born between 1 September 2020 and 31 August 2021 may apply", 0),
    ("DATE_OF_BIRTH", "Places from 23.07.2025. Birth certificates are not needed.", 0),
    # --- Street address
    ("UK_ADDRESS", "She lives at 12 Priory Street with her son", 1),
    ("UK_ADDRESS", "17 Jones Light\nNorth Holly\nS6 7LJ", 1),
    ("UK_ADDRESS", "12 Priory Street, Coventry CV1 5RR", 1),
    ("UK_ADDRESS", "see page 12 Summary Report", 0),
    ("UK_ADDRESS", "the 3 Park Road options were discussed", 0),  # no address context, no postcode
    ("UK_ADDRESS", "Flat 3, 12 Station Road", 1),
    ("UK_ADDRESS", "Visited at 45 Mill Lane, Bedworth on Tuesday", 1),
    ("UK_ADDRESS", "He lives at 921 Higgins Spring, North Andrewmouth", 1),  # any street word after a cue
    ("UK_ADDRESS", "Studio 8\nLeigh Fort\nPort Kelly\nBA6 2NE", 1),
    ("UK_ADDRESS", "Flat 3\n12 Station Road\nCoventry\nCV1 2GN", 1),  # one address, counted once
    ("UK_ADDRESS", "home visit on 12 March 2025", 0),
    # --- Titled names (pattern recognizer; NER has its own tests)
    ("PERSON", "Meeting with Mrs Sarah Thompson", 1),
    ("PERSON", "Mr Patel attended", 1),
    ("PERSON", "Dr Foster", 1),
    ("PERSON", "MR SMITH", 0),
]


@pytest.mark.parametrize(("entity", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_recognizer_table(patterns: Detector, entity: str, text: str, expected: int) -> None:
    result = patterns.detect([Chunk(text, "p1")])
    assert result.entities().get(entity, 0) == expected, result.entities()


@pytest.mark.parametrize(
    ("text", "wins", "loses"),
    [
        ("NHS 943 476 5919, call", "UK_NHS", "PHONE_NUMBER"),  # a valid NHS number is not also a phone number
        ("card 4111 1111 1111 1111", "CREDIT_CARD", "PHONE_NUMBER"),
        ("Sort code 40-47-84 account 01234567", "UK_BANK_ACCOUNT", "PHONE_NUMBER"),
    ],
)
def test_overlaps_are_resolved(patterns: Detector, text: str, wins: str, loses: str) -> None:
    found = patterns.detect([Chunk(text, "p1")]).entities()
    assert wins in found and loses not in found


def test_validation_and_context_are_explained(patterns: Detector) -> None:
    result = patterns.detect([Chunk("NHS number 943 476 5919. Postcode: CV1 5RR", "p4")])
    nhs, postcode = result.detections[0], result.detections[1]
    assert (nhs.entity, nhs.recognizer, nhs.validated) == ("UK_NHS", "StewardNhsRecognizer", True)
    assert "nhs number" in nhs.context_words
    assert (postcode.entity, postcode.validated, postcode.context_words) == (
        "UK_POSTCODE",
        False,
        ("postcode",),
    )
    assert postcode.where == ("p4",)
