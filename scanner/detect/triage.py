"""Tier 2, triage: one RE2 set pass over a chunk decides whether it can hold personal data at all and which
entity candidates it holds; only the matching patterns are then run for positions, and presidio (tier 3) sees
small windows around the candidates instead of the whole text.

Triage patterns are deliberately looser than the recognizers (a superset): a candidate costs a presidio call
on
a window, a missed candidate costs a missed detection.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import re2
from stdnum import luhn
from stdnum.gb import nhs

from scanner.detect import people
from scanner.detect.metadata import TRIAGE as METADATA_TRIAGE
from scanner.detect.names import TITLES

log = logging.getLogger(__name__)
_TITLES = "|".join(TITLES)

# (entity, RE2 pattern). PERSON is a titled name (a pattern recognizer confirms it, and NER reads around it);
# NAME_CUE only sends the text around it to NER: labels and salutations here, forenames from name_cues.yaml.
BUILTIN: tuple[tuple[str, str], ...] = (
    ("UK_NHS", r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"),
    ("PHONE_NUMBER", r"(?:\+ ?44|\b0|\(0)[0-9 ()\-]{8,16}[0-9]"),
    ("CREDIT_CARD", r"\b(?:\d[ -]?){12,18}\d\b"),
    ("IBAN_CODE", r"\b[A-Za-z]{2}\d{2}[ -]?[A-Za-z0-9]{4}[ -]?[A-Za-z0-9]{4}"),
    ("UK_NINO", r"\b[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]\b"),
    ("UK_POSTCODE", r"\b[A-Za-z]{1,2}\d[A-Za-z0-9]? ?\d[A-Za-z]{2}\b"),
    ("UK_ADDRESS", r"\b[A-Z]{1,2}\d[A-Z0-9]? ?\d[A-Z]{2}\b"),
    (
        "UK_ADDRESS",
        r"\b\d{1,4}[A-Za-z]?,? (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Road|Rd|Lane|Avenue|Drive|Close|Way|"
        r"Crescent|Court|Place|Gardens|Grove|Terrace|Hill|Park|Square|Row|Mews|Walk|View|Rise|Green)\b",
    ),
    ("EMAIL_ADDRESS", r"[^\s@<>()]@[A-Za-z0-9\-]+\.[A-Za-z]"),
    ("IP_ADDRESS", r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"),
    ("IP_ADDRESS_V6", r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{1,4}:"),
    ("UK_BANK_ACCOUNT", r"\b\d{2}[- ]\d{2}[- ]\d{2}\b"),
    ("UK_BANK_ACCOUNT", r"\b\d{6}[ /-]\d{8}\b"),
    ("UK_UPN", r"\b[A-Z]\d{11}[A-Z0-9]\b"),
    ("UK_PASSPORT", r"(?i)passport"),
    ("UK_DRIVING_LICENCE", r"\b[A-Za-z9]{5}\d{6}[A-Za-z9]{2}[A-Za-z0-9][A-Za-z]{2}\b"),
    ("DATE_OF_BIRTH", r"(?i)(?:birth|\bdob\b|d\.o\.b|\bborn\b)"),
    # Name cues (see NAME_CUES below); a titled name is PERSON so that pattern-only mode confirms it too.
    ("PERSON", rf"\b(?:{_TITLES})\b\.?[ \t]*\p{{Lu}}"),
)
# The name tier's needles (people.NEEDLES) are triage's name cues: each sends the text around it to that tier.
NAME_CUES: tuple[tuple[str, str], ...] = tuple(
    ("NAME_CUE", pattern) for layout, pattern in people.NEEDLES.items() if layout != "title"
)
BUILTIN += METADATA_TRIAGE  # GPS positions, serial numbers and authors in file metadata


def forename_rule(forenames: Iterable[str]) -> tuple[str, str]:
    """A forename followed by a capitalised word: a cue for NER."""
    names = "|".join(sorted({re2.escape(n) for n in forenames}))
    return ("NAME_CUE", rf"\b(?:{names})\b[ \t]+\p{{Lu}}")


# A chunk whose own context (column header, sheet name) has a birth word is scanned for dates.
DATE_RULE = (
    "DATE_OF_BIRTH",
    r"\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)? "
    r"[A-Z][a-z]{2,8}\.?,? \d{4})\b",
)


def _alnum(data: bytes) -> str:
    return data.decode("utf-8", "ignore").replace(" ", "").replace("-", "")


# NHS and card candidates that fail their checksum never reach presidio (python-stdnum checks).
# stdnum's checksum() functions directly: is_valid() would clean and re-validate each candidate.
_PREFILTER: dict[str, Callable[[str], bool]] = {
    "UK_NHS": lambda d: len(d) == 10 and d.isdigit() and nhs.checksum(d) == 0,
    "CREDIT_CARD": lambda d: d.isdigit() and luhn.checksum(d) == 0,
}


@dataclass(frozen=True, slots=True)
class Candidate:
    entity: str
    start: int
    end: int


class Triage:
    """Compiled once per process. ``always`` holds entities whose custom patterns RE2 cannot compile: those
    are confirmed on every chunk."""

    def __init__(self, rules: Iterable[tuple[str, str]]):
        options = re2.Options()
        options.max_mem = 64 << 20
        self._set = re2.Set.SearchSet(options)
        self._rules: list[tuple[str, Any]] = []
        always: set[str] = set()
        for entity, pattern in rules:
            try:
                compiled = re2.compile(pattern.encode(), options)
                self._set.Add(pattern.encode())
            except re2.error:
                log.info("triage: pattern for %s is not RE2 syntax; its recognizer runs on every chunk", entity)
                always.add(entity)
                continue
            self._rules.append((entity, compiled))
        self._set.Compile()
        self.always = frozenset(always)

    def scan(self, text: str, extra_date_rule: bool = False) -> list[Candidate]:
        data = text.encode("utf-8", "surrogatepass")
        hits = self._set.Match(data) or []
        if not hits and not extra_date_rule:
            return []
        ascii_only = len(data) == len(text)
        out: list[Candidate] = []
        rules = [self._rules[i] for i in sorted(hits)]
        if extra_date_rule:
            rules.append((DATE_RULE[0], _date_rule()))
        for entity, compiled in rules:
            check = _PREFILTER.get(entity)
            for m in compiled.finditer(data):
                if check is not None and not check(_alnum(m.group())):
                    continue  # fails its checksum: presidio would drop it
                start, end = m.span()
                if not ascii_only:
                    start = len(data[:start].decode("utf-8", "ignore"))
                    end = start + len(data[m.start() : end].decode("utf-8", "ignore"))
                out.append(Candidate(entity, start, end))
        return out


@functools.cache
def _date_rule() -> Any:
    return re2.compile(DATE_RULE[1].encode())


@dataclass(slots=True)
class Window:
    start: int
    end: int
    entities: set[str]
    candidates: int = 1


def windows(candidates: list[Candidate], length: int, before: int, after: int, max_len: int) -> list[Window]:
    """Merge candidate spans, widened for context, into non-overlapping windows (each at most ``max_len``)."""
    out: list[Window] = []
    for cand in sorted(candidates, key=lambda c: c.start):
        start, end = max(0, cand.start - before), min(length, cand.end + after)
        if out and start <= out[-1].end and end - out[-1].start <= max_len:
            out[-1].end = max(out[-1].end, end)
            out[-1].entities.add(cand.entity)
            out[-1].candidates += 1
        else:
            if out and start < out[-1].end:
                start = out[-1].end
            out.append(Window(start, end, {cand.entity}))
    return out
