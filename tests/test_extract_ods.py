"""OpenDocument spreadsheets: calamine reads them where it gives the cells the streaming reader gives, and the
streaming reader reads the rest (odd content, or a grid too large to hold), with the same chunks either way."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
from extraction import extract

from scanner.errors import Encrypted
from scanner.extractors import ods_grid
from scanner.extractors.guards import package_zip
from scanner.extractors.odf import _ods_chunks
from scanner.samples import office
from scanner.types import Chunk, Limits

STAFF: list[list[object]] = [
    ["Name", "NI number", "Started", "Grade"],
    ["Sarah Thompson", "AB 12 34 56 C", "2019-05-01", 7],
    ["David Patel", "CE 65 43 21 B", "2020-11-30", 5.5],
]
ROW, CELL = "<table:table-row>", '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'


def with_rows(path: Path, rows: str, sheet: str = "Staff") -> Path:
    """A spreadsheet of STAFF with ``rows`` (content.xml markup) added at the end of its table."""
    base = office.write_ods(path.with_suffix(".base.ods"), {sheet: STAFF})
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "content.xml":
                data = data.replace(b"</table:table>", rows.encode() + b"</table:table>", 1)
            out.writestr(info, data)
    return path


def both(path: Path, limits: Limits | None = None) -> tuple[list[Chunk] | None, list[Chunk]]:
    """The chunks through calamine (None when the file is left to the streaming reader), and streamed."""
    limits = limits or Limits()
    with path.open("rb") as fh:
        archive = package_zip(fh)
        grid = ods_grid.read(fh, archive)
        fast = list(ods_grid.chunks(*grid, limits)) if grid else None
        return fast, list(_ods_chunks(archive, limits))


def test_calamine_gives_the_streamed_chunks(tmp_path: Path) -> None:
    typed = (
        ROW + '<table:table-cell office:value-type="date" office:date-value="2021-03-04T09:15:00"><text:p>04/03/2021'
        '</text:p></table:table-cell><table:table-cell office:value-type="percentage" office:value="0.15"><text:p>'
        '15%</text:p></table:table-cell><table:table-cell office:value-type="boolean" office:boolean-value="true">'
        '<text:p>TRUE</text:p></table:table-cell><table:table-cell office:value-type="currency" office:value="1e20">'
        "<text:p>1E+20</text:p></table:table-cell></table:table-row>"
        + ROW
        + '<table:table-cell office:value-type="string"><text:p>Jo <text:span>Bloggs</text:span></text:p><text:p>'
        "Flat 2</text:p></table:table-cell><table:covered-table-cell/>"
        '<table:table-cell table:number-columns-repeated="2"/>' + CELL.format("after a gap") + "</table:table-row>"
    )
    files = {
        "plain": office.write_ods(tmp_path / "plain.ods", {"Staff": STAFF, "Empty": [], "Later": [[None, "x"]]}),
        "leading": office.write_ods(tmp_path / "leading.ods", {"S": [[None], [None, None], [None, "Name"], [1, "Jo"]]}),
        "typed": with_rows(tmp_path / "typed.ods", typed),
        # as LibreOffice saves: trailing empty cells, blank rows between, a filler row to the sheet's end
        "filler": with_rows(
            tmp_path / "filler.ods",
            '<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="4"/>'
            "</table:table-row>" + ROW + CELL.format("Mary Jones") + "<table:table-cell table:number-columns-repeated"
            '="1020"/></table:table-row><table:table-row table:number-rows-repeated="1048570"><table:table-cell '
            'table:number-columns-repeated="1024"/></table:table-row>',
        ),
        "repeated": with_rows(
            tmp_path / "repeated.ods",
            '<table:table-row table:number-rows-repeated="40"><table:table-cell office:value-type="string" '
            'table:number-columns-repeated="3"><text:p>same</text:p></table:table-cell></table:table-row>',
        ),
    }
    for name, path in files.items():
        fast, streamed = both(path)
        assert fast is not None, name
        assert fast == streamed, name
    text = "\n".join(c.text for c in extract(files["typed"]))
    assert "2021-03-04T09:15:00" in text and "Jo Bloggs Flat 2" in text and "after a gap" in text
    assert "Mary Jones" in "\n".join(c.text for c in extract(files["filler"]))


def test_cells_calamine_would_read_otherwise_are_streamed(tmp_path: Path) -> None:
    """A line break or a tab inside a cell (calamine drops them and runs the words together), a cell with text
    and no value type (calamine leaves it empty), a time (calamine gives its value, not the text shown)."""
    cells = {
        "break": '<table:table-cell office:value-type="string"><text:p>Sarah<text:line-break/>Thompson</text:p>'
        "</table:table-cell>",
        "tab": '<table:table-cell office:value-type="string"><text:p>Sarah<text:tab/>Thompson</text:p>'
        "</table:table-cell>",
        "untyped": "<table:table-cell><text:p>Sarah Thompson</text:p></table:table-cell>",
        "time": '<table:table-cell office:value-type="time" office:time-value="PT10H30M00S"><text:p>10:30 am</text:p>'
        "</table:table-cell>" + CELL.format("Sarah Thompson"),
    }
    for name, cell in cells.items():
        path = with_rows(tmp_path / f"{name}.ods", ROW + cell + "</table:table-row>")
        fast, _ = both(path)
        assert fast is None, name
        lines = "\n".join(c.text for c in extract(path)).splitlines()
        assert "Sarah Thompson" in lines, name


def test_content_calamine_refuses_is_streamed(tmp_path: Path) -> None:
    path = with_rows(tmp_path / "spaced.ods", ROW + "\n  " + CELL.format("Sarah Jones") + "\n</table:table-row>")
    fast, _ = both(path)
    assert fast is None
    assert "Sarah Jones" in "\n".join(c.text for c in extract(path))


def test_a_few_bytes_standing_for_millions_of_cells_are_streamed(tmp_path: Path) -> None:
    """A row repeated 100,000 times, 100 cells wide, is 10 million cells in calamine's grid (over a GB); it is
    streamed instead, and only ``max_table_rows`` rows are read."""
    path = with_rows(
        tmp_path / "bomb.ods",
        '<table:table-row table:number-rows-repeated="100000"><table:table-cell office:value-type="string" '
        'table:number-columns-repeated="100"><text:p>x</text:p></table:table-cell></table:table-row>',
    )
    with path.open("rb") as fh:
        content = package_zip(fh).read("content.xml")
    assert ods_grid.grid_cells(content) >= 100_000 * 100
    fast, streamed = both(path, Limits(max_table_rows=500))
    assert fast is None
    rows = {c.first_row + i for c in streamed if c.first_row for i in range(len(c.text.splitlines()))}
    assert max(rows) <= 500 and "Sarah Thompson" in "\n".join(c.text for c in streamed)


def _random_cell(rng: random.Random) -> Any:
    from odf.office import Annotation
    from odf.table import CoveredTableCell, TableCell
    from odf.text import A, P, S, Span

    words = ["Sarah", "Thompson", "AB 12 34 56 C", "943 476 5919", "Flat 2", "LS1 4AB", "jo@example.org", " padded "]
    kinds = "text text number whole percent money bool date datetime empty rich paragraphs note spaces repeated covered"
    kind = rng.choice([*kinds.split(), "link"])
    numbers = {"number": 1.5, "whole": rng.randint(-5, 10**9), "percent": 0.15, "money": 12.5}
    if kind in numbers:
        stored = {"percent": "percentage", "money": "currency"}
        return TableCell(valuetype=stored.get(kind, "float"), value=numbers[kind])
    if kind in ("empty", "covered"):
        return TableCell() if kind == "empty" else CoveredTableCell()
    if kind == "bool":
        return TableCell(valuetype="boolean", booleanvalue=rng.choice(["true", "false"]))
    if kind in ("date", "datetime"):
        when = f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        return TableCell(
            valuetype="date", datevalue=when + (f"T{rng.randint(0, 23):02d}:30:00" if kind == "datetime" else "")
        )
    cell = TableCell(valuetype="string", **({"numbercolumnsrepeated": rng.randint(2, 4)} if kind == "repeated" else {}))
    paragraph = P(text=rng.choice(words))
    if kind == "rich":
        paragraph.addElement(Span(text=" " + rng.choice(words)))
    elif kind == "spaces":
        paragraph.addElement(S(c=3))
        paragraph.addText("b")
    elif kind == "link":
        paragraph = P()
        paragraph.addElement(A(href="https://example.org", text=rng.choice(words)))
    elif kind == "note":
        note = Annotation()
        note.addElement(P(text="a note by Jo Bloggs"))
        cell.addElement(note)
    elif kind == "paragraphs":
        cell.addElement(P(text=rng.choice(words)))
    cell.addElement(paragraph)
    return cell


def test_random_spreadsheets_read_alike(tmp_path: Path) -> None:
    """Spreadsheets written with odfpy with every cell type, rich text, notes, merged and repeated cells and
    rows: calamine takes each and gives the streamed chunks (300 such files were compared when this was built)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableRow

    for seed in range(40):
        rng = random.Random(seed)
        document = OpenDocumentSpreadsheet()
        for number in range(rng.randint(1, 3)):
            table = Table(name=f"Sheet {number}")
            for _ in range(rng.randint(0, 30)):
                row = TableRow(numberrowsrepeated=rng.choice([2, 5])) if rng.random() < 0.2 else TableRow()
                for _ in range(rng.randint(0, 8)):
                    row.addElement(_random_cell(rng))
                table.addElement(row)
            document.spreadsheet.addElement(table)
        path = tmp_path / f"random-{seed}.ods"
        document.save(str(path))
        fast, streamed = both(path)
        assert fast is not None, seed
        assert fast == streamed, seed


