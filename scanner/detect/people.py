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

import re
from collections.abc import Iterable
from dataclasses import dataclass

import re2
import regex

from scanner.detect.names import FULL, NAME_PART, PARTICLES, PLACES, TITLES, UPPER, WORD, is_name_word, place_name

RECOGNIZER = "StewardNameLayout"
LABELS = (
    "name|full name|names|client|client name|patient|patient name|pupil|pupil name|child|child's name|"
    "child’s name|young person|resident|tenant|tenant name|applicant|employee|employee name|staff member|carer|"
    "parent|parent/carer|parent / carer|parents|guardian|next of kin|nok|mother|father|contact|contact name|"
    "emergency contact|signed|signature|print name|officer|case worker|caseworker|social worker|key worker|"
    "author|from|to|cc|attendees|present|apologies|witness|referrer|referred by|complainant|customer|"
    "claimant|householder|occupier|landlord|member|councillor|chair|requester|data subject|subject name|"
    "forename|forenames|forename\\(s\\)|first name|given name|surname|last name|family name"
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
    "regarding|re:|against|involving|concerning|named|my name is|name is|i am|i'm|i’m|in the name of"
)
_T = "|".join(TITLES)
_CAP = r"(?:al-|el-)?\p{Lu}[\p{L}\p{M}'’-]*"  # a capitalised word of any script (or a particle such as Ó)
_LOW = r"[\p{Ll}\p{M}'’-]"
# RE2 needles: a layout's pattern runs only on a window where its needle matches. They are also triage's name
# cues (triage.NAME_CUES), looser than the layouts (a superset). RE2's \b is ASCII-only, so no needle puts \b
# next to a letter that may be outside ASCII.
NEEDLES = {
    "title": rf"\b(?:{_T})\b\.?[ \t]*\p{{Lu}}",
    "salutation": r"\b(?:Dear|Hi|Hello)[ \t]+(?:\p{Lu}|al-|el-)",
    "signature": r"(?i)(?:regards|sincerely|faithfully|wishes|thanks)[,.!]?[ \t]*\n",
    "label": rf"(?im)^[ \t]*(?:{LABELS})[ \t]*[:\-–]",
    "register": rf"\p{{Lu}}[\p{{Lu}}\p{{M}}'’-]+(?:[ \t]+\p{{Lu}}[\p{{Lu}}\p{{M}}'’-]*){{0,2}},[ \t]*\p{{Lu}}{_LOW}",
    "register upper": rf"(?m)(?:^|\t)[ \t]*\p{{Lu}}{_LOW}+(?:[ \t]+\p{{Lu}}{_LOW}+)?[ \t]+\p{{Lu}}{{3}}",
    "possessive": rf"['’]s[ \t]+(?:{KIN})\b",
    "verb after": rf"{_CAP}(?:[ \t]+(?:{_CAP}|\p{{Ll}}+)){{0,2}}[ \t]+{_CAP}[ \t]+(?:{VERBS_AFTER})\b",
    "verb": rf"(?i:\b(?:{VERBS_BEFORE}))[ \t]+(?-i:{_CAP}[ \t]+(?:\p{{Ll}}+[ \t]+){{0,2}}{_CAP})",
    "address block": rf"(?m)^[ \t]*\p{{Lu}}{_LOW}+(?:[ \t]+[\p{{L}}'’-]+){{1,3}}[ \t]*\n[ \t]*"
    r"(?:Flat|Unit|Apartment|\d)",
}
_LAYOUTS = tuple(NEEDLES)


def _needle_set() -> re2.Set:
    needles = re2.Set.SearchSet(re2.Options())
    for pattern in NEEDLES.values():
        needles.Add(pattern.encode())
    needles.Compile()
    return needles


_NEEDLES = _needle_set()  # one RE2 pass per window says which layouts can match there
# Where a verb before a name, or the word after one, stands: the name is tried only there.
_VERB_AFTER_AT = re2.compile(rf"[ \t]+(?:{VERBS_AFTER})\b")
_VERB_BEFORE_AT = re2.compile(rf"(?i)\b(?:{VERBS_BEFORE})[ \t]+")
_POSSESSIVE_AT = re2.compile(NEEDLES["possessive"])
_NAMES = rf"(?:{FULL}|{NAME_PART})"
_STOP = r"(?=[ \t]*(?:$|[,;.!?)\t]|[ \t][-–—][ \t]|[ \t]+\d|[ \t]+<|[ \t]+\()|[ \t]{2,})"

