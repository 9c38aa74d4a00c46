"""Files past a parser's limits and hostile files: an honest status, memory bounded, no crash.

Well-formed files that are merely big (a 10 MB CSV field, a very long line, a sheet with cells far apart)
are read; past Steward's limits they are ``TooLarge``, never ``Corrupt``. Bombs (a zip of 100,000 members,
overlapping entries, entity expansion, external entities, deep nesting) stop fast without reading anything
they point at.
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from extraction import extract, locators

from scanner.errors import TooLarge
from scanner.extractors.notes import collecting
from scanner.extractors.text import MAX_FIELD
from scanner.identify import identify
from scanner.samples.office import write_docx, write_xlsx
from scanner.types import Limits

NI = "AB 12 34 56 C"
NHS = "943 476 5919"


def test_csv_with_a_ten_megabyte_field_is_read(tmp_path: Path) -> None:
    note = "word " * (2 * 1024 * 1024)  # 10 MB of free text in one quoted cell
    path = tmp_path / "notes.csv"
    path.write_text(f'Name,Notes,NI number\nAnn Hughes,"{note}",{NI}\nBen Ward,short,CE 65 43 21 B\n')
    with collecting() as notes:
        chunks = extract(path)
    assert locators(chunks, NI) == ["C2"]
    assert locators(chunks, "CE 65 43 21 B") == ["C3"]
    assert all(len(c.text) <= Limits().max_chunk_chars for c in chunks)
    assert notes == ["a line longer than 100000 characters was read in pieces"]  # recorded as the ok file's reason


def test_csv_field_past_the_field_limit_is_too_large_not_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text('Name,Notes\nAnn,"' + "x" * (MAX_FIELD + 10) + '"\n')
    with pytest.raises(TooLarge):
        extract(path, Limits(max_text_chars=MAX_FIELD * 2))


def test_one_very_long_line_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    path = tmp_path / "one-line.txt"
    with path.open("w") as out:
        out.write(f"NHS number {NHS} ")
        for _ in range(30):
            out.write("filler " * 150_000)  # about 30 MB, no line break anywhere
    limits = Limits(max_text_chars=5_000_000)
    with collecting() as notes:
        chunks = extract(path, limits)
    assert "text beyond 5000000 characters was not read" in notes
    assert NHS in chunks[0].text and chunks[0].where == "line 1"
    assert sum(len(c.text) for c in chunks) == limits.max_text_chars
    assert max(len(c.text) for c in chunks) <= limits.max_chunk_chars


@pytest.mark.parametrize("far", ["XFD1048576", "C1048576", "XFD3"], ids=["corner", "tall", "wide"])
def test_workbook_with_cells_far_apart_is_read_without_holding_the_grid(tmp_path: Path, far: str) -> None:
    """calamine would build the whole used area (17 billion cells for the corner): the prescan sees it."""
    path = write_xlsx(tmp_path / "sparse.xlsx", {"Staff": [["Name", "NI number"], ["Ann Hughes", NI]]})
    data = _add_cell(path.read_bytes(), far, "far away")
    path.write_bytes(data)
    with collecting() as notes:
        chunks = extract(path)
    assert locators(chunks, NI) == ["Staff!B2"]
    if far == "XFD3":
        assert locators(chunks, "far away") == [f"Staff!{far}"]
    else:  # rows past max_table_rows are not read, and the file says so
        assert notes == [f"rows past {Limits().max_table_rows} of a table were not read"]


def _add_cell(xlsx: bytes, ref: str, text: str) -> bytes:
    """The workbook with one more inline-string cell at ``ref`` in its first sheet."""
    row = int("".join(ch for ch in ref if ch.isdigit()))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                cell = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
                if f'<row r="{row}">' in content.decode():
                    content = content.replace(f'<row r="{row}">'.encode(), f'<row r="{row}">{cell}'.encode())
                else:
                    content = content.replace(b"</sheetData>", f'<row r="{row}">{cell}</row></sheetData>'.encode())
            dst.writestr(info.filename, content)
    return out.getvalue()


def test_zip_of_a_hundred_thousand_members_is_refused_from_its_end_record(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(100_000):
            archive.writestr(f"d/f{i:06d}.txt", b"")
    start = time.monotonic()
    with path.open("rb") as fh:
        assert identify(fh, path.name).mime == "application/zip"
    with pytest.raises(TooLarge):
        extract(path)
    assert time.monotonic() - start < 5  # zipfile alone takes seconds and ~60 MB to list them


def test_overlapping_entries_bomb_is_too_large(tmp_path: Path) -> None:
    """Fifield's shape: many directory entries pointing at one highly compressed local member."""
    kernel = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(20 * 1024 * 1024)
    deflated = kernel.compress(zeros) + kernel.flush()
    crc, name = zlib.crc32(zeros), b"a.txt"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), len(zeros), len(name), 0)
    body = local + name + deflated
    central = b""
    for _ in range(1000):
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(deflated),
            len(zeros),
            len(name),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        central += name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1000, 1000, len(central), len(body), 0)
    path = tmp_path / "overlap.zip"
    path.write_bytes(body + central + end)
    start = time.monotonic()
    with pytest.raises(TooLarge):
        extract(path)
    assert time.monotonic() - start < 10


