"""Retention periods ('3y', '18 months', '90d') and the dates found in folder and file names."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

PERIOD = re.compile(r"^\s*(\d+)\s*(y|yr|yrs|years?|m|mo|months?|w|weeks?|d|days?)\s*$", re.IGNORECASE)


class Period(NamedTuple):
    months: int
    days: int

    def after(self, start: datetime) -> datetime:
        """``start`` plus the period (a month-end date stays at the end of a shorter month)."""
        return _shift(start, self.months) + timedelta(days=self.days)

    def before(self, end: datetime) -> datetime:
        """``end`` minus the period: anything at or before it is older than the period."""
        return _shift(end - timedelta(days=self.days), -self.months)


def _shift(when: datetime, months: int) -> datetime:
    if not months:
        return when
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


@cache
def parse_period(text: str) -> Period:
    found = PERIOD.match(str(text))
    if not found:
        raise ValueError(f"{text!r} is not a period (write e.g. '3y', '45 years', '18 months', '90d')")
    n, unit = int(found.group(1)), found.group(2).lower()
    if unit.startswith("y"):
        return Period(12 * n, 0)
    if unit.startswith("m"):
        return Period(n, 0)
    return Period(0, 7 * n if unit.startswith("w") else n)


YEAR = r"((?:19|20)\d{2})"
# Each kind: a pattern and how its match becomes the date the period starts (the end of the period named).
DATE_PATTERNS: dict[str, re.Pattern[str]] = {
    # "2012-13", "2012/13", "2012-2013", "FY2019" (the year from April 2019 to March 2020), "FY 2019-20"
    "financial_year": re.compile(
        rf"(?<![\d])(?:FY\s?)?{YEAR}\s?[-/_]\s?(\d{{2}}|\d{{4}})(?![\d])|\bFY\s?{YEAR}\b", re.IGNORECASE
    ),
    "closed": re.compile(rf"\bclosed\s*(?:in\s+)?{YEAR}\b", re.IGNORECASE),
    # A child leaving school: the end of that school year (31 August).
    "left": re.compile(rf"\b(?:left(?:\s+school)?|leavers?|leaving)\s*(?:in\s+)?{YEAR}\b", re.IGNORECASE),
    "iso_date": re.compile(rf"(?<!\d){YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)"),
    "year": re.compile(rf"(?<![\d]){YEAR}(?![\d])"),
}


def _date(kind: str, m: re.Match[str]) -> datetime | None:
    groups = m.groups()
    if kind == "financial_year":
        if groups[2]:
            return datetime(int(groups[2]) + 1, 3, 31)
        first, second = int(groups[0]), groups[1]
        end = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
        return datetime(end, 3, 31) if end == first + 1 else None
    if kind == "closed" or kind == "year":
        return datetime(int(groups[0]), 12, 31)
    if kind == "left":
        return datetime(int(groups[0]), 8, 31)
    try:
        return datetime(int(groups[0]), int(groups[1]), int(groups[2]))
    except ValueError:
        return None


def date_in_path(path: str, kinds: tuple[str, ...]) -> tuple[datetime, str] | None:
    """The date named deepest in ``path`` by any of ``kinds`` (earlier kinds win within one name),
    with the text it came from; None when no name holds one."""
    for part in reversed(path.split("/")):
        for kind in kinds:
            for m in DATE_PATTERNS[kind].finditer(part):
                found = _date(kind, m)
                if found is not None:
                    return found, m.group(0)
    return None
