"""Recognizers run the way presidio's AnalyzerEngine runs them, without its per-call machinery.

For an entity whose every recognizer is a plain ``PatternRecognizer`` (its own ``analyze`` and context hook not
overridden, no deny list), ``AnalyzerEngine.analyze`` does a fixed sequence: each pattern's matches, scored by
the pattern and raised to 1.0 or dropped by the recognizer's ``validate_result`` / ``invalidate_result``; each
recognizer's results de-duplicated; context scoring (``WindowContextEnhancer``); the score threshold; a final
de-duplication per entity; results ordered by score. ``PatternPass`` does the same sequence on plain tuples, so
the many small windows of a scan do not each build presidio's explanations, metadata dicts and registry lists.
A ``CheckedPatternRecognizer`` (dates of birth) is run the same way with its ``keep`` check after its own
de-duplication, as its ``analyze`` does. Steward's other recognizers with an ``analyze`` of their own (phone
numbers, IBANs) are called directly, and their results go through the same context scoring, threshold and
de-duplication as ``AnalyzerEngine`` would put them. What is left for presidio (spaCy's recognizer, deny lists,
a recognizer with its own context hook) is served there; de-duplication never crosses entities, so the two
halves combine into exactly presidio's answer (``tests/test_detect_patterns.py`` compares them file by file).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import NamedTuple

import regex
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from scanner.detect.checked import CheckedPatternRecognizer
from scanner.detect.context import WindowContextEnhancer, context_regex, find_context
from scanner.detect.engine import recognizer_name, recognizer_patterns
from scanner.detect.protocol import StewardRecognizer, extras

_NAME_KEY = RecognizerResult.RECOGNIZER_NAME_KEY


class Hit(NamedTuple):
    """One result, as presidio's RecognizerResult would carry it (``validated``: the recognizer's checksum or
    validator accepted it)."""

    entity: str
    start: int
    end: int
    score: float
    recognizer: str
    validated: bool
    context: tuple[str, ...] = ()

    @classmethod
    def of(cls, r: RecognizerResult, recognizer: str, context: tuple[str, ...] = ()) -> Hit:
        """``r`` as a hit, found by ``recognizer``."""
        validated = bool(r.analysis_explanation is not None and r.analysis_explanation.validation_result)
        return cls(r.entity_type, r.start, r.end, r.score, recognizer, validated, context)


@dataclass(frozen=True)
class _Plain:
    recognizer: EntityRecognizer
    name: str
    entity: str  # a PatternRecognizer labels every result with its first supported entity
    patterns: tuple[tuple[regex.Pattern[str], float], ...]
    words: re.Pattern[str] | None  # the recognizer's context words (context_regex)
    checked: CheckedPatternRecognizer | None  # its ``keep`` runs after the patterns
    own: bool  # its own ``analyze`` gives the raw results (no patterns run here)


def plain(recognizer: EntityRecognizer) -> bool:
    """Whether ``AnalyzerEngine`` would run ``recognizer`` by PatternRecognizer's own code alone (for a
    ``CheckedPatternRecognizer``, followed by its ``keep``)."""
    kind = type(recognizer)
    return (
        isinstance(recognizer, PatternRecognizer)
        and kind.analyze in (PatternRecognizer.analyze, CheckedPatternRecognizer.analyze)
        and kind.enhance_using_context is EntityRecognizer.enhance_using_context
        and bool(recognizer_patterns(recognizer))
        and not recognizer.deny_list
        and not extras(recognizer).steward_deny
    )


def direct(recognizer: EntityRecognizer) -> bool:
    """Whether ``PatternPass`` gives what ``AnalyzerEngine`` gives for ``recognizer``: a plain one, or one of
    Steward's whose own ``analyze`` finds its results and that leaves context scoring to the engine."""
    kind = type(recognizer)
    return plain(recognizer) or (
        isinstance(recognizer, StewardRecognizer)
        and kind.enhance_using_context is EntityRecognizer.enhance_using_context
        and not extras(recognizer).steward_deny
        and not getattr(recognizer, "deny_list", None)
    )


