"""Names found by the layouts every council file uses, with no list of names and no model: a title
("Mrs Ní Fhlannagáin"), a salutation ("Dear Mrs Liversidge,"), a label ("Next of kin: Ubah Cawaale Jaamac"), a
register entry ("GRZYBOWSKA, Jadwiga", "Jadwiga GRZYBOWSKA"), a possessive before a word for a relative or
carer ("Marjorie's mother"), and a name-shaped sequence next to a verb of people ("spoke to Lương Thị Thảo",
"Kim Min-jun attended").

These rules read only the windows triage sent (``triage.NAME_CUES`` are their looser RE2 twins), so their cost
is bounded by the cues. spaCy NER reads the same windows for names written without any of these layouts; a
layout match wins over an NER guess where both find a name (``aggregate.resolve_overlaps``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from scanner.detect.names import FULL, NAME_PART, PARTICLES, PLACES, TITLES, UPPER, WORD, is_name_word

RECOGNIZER = "StewardNameLayout"
LABELS = (
    "name|full name|names|client|client name|patient|patient name|pupil|pupil name|child|child's name|"
    "child’s name|young person|resident|tenant|tenant name|applicant|employee|employee name|staff member|carer|"
    "parent|parent/carer|parent / carer|parents|guardian|next of kin|nok|mother|father|contact|contact name|"
    "emergency contact|signed|signature|print name|officer|case worker|caseworker|social worker|key worker|"
    "author|from|to|cc|attendees|present|apologies|witness|referrer|referred by|complainant|customer|"
    "claimant|householder|occupier|landlord|member|councillor|chair|requester|data subject|subject name|"
    "forename|forenames|first name|given name|surname|last name|family name"
)
KIN = (
    "mother|father|mum|mam|dad|son|daughter|brother|sister|partner|husband|wife|carer|grandmother|grandfather|"
    "nan|nana|gran|granny|grandad|grandpa|aunt|auntie|uncle|cousin|baby|sibling|siblings|parents|children|child|"
    "girlfriend|boyfriend|fiancé|fiancée|friend|neighbour|key worker|social worker|support worker|teacher|"
    "headteacher|GP|school|nursery|foster carer|guardian|care plan|medication|appointment|tenancy|flat|home|"
    "bedroom|behaviour|attendance|EHCP|benefits|application|claim|account|file|case"
)
VERBS_AFTER = (
    "attended|agreed|said|says|told|asked|called|phoned|rang|visited|came|arrived|reported|explained|stated|"
    "confirmed|complained|requested|refused|declined|disclosed|lives|lived|moved|works|worked|needs|needed|wants|"
    "wanted|went|left|returned|signed|received|applied|was|is|has|had|will|would|could|can|did|does|missed|"
    "failed|presented|appeared|answered|emailed|wrote|spoke|accepted|admitted|alleged|denied|paid|owes|owed|"
    "remains|remained|became|continues|continued|cannot|can't|won't|didn't|isn't|wasn't"
)
VERBS_BEFORE = (
    "spoke to|spoke with|speak to|speak with|spoken to|talked to|talked with|talking to|met|meet|meeting with|"
    "visited|visit to|called|phoned|rang|emailed|wrote to|written to|letter to|sent to|saw|seen|seeing|"
    "with|for|from|by|told|asked|contacted|supported|helped|advised|accompanied|referral for|on behalf of|"
    "explained to|given to|passed to|handed to|introduced|interviewed|assessed|collected|dropped off|"
    "regarding|re:|against|involving|concerning|named"
)
_T = "|".join(TITLES)
_NAMES = rf"(?:{FULL}|{NAME_PART})"
_STOP = r"(?=[ \t]*(?:$|[,;.!?)\t]|[ \t][-–—][ \t]|[ \t]+\d|[ \t]+<|[ \t]+\())"

_RULES: tuple[tuple[str, float, regex.Pattern[str]], ...] = tuple(
    (layout, score, regex.compile(pattern, regex.MULTILINE))
    for layout, score, pattern in (
        ("title", 0.7, rf"\b(?:{_T})\.?[ \t]+(?P<n>(?:\p{{Lu}}\.[ \t]?)*{_NAMES})"),
        ("salutation", 0.7, rf"\b(?:Dear|Hi|Hello)[ \t]+(?:(?:{_T})\.?[ \t]+)?(?P<n>{_NAMES})(?=[ \t]*[,!\n]|$)"),
        (
            "label",
            0.7,
            rf"(?i:^[ \t]*(?:{LABELS}))[ \t]*[:\-–][ \t]*(?P<list>(?:(?:{_T})\.?[ \t]+)?(?:{UPPER},[ \t]*)?"
            rf"{_NAMES}(?:[ \t]*(?:,|;|\band\b|&)[ \t]*(?:(?:{_T})\.?[ \t]+)?{_NAMES})*){_STOP}",
        ),
        (
            "register",
            0.7,
            rf"(?<![\p{{L}}\p{{N}}])(?P<n>(?P<up>{UPPER}(?:[ \t]+{UPPER}){{0,2}}),[ \t]*{NAME_PART}"
            rf"(?:[ \t]+{NAME_PART}){{0,2}}){_STOP}",
        ),
        (
            "register",
            0.6,
            rf"(?:^|\t)[ \t]*(?P<n>{WORD}(?:[ \t]+{WORD})?[ \t]+(?P<up>\p{{Lu}}{{2}}[\p{{Lu}}\p{{M}}]+"
            rf"(?:['’-]\p{{Lu}}[\p{{Lu}}\p{{M}}]*)*)){_STOP}",
        ),
        (
            "address block",
            0.65,
            rf"^[ \t]*(?P<n>{FULL})[ \t]*\n[ \t]*(?:Flat|Apartment|Unit|\d{{1,4}}[A-Za-z]?,?[ \t]+\p{{Lu}})",
        ),
        (
            "signature",
            0.65,
            rf"(?i:regards|sincerely|faithfully|wishes|thanks)[,.!]?[ \t]*\n[ \t]*(?P<n>{FULL})[ \t]*$",
        ),
    )
)
_PARTICLE = regex.compile(PARTICLES)
_JOINED = regex.compile(r"(?:\band|&|\bof|\bfor|\bthe)[ \t]+$")
# Layouts whose name comes before a fixed word: found from that word backwards (a bounded look back), which is
# far cheaper than trying a name at every position of the window.
_BACKWARD: tuple[tuple[str, float, regex.Pattern[str], regex.Pattern[str]], ...] = (
    (
        "possessive",
        0.65,
        regex.compile(rf"['’]s[ \t]+(?:{KIN})\b"),
        regex.compile(rf"(?<![\p{{L}}'’])(?P<n>{_NAMES})\Z"),
    ),
    (
        "verb after",
        0.6,
        regex.compile(rf"(?<=\p{{L}})[ \t]+(?:{VERBS_AFTER})\b"),
        regex.compile(rf"(?<![\p{{L}}'’])(?P<n>{FULL})\Z"),
    ),
)
# "spoke to Lương Thị Thảo": the name is tried only where a verb of people is followed by a capital.
_VERB_BEFORE = regex.compile(rf"(?i:\b(?:{VERBS_BEFORE}))[ \t]+(?=\p{{Lu}}|al-|el-)")
_NAME_AT = regex.compile(rf"(?P<n>{FULL})(?![\p{{L}}'’])")
_ITEM = regex.compile(rf"(?:(?:{_T})\.?[ \t]+)?(?:{UPPER},[ \t]*)?{_NAMES}")


# Literal text a layout cannot match without: a window lacking all of it skips the layout's pattern.
_NEEDS = {
    "title": TITLES,
    "salutation": ("Dear", "Hi", "Hello"),
    "signature": ("egards", "incerely", "aithfully", "ishes", "hanks", "EGARDS", "INCERELY"),
    "address block": ("\n",),
    "register": (",", "\t", "\n"),
}


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    score: float
    layout: str


def _ok(words: Iterable[str], upper: str = "") -> bool:
    """Every capitalised word is a name word; an upper-case family name is not a place or a non-name word."""
    words = [w for w in words if w.rstrip(".") not in TITLES and not _PARTICLE.fullmatch(w)]
    if not words:
        return False
    if upper:
        up = [w for w in regex.split(r"[ \t]+", upper) if w]
        if sum(len(w) for w in up) < 2 or any(w.lower() in PLACES or not is_name_word(w.title()) for w in up):
            return False
        words = [w for w in words if w not in up]
    return all(is_name_word(w.rstrip(",")) and w.lower().rstrip(",") not in PLACES for w in words)


_SEQUENCE = regex.compile(rf"(?<![\p{{L}}'’])(?:{FULL})")


def unsettled(text: str, found: list[Found]) -> bool:
    """Whether ``text`` holds a name-shaped sequence (two or more capitalised name words) that no layout
    explains: only such windows are worth NER's time."""
    spans = [(f.start, f.end) for f in found]
    for m in _SEQUENCE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in spans):
            continue
        words = [w for w in m.group().split() if not _PARTICLE.fullmatch(w)]
        if all(is_name_word(w) and w.lower() not in PLACES for w in words):
            return True
    return False


