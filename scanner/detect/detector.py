"""The TieredDetector: tiered detection of one file's chunk stream.

triage (RE2 set, whole text) -> confirm (presidio, only the candidate recognizers, on windows around the
candidates) -> names (NER via presidio's SpacyRecognizer on windows around name cues, batched with nlp.pipe)
-> overlap resolution -> per-file aggregation (masked examples, counts, locators, keyed hashes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import re2
import regex
from presidio_analyzer import EntityRecognizer, PatternRecognizer, RecognizerResult

from scanner.config import DetectionConfig
from scanner.detect import people, rules, uk
from scanner.detect.aggregate import Match
from scanner.detect.context import CONTEXT_KEY, WindowContextEnhancer
from scanner.detect.engine import (
    REPORTED,
    Engine,
    build_engine,
    model_version,
    recognizer_name,
    recognizer_patterns,
    versions,
)
from scanner.detect.filerun import FileRun
from scanner.detect.masking import normalise
from scanner.detect.metadata import ALIASES as METADATA_ALIASES
from scanner.detect.names import countries, plausible_name
from scanner.detect.patterns import Hit, PatternPass, dedupe
from scanner.detect.protocol import extras
from scanner.detect.result import DetectResult
from scanner.detect.special import TermMatcher
from scanner.detect.triage import BUILTIN, NAME_CUES, Candidate, Triage, Window, forename_rule, windows
from scanner.memo import MISSING, Recent
from scanner.types import Chunk, FileObservation

log = logging.getLogger(__name__)
_BIRTH = re.compile(r"birth|\bdob\b|d\.o\.b", re.IGNORECASE)
_RECOGNIZER = RecognizerResult.RECOGNIZER_NAME_KEY
_ALIASES = {"IP_ADDRESS_V6": "IP_ADDRESS", **METADATA_ALIASES}  # internal entity names routing triage to one recognizer
_PERSON_LABELS = frozenset({"PERSON", "PER"})
_NER_SCORE = 0.85  # presidio's SpacyRecognizer score for a PERSON entity
_UK_PHONE_CELL = re.compile(
    r"^\s*(?:\+44\s?(?:\(0\)\s?)?|\(?0)[1-9][\d\s()-]{8,12}\d(?:\s*(?:ext\.?|x|extension)\s*\d{1,5})?\s*$"
)
_INTL_PHONE_CELL = re.compile(r"^\s*(?:\+|00)\s?[1-9][\d\s().-]{6,18}\d\s*$")
NER_CACHE = 5000  # texts whose names are remembered by a process (each at most a few KB)
CONFIRM_CACHE = 4096  # texts whose pattern matches are remembered by a process
CONFIRM_CACHE_CHARS = 2000  # ... each at most this long (a column sample, a line, a file name)
CELL_CACHE_CHARS = 200  # table cells whose cell_match answer is remembered
WINDOW_CACHE = 2048  # confirm windows and layout-name texts remembered by a process


@dataclass(slots=True)
class Later:
    """A file whose detection waits for NER to read ``texts`` (``TieredDetector.detect_later``)."""

    run: FileRun
    texts: list[str]

    def finish(self, found: list[list[Match]] | None = None, read: int = 0) -> DetectResult:
        """The file's result, given what NER found in ``texts`` (``read`` characters of them new to it); with
        nothing given, NER reads them now."""
        return self.run.finish(found, read)


class TieredDetector:
    """The ``Detector`` of ``protocol.py``: built once per process and reused for many files. Pickles as its
    settings (rebuilt on unpickling)."""

    def __init__(self, settings: DetectionConfig, hash_key: bytes | None = None):
        self.settings = settings
        self._hash_key = hash_key
        self.engine: Engine = build_engine(settings)
        cues = []
        if settings.name_cues_file is not None:
            cues.append(forename_rule(rules.load_name_cues(settings.name_cues_file).forenames))
        self.triage = Triage([*BUILTIN, *NAME_CUES, *uk.TRIAGE, *cues, *self.engine.custom_rules])
        # Names are found by the name tier (layouts and NER); presidio reads PERSON only for deny entries.
        self._person_rules = any(e == "PERSON" for e, _ in self.engine.custom_rules)
        self._entities = frozenset(settings.entities) if settings.entities else None
        self._enabled = frozenset(REPORTED) | {e for e, _ in self.engine.custom_rules} | set(_ALIASES)
        self._by_name = {recognizer_name(r): r for r in self.engine.recognizers}
        self._terms = None
        if settings.special_category_file is not None:
            self._terms = TermMatcher(rules.load_special(settings.special_category_file))
        self._allow = _allow_index(self.engine.allowlist)
        countries()  # loaded now, not while the first file is read
        self._fast = _fast_checkers(self.engine.recognizers)
        self._needs_context = _context_gates(self.engine.recognizers, self._enabled)
        self.fast_entities = frozenset(self._fast)
        self._artifacts = self.engine.cheap_artifacts()
        enhancer: WindowContextEnhancer = self.engine.analyzer.context_aware_enhancer  # type: ignore[assignment]
        plain = self.engine.recognizers if settings.direct_patterns else ()
        self._patterns = PatternPass(plain, enhancer, self._artifacts)
        # What this process has worked out, for the files read after it (``scanner.memo``): text -> its names by
        # NER; (text, context, threshold) -> its pattern matches and characters read; (entity, cell) ->
        # cell_match's answer; confirm windows and layout-name texts -> their matches at offset 0 (and whether
        # NER should read).
        self.ner_seen: Recent[str, list[Match]] = Recent(NER_CACHE)
        self.confirm_seen: Recent[tuple[str, tuple[str, ...], float], tuple[tuple[Match, ...], int]] = Recent(
            CONFIRM_CACHE
        )
        self.cells_seen: Recent[tuple[str | None, str], Match | None] = Recent(CONFIRM_CACHE)
        self.windows_seen: Recent[tuple[str, tuple[str, ...], tuple[str, ...], float], tuple[Match, ...]] = Recent(
            WINDOW_CACHE
        )
        self.layouts_seen: Recent[str, tuple[tuple[Match, ...], bool]] = Recent(WINDOW_CACHE)

    def forget(self) -> None:
        """Empty what this process remembers of the texts it has read: the files after read as new to it."""
        for memory in (self.ner_seen, self.confirm_seen, self.cells_seen, self.windows_seen, self.layouts_seen):
            memory.clear()
        if self._terms is not None:
            self._terms.forget()

    def __reduce__(self) -> tuple[type[TieredDetector], tuple[DetectionConfig, bytes | None]]:
        return (TieredDetector, (self.settings, self._hash_key))

    @property
    def provenance(self) -> dict[str, object]:
        return {
            "model": self.engine.model,
            "model_version": model_version(self.engine),
            "names": self.engine.ner,
            "recognizers": sorted(
                f"{recognizer_name(r)}:{','.join(_ALIASES.get(e, e) for e in r.supported_entities)}"
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

    def with_names(self, obs: FileObservation) -> FileObservation:
        """The observation with what its file and folder names hold added (database tables are not files)."""
        from scanner.detect.filenames import with_names  # the file-name tier builds on this module

        return with_names(obs, self)

    def detect(self, chunks: Iterable[Chunk], every_row: bool = False) -> DetectResult:
        """``every_row``: analyse every row of a table, not only the first ``table_sample_rows`` (a database
        table's sample, whose rows were all read to be analysed)."""
        run = FileRun(self, every_row)
        for chunk in chunks:
            run.feed(chunk)
        return run.finish()

    def detect_later(self, chunks: Iterable[Chunk], every_row: bool = False) -> DetectResult | Later:
        """``detect``, except that a file whose last texts for NER are shorter than ``ner_batch_chars`` comes
        back unfinished (``Later``), so that NER can read them with other files' in one call (``names_in``)."""
        run = FileRun(self, every_row)
        for chunk in chunks:
            run.feed(chunk)
        texts = run.ner_texts()
        if not texts or self.engine.nlp is None or sum(map(len, texts)) >= self.settings.ner_batch_chars:
            return run.finish()
        return Later(run, texts)

    def names_in(self, texts: list[str]) -> tuple[list[list[Match]], list[str]]:
        """What NER finds in each of ``texts`` (each caller's own copies), and the texts it read: a text this
        process has read already (a repeated cell or line, a copy, a template, a signature), or that comes twice
        in ``texts``, is not read again."""
        cache = self.ner_seen
        found = {t: seen for t in dict.fromkeys(texts) if (seen := cache.recall(t)) is not MISSING}
        todo = list(dict.fromkeys(t for t in texts if t not in found))
        for text, matches in zip(todo, self.ner(todo), strict=True):
            found[text] = cache.keep(text, matches)
        return [[m.copy() for m in found[t]] for t in texts], todo

    # -- confirm tier -------------------------------------------------------------------------------------
    def scan(self, text: str, context: tuple[str, ...]) -> list[Candidate]:
        return self.triage.scan(text, bool(_BIRTH.search(" ".join(context))))

    def confirm(
        self, text: str, context: tuple[str, ...], threshold: float, cands: list[Candidate] | None = None
    ) -> tuple[list[Match], int]:
        """Pattern matches in ``text`` (chunk coordinates); presidio runs only the candidates' recognizers.

        ``cands``, when given, are ``scan(text, context)``. Without them, the answer for a short text is
        remembered by the process (the last ``CONFIRM_CACHE``): the same column sample or line in a copy of a
        file, an export or a template is not confirmed again; each caller gets its own copies of the matches."""
        if cands is not None or len(text) > CONFIRM_CACHE_CHARS:
            return self._confirm(text, context, threshold, cands)
        key = (text, context, threshold)
        seen = self.confirm_seen.recall(key)
        if seen is MISSING:
            found, read = self._confirm(text, context, threshold, None)
            self.confirm_seen.keep(key, (tuple(m.copy() for m in found), read))
            return found, read
        return [m.copy() for m in seen[0]], seen[1]

    def _confirm(
        self, text: str, context: tuple[str, ...], threshold: float, cands: list[Candidate] | None
    ) -> tuple[list[Match], int]:
        if self.settings.triage:
            if cands is None:
                cands = self.scan(text, context)
            skip = {"NAME_CUE"} if self._person_rules else {"NAME_CUE", "PERSON"}
            for entity in {c.entity for c in cands} & self._needs_context.keys():
                gate = self._needs_context[entity]
                if not (gate.search(text) or gate.search(" ".join(context))):
                    skip.add(entity)  # its recognizers need a context word and the chunk has none
            cands = [c for c in cands if c.entity not in skip]
            wins = windows(cands, len(text), self.settings.context_chars + 40, 100, 2000)
            for w in wins:
                w.entities |= self.triage.always
        else:
            wanted = self._enabled - (set() if self._person_rules else {"PERSON"})
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
        self, text: str, offset: int, entities: list[str], context: tuple[str, ...], threshold: float
    ) -> list[Match]:
        """``_analyze_at`` remembered by the process for short windows (the same window, say a signature or a
        template's line, in another file), placed at ``offset``; each caller gets its own copies."""
        if len(text) > CONFIRM_CACHE_CHARS:
            return self._analyze_at(text, offset, entities, context, threshold)
        key = (text, tuple(entities), context, threshold)
        seen = self.windows_seen.recall(key)
        if seen is MISSING:
            seen = self.windows_seen.keep(key, tuple(self._analyze_at(text, 0, entities, context, threshold)))
        return [_placed(m, offset) for m in seen]

    def _analyze_at(
        self, text: str, offset: int, entities: list[str], context: tuple[str, ...], threshold: float
    ) -> list[Match]:
        """AnalyzerEngine's results for ``entities`` in ``text`` (placed at ``offset``): plain pattern
        recognizers run by ``PatternPass``, the rest by presidio; the halves never overlap in entity, and
        ``dedupe`` puts them in presidio's order."""
        quick = [e for e in entities if e in self._patterns.entities]
        rest = [e for e in entities if e not in self._patterns.entities] if quick else entities
        hits = self._patterns.run(text, quick, context, threshold) if quick else []
        if rest:
            others = self._presidio(text, rest, context, threshold)
            hits = dedupe(hits + others) if hits else others  # dedupe only orders: no entity is in both
        out: list[Match] = []
        for h in hits:
            if h.entity not in self._enabled:
                continue
            end = h.end
            if h.entity == "PERSON" and "\n" in text[h.start : end]:
                end = text.index("\n", h.start)  # NER runs a name on into the next line
            value = text[h.start : end]
            steward = extras(self._by_name.get(h.recognizer))
            if not steward.steward_deny:
                if self._allowed(h.entity, value):
                    continue
                if h.entity == "PERSON" and not plausible_name(value, text, h.start):
                    continue
            validated = h.validated and steward.steward_validator is not None
            entity = _ALIASES.get(h.entity, h.entity)
            start = h.start + offset
            out.append(Match(entity, start, end + offset, h.score, value, h.recognizer, validated, h.context))
        return out

    def _presidio(self, text: str, entities: list[str], context: tuple[str, ...], threshold: float) -> list[Hit]:
        results = self.engine.analyzer.analyze(
            text=text,
            language="en",
            entities=entities,
            nlp_artifacts=self._artifacts,
            context=list(context),
            score_threshold=threshold,
            return_decision_process=True,
        )
        return [
            Hit.of(r, r.recognition_metadata.get(_RECOGNIZER, ""), tuple(r.recognition_metadata.get(CONTEXT_KEY, ())))
            for r in results
        ]

    def ner(self, texts: list[str]) -> Iterator[list[Match]]:
        """PERSON spans by spaCy's NER, called directly (``nlp.pipe``, ``engine.ner_pipeline``), each checked by
        ``plausible_name`` and the allow-list; scored as presidio's SpacyRecognizer scores them."""
        nlp = self.engine.nlp
        if nlp is None or not texts:
            yield from ([] for _ in texts)
            return
        out: list[list[Match]] = []
        # Words spaCy first meets here are forgotten when the zone closes, so its vocabulary and string store do
        # not grow with every file a process reads; the docs are not used beyond it.
        with nlp.memory_zone():
            for text, doc in zip(texts, nlp.pipe(texts, batch_size=64), strict=True):
                found: list[Match] = []
                for ent in doc.ents:
                    if ent.label_ not in _PERSON_LABELS:
                        continue
                    start, end = ent.start_char, ent.end_char
                    cut = text.find("\n", start, end)
                    end = cut if cut >= 0 else end  # NER runs a name on into the next line
                    value = text[start:end]
                    if plausible_name(value, text, start) and not self._allowed("PERSON", value):
                        found.append(Match("PERSON", start, end, _NER_SCORE, value, "SpacyRecognizer", False))
                out.append(found)
        yield from out

    def layout_names(self, text: str, offset: int) -> tuple[list[Match], bool]:
        """Names by the layouts of council files (``people.py``), in ``text`` placed at ``offset``, and whether
        NER should still read ``text`` (a name-shaped sequence there that no layout explains). Remembered by
        the process for short texts, as ``_analyze`` is."""
        if len(text) > CONFIRM_CACHE_CHARS:
            return self._layout_names(text, offset)
        seen = self.layouts_seen.recall(text)
        if seen is MISSING:
            names, unsettled = self._layout_names(text, 0)
            seen = self.layouts_seen.keep(text, (tuple(names), unsettled))
        return [_placed(m, offset) for m in seen[0]], seen[1]

    def _layout_names(self, text: str, offset: int) -> tuple[list[Match], bool]:
        out = []
        found = people.find(text)
        for f in found:
            value = text[f.start : f.end]
            if not self._allowed("PERSON", value):
                out.append(Match("PERSON", f.start + offset, f.end + offset, f.score, value, people.RECOGNIZER, False))
        return out, self.engine.nlp is not None and people.unsettled(text, found)

    def cell_match(self, entity: str | None, value: str) -> Match | None:
        """The first ``entity`` match in one table cell, by its recognizers' own patterns and checks (no
        presidio call): used for the rows of a column whose type is already known. A cell's answer is
        remembered by the process (the last ``CONFIRM_CACHE`` short cells); each caller gets its own copy."""
        if len(value) > CELL_CACHE_CHARS:
            return self._cell_match(entity, value)
        key = (entity, value)
        seen = self.cells_seen.recall(key)
        if seen is MISSING:
            seen = self.cells_seen.keep(key, self._cell_match(*key))
        return seen.copy() if seen is not None else None

    def _cell_match(self, entity: str | None, value: str) -> Match | None:
        if entity == "PHONE_NUMBER":
            return self._phone_cell(value)
        for rec, patterns in self._fast.get(entity or "", ()):
            for compiled, score in patterns:
                for m in compiled.finditer(value):
                    found = m.group()
                    valid = rec.validate_result(found)
                    if valid is False or rec.invalidate_result(found) or self._allowed(entity or "", found):
                        continue
                    validated = bool(valid) and extras(rec).steward_validator is not None
                    return Match(
                        entity or "",
                        m.start(),
                        m.end(),
                        1.0 if valid else score,
                        found,
                        recognizer_name(rec),
                        validated,
                    )
        return None

    def _phone_cell(self, value: str) -> Match | None:
        """A cell of a column already typed as phone numbers (its first rows validated by phonenumbers):
        checked by UK number shape and digit count only; phonenumbers' validity check costs ~0.5 ms."""
        if self._allowed("PHONE_NUMBER", value):
            return None
        digits = sum(c.isdigit() for c in value)
        if _INTL_PHONE_CELL.match(value) and not value.lstrip().startswith(("+44", "0044")):
            if not 8 <= digits <= 17:
                return None
        else:
            national = digits - (2 if "+44" in value else 0) - (1 if "(0)" in value else 0)
            if not _UK_PHONE_CELL.match(value) or not 10 <= national <= 11:
                return None
        return Match("PHONE_NUMBER", 0, len(value), 0.75, value.strip(), "StewardPhoneRecognizer", False)

    def _allowed(self, entity: str, value: str) -> bool:
        entries = [e for e in self._allow if e[0] is None or e[0] == entity]
        if not entries:
            return False
        norm = normalise(entity, value)
        return any(norm in vals or any(p.search(value) for p in pats) for _, vals, pats in entries)


