"""Dates of birth (DATE_OF_BIRTH): the date pattern, the plausibility check and the recognizer.

A date is a date of birth only with evidence of birth: a label just before it ("Date of birth:", "DOB",
"D.O.B.", "born on"), an age just after it ("(age 34)", "aged 7", "34 years old"), or a column whose header says
so (tables). Other dates (invoice, meeting, review, letter dates) are never dates of birth, nor are cut-off
dates ("born between 1 September 2020 and ..."). A birth date is a real calendar date, not in the future, and
at most 120 years ago.
"""

from __future__ import annotations

import datetime as dt

import regex
from presidio_analyzer import Pattern

from scanner.detect.checked import CheckedPatternRecognizer
from scanner.detect.protocol import StewardRecognizer

MONTHS = (
    "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    "Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
DATE = (
    r"\b(?:(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)?\d\d"
    r"|(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    rf"|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+(?:{MONTHS})\.?,?\s+(?:19|20)\d\d)\b"
)


_MONTH_NUMBER = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
_NUMERIC = regex.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})")
_TEXTUAL = regex.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[A-Za-z]*\.?,?\s+(\d{4})")


def plausible_birth_date(text: str) -> bool:
    """A real calendar date from 120 years ago to today (day-first, or ISO year-first)."""
    m = _NUMERIC.fullmatch(text.strip())
    if m:
        a, b, c = (int(g) for g in m.groups())
        if len(m.group(1)) == 4:
            year, month, day = a, b, c
        else:
            day, month, year = a, b, c
            if len(m.group(3)) == 2:
                year += 1900 if year > dt.date.today().year % 100 else 2000
    else:
        m = _TEXTUAL.fullmatch(text.strip())
        if not m or m.group(2).lower() not in _MONTH_NUMBER:
            return False
        day, month, year = int(m.group(1)), _MONTH_NUMBER[m.group(2).lower()], int(m.group(3))
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return False
    today = dt.date.today()
    return dt.date(today.year - 120, 1, 1) <= date <= today


# "born between 1 September 2020 and ...", "born on or after ...": an eligibility cut-off, not someone's birth.
_CUT_OFF = regex.compile(
    r"\bborn\s+(?:(?:on\s+or\s+)?(?:between|after|before|from|since|prior\s+to|in\s+or\s+after)"
    r"|between\b[^.\n]{1,30}\b(?:and|to))\s*$",
    regex.IGNORECASE,
)

_BIRTH_WORD = regex.compile(r"birth|\bborn\b|\bdob\b", regex.IGNORECASE)
_AGE_AFTER = regex.compile(r"\W{0,3}(?:age[d]?\b|\d{1,3}\s*(?:years?|yrs|y/o))", regex.IGNORECASE)
_EVIDENCE = regex.compile(r"birth|\bborn\b|\bdob\b|d\.o\.b|d/o/b|\bage[d]?\b", regex.IGNORECASE)


class DateOfBirthRecognizer(StewardRecognizer, CheckedPatternRecognizer):
    """DATE_OF_BIRTH: a plausible past date with evidence of birth (see the module docstring)."""

    steward_validator = "date"
    requires_context = True
    context_before = 30  # "Date of birth: ", "born on ": close before the date, not a sentence earlier
    context_after = 14  # "(age 34)", "aged 7", "34 years old" just after it
    PATTERNS = (Pattern("date", DATE, 0.3),)
    CONTEXT = (
        "date of birth",
        "dob",
        "d.o.b",
        "d/o/b",
        "born",
        "birth",
        "birthday",
        "birthdate",
        "age",
        "aged",
        "years old",
        "year old",
        "yrs",
        "y/o",
    )

    def __init__(self) -> None:
        super().__init__(
            supported_entity="DATE_OF_BIRTH",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            name="DateOfBirthRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if plausible_birth_date(pattern_text) else False

    def keep(self, text: str, start: int, end: int) -> bool:
        before = text[max(0, start - 40) : start]
        after = text[end : end + self.context_after]
        if _CUT_OFF.search(before):
            return False
        # "... from 23.07.26. Birth certificates ...": a birth word just after that belongs to what follows
        return not (_BIRTH_WORD.search(after) and not _AGE_AFTER.match(after) and not _EVIDENCE.search(before[-30:]))