def find(text: str) -> list[Found]:
    """Names in ``text`` by layout (character spans, best first where spans overlap)."""
    out: list[Found] = []
    for layout, score, needle, name in _BACKWARD:
        for hit in needle.finditer(text):
            before = text[max(0, hit.start() - 80) : hit.start()]
            last = before.rsplit(None, 1)[-1] if before.strip() else ""
            if not last.removeprefix("al-").removeprefix("el-")[:1].isupper():
                continue
            m = name.search(before)
            if m is None:
                continue
            start = hit.start() - len(before) + m.start("n")
            if layout == "verb after" and _JOINED.search(text, max(0, start - 6), start):
                continue  # "Parks and Open Spaces agreed": the end of a longer capitalised phrase
            if _ok(m.group("n").split()):
                out.append(Found(start, hit.start(), score, layout))
    for hit in _VERB_BEFORE.finditer(text):
        m = _NAME_AT.match(text, hit.end())
        if m is not None and _ok(m.group("n").split()):
            out.append(Found(m.start(), m.end(), 0.6, "verb"))
    for layout, score, pattern in _RULES:
        if layout in _NEEDS and not any(n in text for n in _NEEDS[layout]):
            continue
        for m in pattern.finditer(text, overlapped=False):
            if layout == "label":
                base = m.start("list")
                for item in _ITEM.finditer(m.group("list")):
                    if _ok(item.group().replace(",", " ").split()):
                        out.append(Found(base + item.start(), base + item.end(), score, layout))
                continue
            value = m.group("n")
            upper = m.group("up") if "up" in m.groupdict() else ""
            if upper and upper.isupper() and value.isupper():
                continue  # a heading in capitals, not a register entry
            if _ok(value.replace(",", " ").split(), upper or ""):
                start = m.start() if layout == "title" else m.start("n")
                out.append(Found(start, m.end("n"), score, layout))
    return out
