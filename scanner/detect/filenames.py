"""Names of files and folders are text too: identifiers and people's names in them, with the locators ``name``
(the file's own name) and ``folder`` (a folder on its path).

A name is visible to anyone who can list its folder, even where the file itself is locked down, so what is in
it is recorded beside what is in the content (the policy ``identifier-in-name`` raises a finding from it).

Names are short and carry no context words, so they are read a little differently from content:

* separators (``_``, ``.``, ``-``, ``+``) become spaces, and the extension is dropped;
* an identifier that validates by its checksum (an NHS number, a card) counts without a context word when it is
  written in its usual groups ("401 023 2137", not a bare run of ten digits that may be a timestamp);
* a person's name counts as a titled name ("Mrs Sarah Thompson referral"), an initial and surname at the start
  ("J Smith - safeguarding referral"), or a known forename and a surname ("Sarah Thompson - tenancy"), besides
  whatever the detector's own recognizers find.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from scanner.detect import rules
from scanner.detect.aggregate import Aggregator, Match, resolve_overlaps
from scanner.types import Detection, FileObservation

if TYPE_CHECKING:
    from scanner.detect.detector import TieredDetector

_SEPARATORS = re.compile(r"[_.+]+|(?<=\w)-(?=\w)")
_GROUPED = {
    "UK_NHS": re.compile(r"^\d{3}[ -]\d{3}[ -]\d{4}$"),
    "CREDIT_CARD": re.compile(r"^\d{4}(?:[ -]\d{4}){3}$"),
}
_INITIAL_SURNAME = re.compile(
    r"^(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?[ \t]+)?[A-Z]\.?[ \t]+[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?\b"
)
_PAIR = re.compile(r"\b([A-Z][a-z'’]+)[ \t]+([A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?)\b")
_NAME_SCORE = 0.6


def name_text(name: str) -> str:
    """'J_Smith-safeguarding_referral.docx' -> 'J Smith safeguarding referral'."""
    stem = _stem(name) if "." in name[1:] else name
    return " ".join(_SEPARATORS.sub(" ", stem).split())


def _stem(name: str) -> str:
    """``PurePosixPath(name).stem`` of one path component, without building a path."""
    if "/" in name or name == ".":
        return PurePosixPath(name).stem
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _parts(path: str) -> tuple[str, ...]:
    """``PurePosixPath(path).parts`` of a relative path (empty and "." components dropped), without building
    a path; an absolute one goes through pathlib (its root is a part)."""
    if path.startswith("/"):
        return PurePosixPath(path).parts
    return tuple(p for p in path.split("/") if p and p != ".")


@functools.cache
def _forenames(path: str | None) -> frozenset[str]:
    if path is None:
        return frozenset()
    return frozenset(rules.load_name_cues(Path(path)).forenames)


def _names(text: str, forenames: frozenset[str]) -> Iterable[Match]:
    m = _INITIAL_SURNAME.match(text)
    if m:
        yield Match("PERSON", m.start(), m.end(), _NAME_SCORE, m.group(), "StewardFileName", False)
    for m in _PAIR.finditer(text):
        if m.group(1) in forenames:
            yield Match("PERSON", m.start(), m.end(), _NAME_SCORE, m.group(), "StewardFileName", False)


def detect_name(detector: TieredDetector, text: str, where: str, agg: Aggregator) -> None:
    """Add what is found in one file or folder name to ``agg``, with the locator ``where``."""
    if not text:
        return
    for m in _found(detector, text):
        agg.add(m, where)


@functools.lru_cache(maxsize=4096)  # a folder's name is read once per process, not once per file in it
def _found(detector: TieredDetector, text: str) -> tuple[Match, ...]:
    s = detector.settings
    found, _ = detector.confirm(text, (), 0.3)
    kept = []
    for m in found:
        grouped = _GROUPED.get(m.entity)
        if m.score >= s.score_threshold or (m.validated and grouped is not None and grouped.match(m.value)):
            kept.append(m)
    if s.names:
        kept += _names(text, _forenames(str(s.name_cues_file) if s.name_cues_file else None))
    return tuple(resolve_overlaps(kept))


def name_detections(detector: TieredDetector, path: str, folders: bool = True) -> tuple[Detection, ...]:
    """What the file's own name (locator ``name``) and its folders' names (``folder``) hold."""
    s = detector.settings
    agg = Aggregator(detector._hash_key, s.max_locators, s.max_hashes, detector._entities)
    parts = _parts(path)
    detect_name(detector, name_text(parts[-1]) if parts else "", "name", agg)
    if folders:
        for folder in parts[:-1]:
            detect_name(detector, " ".join(_SEPARATORS.sub(" ", folder).split()), "folder", agg)
    return agg.detections()


def merge(content: tuple[Detection, ...], names: tuple[Detection, ...], max_locators: int) -> tuple[Detection, ...]:
    """Content detections with the name's added: counts summed, the name's locators first."""
    by_entity = {d.entity: d for d in content}
    for d in names:
        old = by_entity.get(d.entity)
        if old is None:
            by_entity[d.entity] = d
            continue
        where = tuple(dict.fromkeys((*d.where, *old.where)))[:max_locators]
        by_entity[d.entity] = replace(
            old, count=old.count + d.count, where=where, validated=old.validated or d.validated
        )
    return tuple(by_entity[e] for e in sorted(by_entity))


def with_names(obs: FileObservation, detector: TieredDetector) -> FileObservation:
    """The observation with what its file and folder names hold added (database tables are not files)."""
    if obs.entry.table is not None:
        return obs
    names = name_detections(detector, obs.entry.path)
    if not names:
        return obs
    return replace(obs, detections=merge(obs.detections, names, detector.settings.max_locators))