def _placed(m: Match, offset: int) -> Match:
    """A copy of ``m`` (found at offset 0) moved to ``offset``."""
    placed = m.copy()
    placed.start += offset
    placed.end += offset
    return placed


_Checkers = dict[str, list[tuple[PatternRecognizer, list[tuple[regex.Pattern[str], float]]]]]


def _fast_checkers(recognizers: Iterable[EntityRecognizer]) -> _Checkers:
    """Entity -> its pattern recognizers with compiled patterns, for entities found by patterns alone."""
    out: _Checkers = {}
    slow: set[str] = set()
    for rec in recognizers:
        entities = rec.supported_entities
        if not isinstance(rec, PatternRecognizer) or not recognizer_patterns(rec) or extras(rec).steward_deny:
            slow.update(entities)
            continue
        flags = rec.global_regex_flags or 0
        compiled = [(regex.compile(p.regex, flags=flags), p.score) for p in recognizer_patterns(rec)]
        for entity in entities:
            out.setdefault(entity, []).append((rec, compiled))
    slow.add("PERSON")  # name columns are read by header and cell shape (tables.record)
    fast = {e: v for e, v in out.items() if e not in slow}
    fast["PHONE_NUMBER"] = []  # checked with phonenumbers.parse (TieredDetector._phone_cell)
    return fast


def _digest(path: Path | None) -> str | None:
    return f"{path} sha256:{rules.file_digest(path)}" if path is not None else None


def _context_gates(recognizers: Iterable[EntityRecognizer], entities: frozenset[str]) -> dict[str, re2._Regexp]:
    """Entity -> RE2 of its context words, for entities whose recognizers all require a context word."""
    gates = {}
    options = re2.Options()
    options.case_sensitive = False
    for entity in entities:
        recs = [r for r in recognizers if entity in r.supported_entities]
        if recs and all(extras(r).requires_context for r in recs):
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


def build_detector(settings: DetectionConfig, hash_key: bytes | None = None) -> TieredDetector:
    return TieredDetector(settings, hash_key)
