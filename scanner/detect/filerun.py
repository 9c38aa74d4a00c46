"""Per-file detection state: one FileRun per detect call, bounded by the number of entity types, table columns
and pending NER text; chunks are read once, in order.

Short prose chunks that follow one another (an address block, a signature, a DOCX paragraph per line) are read
as one unit, so a name on one line and its postcode on the next are seen together; every match is still located
on its own line (``Lines``), and a text file's "line N" becomes the number of the line that holds the match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.detect import markings, tables
from scanner.detect.aggregate import Aggregator, Match, resolve_overlaps
from scanner.detect.lines import Lines
from scanner.detect.names import organisation_pair
from scanner.detect.result import DetectResult
from scanner.detect.triage import Candidate, windows
from scanner.types import Chunk

if TYPE_CHECKING:
    from scanner.detect.detector import TieredDetector

_HEADER_WHERE = re.compile(r"header|footer", re.IGNORECASE)
_NER_CUES = frozenset({"PERSON", "NAME_CUE"})
# Identifiers near which NER also reads: people are named next to their NHS number or date of birth.
_NEAR_NAMES = frozenset({"UK_NHS", "UK_NINO", "DATE_OF_BIRTH", "EMAIL_ADDRESS", "UK_ADDRESS", "UK_UPN"})
_SHORT = 160  # a prose chunk this short (one line) is grouped with its neighbours
_GROUP_LINES = 12
# A column whose header says it holds free text, or whose cells read like sentences, is read for names.
_FREE_TEXT = re.compile(
    r"note|comment|descr|detail|narrative|summary|remark|free ?text|message|reason|action|"
    r"outcome|history|observation|log|update|text|body",
    re.IGNORECASE,
)


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

    def __init__(self, det: TieredDetector, every_row: bool = False):
        self.det = det
        self.table_rows = 1 << 62 if every_row else det.settings.table_sample_rows
        s = det.settings
        self.agg = Aggregator(det._hash_key, s.max_locators, s.max_hashes, det._entities)
        self.columns: dict[tuple[str, str], tables.ColumnState] = {}
        self.split_phones = tables.SplitPhones()
        # A "unit" is where special-category terms must meet an identifier: a prose chunk, or a whole table.
        self.pending: list[tuple[Lines, list[Match]]] = []  # where each line is, pattern matches
        self.group: list[tuple[Chunk, int]] = []  # short prose chunks read together (chunk, chunk id)
        # NER jobs: (pending index or a column's key, offset, text); a column job also has its rows' offsets
        self.ner_jobs: list[tuple[int, int, str]] = []
        self.column_jobs: list[tuple[tables.ColumnState, list[int], int, int, str]] = []  # state, starts, row, at
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
        short = chunk.column is None and len(chunk.text) <= _SHORT and "\n" not in chunk.text.strip()
        if not short or (self.group and self.group[-1][0].context != chunk.context):
            self._group_done()
        for piece, line in _pieces(chunk, s.max_chunk_chars):
            self.chunk_id += 1
            unit: int | str = self.chunk_id if chunk.column is None else f"table:{_table(chunk.where)}"
            if chunk.column is None:
                self.wheres[self.chunk_id] = chunk.where
            if self.det._terms is not None:
                self._terms(chunk, piece, line, unit)
            if chunk.column is not None:
                self._column(chunk, piece, (chunk.first_row or 1) + line, unit)
            elif short:
                self.group.append((chunk, self.chunk_id))
                if len(self.group) >= _GROUP_LINES:
                    self._group_done()
            else:
                self._prose(piece, Lines.of(chunk.where, self.chunk_id, piece, line), chunk.context)
        if self.ner_chars >= s.ner_batch_chars:
            self._flush()

    def _group_done(self) -> None:
        """Read the short chunks gathered so far as one unit of text, one line each."""
        if not self.group:
            return
        group, self.group = self.group, []
        text, lines = Lines.joined([(c.text.strip("\n"), c.where, cid) for c, cid in group])
        self._prose(text, lines, group[0][0].context)

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

    def _prose(self, text: str, lines: Lines, context: tuple[str, ...]) -> None:
        det, s = self.det, self.det.settings
        cands = det.scan(text, context) if s.triage else None
        matches, read = det.confirm(text, context, s.score_threshold, cands)
        self.confirmed += read
        index = len(self.pending)
        if cands is not None:
            # Names are sought around name cues, titled names, and identifiers (people are named near them).
            cues = [c for c in cands if c.entity in _NER_CUES and not organisation_pair(text[c.start : c.end])]
            cues += [Candidate("NAME_CUE", m.start, m.end) for m in matches if m.entity in _NEAR_NAMES]
            half = s.ner_window_chars
            spans = [(w.start, w.end) for w in windows(cues, len(text), half, half, 4 * half)]
        else:
            spans = [(0, len(text))] if text.strip() else []
        for start, end in spans:
            window = text[start:end]
            found, unsettled = det.layout_names(window, start)
            matches += found
            if unsettled:
                self.ner_jobs.append((index, start, window))
                self.ner_chars += end - start
        self.pending.append((lines, matches))

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
        for m, where, row in self.split_phones.feed(chunk.where, chunk.column, taken, first_row):
            self.agg.add(m, f"{where}{row}")
            if m.entity in s.special_category_identifiers:
                self.identified_units.add(f"{unit}#{row}")
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
        if state.fast is None and taken and _free_text(state, taken):
            self._column_names(state, taken, first_row, context)
        idents = set(s.special_category_identifiers)
        for entity in idents & (set(state.strong) | ({state.fast} if state.fast else set())):
            rows = state.raw.get(entity, set()) if entity == state.fast else state.strong[entity]
            self.identified_units.update(f"{unit}#{row}" for row in rows if row >= first_row)  # this chunk's

    def _ner(self, texts: list[str]) -> list[list[Match]]:
        found, read = self.det.names_in(texts)
        self.ner_total += sum(map(len, read))
        return found

    def _column_names(
        self, state: tables.ColumnState, cells: list[str], first_row: int, context: tuple[str, ...]
    ) -> None:
        """Names in a free-text column's sampled cells: the same cues, layouts and NER as prose, by row."""
        det, s = self.det, self.det.settings
        text, starts = tables.joined(cells)
        cands = [c for c in det.scan(text, context) if c.entity in _NER_CUES]
        found: list[Match] = []
        half = s.ner_window_chars
        for w in windows(cands, len(text), half, half, 4 * half):
            names, unsettled = det.layout_names(text[w.start : w.end], w.start)
            found += names
            if unsettled:
                self.column_jobs.append((state, starts, first_row, w.start, text[w.start : w.end]))
                self.ner_chars += w.end - w.start
        tables.record(state, found, starts, first_row, s.score_threshold, "")

    def ner_texts(self) -> list[str]:
        """The texts NER must still read for this file, its last chunks grouped: ``finish`` reads them, or takes
        what NER found in them (``finish(found)``) when the caller has NER read them with other files'."""
        self._group_done()
        return [j[2] for j in self.ner_jobs] + [j[4] for j in self.column_jobs]

    def _flush(self, found: list[list[Match]] | None = None) -> None:
        jobs, self.ner_jobs, self.ner_chars = self.ner_jobs, [], 0
        column_jobs, self.column_jobs = self.column_jobs, []
        extra: dict[int, list[Match]] = {}
        if found is None:
            found = self._ner([j[2] for j in jobs] + [j[4] for j in column_jobs])
        for (index, offset, _), matches in zip(jobs, found, strict=False):
            for m in matches:
                m.start += offset
                m.end += offset
            extra.setdefault(index, []).extend(matches)
        for (state, starts, row0, offset, _), matches in zip(column_jobs, found[len(jobs) :], strict=True):
            for m in matches:
                m.start += offset
                m.end += offset
            tables.record(state, matches, starts, row0, self.det.settings.score_threshold, "")
        idents = set(self.det.settings.special_category_identifiers)
        for index, (lines, matches) in enumerate(self.pending):
            kept = resolve_overlaps(matches + extra.get(index, []))
            for m in kept:
                self.agg.add(m, lines.where(m.start))
                if m.entity in idents:
                    self.identified_units.add(lines.unit(m.start))
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

    def finish(self, found: list[list[Match]] | None = None, read: int = 0) -> DetectResult:
        """The file's result. ``found``: what NER found in ``ner_texts()``, in their order (``read`` characters
        of them new to it), when the caller had it read them; else NER reads them now."""
        s = self.det.settings
        self._group_done()
        self.ner_total += read
        self._flush(found)
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
            identifiers=self.agg.identifiers(),
            chars=self.chars,
            chars_confirmed=self.confirmed,
            chars_ner=self.ner_total,
        )


def _free_text(state: tables.ColumnState, cells: list[str]) -> bool:
    """A column that is not a name or identifier column and holds sentences (by header or by its cells)."""
    if state.hint is not None:
        return False
    if _FREE_TEXT.search(state.column):
        return True
    filled = [c for c in cells if c.strip()]
    return bool(filled) and sum(c.count(" ") for c in filled) / len(filled) >= 3
