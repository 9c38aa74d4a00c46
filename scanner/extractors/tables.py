"""Column-aware chunks for tabular data: spreadsheet sheets, CSV files, database samples.

Personal data in a table sits in columns ("NI number", "Date of birth"), and the header is the best
context a recognizer can get. So a table goes out as one ``Chunk`` per column per batch of rows, not as
rows of mixed values. Call ``columns_to_chunks`` with the rows of one table; see its docstring for the
exact shape of the chunks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence

from scanner.extractors.notes import note
from scanner.types import Chunk, Limits

BATCH_ROWS = 500

_NEWLINES = re.compile(r"[\r\n\v\f\u2028\u2029]+")
_DIGITS = re.compile(r"\d")


def columns_to_chunks(
    rows: Iterable[Sequence[object]],
    where_prefix: str,
    context: tuple[str, ...],
    limits: Limits,
    *,
    first_row: int = 1,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[Chunk]:
    """Yield one table's cells as one ``Chunk`` per column per batch of ``batch_rows`` rows.

    ``rows`` are the table's rows in order, each a sequence of cell values (``None`` or ``""`` for an
    empty cell); the first one is row number ``first_row`` (1 for a sheet or a CSV file), and cell
    ``i`` of a row is in column ``i`` (0 -> "A", 26 -> "AA").

    - Leading empty rows are skipped. The first non-empty row is the header when it looks like one
      (every non-empty cell is text with a letter in it, not a number, an e-mail address or an
      identifier-like run of digits); then each chunk's ``column`` is that column's header text.
      Otherwise there is no header: the row is data and ``column`` is ``None``.
    - Each chunk's ``text`` holds the column's values for the batch, one cell per line (line breaks in a
      cell become spaces); ``first_row`` is the row number of the first line, so line ``i`` is row
      ``first_row + i``; empty cells at the start and end of the batch are trimmed, those in between
      stay as empty lines. A column with no values in the batch yields nothing.
    - ``where`` is ``where_prefix`` plus the column letter (``"Staff!"`` -> ``"Staff!C"``), so a cell's
      locator is ``f"{chunk.where}{chunk.first_row + i}"``.
    - ``context`` is ``(header, *context)``, or ``context`` alone when the column has no header.
    - At most ``limits.max_table_rows`` rows (counting the header and leading blank rows) are read;
      a batch longer than ``limits.max_chunk_chars`` is cut at cell boundaries into several chunks.

    Values are written as a reader would see them: integers without ".0", dates as ISO dates,
    booleans as TRUE/FALSE. The total text of a file is bounded by the caller (``chunking.bounded``).
    """
    source = iter(rows)
    numbered = zip(itertools.count(first_row), itertools.islice(source, max(0, limits.max_table_rows)))
    headers: list[str | None] | None = None
    batch: list[tuple[int, list[str]]] = []
    for number, row in numbered:
        cells = [cell_text(value) for value in row]
        if headers is None:
            if not any(cells):
                continue
            if looks_like_header(row):
                headers = [cell or None for cell in cells]
                continue
            headers = []
        batch.append((number, cells))
        if len(batch) >= batch_rows:
            yield from _batch_chunks(batch, headers, where_prefix, context, limits)
            batch = []
    if batch and headers is not None:
        yield from _batch_chunks(batch, headers, where_prefix, context, limits)
    if next(source, None) is not None:
        note(f"rows past {limits.max_table_rows} of a table were not read")


def _batch_chunks(
    batch: list[tuple[int, list[str]]],
    headers: list[str | None],
    where_prefix: str,
    context: tuple[str, ...],
    limits: Limits,
) -> Iterator[Chunk]:
    numbers = [number for number, _ in batch]
    size = max(1, limits.max_chunk_chars)
    for index, column in enumerate(itertools.zip_longest(*(cells for _, cells in batch), fillvalue="")):
        if not any(column):
            continue
        first = next(i for i, value in enumerate(column) if value)
        end = len(column) - next(i for i, value in enumerate(reversed(column)) if value)
        header = headers[index] if index < len(headers) else None
        where = f"{where_prefix}{column_letter(index)}"
        ctx = (header, *context) if header else context
        text = "\n".join(column[first:end])
        if len(text) <= size:  # the usual case: the whole batch of the column is one chunk
            yield Chunk(text, where, ctx, column=header, first_row=numbers[first])
        else:
            yield from _sized(list(zip(numbers[first:end], column[first:end], strict=True)), where, header, ctx, limits)


def _sized(
    values: list[tuple[int, str]], where: str, header: str | None, ctx: tuple[str, ...], limits: Limits
) -> Iterator[Chunk]:
    """Cut one column batch at cell boundaries so no chunk is longer than ``limits.max_chunk_chars``."""
    size = max(1, limits.max_chunk_chars)
    pending: list[tuple[int, str]] = []
    length = 0
    for number, value in values:
        if len(value) > size:  # one cell alone is too long: it goes out in pieces, each at its own row
            yield from _chunk(pending, where, header, ctx)
            pending, length = [], 0
            for at in range(0, len(value), size):
                yield Chunk(value[at : at + size], where, ctx, column=header, first_row=number)
            continue
        added = len(value) + (1 if pending else 0)
        if pending and length + added > size:
            yield from _chunk(pending, where, header, ctx)
            pending, length, added = [], 0, len(value)
        pending.append((number, value))
        length += added
    yield from _chunk(pending, where, header, ctx)


def _chunk(values: list[tuple[int, str]], where: str, header: str | None, ctx: tuple[str, ...]) -> Iterator[Chunk]:
    if any(value for _, value in values):
        text = "\n".join(value for _, value in values)
        yield Chunk(text, where, ctx, column=header, first_row=values[0][0])


def cell_text(value: object) -> str:
    """One cell as a single line of text."""
    if isinstance(value, str):  # most cells: printable text has no line break to replace
        return value.strip() if value.isprintable() else _NEWLINES.sub(" ", value).strip()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return _NEWLINES.sub(" ", str(value)).strip()


def looks_like_header(row: Sequence[object]) -> bool:
    """True when every non-empty cell of ``row`` reads like a column name rather than a value."""
    cells = [value for value in row if value is not None and value != ""]
    if not cells:
        return False
    for value in cells:
        if not isinstance(value, str):
            return False
        text = value.strip()
        if not any(ch.isalpha() for ch in text) or "@" in text:
            return False
        if len(_DIGITS.findall(text)) >= 5 or len(text) > 100:
            return False
    return True


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
