"""Document extractors, through identify -> registry -> extractor, on real files made by the builders."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from extraction import extract

from scanner.errors import Corrupt, Encrypted, Unsupported
from scanner.identify import identify
from scanner.samples import office
from scanner.types import Chunk, Limits

NI, NHS = "AB 12 34 56 C", "943 476 5919"
STAFF: list[list[object]] = [
    ["Name", "NI number", "NHS number"],
    ["Sarah Thompson", NI, NHS],
    ["David Patel", "CE 65 43 21 B", "401 023 2137"],
]


def at(chunks: list[Chunk], where: str) -> str:
    return "\n".join(c.text for c in chunks if c.where == where)


def column(chunks: list[Chunk], where: str) -> Chunk:
    (found,) = [c for c in chunks if c.where == where]
    return found


def cell(chunks: list[Chunk], locator: str) -> str:
    """The value a reviewer would find at a cell locator such as "Staff!B3"."""
    for c in chunks:
        if c.first_row is not None and locator.startswith(c.where):
            row = int(locator[len(c.where) :]) if locator[len(c.where) :].isdigit() else -1
            lines = c.text.split("\n")
            if 0 <= row - c.first_row < len(lines):
                return lines[row - c.first_row]
    raise AssertionError(f"no cell {locator}")


# --- text comes back with locators -------------------------------------------------------------


def test_docx_paragraphs_tables_header_and_footer(tmp_path: Path) -> None:
    path = office.write_docx(
        tmp_path / "letter.docx",
        ["Dear Ms Thompson,", f"Your NI number is {NI}.", "", "Yours, HR"],
        header="OFFICIAL-SENSITIVE",
        footer="Northshire Council HR",
        table=[["Name", "NHS number"], ["Sarah Thompson", NHS]],
    )
    chunks = extract(path)
    assert at(chunks, "header") == "OFFICIAL-SENSITIVE"
    assert at(chunks, "footer") == "Northshire Council HR"
    assert NI in at(chunks, "p2")
    assert at(chunks, "p4") == "Yours, HR"  # the empty third paragraph still counts
    nhs = column(chunks, "table1!B")
    assert (nhs.column, nhs.first_row, nhs.context) == ("NHS number", 2, ("NHS number",))
    assert cell(chunks, "table1!B2") == NHS


def test_a_package_rewritten_in_place_is_read_anew(tmp_path: Path) -> None:
    """A package's zip directory is read once per open file: naming it, extracting it and reading its authors
    share it. A file rewritten under the same name and opened again is read from its new directory."""
    path = office.write_docx(tmp_path / "letter.docx", ["First draft, no identifiers."])
    assert "First draft" in "\n".join(c.text for c in extract(path))
    office.write_docx(path, ["Final letter.", f"Your NI number is {NI}."], table=[["Name"], ["Sarah Thompson"]])
    text = "\n".join(c.text for c in extract(path))
    assert NI in text and "Sarah Thompson" in text
    assert "First draft" not in text


@pytest.mark.parametrize("macro_enabled", [False, True], ids=["xlsx", "xlsm"])
def test_xlsx_columns_carry_header_sheet_and_rows(tmp_path: Path, macro_enabled: bool) -> None:
    gaps: list[list[object]] = [[], [], [None, None, "Email"], [None, None, "joe@example.org"]]
    numbers: list[list[object]] = [[1, 2], [3, 4]]
    path = office.write_xlsx(
        tmp_path / ("staff.xlsm" if macro_enabled else "staff.xlsx"),
        {"Staff": STAFF, "Later": gaps, "Figures": numbers},
        macro_enabled=macro_enabled,
    )
    chunks = extract(path)
    ni = column(chunks, "Staff!B")
    assert (ni.column, ni.first_row, ni.context) == ("NI number", 2, ("NI number", "Staff"))
    assert cell(chunks, "Staff!B2") == NI and cell(chunks, "Staff!C3") == "401 023 2137"
    email = column(chunks, "Later!C")
    assert (email.column, email.first_row, email.text) == ("Email", 4, "joe@example.org")
    figures = column(chunks, "Figures!A")
    assert (figures.column, figures.first_row, figures.text) == (None, 1, "1\n3")


def test_pptx_slides_and_notes(tmp_path: Path) -> None:
    path = office.write_pptx(
        tmp_path / "deck.pptx",
        ["Welcome\nAgenda", f"Case review\nClient NHS number {NHS}"],
        notes=["", "Do not share outside the team"],
    )
    chunks = extract(path)
    assert "Agenda" in at(chunks, "slide 1")
    assert NHS in at(chunks, "slide 2")
    assert at(chunks, "slide 2 notes") == "Do not share outside the team"


def test_pptx_notes_found_through_relationships_saved_as_utf16(tmp_path: Path) -> None:
    """XML parts may be UTF-16; a slide's notes are read whatever the encoding of its relationships."""
    import zipfile

    made = office.write_pptx(tmp_path / "made.pptx", ["Case review"], notes=[f"Client NHS number {NHS}"])
    path = tmp_path / "deck.pptx"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "ppt/slides/_rels/slide1.xml.rels":
                text = data.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'")
                data = text.encode("utf-16")
            out.writestr(info, data)
    assert NHS in at(extract(path), "slide 1 notes")


