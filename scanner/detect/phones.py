"""Phone numbers (PHONE_NUMBER): presidio's phonenumbers-based recognizer, widened to every layout phonenumbers
parses for the UK and to numbers of any country written with "+" or "00", and narrowed by what comes before a
number: an organisation's line ("switchboard", "helpline") or a reference label ("Job ref", "Order number")."""

from __future__ import annotations

import re

import phonenumbers
from presidio_analyzer import AnalysisExplanation, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from scanner.detect.protocol import StewardRecognizer


class StewardPhoneRecognizer(StewardRecognizer, PhoneRecognizer):
    """Phone numbers by phonenumbers' matcher for the UK: every layout it parses ("+44 (0)24 7683 3075",
    "(0113) 496 0123", "024 7683 3075 ext. 214"), and numbers of any country written with "+" or "00" and a
    country code. A number phonenumbers validates scores 0.5 on its own; one that only has a possible length
    (an unallocated or drama range such as 07700 900xxx) scores 0.3 and is reported only with a context word."""

    steward_validator = "phonenumbers"
    requires_context = False
    VALID_SCORE = 0.5
    POSSIBLE_SCORE = 0.3

    def __init__(self) -> None:
        super().__init__(
            context=[
                "phone",
                "telephone",
                "tel",
                "mobile",
                "mob",
                "landline",
                "call",
                "contact",
                "ring",
                "text",
                "fax",
                "home",
                "work",
                "direct",
                "dial",
                "reach",
                "best number",
                "phone number",
                "contact number",
                "my number",
                "new number",
                "desk",
                "office",
                "whatsapp",
            ],
            supported_regions=("GB",),
            name="StewardPhoneRecognizer",
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
            before = text[match.start - 1] if match.start else " "
            after = text[match.end] if match.end < len(text) else " "
            if before.isalnum() or before in "_/=#" or after.isalnum():
                continue  # digits inside a token ("trace=ee3467739230"), not a number on its own
            if _ORGANISATION_LINE.search(text[max(0, match.start - 40) : match.start]):
                continue  # "call the switchboard on ...": an organisation's number, not a person's
            if _REFERENCE_LABEL.search(text[max(0, match.start - 30) : match.start]):
                continue  # "Job ref 0161 496 7493", "Order number 847 134 0306": a reference shaped like a number
            valid = phonenumbers.is_valid_number(match.number)
            if not valid and len(phonenumbers.national_significant_number(match.number)) < 9:
                continue
            score = self.VALID_SCORE if valid else self.POSSIBLE_SCORE
            region = phonenumbers.region_code_for_number(match.number) or "unknown"
            results.append(
                RecognizerResult(
                    entity_type="PHONE_NUMBER",
                    start=match.start,
                    end=match.end,
                    score=score,
                    analysis_explanation=AnalysisExplanation(
                        recognizer="StewardPhoneRecognizer",
                        original_score=score,
                        textual_explanation=f"{'valid' if valid else 'possible'} {region} number (phonenumbers)",
                        validation_result=valid,
                    ),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: "StewardPhoneRecognizer",
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results


_ORGANISATION_LINE = re.compile(
    r"\b(?:switchboard|helpline|help line|freephone|main (?:number|line)|enquiries(?: line)?|customer services"
    r"|contact centre|reception|out of hours (?:service|team))\b[^.\n]{0,25}$",
    re.IGNORECASE,
)
_REFERENCE_LABEL = re.compile(
    r"\b(?:ref(?:erence)?|order|invoice|job|po|purchase order|batch|case|claim|ticket|serial|item|product|part"
    r"|account|acc|a/c|policy|licence|permit|application)\.?(?:[ \t]*(?:no\.?|number|num|#|id))?[ \t]*[:#]?[ \t]*$",
    re.IGNORECASE,
)


# A table cell that can only be the first part of a number split over two cells: a dialling code ("024",
# "(0121)", "01632") or a country code with or without a trunk and area code ("+44", "+44 (0)24", "0033").
_PREFIX_CELL = re.compile(r"(?:\+|00)[1-9]\d{0,2}(?:[ \t]*\(0\))?(?:[ \t-]*\d{1,4})?|\(?0[1-9]\d{1,4}\)?")
# The rest of the number in the next cell: 5 to 10 digits, spaced or hyphenated ("7683 3075", "496 0123").
_REST_CELL = re.compile(r"\d[\d \t-]{3,11}\d")


def prefix_cell(value: str) -> bool:
    return len(value) <= 12 and value[:1] in "0+(" and bool(_PREFIX_CELL.fullmatch(value))


def split_number(prefix: str, rest: str) -> bool | None:
    """Whether the two cells ``prefix`` | ``rest`` of a row make one phone number: True when phonenumbers
    validates it, False when it only has a possible length (an unallocated or drama range), None when they
    are not a number at all."""
    if not _REST_CELL.fullmatch(rest) or not 5 <= sum(c.isdigit() for c in rest) <= 10:
        return None
    try:
        number = phonenumbers.parse(f"{prefix} {rest}", "GB")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return True
    return (
        False
        if len(phonenumbers.national_significant_number(number)) >= 9 and phonenumbers.is_possible_number(number)
        else None
    )
