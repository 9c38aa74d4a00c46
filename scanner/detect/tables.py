"""Column-aware detection for table chunks (CSV, TSV, sheets, database samples).

A column chunk holds one cell value per line. A column's header and a sample of its values decide its type:
when at least ``column_min_share`` of the sampled non-empty values match an entity (even weakly, e.g. a bare
postcode scoring 0.3), the column takes that type and every matching row counts; otherwise only matches that
pass the score threshold count. Counts are rows holding the type. Only the first ``table_sample_rows`` rows of
a file's column are analysed (all of a database table's sample); beyond that rows are counted and the entity
counts extrapolated, and the sample is recorded in ``DetectResult.columns``. A column headed as account numbers
counts its 8-digit cells as UK_BANK_ACCOUNT (the header is the evidence).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from scanner.detect.aggregate import Aggregator, Match
from scanner.detect.names import name_cell
from scanner.detect.phones import prefix_cell, split_number

HEADER_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (entity, re.compile(pattern, re.IGNORECASE))
    for entity, pattern in (
        ("UK_NHS", r"\bnhs\b"),
        (
            "UK_NINO",
            r"\b(?:ni|nat(?:ional)?\.? ?ins(?:urance)?)\b.*\b(?:no|num|number)\b|\bnino\b|national insurance",
        ),
        ("EMAIL_ADDRESS", r"e-?mail"),
        ("PHONE_NUMBER", r"phone|\btel\b|telephone|mobile|\bmob\b|contact (?:no|number)"),
        ("DATE_OF_BIRTH", r"\bdob\b|d\.o\.b|birth"),
        ("UK_POSTCODE", r"post ?code"),
        ("UK_ADDRESS", r"address|street"),
        ("UK_BANK_ACCOUNT", r"sort ?code|account (?:no|num)|bank"),
        ("UK_UPN", r"\bupn\b|pupil number"),
        ("UK_PASSPORT", r"passport"),
        ("UK_DRIVING_LICENCE", r"licen[cs]e"),
        ("IBAN_CODE", r"\biban\b"),
        ("CREDIT_CARD", r"\bcard\b"),
        ("IP_ADDRESS", r"\bip\b"),
        (
            "PERSON",
            r"\b(?:(?:first|last|full|given|family|middle|maiden|preferred)[ _]?name|forenames?|surname"
            r"|name|client|patient|pupil|child|employee|staff|contact|tenant|resident|carer|applicant"
            r"|parent|guardian|next of kin|author|owner|payee)\b",
        ),
    )
)
NOT_PERSON_HEADER = re.compile(
    r"file|product|street|road|school|team|company|organi[sz]ation|business|service|site|building|host|user"
    r"|server|table|column|sheet|course|event|place|town|city|item|project|account|bank|nhs|email|e-mail|address",
    re.IGNORECASE,
)
# An 8-digit UK account number in a column headed "account number" / "account no" / "acc no" (no checksum is
# public, so the header is the evidence).
_ACCOUNT_HEADER = re.compile(r"\b(?:bank )?acc(?:oun)?t?\.? ?(?:no|num|number)\b", re.IGNORECASE)
_ACCOUNT_CELL = re.compile(r"^\d{8}$|^\d{4}[ -]\d{4}$")
_NAME_CELL = re.compile(r"^(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.? )?[A-Z][a-z'’-]+(?:[ -][A-Z][a-z'’-]+){0,3}$")


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def said(header: str) -> str:
    """A header as a reader would say it, as database column names are read: ``account_number`` and
    ``AccountNumber`` -> ``account Number``; ``nhs_no`` -> ``nhs no``."""
    return " ".join(_CAMEL.sub(" ", header).replace("_", " ").split())


@functools.lru_cache(maxsize=4096)  # the same headers recur in a share's tables, and per chunk of a column
def header_entity(header: str) -> str | None:
    header = said(header)
    for entity, pattern in HEADER_HINTS:
        if pattern.search(header):
            if entity == "PERSON" and NOT_PERSON_HEADER.search(header):
                continue
            return entity
    return None


@dataclass(frozen=True, slots=True)
class ColumnSample:
    """How a table column was read: rows seen, rows analysed, the type it took and rows holding it."""

    where: str
    column: str
    rows: int
    sampled: int
    entity: str | None
    matched: int
    found: tuple[tuple[str, int], ...] = ()  # every entity counted in the column -> rows (extrapolated)


@dataclass(slots=True)
class ColumnState:
    where: str
    column: str
    hint: str | None
    rows: int = 0
    sampled: int = 0
    nonempty: int = 0
    raw: dict[str, set[int]] = field(default_factory=dict)
    strong: dict[str, set[int]] = field(default_factory=dict)
    first: dict[str, Match] = field(default_factory=dict)
    confirmed: int = 0  # rows read in full (presidio)
    confirmed_nonempty: int = 0
    fast: str | None = None  # type fixed after the first rows; later rows checked by patterns only
    cells: list[tuple[Match, int]] = field(default_factory=list)  # strong matches by row, for the keyed index


def take(state: ColumnState, lines: list[str], limit: int) -> list[str]:
    """The lines still within the column's sample; every line counts towards the column's rows."""
    state.rows += len(lines)
    taken = lines[: max(0, limit - state.sampled)]
    state.sampled += len(taken)
    state.nonempty += sum(1 for v in taken if v.strip())
    return taken


def joined(lines: list[str]) -> tuple[str, list[int]]:
    """Lines joined as one text, and each line's starting offset."""
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    return "\n".join(lines), starts


