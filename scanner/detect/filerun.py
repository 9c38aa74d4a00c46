"""Per-file detection state: one _FileRun per Detector.detect call, bounded by the number of entity types,
table columns and pending NER text; chunks are read once, in order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.detect import markings, tables
from scanner.detect.aggregate import Aggregator, Match, resolve_overlaps
from scanner.detect.names import organisation_pair
from scanner.detect.result import DetectResult
from scanner.detect.triage import Candidate, windows
from scanner.types import Chunk

if TYPE_CHECKING:
    from scanner.detect.detector import Detector

_HEADER_WHERE = re.compile(r"header|footer", re.IGNORECASE)
_NER_CUES = frozenset({"PERSON", "NAME_CUE"})
# Identifiers near which NER also reads: people are named next to their NHS number or date of birth.
_NEAR_NAMES = frozenset({"UK_NHS", "UK_NINO", "DATE_OF_BIRTH", "EMAIL_ADDRESS", "UK_ADDRESS", "UK_UPN"})


def _table(where: str) -> str:
    """'Staff!C' -> 'Staff!', 'C' -> '' (a CSV file's one table): the table a column locator belongs to."""
    return where.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def _adjacent(a: str | None, b: str | None) -> bool:
    """Locators of the same place or of neighbouring paragraphs/pages ("p3" and "p4")."""
    if a is None or b is None:
        return False
    if a == b:
        return True
    ma, mb = _NUMBERED.match(a), _NUMBERED.match(b)
    return bool(ma and mb and ma.group(1) == mb.group(1) and abs(int(ma.group(2)) - int(mb.group(2))) == 1)


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


class FileRun:
    """State for one file: bounded by the number of entity types, columns and pending NER text."""

    def __init__(self, det: Detector, every_row: bool = False):
        self.det = det
        self.table_rows = 1 << 62 if every_row else det.settings.table_sample_rows
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
        self.wheres: dict[int, str] = {}  # prose chunk id -> its locator
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
            if chunk.column is None:
                self.wheres[self.chunk_id] = chunk.where
            if self.det._terms is not None:
                self._terms(chunk, piece, line, unit)
            if chunk.column is not None:
                self._column(chunk, piece, (chunk.first_row or 1) + line, unit)
            else:
                self._prose(chunk, piece)
        if self.ner_chars >= s.ner_batch_chars:
            self._flush()

    def _terms(self, chunk: Chunk, piece: str, line: int, unit: int | str) -> None:
        """Special-category terms: per prose chunk, or per table row (a column of names holds no terms)."""
        assert self.det._terms is not None
        names = chunk.column is not None and tables.header_entity(chunk.column) == "PERSON"
        for category, offset in self.det._terms.hits(piece, names):
            where = unit
            if chunk.column is not None:
                where = f"{unit}#{(chunk.first_row or 1) + line + piece.count(chr(10), 0, offset)}"
            self.terms.setdefault(category, []).append((where, 1))

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
            cues = [c for c in cands if c.entity in _NER_CUES and not organisation_pair(text[c.start : c.end])]
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
            state = tables.ColumnState(chunk.where, chunk.column or "", tables.header_entity(chunk.column or ""))
            self.columns[key] = state
        lines = text.split("\n")
        if lines and not lines[-1]:
            lines.pop()  # a trailing newline is not an empty row
        taken = tables.take(state, lines, self.table_rows)
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
        idents = set(s.special_category_identifiers)
        for entity in idents & (set(state.strong) | ({state.fast} if state.fast else set())):
            rows = state.raw.get(entity, set()) if entity == state.fast else state.strong[entity]
            self.identified_units.update(f"{unit}#{row}" for row in rows if row >= first_row)  # this chunk's

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

    def _identified(self, unit: int | str) -> bool:
        """Personal data in the same table row, or in the same prose chunk or the one just before or after it
        (the next paragraph, or the same page split in two)."""
        if isinstance(unit, str):
            return unit in self.identified_units
        if unit in self.identified_units:
            return True
        return any(
            u in self.identified_units and _adjacent(self.wheres.get(u), self.wheres.get(unit))
            for u in (unit - 1, unit + 1)
        )

    def finish(self) -> DetectResult:
        s = self.det.settings
        self._flush()
        columns = tuple(
            tables.finish(state, self.agg, s.column_min_share, s.max_locators) for state in self.columns.values()
        )
        idents = set(s.special_category_identifiers)
        file_identified = bool(idents & self.agg.identifier_entities())
        special = []
        for category, hits in self.terms.items():
            if s.special_category_scope == "file":
                n = sum(k for _, k in hits) if file_identified else 0
            else:
                n = sum(k for unit, k in hits if self._identified(unit))
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