def test_odt_headings_paragraphs_and_header(tmp_path: Path) -> None:
    path = office.write_odt(
        tmp_path / "minutes.odt",
        ["Present: Sarah Thompson", f"NI {NI} was discussed."],
        heading="Minutes",
        header="OFFICIAL",
    )
    chunks = extract(path)
    assert at(chunks, "header") == "OFFICIAL"
    assert at(chunks, "p1") == "Minutes"
    assert NI in at(chunks, "p3")


def test_ods_columns(tmp_path: Path) -> None:
    later: list[list[object]] = [[], [], [None, "Email"], [None, "joe@example.org"]]
    staff: list[list[object]] = [*STAFF, ["Olivia Hughes", None, 4857773456]]
    chunks = extract(office.write_ods(tmp_path / "staff.ods", {"Staff": staff, "Later": later}))
    nhs = column(chunks, "Staff!C")
    assert (nhs.column, nhs.first_row, nhs.context) == ("NHS number", 2, ("NHS number", "Staff"))
    assert cell(chunks, "Staff!C4") == "4857773456"
    assert cell(chunks, "Staff!B2") == NI
    email = column(chunks, "Later!B")
    assert (email.column, email.first_row, email.text) == ("Email", 4, "joe@example.org")


def test_pdf_pages(tmp_path: Path) -> None:
    path = office.write_pdf(tmp_path / "report.pdf", ["Summary (draft) \\ v2", f"Patient NHS number {NHS}"])
    chunks = extract(path)
    assert at(chunks, "page 1") == "Summary (draft) \\ v2"
    assert NHS in at(chunks, "page 2")


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    path = office.write_encrypted_pdf(tmp_path / "locked.pdf", [f"NI {NI}"], "", "owner-secret")
    assert NI in at(extract(path), "page 1")


def test_rtf_paragraphs(tmp_path: Path) -> None:
    path = office.write_rtf(tmp_path / "memo.rtf", ["Memo {draft}", f"Café visit by NI {NI}"])
    chunks = extract(path)
    assert at(chunks, "p1") == "Memo {draft}"
    assert at(chunks, "p2") == f"Café visit by NI {NI}"


def test_legacy_doc(tmp_path: Path) -> None:
    chunks = extract(office.write_doc(tmp_path / "letter.doc"))
    assert at(chunks, "p1") == "Dear Ms Sarah Thompson,"
    assert NI in at(chunks, "p2") and NHS in at(chunks, "p2")
    assert any("OFFICIAL-SENSITIVE" in c.text for c in chunks)


def test_legacy_xls(tmp_path: Path) -> None:
    chunks = extract(office.write_xls(tmp_path / "staff.xls"))
    ni = column(chunks, "Staff!B")
    assert (ni.column, ni.first_row, ni.context) == ("NI number", 2, ("NI number", "Staff"))
    assert cell(chunks, "Staff!B2") == NI
    assert cell(chunks, "Notes!A2") == "Joan Smith"


def test_legacy_tools_missing_is_unsupported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = office.write_doc(tmp_path / "letter.doc")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Unsupported, match="Debian package 'catdoc'"):
        extract(path, mime="application/msword")


# --- encrypted, corrupt, empty -----------------------------------------------------------------

ENCRYPTED: dict[str, Callable[[Path], Path]] = {
    "docx": lambda p: office.write_encrypted_docx(p / "locked.docx", [f"NI {NI}"], "pw"),
    "odt": lambda p: office.write_encrypted_odt(p / "locked.odt"),
    "pdf": lambda p: office.write_encrypted_pdf(p / "locked.pdf", [f"NI {NI}"], "user-secret", "owner"),
    "doc": lambda p: office.write_encrypted_doc(p / "locked.doc"),
}


@pytest.mark.parametrize("kind", ENCRYPTED)
def test_password_protected_files_are_encrypted(tmp_path: Path, kind: str) -> None:
    path = ENCRYPTED[kind](tmp_path)
    with pytest.raises(Encrypted) as raised:
        extract(path)
    assert NI not in str(raised.value)