def fast_type(state: ColumnState, checkable: frozenset[str], share: float = 0.8) -> str | None:
    """The column's type once its first rows are read in full, when nearly all of them hold one entity that
    patterns alone can check; later rows are then checked cell by cell without presidio."""
    best: tuple[str | None, set[int]] = max(state.raw.items(), key=lambda kv: len(kv[1]), default=(None, set()))
    entity, rows = best
    if entity in checkable and state.confirmed_nonempty and len(rows) / state.confirmed_nonempty >= share:
        return entity
    return None


def record_fast(state: ColumnState, lines: list[str], first_row: int, check: Callable[[str], Match | None]) -> None:
    account = state.fast == "UK_BANK_ACCOUNT" and account_column(state)
    for i, value in enumerate(lines):
        if not value.strip():
            continue
        m = state.first.get("UK_BANK_ACCOUNT") if account and _ACCOUNT_CELL.match(value.strip()) else check(value)
        if m is not None:
            row = first_row + i
            state.raw.setdefault(m.entity, set()).add(row)
            state.strong.setdefault(m.entity, set()).add(row)
            state.cells.append((m, row))


def record(
    state: ColumnState, matches: list[Match], starts: list[int], first_row: int, threshold: float, text: str
) -> None:
    for m in matches:
        row = first_row + bisect.bisect_right(starts, m.start) - 1
        state.raw.setdefault(m.entity, set()).add(row)
        if m.score >= threshold:
            state.strong.setdefault(m.entity, set()).add(row)
            state.cells.append((m, row))
        best = state.first.get(m.entity)
        if best is None or (m.validated, m.score) > (best.validated, best.score):
            state.first[m.entity] = m
    if account_column(state):
        _cells(state, text, starts, first_row, _ACCOUNT_CELL, "UK_BANK_ACCOUNT", 0.7, "StewardAccountColumn")
    if state.hint == "PERSON":
        for i, start in enumerate(starts):
            end = starts[i + 1] - 1 if i + 1 < len(starts) else len(text)
            value = text[start:end].strip()
            if name_cell(value):
                row = first_row + i
                state.raw.setdefault("PERSON", set()).add(row)
                state.strong.setdefault("PERSON", set()).add(row)
                state.first.setdefault(
                    "PERSON",
                    Match("PERSON", 0, 0, 0.85, value, "StewardNameColumn", False, (state.column.lower(),)),
                )


def account_column(state: ColumnState) -> bool:
    """A column headed as account numbers ("Account number", "account_number", "Acc no")."""
    return state.hint == "UK_BANK_ACCOUNT" and bool(_ACCOUNT_HEADER.search(said(state.column)))