class PatternPass:
    def __init__(
        self, recognizers: Iterable[EntityRecognizer], enhancer: WindowContextEnhancer, artifacts: NlpArtifacts
    ) -> None:
        recognizers = list(recognizers)
        served = {e for r in recognizers if direct(r) for e in r.supported_entities}
        served -= {e for r in recognizers if not direct(r) for e in r.supported_entities}
        self.entities = frozenset(served)
        self._enhancer = enhancer
        self._artifacts = artifacts  # what AnalyzerEngine would hand a recognizer's own analyze
        self._plain: list[_Plain] = []
        for rec in recognizers:  # registry order, as presidio runs them
            if not (direct(rec) and set(rec.supported_entities) <= served):
                continue
            words = context_regex(tuple(rec.context or ()))
            if plain(rec):
                assert isinstance(rec, PatternRecognizer)
                flags = rec.global_regex_flags or 0
                patterns = tuple((regex.compile(p.regex, flags=flags), p.score) for p in recognizer_patterns(rec))
                checked = rec if isinstance(rec, CheckedPatternRecognizer) else None
                entity = rec.supported_entities[0]
                self._plain.append(_Plain(rec, recognizer_name(rec), entity, patterns, words, checked, False))
            else:
                self._plain.append(_Plain(rec, recognizer_name(rec), "", (), words, None, True))

    def run(self, text: str, entities: Iterable[str], context: tuple[str, ...], threshold: float) -> list[Hit]:
        """What ``AnalyzerEngine.analyze`` returns for ``entities`` (all served here) over ``text``."""
        entities = list(entities)
        wanted = set(entities)
        external = " ".join(context).lower()
        out: list[Hit] = []
        for p in self._plain:
            if wanted.isdisjoint(p.recognizer.supported_entities):
                continue
            if p.own:
                found = self._own(p, text, entities)
            else:
                found = dedupe(list(self._matches(p, text)))
                if p.checked is not None:
                    found = [h for h in found if p.checked.keep(text, h.start, h.end)]
            if not found:
                continue
            steward = extras(p.recognizer)
            before = steward.context_before or self._enhancer.before
            after = self._enhancer.after if steward.context_after is None else steward.context_after
            for hit in found:
                words = find_context(p.words, text, hit.start, hit.end, external, before, after)
                score = self._enhancer.rescore(p.recognizer, hit.score, bool(words))
                if score is not None and score >= threshold:
                    out.append(hit._replace(score=score, context=tuple(words)))
        return dedupe(out)

    def _own(self, p: _Plain, text: str, entities: list[str]) -> list[Hit]:
        """The recognizer's own results, as AnalyzerEngine reads them (its name unless the result names one)."""
        return [
            Hit.of(r, (r.recognition_metadata or {}).get(_NAME_KEY, p.name))
            for r in p.recognizer.analyze(text=text, entities=entities, nlp_artifacts=self._artifacts)
        ]

    @staticmethod
    def _matches(p: _Plain, text: str) -> Iterable[Hit]:
        rec = p.recognizer
        assert isinstance(rec, PatternRecognizer)
        for compiled, base in p.patterns:
            for m in compiled.finditer(text):
                start, end = m.span()
                if start == end:
                    continue
                value = text[start:end]
                valid = rec.validate_result(value)
                score = base if valid is None else (EntityRecognizer.MAX_SCORE if valid else EntityRecognizer.MIN_SCORE)
                if rec.invalidate_result(value):
                    score = EntityRecognizer.MIN_SCORE
                if score > EntityRecognizer.MIN_SCORE:
                    yield Hit(p.entity, start, end, score, p.name, bool(valid))


def dedupe(hits: list[Hit]) -> list[Hit]:
    """``EntityRecognizer.remove_duplicates`` on hits: equal results once, zero scores dropped, a result dropped
    when another of its entity contains it with an equal or higher score; ordered by score, then position."""
    first: dict[tuple[str, int, int, float], Hit] = {}
    for h in hits:
        first.setdefault((h.entity, h.start, h.end, h.score), h)
    unique = sorted(first.values(), key=lambda h: (h.entity, h.start, -(h.end - h.start), -h.score))
    kept: list[Hit] = []
    for _, group in groupby(unique, key=lambda h: h.entity):
        active: list[Hit] = []
        for h in group:
            if h.score == 0:
                continue
            active = [a for a in active if a.end >= h.start]
            if any(a.start <= h.start and h.end <= a.end and h.score <= a.score for a in active):
                continue
            kept.append(h)
            active.append(h)
    kept.sort(key=lambda h: (-h.score, h.start, -(h.end - h.start)))
    return kept