def _docx_with_body(tmp_path: Path, document_xml: bytes) -> Path:
    """A real .docx whose word/document.xml is replaced by ``document_xml``."""
    source = write_docx(tmp_path / "base.docx", ["placeholder"]).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, document_xml if info.filename == "word/document.xml" else src.read(info))
    path = tmp_path / "hostile.docx"
    path.write_bytes(out.getvalue())
    return path


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _paragraphs(*texts: str) -> str:
    return "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in texts)


def test_docx_entity_expansion_is_not_expanded(tmp_path: Path) -> None:
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE d [{laughs}]><w:document {W}><w:body>'
    xml += _paragraphs("&l9;", f"NI {NI}") + "</w:body></w:document>"
    start = time.monotonic()
    try:
        chunks = extract(_docx_with_body(tmp_path, xml.encode()))
    except TooLarge:  # libxml2 refuses the amplification: a bomb, not a damaged file
        chunks = []
    assert time.monotonic() - start < 5
    assert sum(len(c.text) for c in chunks) < 1000  # a billion "lol"s never materialise


def test_docx_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(f"NHS {NHS}")
    xml = f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]><w:document {W}><w:body>'
    xml += _paragraphs("&x;", "visible") + "</w:body></w:document>"
    chunks = extract(_docx_with_body(tmp_path, xml.encode()))
    assert "visible" in "".join(c.text for c in chunks)
    assert not any(NHS in c.text for c in chunks)


def test_docx_past_the_xml_parser_limits_is_too_large_not_corrupt(tmp_path: Path) -> None:
    huge = f"<w:document {W}><w:body>" + _paragraphs("x" * (12 * 1024 * 1024)) + "</w:body></w:document>"
    with pytest.raises(TooLarge):
        extract(_docx_with_body(tmp_path, huge.encode()))
    deep = f"<w:document {W}><w:body>" + "<w:sdt>" * 300 + "</w:sdt>" * 300 + "</w:body></w:document>"
    with pytest.raises(TooLarge):
        extract(_docx_with_body(tmp_path, deep.encode()))


@pytest.mark.parametrize("kind", ["html", "xml"])
def test_one_huge_line_of_markup_is_read_with_memory_bounded(tmp_path: Path, kind: str) -> None:
    """One text node of 24 MB: memory stays near the chunk size rather than a copy of the file or more."""
    path = tmp_path / f"one-line.{kind}"
    with path.open("w") as out:
        out.write("<html><body><p>" if kind == "html" else "<notes><note>")
        for _ in range(24):
            out.write("filler " * 150_000)
        out.write(f"</p><p>NI {NI}</p></body></html>" if kind == "html" else f"</note><ni>{NI}</ni></notes>")
    tracemalloc.start()
    try:
        chunks = extract(path, Limits(max_text_chars=30_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any(NI in c.text for c in chunks)
    assert max(len(c.text) for c in chunks) <= Limits().max_chunk_chars
    assert peak < 48 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB for a 25 MB file"


def test_well_formed_files_the_object_models_called_corrupt_are_read(tmp_path: Path) -> None:
    """python-docx refused macro-enabled Word files; openpyxl's read-only mode failed on chart sheets."""
    import openpyxl

    from scanner.samples.office import _retype_zip

    word = write_docx(tmp_path / "letter.docx", [f"NI {NI}"]).read_bytes()
    docm = tmp_path / "letter.docm"
    main = "wordprocessingml.document.main+xml"
    docm.write_bytes(
        _retype_zip(
            word,
            "[Content_Types].xml",
            f"application/vnd.openxmlformats-officedocument.{main}",
            "application/vnd.ms-word.document.macroEnabled.main+xml",
        )
    )
    assert locators(extract(docm), NI) == ["p1"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Staff"
    sheet.append(["Name", "NI number"])
    sheet.append(["Ann Hughes", NI])
    workbook.create_chartsheet("Chart")
    workbook.save(tmp_path / "charted.xlsx")
    assert locators(extract(tmp_path / "charted.xlsx"), NI) == ["Staff!B2"]
