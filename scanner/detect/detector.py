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
from scanner.detect import markings, rules, tables
from scanner.detect.aggregate import Aggregator, Match, resolve_overlaps
from scanner.detect.context import CONTEXT_KEY
from scanner.detect.engine import REPORTED, Engine, build_engine, model_version, versions
from scanner.detect.masking import normalise
from scanner.detect.names import plausible_name
from scanner.detect.result import DetectResult
from scanner.detect.special import TermMatcher
from scanner.detect.triage import BUILTIN, Candidate, Triage, Window, forename_rule, windows
from scanner.types import Chunk

log = logging.getLogger(__name__)
_BIRTH = re.compile(r"birth|\bdob\b|d\.o\.b", re.IGNORECASE)
_HEADER_WHERE = re.compile(r"header|footer", re.IGNORECASE)
_RECOGNIZER = RecognizerResult.RECOGNIZER_NAME_KEY
_NER_CUES = frozenset({"PERSON", "NAME_CUE"})
_ALIASES = {"IP_ADDRESS_V6": "IP_ADDRESS"}  # internal entity names that route triage to one recognizer
_UK_PHONE_CELL = re.compile(r"^\s*(?:\+44\s?(?:\(0\)\s?)?|\(?0)[1-9][\d\s()-]{8,12}\d\s*$")
_NEAR_NAMES = frozenset({"UK_NHS", "UK_NINO", "DATE_OF_BIRTH", "EMAIL_ADDRESS", "UK_ADDRESS", "UK_UPN"})


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
                f"{r.name}:{','.join(r.supported_entities)}" for r in self.engine.recognizers
            ),
            "triage": "google-re2" if self.settings.triage else "off",
            "rule_files": dict(self.engine.rule_files),
            "special_category_file": str(self.settings.special_category_file or ""),
            "versions": versions(),
            "settings": self.settings.model_dump(mode="json"),
            "hashes": "hmac-sha256" if self._hash_key else None,
        }

    def detect(self, chunks: Iterable[Chunk]) -> DetectResult:
        run = _FileRun(self)
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
            out += self._analyze(text[w.start : w.end], w.start, entities, context, threshold)
        return out, read

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
                    return Match(
                        entity or "", m.start(), m.end(), 1.0 if valid else score, found, rec.name, validated
                    )
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


def _table(where: str) -> str:
    """'Staff!C' -> 'Staff!': the table a column locator belongs to."""
    return where.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") or where