def _cells(
    state: ColumnState,
    text: str,
    starts: list[int],
    first_row: int,
    shape: re.Pattern[str],
    entity: str,
    score: float,
    recognizer: str,
) -> None:
    """Rows of a column whose header names ``entity`` and whose cell has its shape count as that entity."""
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(text)
        value = text[start:end].strip()
        if shape.match(value):
            row = first_row + i
            state.raw.setdefault(entity, set()).add(row)
            state.strong.setdefault(entity, set()).add(row)
            state.first.setdefault(
                entity, Match(entity, 0, 0, score, value, recognizer, False, (state.column.lower(),))
            )


def finish(state: ColumnState, agg: Aggregator, min_share: float, max_locators: int) -> ColumnSample:
    typed: str | None = None
    typed_rows = 0
    found: list[tuple[str, int]] = []
    for entity, rows in state.raw.items():
        share = len(rows) / max(state.nonempty, 1)
        if share >= min_share and len(rows) > typed_rows:
            typed, typed_rows = entity, len(rows)
    for entity, first in state.first.items():
        rows = state.raw[entity] if entity == typed else state.strong.get(entity, set())
        if not rows:
            continue
        count = len(rows)
        if state.rows > state.sampled and state.sampled:
            count = round(count * state.rows / state.sampled)
        found.append((entity, count))
        ordered = sorted(rows)
        agg.add(first, f"{state.where}{ordered[0]}", count=count)
        for row in ordered[1:max_locators]:
            agg.add_locator(entity, f"{state.where}{row}")
    for m, row in state.cells:  # every strong cell's keyed digest, with its row
        agg.index(m, f"{state.where}{row}")
    return ColumnSample(
        state.where,
        state.column,
        state.rows,
        state.sampled,
        typed,
        typed_rows,
        tuple(sorted(found, key=lambda ec: (-ec[1], ec[0]))),
    )


def column_index(where: str) -> tuple[str, int]:
    """'Staff!C' -> ('Staff!', 2), 'AA' -> ('', 26): a column locator's table and the column's number."""
    table = where.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    number = 0
    for letter in where[len(table) :]:
        number = number * 26 + ord(letter) - 64
    return table, number - 1


class SplitPhones:
    """Phone numbers split over two adjacent cells of a row ("024" | "7683 3075", "+44" | "20 7946 0018"), as
    forms and contact sheets lay out a dialling code and a number: each column's prefix-shaped cells are kept
    until the next column of the same table is read, then joined with that column's cells on the same rows
    and checked by phonenumbers. Bounded by two columns' prefix cells per table."""

    def __init__(self) -> None:
        self._prefixes: dict[tuple[str, int], tuple[str, bool, dict[int, str]]] = {}

    def feed(self, where: str, header: str | None, cells: list[str], first_row: int) -> list[tuple[Match, str, int]]:
        """Numbers completed by this column chunk's cells: (match, the first part's column locator, row)."""
        table, index = column_index(where)
        phone_header = header is not None and header_entity(header) == "PHONE_NUMBER"
        found: list[tuple[Match, str, int]] = []
        before = self._prefixes.get((table, index - 1))
        if before is not None:
            prev_where, prev_phone, prefixes = before
            for i, value in enumerate(cells):
                prefix = prefixes.get(first_row + i)
                if prefix is None:
                    continue
                rest = value.strip()
                valid = split_number(prefix, rest)
                context = phone_header or prev_phone
                if valid is None or not (valid or context):
                    continue
                score = 0.75 if context else 0.5
                value = f"{prefix} {rest}"
                match = Match("PHONE_NUMBER", 0, len(value), score, value, "StewardSplitPhone", valid)
                found.append((match, prev_where, first_row + i))
        mine = {first_row + i: v.strip() for i, v in enumerate(cells) if prefix_cell(v.strip())}
        for key in [k for k in self._prefixes if k[0] == table and k[1] not in (index - 1, index)]:
            del self._prefixes[key]
        if mine:  # a long column comes in several chunks: their rows add up (within the sampled rows)
            self._prefixes.setdefault((table, index), (where, phone_header, {}))[2].update(mine)
        return found