def test_encrypted_docx_given_to_the_docx_extractor_is_encrypted(tmp_path: Path) -> None:
    path = office.write_encrypted_docx(tmp_path / "locked.docx", ["secret"], "pw")
    with pytest.raises(Encrypted):
        extract(path, mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


FORMATS: dict[str, Callable[[Path], Path]] = {
    "docx": lambda p: office.write_docx(p / "f.docx", [f"NI {NI}"] * 50, header="OFFICIAL"),
    "xlsx": lambda p: office.write_xlsx(p / "f.xlsx", {"Staff": STAFF * 20}),
    "pptx": lambda p: office.write_pptx(p / "f.pptx", [f"NI {NI}"] * 5),
    "odt": lambda p: office.write_odt(p / "f.odt", [f"NI {NI}"] * 50),
    "ods": lambda p: office.write_ods(p / "f.ods", {"Staff": STAFF * 20}),
    "pdf": lambda p: office.write_pdf(p / "f.pdf", [f"NI {NI}"] * 5),
    "rtf": lambda p: office.write_rtf(p / "f.rtf", [f"NI {NI}"] * 5),
    "doc": lambda p: office.write_doc(p / "f.doc"),
    "xls": lambda p: office.write_xls(p / "f.xls"),
}
MAGIC = {
    "docx": b"PK\x03\x04",
    "xlsx": b"PK\x03\x04",
    "pptx": b"PK\x03\x04",
    "odt": b"PK\x03\x04",
    "ods": b"PK\x03\x04",
    "pdf": b"%PDF-1.4\n",
    "rtf": b"{\\rtf1\\ansi ",
    "doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
}


def _mime_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return identify(fh, path.name).mime


@pytest.mark.parametrize("kind", FORMATS)
def test_truncated_file_is_corrupt(tmp_path: Path, kind: str) -> None:
    path = FORMATS[kind](tmp_path)
    mime = _mime_of(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(Corrupt) as raised:
        extract(path, mime=mime)
    assert NI not in str(raised.value)


@pytest.mark.parametrize("kind", FORMATS)
def test_random_bytes_behind_the_right_magic_are_corrupt(tmp_path: Path, kind: str) -> None:
    mime = _mime_of(FORMATS[kind](tmp_path))
    noise = random.Random(kind).randbytes(5000).replace(b"{", b"x")
    path = tmp_path / f"noise.{kind}"
    path.write_bytes(MAGIC[kind] + noise)
    with pytest.raises(Corrupt):
        extract(path, mime=mime)


@pytest.mark.parametrize("kind", FORMATS)
def test_empty_file_is_corrupt_for_its_extractor(tmp_path: Path, kind: str) -> None:
    mime = _mime_of(FORMATS[kind](tmp_path))
    empty = tmp_path / f"empty.{kind}"
    empty.write_bytes(b"")
    assert _mime_of(empty) == "inode/x-empty"
    with pytest.raises(Corrupt):
        extract(empty, mime=mime)


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FORMATS)
def test_max_text_chars_stops_extraction(tmp_path: Path, kind: str) -> None:
    path = FORMATS[kind](tmp_path)
    full = sum(len(c.text) for c in extract(path))
    limited = extract(path, Limits(max_text_chars=40))
    assert full > 40
    assert sum(len(c.text) for c in limited) == 40


def test_long_paragraphs_are_split(tmp_path: Path) -> None:
    text = " ".join(f"word{i}" for i in range(2000))
    chunks = extract(office.write_docx(tmp_path / "long.docx", [text]), Limits(max_chunk_chars=1000))
    assert len(chunks) > 10 and all(len(c.text) <= 1000 and c.where == "p1" for c in chunks)
    assert "".join(c.text for c in chunks) == text


@pytest.mark.parametrize("kind", ["xlsx", "ods", "xls"])
def test_max_table_rows_is_respected(tmp_path: Path, kind: str) -> None:
    people: list[list[object]] = [["Name", "Email"]]
    people += [[f"P{i}", f"p{i}@example.org"] for i in range(2, 201)]
    if kind == "xlsx":
        path, sheet, expected = office.write_xlsx(tmp_path / "a.xlsx", {"S": people}), "S", ["p2@example.org"]
    elif kind == "ods":
        path, sheet, expected = office.write_ods(tmp_path / "a.ods", {"S": people}), "S", ["p2@example.org"]
    else:  # the shipped workbook: sheet "Staff" holds a header and three people
        path, sheet, expected = office.write_xls(tmp_path / "a.xls"), "Staff", [NI]
    chunks = extract(path, Limits(max_table_rows=2))  # the header and one row
    assert column(chunks, f"{sheet}!B").text.split("\n") == expected


def test_shipped_samples_are_small() -> None:
    for path in office.SAMPLE_DATA.iterdir():
        assert path.stat().st_size < 50 * 1024, path.name
    assert shutil.which("catdoc") and shutil.which("xls2csv"), "apt-get install catdoc"
