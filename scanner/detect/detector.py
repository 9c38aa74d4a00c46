"""The Detector: tiered detection of one file's chunk stream.

triage (RE2 set, whole text) -> confirm (presidio, only the candidate recognizers, on windows around the
candidates) -> names (NER via presidio's SpacyRecognizer on windows around name cues, batched with nlp.pipe)
-> overlap resolution -> per-file aggregation (masked examples, counts, locators, keyed hashes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

import re2
import regex
from presidio_analyzer import PatternRecognizer, RecognizerResult

from scanner.config import DetectionConfig
from scanner.detect import rules
from scanner.detect.aggregate import Match
from scanner.detect.context import CONTEXT_KEY, WindowContextEnhancer, context_regex, find_context
from scanner.detect.engine import REPORTED, Engine, build_engine, model_version, versions
from scanner.detect.filerun import FileRun
from scanner.detect.masking import normalise
from scanner.detect.metadata import ALIASES as METADATA_ALIASES
from scanner.detect.names import plausible_name
from scanner.detect.result import DetectResult
from scanner.detect.special import TermMatcher
from scanner.detect.triage import BUILTIN, Candidate, Triage, Window, forename_rule, windows
from scanner.types import Chunk

log = logging.getLogger(__name__)
_BIRTH = re.compile(r"birth|\bdob\b|d\.o\.b", re.IGNORECASE)
_RECOGNIZER = RecognizerResult.RECOGNIZER_NAME_KEY
_ALIASES = {"IP_ADDRESS_V6": "IP_ADDRESS", **METADATA_ALIASES}  # internal entity names routing triage to one recognizer
_DIRECT = frozenset({"IP_ADDRESS", "UK_NHS", "CREDIT_CARD", "UK_UPN"})  # see Detector._direct
_UK_PHONE_CELL = re.compile(r"^\s*(?:\+44\s?(?:\(0\)\s?)?|\(?0)[1-9][\d\s()-]{8,12}\d\s*$")


class Detector:
    """Built once per process and reused for many files. Pickles as its settings (rebuilt on unpickling)."""

    def __init__(self, settings: DetectionConfig, hash_key: bytes | None = None):
        self.settings = settings
        self._hash_key = hash_key
        self.engine: Engine = build_engine(settings)
        cues = []
        if settings.name_cues_file is not None:
            cues.append(forename_rule(rules.load_name_cues(settings.name_cues_file).forenames))
        self.triage = Triage([*BUILTIN, *cues, *self.engine.custom_rules])
        self._entities = frozenset(settings.entities) if settings.entities else None
        self._enabled = frozenset(REPORTED) | {e for e, _ in self.engine.custom_rules} | set(_ALIASES)
        self._by_name = {r.name: r for r in self.engine.recognizers}
        self._terms = None
        if settings.special_category_file is not None:
            self._terms = TermMatcher(rules.load_special(settings.special_category_file))
        self._allow = _allow_index(self.engine.allowlist)
        self._fast = _fast_checkers(self.engine.recognizers)
        self._needs_context = _context_gates(self.engine.recognizers, self._enabled)
        self.fast_entities = frozenset(self._fast)
        self._artifacts = self.engine.cheap_artifacts()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Detector, (self.settings, self._hash_key))

    @property
    def provenance(self) -> dict[str, object]:
        return {
            "model": self.engine.model,
            "model_version": model_version(self.engine),
            "names": self.engine.ner,
            "recognizers": sorted(
                f"{r.name}:{','.join(_ALIASES.get(e, e) for e in r.supported_entities)}"
                for r in self.engine.recognizers
            ),
            "triage": "google-re2" if self.settings.triage else "off",
            "rule_files": dict(self.engine.rule_files),
            "special_category_file": _digest(self.settings.special_category_file),
            "name_cues_file": _digest(self.settings.name_cues_file),
            "versions": versions(),
            "settings": self.settings.model_dump(mode="json"),
            "hashes": "hmac-sha256" if self._hash_key else None,
        }

    def detect(self, chunks: Iterable[Chunk]) -> DetectResult:
        run = FileRun(self)
        for chunk in chunks:
            run.feed(chunk)
        return run.finish()

    # -- confirm tier -------------------------------------------------------------------------------------
    def scan(self, text: str, context: tuple[str, ...]) -> list[Candidate]:
        return self.triage.scan(text, bool(_BIRTH.search(" ".join(context))))

    def confirm(
        self, text: str, context: tuple[str, ...], threshold: float, cands: list[Candidate] | None = None
    ) -> tuple[list[Match], int]:
        """Pattern matches in ``text`` (chunk coordinates); presidio runs only the candidates' recognizers."""
        ner = self.engine.ner
        if self.settings.triage:
            if cands is None:
                cands = self.scan(text, context)
            skip = {"NAME_CUE", "PERSON"} if ner else {"NAME_CUE"}
            for entity in {c.entity for c in cands} & self._needs_context.keys():
                gate = self._needs_context[entity]
                if not (gate.search(text) or gate.search(" ".join(context))):
                    skip.add(entity)  # its recognizers need a context word and the chunk has none
            cands = [c for c in cands if c.entity not in skip]
            wins = windows(cands, len(text), self.settings.context_chars + 40, 100, 2000)
            for w in wins:
                w.entities |= self.triage.always
        else:
            wanted = self._enabled - ({"PERSON"} if ner else set())
            wins = [Window(0, len(text), set(wanted))]
        out: list[Match] = []
        read = 0
        for w in wins:
            entities = sorted(w.entities & self._enabled)
            if not entities:
                continue
            read += w.end - w.start
            dense = self.settings.dense_direct and w.candidates >= self.settings.dense_direct
            if dense and set(entities) <= _DIRECT:
                out += self._direct(text[w.start : w.end], w.start, entities, context, threshold)
            else:
                out += self._analyze(text[w.start : w.end], w.start, entities, context, threshold)
        return out, read

    def _direct(
        self, text: str, offset: int, entities: list[str], context: tuple[str, ...], threshold: float
    ) -> list[Match]:
        """What ``_analyze`` returns for a window dense with self-validating candidates (an access log, a
        column of NHS numbers), by the same recognizers' patterns, validate/invalidate hooks and the same
        context scoring, without AnalyzerEngine's per-match overhead."""
        enhancer: WindowContextEnhancer = self.engine.analyzer.context_aware_enhancer  # type: ignore[assignment]
        external = " ".join(context).lower()
        out: list[Match] = []
        for entity in entities:
            for rec, patterns in self._fast[entity]:
                words = context_regex(tuple(rec.context or ()))
                before = getattr(rec, "context_before", None) or enhancer.before
                after = getattr(rec, "context_after", enhancer.after)
                for compiled, base in patterns:
                    for m in compiled.finditer(text):
                        value = m.group()
                        valid = rec.validate_result(value) if value else False
                        if valid is False or rec.invalidate_result(value):
                            continue
                        score = 1.0 if valid else base
                        found = find_context(words, text, m.start(), m.end(), external, before, after)
                        score = enhancer.rescore(rec, score, bool(found))
                        if score is None or score < threshold or self._allowed(entity, value):
                            continue
                        validated = bool(valid) and getattr(rec, "steward_validator", None) is not None
                        out.append(
                            Match(
                                _ALIASES.get(entity, entity),
                                m.start() + offset,
                                m.end() + offset,
                                score,
                                value,
                                rec.name,
                                validated,
                                tuple(found),
                            )
                        )
        return out

    def _analyze(
        self,
        text: str,
        offset: int,
        entities: list[str],
        context: tuple[str, ...],
        threshold: float,
        artifacts: Any = None,
    ) -> list[Match]:
        results = self.engine.analyzer.analyze(
            text=text,
            language="en",
            entities=entities,
            nlp_artifacts=artifacts or self._artifacts,
            context=list(context),
            score_threshold=threshold,
            return_decision_process=True,
        )
        out: list[Match] = []
        for r in results:
            if r.entity_type not in self._enabled:
                continue
            if r.entity_type == "PERSON" and "\n" in text[r.start : r.end]:
                r.end = text.index("\n", r.start)  # NER runs a name on into the next line
            value = text[r.start : r.end]
            name = r.recognition_metadata.get(_RECOGNIZER, "")
            recognizer = self._by_name.get(name)
            if not getattr(recognizer, "steward_deny", False):
                if self._allowed(r.entity_type, value):
                    continue
                if r.entity_type == "PERSON" and not plausible_name(value, text, r.start):
                    continue
            explanation = r.analysis_explanation
            validated = bool(explanation is not None and explanation.validation_result) or (
                r.entity_type == "PHONE_NUMBER"
            )
            validated = validated and getattr(recognizer, "steward_validator", None) is not None
            out.append(
                Match(
                    _ALIASES.get(r.entity_type, r.entity_type),
                    r.start + offset,
                    r.end + offset,
                    r.score,
                    value,
                    name,
                    validated,
                    tuple(r.recognition_metadata.get(CONTEXT_KEY, ())),
                )
            )
        return out

    def ner(self, texts: list[str], contexts: list[tuple[str, ...]]) -> Iterator[list[Match]]:
        batch = self.engine.nlp_engine.process_batch(texts, "en", batch_size=32)
        for (text, artifacts), context in zip(batch, contexts, strict=True):
            yield self._analyze(text, 0, ["PERSON"], context, self.settings.score_threshold, artifacts)

    def cell_match(self, entity: str | None, value: str) -> Match | None:
        """The first ``entity`` match in one table cell, by its recognizers' own patterns and checks (no
        presidio call): used for the rows of a column whose type is already known."""
        if entity == "PHONE_NUMBER":
            return self._phone_cell(value)
        for rec, patterns in self._fast.get(entity or "", ()):
            for compiled, score in patterns:
                for m in compiled.finditer(value):
                    found = m.group()
                    valid = rec.validate_result(found)
                    if valid is False or rec.invalidate_result(found) or self._allowed(entity or "", found):
                        continue
                    validated = bool(valid) and getattr(rec, "steward_validator", None) is not None
                    return Match(entity or "", m.start(), m.end(), 1.0 if valid else score, found, rec.name, validated)
        return None

    def _phone_cell(self, value: str) -> Match | None:
        """A cell of a column already typed as phone numbers (its first rows validated by phonenumbers):
        checked by UK number shape and digit count only; phonenumbers' validity check costs ~0.5 ms."""
        if not _UK_PHONE_CELL.match(value) or self._allowed("PHONE_NUMBER", value):
            return None
        digits = sum(c.isdigit() for c in value)
        if not 10 <= digits - (2 if "+44" in value else 0) - (1 if "(0)" in value else 0) <= 11:
            return None
        return Match("PHONE_NUMBER", 0, len(value), 0.75, value.strip(), "StewardPhoneRecognizer", False)

    def _allowed(self, entity: str, value: str) -> bool:
        entries = [e for e in self._allow if e[0] is None or e[0] == entity]
        if not entries:
            return False
        norm = normalise(entity, value)
        return any(norm in vals or any(p.search(value) for p in pats) for _, vals, pats in entries)


