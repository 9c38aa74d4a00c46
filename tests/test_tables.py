"""Column-aware table chunks: the shape the detector and the reviewer rely on."""

from __future__ import annotations

import datetime as dt

from scanner.extractors.chunking import bounded, split
from scanner.extractors.tables import column_letter, columns_to_chunks
from scanner.types import Limits


def test_header_row_names_columns_and_cells_keep_their_row() -> None:
    rows: list[list[object]] = [
        [None, None],
        ["Name", "NI number", "Started"],
        ["Sarah Thompson", "AB 12 34 56 C", dt.datetime(2021, 3, 1)],
        ["Line\nbreak", None, 42.0],
    ]
    chunks = list(columns_to_chunks(rows, "Staff!", ("Staff",), Limits()))
    by_where = {c.where: c for c in chunks}
    assert set(by_where) == {"Staff!A", "Staff!B", "Staff!C"}
    ni = by_where["Staff!B"]
    assert (ni.text, ni.column, ni.first_row) == ("AB 12 34 56 C", "NI number", 3)
    assert ni.context == ("NI number", "Staff")
    assert by_where["Staff!A"].text.splitlines() == ["Sarah Thompson", "Line break"]
    assert by_where["Staff!C"].text == "2021-03-01\n42"


def test_values_in_first_row_mean_no_header() -> None:
    rows = [["Sarah Thompson", "AB 12 34 56 C"], ["Joe Bloggs", "CD 65 43 21 A"]]
    chunks = list(columns_to_chunks(rows, "", (), Limits()))
    assert [(c.where, c.column, c.first_row) for c in chunks] == [("A", None, 1), ("B", None, 1)]
    assert chunks[1].text == "AB 12 34 56 C\nCD 65 43 21 A"


def test_batches_and_row_limit() -> None:
    rows = [["Email"]] + [[f"user{i}@example.org"] for i in range(2, 12)]
    chunks = list(columns_to_chunks(rows, "S!", (), Limits(max_table_rows=8), batch_rows=3))
    assert [c.first_row for c in chunks] == [2, 5, 8]
    lines = [line for c in chunks for line in c.text.splitlines()]
    assert lines == [f"user{i}@example.org" for i in range(2, 9)]


def test_long_columns_split_at_cell_boundaries() -> None:
    rows = [["Notes"], ["a" * 6], ["b" * 6], ["c" * 30]]
    chunks = list(columns_to_chunks(rows, "", (), Limits(max_chunk_chars=14)))
    assert all(len(c.text) <= 14 for c in chunks)
    assert (chunks[0].text, chunks[0].first_row) == ("aaaaaa\nbbbbbb", 2)
    assert {c.first_row for c in chunks[1:]} == {4}
    assert "".join(c.text for c in chunks[1:]) == "c" * 30


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_split_and_bounded_respect_limits() -> None:
    limits = Limits(max_chunk_chars=10, max_text_chars=25)
    pieces = list(split("one two three four five six seven eight", "p1", (), limits))
    assert all(len(p.text) <= 10 and p.where == "p1" for p in pieces)
    assert "".join(p.text for p in pieces) == "one two three four five six seven eight"
    out = list(bounded(pieces, limits))
    assert sum(len(c.text) for c in out) == 25
