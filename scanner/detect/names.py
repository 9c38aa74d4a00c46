"""Sanity checks on PERSON matches: spaCy's small model tags numbers, headings and labels as people
(presidio issues #786, #1173, #1352). A name here is 1-4 capitalised words without digits, at least two words
unless a title or salutation precedes it, and none of them a word that does not appear in names."""

from __future__ import annotations

import re

_TITLE_BEFORE = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Dear|Sir|Dame|Cllr|Rev)\.?\s*)$")
_WORD = re.compile(r"^[A-Z][a-z]*(?:['’-][A-Za-z][a-z]+)*\.?$|^(?:Mc|Mac|O')[A-Z][a-z]+$")
_TITLE = {"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Sir", "Dame", "Cllr", "Rev"}
NOT_NAME_WORDS = frozenset(
    [
        "email",
        "e-mail",
        "tel",
        "phone",
        "mobile",
        "dob",
        "address",
        "postcode",
        "name",
        "nhs",
        "number",
        "no",
        "ref",
        "reference",
        "date",
        "council",
        "street",
        "road",
        "lane",
        "avenue",
        "team",
        "service",
        "services",
        "department",
        "unit",
        "manager",
        "officer",
        "report",
        "policy",
        "form",
        "data",
        "protection",
        "act",
        "the",
        "and",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "dear",
        "regards",
        "sincerely",
        "yours",
        "kind",
        "thanks",
        "hello",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "account",
        "sort",
        "code",
        "iban",
        "card",
        "visa",
        "bank",
        "ltd",
        "limited",
        "plc",
        "llp",
        "inc",
        "group",
        "city",
        "county",
        "borough",
        "district",
        "centre",
        "center",
        "school",
        "academy",
        "hospital",
        "trust",
        "care",
        "social",
        "adult",
        "children",
        "client",
        "patient",
        "pupil",
        "tenant",
        "resident",
        "case",
        "notes",
        "summary",
        "total",
        "page",
        "section",
        "appendix",
        "version",
        "draft",
        "official",
        "sensitive",
        "secret",
        "restricted",
        "confidential",
        "protect",
        "court",
        "police",
        "birth",
        "passport",
        "licence",
        "national",
        "insurance",
        "gmail",
        "outlook",
        "yahoo",
        "hotmail",
    ]
)


def plausible_name(value: str, text: str, start: int) -> bool:
    words = value.replace(",", " ").split()
    if not words or len(words) > 4 or any(ch.isdigit() or ch in "@/\\_:;()[]{}<>|=#" for ch in value):
        return False
    if words[0] in _TITLE:
        words = words[1:]
        titled = True
    else:
        titled = bool(_TITLE_BEFORE.search(text[max(0, start - 8) : start]))
    if not words or any(not _WORD.match(w) or w.lower().strip(".") in NOT_NAME_WORDS for w in words):
        return False
    if all(w.isupper() and len(w) > 1 for w in words):
        return False
    return len(words) >= 2 or titled
