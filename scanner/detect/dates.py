"""Dates for the date-of-birth recognizer: the pattern, and whether a match is a plausible birth date."""

from __future__ import annotations

import datetime as dt

import regex

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
    """A real calendar date between 1900 and today (day-first, or ISO year-first)."""
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
    return dt.date(1900, 1, 1) <= date <= dt.date.today()