_RULES: tuple[tuple[str, float, regex.Pattern[str]], ...] = tuple(
    (layout, score, regex.compile(pattern, regex.MULTILINE))
    for layout, score, pattern in (
        ("title", 0.7, rf"(?<![\p{{L}}\p{{M}}'’-])(?:{_T})\.?[ \t]+(?P<n>(?:\p{{Lu}}\.[ \t]?)*{_NAMES})"),
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
            "register upper",
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
_BACKWARD: tuple[tuple[str, float, re2._Regexp, regex.Pattern[str]], ...] = (
    (
        "possessive",
        0.65,
        _POSSESSIVE_AT,
        regex.compile(rf"(?<![\p{{L}}\p{{M}}'’-])(?P<n>{_NAMES})\Z", regex.REVERSE),
    ),
    (
        "verb after",
        0.6,
        _VERB_AFTER_AT,
        regex.compile(rf"(?<![\p{{L}}\p{{M}}'’-])(?P<n>{FULL})\Z", regex.REVERSE),
    ),
)
_IMPERATIVE = regex.compile(
    r"(?:Ring|Call|Phone|Text|Email|E-mail|Contact|Visit|Ask|Tell|Remind|Chase up)[ \t]+(?=\p{Lu})"
)
_NAME_AT = regex.compile(rf"(?P<n>{FULL})(?![\p{{L}}'’])")
_ITEM = regex.compile(rf"(?:(?:{_T})\.?[ \t]+)?(?:{UPPER},[ \t]*)?{_NAMES}")


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
    words = [w.rstrip(",") for w in words]
    return all(is_name_word(w) and w.lower() not in PLACES for w in words) and not place_name(words)


_TOKEN = re.compile(r"\S+")
_PARTICLE_WORDS = frozenset(PARTICLES.split("|"))


def unsettled(text: str, found: list[Found]) -> bool:
    """Whether ``text`` holds a name-shaped sequence (two or more capitalised name words in a row) that no
    layout explains: only such windows are worth NER's time."""
    spans = [(f.start, f.end) for f in found]
    run: list[tuple[int, int, str]] = []
    for m in _TOKEN.finditer(text + " ."):
        word = m.group().strip("\"'“”‘’([{")
        bare = word.rstrip(",.;:!?)]}\"'’”")
        capital = bare.removeprefix("al-").removeprefix("el-")[:1].isupper()
        if capital or (run and bare in _PARTICLE_WORDS):
            run.append((m.start(), m.end(), bare))
        if (not capital and not (run and bare in _PARTICLE_WORDS)) or bare != word:
            names = [w for _, _, w in run if w not in _PARTICLE_WORDS]
            explained = len(names) < 2 or any(s < run[-1][1] and run[0][0] < e for s, e in spans)
            if not explained and all(is_name_word(w) and w.lower() not in PLACES for w in names):
                return True
            run = []
    return False


def find(text: str) -> list[Found]:
    """Names in ``text`` by layout (character spans, best first where spans overlap)."""
    out: list[Found] = []
    present = {_LAYOUTS[i] for i in _NEEDLES.Match(text.encode("utf-8", "surrogatepass")) or ()}
    for layout, score, needle, name in _BACKWARD:
        if layout not in present:
            continue
        for hit in needle.finditer(text):
            if hit.start() == 0 or (layout == "verb after" and not text[hit.start() - 1].isalpha()):
                continue
            before = text[max(0, hit.start() - 80) : hit.start()]
            last = before.rsplit(None, 1)[-1] if before.strip() else ""
            if not last.removeprefix("al-").removeprefix("el-")[:1].isupper():
                continue
            m = name.search(before)
            if m is None:
                continue
            start = hit.start() - len(before) + m.start("n")
            first = _IMPERATIVE.match(text, start, hit.start())
            if layout == "possessive" and first is not None:
                start = first.end()  # "Ring Kathryn's mum": the verb that starts the sentence is not a name
            if layout == "verb after" and _JOINED.search(text, max(0, start - 6), start):
                continue  # "Parks and Open Spaces agreed": the end of a longer capitalised phrase
            if _ok(m.group("n").split()):
                out.append(Found(start, hit.start(), score, layout))
    if "verb" in present:
        for hit in _VERB_BEFORE_AT.finditer(text):
            m = _NAME_AT.match(text, hit.end())
            if m is not None and _ok(m.group("n").split()):
                out.append(Found(m.start(), m.end(), 0.6, "verb"))
    for layout, score, pattern in _RULES:
        if layout not in present:
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
    return [_weighed(text, f) for f in out]


LONE_SCORE = 0.55
_TITLED = regex.compile(rf"(?<![\p{{L}}\p{{M}}'’-])(?:{_T})\.?[ \t]+$")


def _weighed(text: str, f: Found) -> Found:
    """A lone name word with no title ("Dear Marie,", "Wayne's daughter", "Forename: Thomas") is weaker evidence
    of a person than a full or titled name: it is reported with the lower score ``LONE_SCORE``."""
    words = [w for w in text[f.start : f.end].replace(",", " ").split() if not _PARTICLE.fullmatch(w)]
    if len(words) != 1 or words[0].rstrip(".") in TITLES or _TITLED.search(text, max(0, f.start - 8), f.start):
        return f
    return Found(f.start, f.end, min(f.score, LONE_SCORE), f.layout)