def _pieces(chunk: Chunk, cap: int) -> Iterator[tuple[str, int]]:
    """Split text longer than ``cap`` at a line break or space; yields (piece, line offset)."""
    text, line = chunk.text, 0
    while len(text) > cap:
        cut = text.rfind("\n", cap // 2, cap)
        if cut < 0:
            cut = text.rfind(" ", cap // 2, cap)
        cut = cap if cut < 0 else cut + 1
        yield text[:cut], line
        line += text.count("\n", 0, cut)
        text = text[cut:]
    yield text, line


class _FileRun:
    """State for one file: bounded by the number of entity types, columns and pending NER text."""

    def __init__(self, det: Detector):
        self.det = det
        s = det.settings
        self.agg = Aggregator(det._hash_key, s.max_locators, s.max_hashes, det._entities)
        self.columns: dict[tuple[str, str], tables.ColumnState] = {}
        # A "unit" is where special-category terms must meet an identifier: a prose chunk, or a whole table.
        self.pending: list[tuple[int, str, list[Match]]] = []  # unit id, where, pattern matches
        self.ner_jobs: list[tuple[int, int, str, tuple[str, ...]]] = []  # unit id, offset, text, context
        self.ner_chars = 0
        self.chunk_id = 0
        self.identified_units: set[int | str] = set()
        self.terms: dict[str, list[tuple[int | str, int]]] = {}  # category -> (unit id, occurrences)
        self.marking: tuple[str, str] | None = None
        self.head_seen = 0
        self.chars = self.confirmed = self.ner_total = 0

    def feed(self, chunk: Chunk) -> None:
        s = self.det.settings
        self.chars += len(chunk.text)
        self._markings(chunk)
        for piece, line in _pieces(chunk, s.max_chunk_chars):
            self.chunk_id += 1
            unit: int | str = self.chunk_id if chunk.column is None else f"table:{_table(chunk.where)}"
            if self.det._terms is not None:
                for category, n in self.det._terms.categories_in(piece).items():
                    self.terms.setdefault(category, []).append((unit, n))
            if chunk.column is not None:
                self._column(chunk, piece, (chunk.first_row or 1) + line, unit)
            else:
                self._prose(chunk, piece)
        if self.ner_chars >= s.ner_batch_chars:
            self._flush()

    def _markings(self, chunk: Chunk) -> None:
        s = self.det.settings
        if not s.markings:
            return
        text = None
        if self.head_seen < s.marking_lines and chunk.column is None:
            text = markings.head_lines(chunk.text, s.marking_lines - self.head_seen)
            self.head_seen += text.count("\n") + 1
        elif _HEADER_WHERE.search(chunk.where):
            text = chunk.text[:2000]
        if text:
            found = markings.find_marking(text)
            if found and (self.marking is None or markings.RANK[found[1]] > markings.RANK[self.marking[1]]):
                self.marking = found

    def _prose(self, chunk: Chunk, text: str) -> None:
        det, s = self.det, self.det.settings
        cands = det.scan(text, chunk.context) if s.triage else None
        matches, read = det.confirm(text, chunk.context, s.score_threshold, cands)
        self.confirmed += read
        if det.engine.ner and cands is not None:
            # NER reads around name cues, titled names, and identifiers (people are named near them).
            cues = [c for c in cands if c.entity in _NER_CUES]
            cues += [Candidate("NAME_CUE", m.start, m.end) for m in matches if m.entity in _NEAR_NAMES]
            half = s.ner_window_chars
            for w in windows(cues, len(text), half, half, 4 * half):
                self.ner_jobs.append((self.chunk_id, w.start, text[w.start : w.end], chunk.context))
                self.ner_chars += w.end - w.start
        elif det.engine.ner:
            self.ner_jobs.append((self.chunk_id, 0, text, chunk.context))
            self.ner_chars += len(text)
        self.pending.append((self.chunk_id, chunk.where, matches))

    def _column(self, chunk: Chunk, text: str, first_row: int, unit: int | str) -> None:
        s = self.det.settings
        key = (chunk.where, chunk.column or "")
        state = self.columns.get(key)
        if state is None:
            state = tables.ColumnState(
                chunk.where, chunk.column or "", tables.header_entity(chunk.column or "")
            )
            self.columns[key] = state
        lines = text.split("\n")
        if lines and not lines[-1]:
            lines.pop()  # a trailing newline is not an empty row
        taken = tables.take(state, lines, s.table_sample_rows)
        head = taken[: max(0, s.column_type_rows - state.confirmed)]
        rest = taken[len(head) :]
        context = (*chunk.context, chunk.column or "")
        if head:
            sample, starts = tables.joined(head)
            found, read = self.det.confirm(sample, context, 0.0)
            self.confirmed += read
            tables.record(state, resolve_overlaps(found), starts, first_row, s.score_threshold, sample)
            state.confirmed += len(head)
            state.confirmed_nonempty += sum(1 for v in head if v.strip())
            state.fast = tables.fast_type(state, self.det.fast_entities)
        if rest:
            row0 = first_row + len(head)
            if state.fast is not None:
                tables.record_fast(state, rest, row0, lambda value: self.det.cell_match(state.fast, value))
            else:
                sample, starts = tables.joined(rest)
                found, read = self.det.confirm(sample, context, 0.0)
                self.confirmed += read
                tables.record(state, resolve_overlaps(found), starts, row0, s.score_threshold, sample)
        typed = {state.fast} if state.fast else set()
        if (set(state.strong) | typed) & set(s.special_category_identifiers):
            self.identified_units.add(unit)

    def _flush(self) -> None:
        jobs, self.ner_jobs, self.ner_chars = self.ner_jobs, [], 0
        extra: dict[int, list[Match]] = {}
        if jobs:
            self.ner_total += sum(len(j[2]) for j in jobs)
            found = self.det.ner([j[2] for j in jobs], [j[3] for j in jobs])
            for (cid, offset, _, _), matches in zip(jobs, found, strict=True):
                for m in matches:
                    m.start += offset
                    m.end += offset
                extra.setdefault(cid, []).extend(matches)
        idents = set(self.det.settings.special_category_identifiers)
        for cid, where, matches in self.pending:
            kept = resolve_overlaps(matches + extra.get(cid, []))
            for m in kept:
                self.agg.add(m, where)
                if m.entity in idents:
                    self.identified_units.add(cid)
        self.pending = []

    def finish(self) -> DetectResult:
        s = self.det.settings
        self._flush()
        columns = tuple(
            tables.finish(state, self.agg, s.column_min_share, s.max_locators)
            for state in self.columns.values()
        )
        idents = set(s.special_category_identifiers)
        file_identified = bool(idents & self.agg.identifier_entities())
        special = []
        for category, hits in self.terms.items():
            if s.special_category_scope == "file":
                n = sum(k for _, k in hits) if file_identified else 0
            else:
                n = sum(k for unit, k in hits if unit in self.identified_units)
            if n >= s.special_category_min_terms:
                special.append(category)
        return DetectResult(
            detections=self.agg.detections(),
            special_category=tuple(sorted(special)),
            marking=self.marking[1] if self.marking else None,
            marking_found=self.marking[0] if self.marking else None,
            columns=columns,
            hashes=self.agg.hashes(),
            chars=self.chars,
            chars_confirmed=self.confirmed,
            chars_ner=self.ner_total,
        )


def build_detector(settings: DetectionConfig, hash_key: bytes | None = None) -> Detector:
    return Detector(settings, hash_key)