def test_spreadsheets_steward_did_not_write_read_alike() -> None:
    """calamine's own test spreadsheets (LibreOffice and others: merged, covered and repeated cells, rich text,
    notes, dates, a picture, a denial-of-service case): each gives the same chunks whichever reader takes it, most
    are taken by calamine, and the password-protected one is reported as encrypted."""
    folder = Path(__file__).parent / "data" / "calamine-ods"
    taken = 0
    for path in sorted(folder.glob("*.ods")):
        if path.name == "pass_protected.ods":
            with pytest.raises(Encrypted):
                extract(path)
            continue
        fast, streamed = both(path)
        assert fast is None or fast == streamed, path.name
        taken += fast is not None
        assert extract(path) == (fast if fast is not None else streamed), path.name
    assert taken >= 10


def test_a_spreadsheet_calamine_would_hold_whole_in_memory_is_streamed(tmp_path: Path) -> None:
    """calamine reads the whole file into memory: a spreadsheet carrying a large picture is streamed instead."""
    path = with_rows(tmp_path / "picture.ods", ROW + CELL.format("Mary Jones") + "</table:table-row>")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("Pictures/scan.png", bytes(ods_grid.MAX_FILE))
    fast, streamed = both(path)
    assert fast is None
    assert "Mary Jones" in "\n".join(c.text for c in streamed)
