"""Per-file accumulation of matches into Detections, and overlap resolution between matches.

Raw values reach this module only to be masked (first example) and, when a key is configured, hashed; they
are dropped as soon as that is done.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from scanner.detect.masking import keyed_hash, mask
from scanner.identifiers import INDEXED, NAME_INITIAL, IdentifierDigest, digests
from scanner.types import Detection

# When two matches overlap with equal scores, the earlier entity here wins (a number that is a valid NHS
# number is not also a phone number; a card is not a phone; a sort code+account is not a phone).
PRIORITY = (
    "UK_NHS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "UK_UPN",
    "UK_NINO",
    "UK_BANK_ACCOUNT",
    "UK_DRIVING_LICENCE",
    "UK_PASSPORT",
    "EMAIL_ADDRESS",
    "DATE_OF_BIRTH",
    "UK_POSTCODE",
    "IP_ADDRESS",
    "UK_ADDRESS",
    "PERSON",
    "PHONE_NUMBER",
)
_RANK = {e: i for i, e in enumerate(PRIORITY)}


@dataclass(slots=True)
class Match:
    entity: str
    start: int
    end: int
    score: float
    value: str
    recognizer: str
    validated: bool
    context: tuple[str, ...] = ()
    where: str = ""

    def copy(self) -> Match:
        return Match(
            self.entity,
            self.start,
            self.end,
            self.score,
            self.value,
            self.recognizer,
            self.validated,
            self.context,
            self.where,
        )


def resolve_overlaps(matches: list[Match]) -> list[Match]:
    """Keep the best of overlapping matches: a pattern match before a NER guess (NER tags streets and
    reference numbers as people), then validated first, then score, then PRIORITY, then length.
    A street address may contain a postcode, so UK_ADDRESS only conflicts with PERSON."""
    ordered = sorted(
        matches,
        key=lambda m: (
            m.recognizer == "SpacyRecognizer",  # an NER guess loses to a pattern or a layout
            not m.validated,
            -m.score,
            _RANK.get(m.entity, len(_RANK)),
            -(m.end - m.start),
        ),
    )
    starts: list[int] = []  # kept matches, sorted by start
    kept: list[Match] = []
    longest = 0
    for m in ordered:
        i = bisect.bisect_left(starts, m.end)
        clash = False
        while i > 0:
            i -= 1
            k = kept[i]
            if k.start + longest <= m.start:
                break
            if m.start < k.end and k.start < m.end and _conflict(m, k):
                clash = True
                break
        if clash:
            continue
        pos = bisect.bisect_left(starts, m.start)
        starts.insert(pos, m.start)
        kept.insert(pos, m)
        longest = max(longest, m.end - m.start)
    return kept


def _conflict(a: Match, b: Match) -> bool:
    pair = {a.entity, b.entity}
    if "UK_ADDRESS" in pair and len(pair) == 2:
        return "PERSON" in pair
    return True


@dataclass(slots=True)
class _Agg:
    count: int = 0
    best: float = 0.0
    example: str = ""
    where: list[str] = field(default_factory=list)
    recognizers: dict[str, None] = field(default_factory=dict)
    validated: bool = False
    context: dict[str, None] = field(default_factory=dict)
    hashes: dict[tuple[str, str], str] = field(default_factory=dict)  # (entity, keyed digest) -> first locator


class Aggregator:
    def __init__(self, hash_key: bytes | None, max_locators: int, max_hashes: int, entities: frozenset[str] | None):
        self._key = hash_key
        self._max_locators = max_locators
        self._max_hashes = max_hashes
        self._entities = entities
        self._aggs: dict[str, _Agg] = {}

    def wanted(self, entity: str) -> bool:
        return self._entities is None or entity in self._entities

    def add(self, m: Match, where: str, count: int = 1) -> None:
        if not self.wanted(m.entity):
            return
        agg = self._aggs.setdefault(m.entity, _Agg())
        agg.count += count
        if m.score > agg.best or not agg.example:
            agg.best = max(agg.best, m.score)
            if not agg.example or (m.validated and not agg.validated):
                agg.example = mask(m.entity, m.value)
        if where and len(agg.where) < self._max_locators and where not in agg.where:
            agg.where.append(where)
        agg.recognizers[m.recognizer] = None
        agg.validated = agg.validated or m.validated
        for word in m.context:
            if len(agg.context) < 5:
                agg.context[word] = None
        self.index(m, where)

    def index(self, m: Match, where: str) -> None:
        """Keep the value's keyed digests (scanner.identifiers) with the first place it was seen."""
        agg = self._aggs.get(m.entity)
        if self._key is None or agg is None or len(agg.hashes) >= self._max_hashes:
            return
        for pair in digests(self._key, m.entity, m.value) or ((m.entity, keyed_hash(self._key, m.entity, m.value)),):
            agg.hashes.setdefault(pair, where)

    def add_locator(self, entity: str, where: str) -> None:
        agg = self._aggs.get(entity)
        if agg is not None and len(agg.where) < self._max_locators and where not in agg.where:
            agg.where.append(where)

    def identifier_entities(self) -> set[str]:
        return set(self._aggs)

    def detections(self) -> tuple[Detection, ...]:
        return tuple(
            Detection(
                entity=entity,
                count=agg.count,
                best_score=round(agg.best, 2),
                example=agg.example,
                where=tuple(agg.where),
                recognizer=",".join(agg.recognizers),
                validated=agg.validated,
                context_words=tuple(agg.context),
            )
            for entity, agg in sorted(self._aggs.items())
        )

    def hashes(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(pair for agg in self._aggs.values() for pair in agg.hashes))

    def identifiers(self) -> tuple[IdentifierDigest, ...]:
        """The digests of indexed identifier types (names included), each with its locator."""
        return tuple(
            IdentifierDigest(entity, digest, where)
            for agg in self._aggs.values()
            for (entity, digest), where in agg.hashes.items()
            if entity in INDEXED or entity == NAME_INITIAL
        )
