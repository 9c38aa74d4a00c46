"""Builders for real office documents, used by the tests and by Steward's bundled sample share.

Each ``write_*`` function writes one file at ``path`` and is deterministic: the same arguments give a
file with the same text (zip timestamps aside). The text is whatever the caller passes, so callers put
synthetic personal data in (Faker ``en_GB``, test NHS/NI numbers), never real data.

Legacy binary formats (.doc, .xls) and the password-protected ODT cannot be written with the Python
libraries Steward depends on, so small files made once with LibreOffice are shipped in
``scanner/samples/data/`` and copied (see ``data/README.md`` for their contents and passwords).
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

SAMPLE_DATA = Path(__file__).with_name("data")
LEGACY_PASSWORD = "Steward-sample-1"  # the password of the shipped encrypted samples

_XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def write_docx(
    path: Path,
    paragraphs: Sequence[str],
    header: str | None = None,
    table: Sequence[Sequence[str]] | None = None,
    footer: str | None = None,
) -> Path:
    """A Word document: paragraphs, then an optional table; optional page header and footer text."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        width = max(len(row) for row in table)
        grid = document.add_table(rows=len(table), cols=width)
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    section = document.sections[0]
    if header is not None:
        section.header.paragraphs[0].text = header
    if footer is not None:
        section.footer.paragraphs[0].text = footer
    document.save(str(path))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], macro_enabled: bool = False) -> Path:
    """An Excel workbook, one sheet per key, rows from A1; ``macro_enabled`` makes an .xlsm (no macros)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if macro_enabled:
        data = _retype_zip(data, "[Content_Types].xml", _XLSX_MAIN, _XLSM_MAIN)
    Path(path).write_bytes(data)
    return path


def _retype_zip(data: bytes, member: str, old: str, new: str) -> bytes:
    """Copy a zip, replacing ``old`` with ``new`` in one text member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == member:
                content = content.replace(old.encode(), new.encode())
            dst.writestr(info, content)
    return out.getvalue()


def write_pptx(path: Path, slides: Sequence[str], notes: Sequence[str] | None = None) -> Path:
    """A PowerPoint deck: one title-and-content slide per text (first line title), optional notes."""
    import pptx

    deck = pptx.Presentation()
    layout = deck.slide_layouts[1]
    for index, text in enumerate(slides):
        slide = deck.slides.add_slide(layout)
        title, _, body = text.partition("\n")
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes and index < len(notes) and notes[index]:
            slide.notes_slide.notes_text_frame.text = notes[index]
    deck.save(str(path))
    return path


def write_odt(path: Path, paragraphs: Sequence[str], heading: str | None = None, header: str | None = None) -> Path:
    """An OpenDocument text file: an optional heading, then paragraphs; optional page header text."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Header, MasterPage, PageLayout
    from odf.text import H, P

    document = OpenDocumentText()
    if header is not None:
        layout = PageLayout(name="Page")
        document.automaticstyles.addElement(layout)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        page_header = Header()
        page_header.addElement(P(text=header))
        master.addElement(page_header)
        document.masterstyles.addElement(master)
    if heading is not None:
        document.text.addElement(H(outlinelevel=1, text=heading))
    for text in paragraphs:
        document.text.addElement(P(text=text))
    document.save(str(path))
    return path


def write_ods(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An OpenDocument spreadsheet, one table per key; numbers are stored as numbers."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for title, rows in sheets.items():
        table = Table(name=title)
        for row in rows:
            table_row = TableRow()
            for value in row:
                if value is None:
                    table_row.addElement(TableCell())
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                    table_row.addElement(cell)
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                    table_row.addElement(cell)
            table.addElement(table_row)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def write_pdf(path: Path, pages: Sequence[str]) -> Path:
    """A PDF with one page per text, each line drawn in Helvetica (Latin-1 text; others become '?')."""
    Path(path).write_bytes(pdf_bytes(pages))
    return path


def pdf_bytes(pages: Sequence[str]) -> bytes:
    """The bytes of a minimal, valid PDF 1.4 holding ``pages`` as real text (extractable)."""
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, text in enumerate(pages):
        lines = [_pdf_string(line) for line in text.splitlines()] or [b"()"]
        stream = b"BT /F1 11 Tf 14 TL 56 780 Td " + b" Tj T* ".join(lines) + b" Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_string(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def write_encrypted_pdf(path: Path, pages: Sequence[str], user_password: str, owner_password: str) -> Path:
    """A PDF encrypted with AES-128. With ``user_password=""`` it opens without a password
    (only the owner password, for permissions, is set) and is readable."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf_bytes(pages))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def write_encrypted_docx(path: Path, paragraphs: Sequence[str], password: str) -> Path:
    """A password-protected Word document (ECMA-376 agile encryption, as Office writes it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = Path(path).with_name(Path(path).name + ".plain.docx")
    write_docx(plain, paragraphs)
    try:
        with open(plain, "rb") as src, open(path, "wb") as dst:
            OOXMLFile(src).encrypt(password, dst)
    finally:
        plain.unlink()
    return path


def write_rtf(path: Path, paragraphs: Sequence[str]) -> Path:
    """A Rich Text Format file, one paragraph per text; non-ASCII characters as \\uN escapes."""
    body = "".join(r"\pard " + _rtf_escape(text) + r"\par" + "\n" for text in paragraphs)
    header = r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Helvetica;}}\f0\fs22" + "\n"
    Path(path).write_text(header + body + "}\n", encoding="ascii")
    return path


def _rtf_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) > 127:
            code = ord(ch) if ord(ch) < 32768 else ord(ch) - 65536
            out.append(f"\\u{code}?")
        else:
            out.append(ch)
    return "".join(out)


def write_doc(path: Path) -> Path:
    """A Word 97-2003 .doc holding the synthetic staff letter described in ``data/README.md``."""
    return _copy("staff-letter.doc", path)


def write_xls(path: Path) -> Path:
    """An Excel 97-2003 .xls with the synthetic staff list described in ``data/README.md``."""
    return _copy("staff-list.xls", path)


def write_encrypted_odt(path: Path) -> Path:
    """A password-protected ODT (password ``LEGACY_PASSWORD``)."""
    return _copy("protected.odt", path)


def write_encrypted_doc(path: Path) -> Path:
    """A Word 97-2003 .doc whose header says it is password-protected (the FIB ``fEncrypted`` flag).

    Only the flag is set (LibreOffice will not write an encrypted .doc); the text itself is not
    encrypted, which is enough to show that Steward trusts the flag and does not read the body.
    """
    import olefile

    _copy("staff-letter.doc", path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        fib = bytearray(ole.openstream("WordDocument").read())
        fib[0x0B] |= 0x01  # FibBase flags word at 0x0A; fEncrypted is bit 8
        ole.write_stream("WordDocument", bytes(fib))
    return path


def _copy(name: str, path: Path) -> Path:
    shutil.copyfile(SAMPLE_DATA / name, path)
    return path