def _fast_checkers(recognizers: Iterable[Any]) -> dict[str, list[tuple[Any, list[tuple[Any, float]]]]]:
    """Entity -> its pattern recognizers with compiled patterns, for entities found by patterns alone."""
    out: dict[str, list[tuple[Any, list[tuple[Any, float]]]]] = {}
    slow: set[str] = set()
    for rec in recognizers:
        entities = rec.supported_entities
        if not isinstance(rec, PatternRecognizer) or not rec.patterns or getattr(rec, "steward_deny", False):
            slow.update(entities)
            continue
        compiled = [(regex.compile(p.regex, flags=rec.global_regex_flags), p.score) for p in rec.patterns]
        for entity in entities:
            out.setdefault(entity, []).append((rec, compiled))
    slow.add("PERSON")  # name columns are read by header and cell shape (tables.record)
    fast = {e: v for e, v in out.items() if e not in slow}
    fast["PHONE_NUMBER"] = []  # checked with phonenumbers.parse (Detector._phone_cell)
    return fast


def _digest(path: Any) -> str | None:
    return f"{path} sha256:{rules.file_digest(path)}" if path is not None else None


def _context_gates(recognizers: Iterable[Any], entities: frozenset[str]) -> dict[str, Any]:
    """Entity -> RE2 of its context words, for entities whose recognizers all require a context word."""
    gates = {}
    options = re2.Options()
    options.case_sensitive = False
    for entity in entities:
        recs = [r for r in recognizers if entity in r.supported_entities]
        if recs and all(getattr(r, "requires_context", False) for r in recs):
            words = sorted({w for r in recs for w in (r.context or ())})
            if words:
                gates[entity] = re2.compile("|".join(re2.escape(w) for w in words), options)
    return gates


def _allow_index(
    allowlist: rules.AllowListFile | None,
) -> list[tuple[str | None, set[str], list[re.Pattern[str]]]]:
    if allowlist is None:
        return []
    out = []
    for entry in allowlist.allow:
        values = {normalise(entry.entity or "", v) for v in entry.values}
        values |= {normalise("EMAIL_ADDRESS", v) for v in entry.values}
        out.append((entry.entity, values, [re.compile(p, re.IGNORECASE) for p in entry.patterns]))
    return out


def build_detector(settings: DetectionConfig, hash_key: bytes | None = None) -> Detector:
    return Detector(settings, hash_key)
