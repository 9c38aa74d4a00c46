"""File types come from content, with containers opened to tell office formats apart."""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import magic
import pytest

from benchmarks.corpus_files import write_mixed, write_small
from scanner.identify import _ZIPS, HEAD_BYTES, _container, _csv_by_libmagic, _sniff, _zip_type, extension, identify
from scanner.samples import office

DATA = Path(__file__).with_name("data")

CASES: list[tuple[str, Callable[[Path], object], str]] = [
    (
        "letter.docx",
        lambda p: office.write_docx(p, ["Dear Sarah"], header="OFFICIAL"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "staff.xlsx",
        lambda p: office.write_xlsx(p, {"Staff": [["Name"], ["Sarah"]]}),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "staff.xlsm",
        lambda p: office.write_xlsx(p, {"Staff": [["Name"], ["Sarah"]]}, macro_enabled=True),
        "application/vnd.ms-excel.sheet.macroEnabled.12",
    ),
    (
        "deck.pptx",
        lambda p: office.write_pptx(p, ["Title\nBody"]),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("minutes.odt", lambda p: office.write_odt(p, ["Minutes"]), "application/vnd.oasis.opendocument.text"),
    (
        "budget.ods",
        lambda p: office.write_ods(p, {"S": [["Cost"], [1]]}),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    ("report.pdf", lambda p: office.write_pdf(p, ["Report"]), "application/pdf"),
    ("memo.rtf", lambda p: office.write_rtf(p, ["Memo"]), "text/rtf"),
    ("letter.doc", office.write_doc, "application/msword"),
    ("staff.xls", office.write_xls, "application/vnd.ms-excel"),
    (
        "locked.docx",
        lambda p: office.write_encrypted_docx(p, ["Secret"], "pw"),
        "application/x-ooxml-encrypted",
    ),
    ("note.msg", lambda p: shutil.copyfile(DATA / "outlook-note.msg", p), "application/vnd.ms-outlook"),
]


def _identify(path: Path, name: str | None = None) -> tuple[str, bool]:
    with open(path, "rb") as fh:
        found = identify(fh, name or path.name)
        assert fh.tell() == 0
    return found.mime, found.extension_mismatch


@pytest.mark.parametrize(("name", "build", "mime"), CASES, ids=[c[0] for c in CASES])
def test_each_format_is_identified_by_content(
    tmp_path: Path, name: str, build: Callable[[Path], object], mime: str
) -> None:
    path = tmp_path / name
    build(path)
    assert _identify(path) == (mime, False)
    # the name plays no part: the same bytes under a meaningless name are the same type
    assert _identify(path, "unnamed.bin") == (mime, False)


def test_docx_named_pdf_is_a_docx_with_a_mismatch(tmp_path: Path) -> None:
    path = office.write_docx(tmp_path / "invoice.pdf", ["Invoice for Sarah Thompson"])
    assert _identify(path) == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        True,
    )


def test_zip_named_txt_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    assert _identify(path) == ("application/zip", True)


def test_legacy_and_outlook_files_swapped_names_are_mismatches(tmp_path: Path) -> None:
    doc = office.write_doc(tmp_path / "staff.xls")
    assert _identify(doc) == ("application/msword", True)
    msg = shutil.copyfile(DATA / "outlook-note.msg", tmp_path / "note.doc")
    assert _identify(msg) == ("application/vnd.ms-outlook", True)


def test_xlsx_whose_head_lacks_the_content_types_is_still_xlsx(tmp_path: Path) -> None:
    path = office.write_xlsx(tmp_path / "staff.xlsx", {"Staff": [["Name", "NHS number"], ["Sarah", "943 476 5919"]]})
    head = path.read_bytes()[:2048]
    assert magic.Magic(mime=True).from_buffer(head) == "application/zip"  # libmagic alone cannot tell
    assert _identify(path)[0] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_text_extension_breaks_ties_only_among_text_types(tmp_path: Path) -> None:
    rows = "Name,Email\nSarah Thompson,sarah@example.org\n"
    (tmp_path / "people.csv").write_text(rows)
    (tmp_path / "people.tsv").write_text(rows.replace(",", "\t"))
    (tmp_path / "people.txt").write_text("Sarah Thompson lives in Leamington Spa.\n")
    assert _identify(tmp_path / "people.csv") == ("text/csv", False)
    assert _identify(tmp_path / "people.tsv") == ("text/tab-separated-values", False)
    assert _identify(tmp_path / "people.txt") == ("text/plain", False)
    pdf = office.write_pdf(tmp_path / "people2.csv", ["Name"])
    assert _identify(pdf) == ("application/pdf", True)


def test_empty_file_and_unknown_extension(tmp_path: Path) -> None:
    (tmp_path / "empty.docx").write_bytes(b"")
    assert _identify(tmp_path / "empty.docx") == ("inode/x-empty", False)
    docx = office.write_docx(tmp_path / "export.dat", ["Sarah"])
    assert _identify(docx)[1] is False


def test_stream_position_is_restored(tmp_path: Path) -> None:
    path = office.write_xls(tmp_path / "staff.xls")
    with open(path, "rb") as fh:
        fh.seek(100)
        assert identify(fh, "staff.xls").mime == "application/vnd.ms-excel"
        assert fh.tell() == 0


TEXTS = {
    "letter": "Jill Thomas\n1 Smith Park\nSolihull\nCV5 0FZ\n\nDear Miss Thomas,\nThe Scrutiny Board met on 3 May.\n",
    "marked letter": "OFFICIAL-SENSITIVE\nJill Thomas\n1 Smith Park\nSolihull\n\nDear Miss Thomas,\nThe Board met.\n",
    "marked minutes": "NOT PROTECTIVELY MARKED\r\nMinutes of the Scrutiny Board, 3 May.\r\nPresent: the Chair.\r\n",
    "quoted letter": 'Dear Jo,\nShe said "yes, we will", and the Board agreed.\nRegards, Al Smith, Chair\n',
    "log": "2024-01-05 10:00:01 user=jsmith signed in from 10.0.0.4\n2024-01-05 10:02:13 report opened\n",
    "csv in a txt": "Name,Ward,Phone\nJo Bloggs,Westwood,024 7678 9000\nAl Smith,Earlsdon,024 7678 9001\n",
    "mail in a txt": "From: Colin Dunn <colin.dunn@example.org>\nTo: Jo Wong\nSubject: the plan\n\nHi Jo,\n",
    "news article": "Article 8 of the Convention protects private life.\nThe panel agreed.\n",
    "makefile": "The targets are below.\nall: build\n\t$(CC) -o app main.c\n.PHONY: all\n",
    "m4": "The macros follow.\ndnl a comment\ndefine(`NAME', `value')\n",
    "printer language": "PA the council agreed the plan on Monday.\nSecond line.\n",
    "html": "<!DOCTYPE html>\n<html><head><title>Minutes</title></head><body><p>Dear Jo</p></body></html>\n",
    "xhtml": '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>Hi</body></html>\n',
}


@pytest.mark.parametrize("label", sorted(TEXTS))
@pytest.mark.parametrize("ext", ["txt", "log", "html"])
def test_text_files_get_the_type_libmagic_gives_their_content(tmp_path: Path, label: str, ext: str) -> None:
    """Plain prose and plain HTML are named without asking libmagic; whatever is named that way, and anything
    else a .txt or .html file holds (CSV, a mail, a makefile), gets the type libmagic gives its content."""
    data = TEXTS[label].encode()
    path = tmp_path / f"file.{ext}"
    path.write_bytes(data)
    with path.open("rb") as fh:
        found = identify(fh, path.name).mime
    expected = magic.Magic(mime=True).from_buffer(data)
    assert found == expected
    if label in ("marked letter", "marked minutes", "quoted letter") and ext != "html":
        assert _sniff(data, ext) == "text/plain"  # prose under a marking, or quoting, is named without libmagic


@pytest.mark.parametrize("kind", ["small", "mixed"])
def test_sniffed_types_equal_libmagic_on_generated_trees(tmp_path: Path, kind: str) -> None:
    """Every file of the generated trees that ``_sniff`` names gets libmagic's type, and most text files are
    named without it."""
    (write_small if kind == "small" else write_mixed)(tmp_path, 2000 if kind == "small" else 300)
    libmagic = magic.Magic(mime=True)
    sniffed = texts = 0
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        head = path.read_bytes()[:HEAD_BYTES]
        ext = extension(path.name)
        texts += ext in {"txt", "csv", "html", "log", "eml"}
        found = _sniff(head, ext)
        if found is not None:
            sniffed += 1
            assert found == libmagic.from_buffer(head), path.name
    assert sniffed > texts * 0.5


def test_documents_named_without_libmagic_get_its_type(tmp_path: Path) -> None:
    """A PDF, an RTF document and an ODF or OOXML package are named from their head and members without asking
    libmagic, and get the type libmagic gives them (refined by the package's members as before); a zip that is
    neither (here an e-book and a plain archive) is still named by libmagic."""
    write_mixed(tmp_path, 300)
    for name, make, _ in CASES:
        make(tmp_path / name)
    with zipfile.ZipFile(tmp_path / "book.epub", "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("OEBPS/content.opf", "<package/>")
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.writestr("a.txt", "hello")
    libmagic = magic.Magic(mime=True)
    named = 0
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
            expected = libmagic.from_buffer(head)
            if expected in _ZIPS:
                expected = _zip_type(fh) or expected
            fh.seek(0)
            known = _container(fh, head)
            fh.seek(0)
            found = identify(fh, path.name).mime
        if known is not None:
            named += 1
            assert known == found == expected, path.name
        elif path.suffix in (".epub", ".zip", ".pdf", ".rtf", ".docx", ".xlsx", ".pptx", ".odt", ".ods"):
            if head.startswith(b"\xd0\xcf\x11\xe0"):  # a password-protected package is an OLE file: libmagic names it
                continue
            assert path.suffix in (".epub", ".zip") and found == expected, path.name
    assert named > 150


_HEADERS = {
    "From": "Jo Bloggs <jo.bloggs@example.org>",
    "Received": "from mx1.example.org by mail.council.gov.uk",
    "Return-Path": "<jo.bloggs@example.org>",
    "Delivered-To": "records@council.gov.uk",
    "Date": "Mon, 1 Jan 2024 10:00:00 +0000",
    "To": '"Wong, Al" <al.wong@example.org>, team@example.org',
    "Subject": "Re: the plan, the budget",
}
_BODIES = {
    "prose": "Hi Al,\n\nThe notes are below.\n\nJo\n",
    "html": "<html><body><table><tr><td>Jo</td></tr></table></body></html>\n",
    "csv": "name,dob\nJo,1990-01-01\nAl,1991-02-02\n",
    "shell": "#!/bin/sh\necho $HOME\n<?php echo 1; ?>\n",
    "pounds": "It cost \u00a3500 \u2014 caf\u00e9 bill.\n",
}
_EMBEDDED = {  # a message whose body holds another format's marker, which libmagic names instead
    "script": ("```js\nconst stream = require('node:stream');\n```\n", "application/javascript"),
    "pdf header": ("%PDF-1.4 (the first line of the scan, pasted)\n", "application/pdf"),
}
_MAIL_FIRST = ("From", "Received", "Date", "Return-Path", "Delivered-To")


def _message(first: str, body: str, newline: str) -> str:
    order = [first] + [h for h in _HEADERS if h != first]
    return "".join(f"{h}: {_HEADERS[h]}{newline}" for h in order) + newline + body


@pytest.mark.parametrize("first", sorted(_HEADERS))
@pytest.mark.parametrize("body", sorted(_BODIES))
@pytest.mark.parametrize("ext", ["eml", "txt"])
def test_messages_get_the_type_libmagic_gives_them(first: str, body: str, ext: str) -> None:
    """A message in UTF-8 that opens with a header line of libmagic's mail rules is named without libmagic, as
    libmagic names it, commas and quotes in its first lines or not; one in another encoding, or opening with
    another header, is left to libmagic."""
    for newline in ("\n", "\r\n"):
        text = _message(first, _BODIES[body], newline)
        for data in (text.encode(), text.encode("cp1252")):
            expected = magic.Magic(mime=True).from_buffer(data)
            found = _sniff(data, ext)
            assert found in (None, expected)
            if first in _MAIL_FIRST and data == text.encode():
                assert found == "message/rfc822"
            else:
                assert found is None


@pytest.mark.parametrize("embedded", sorted(_EMBEDDED))
def test_a_message_holding_another_formats_marker_is_read_as_a_message(tmp_path: Path, embedded: str) -> None:
    """libmagic names the format whose marker sits in the body (a script Steward does not read, a PDF it would
    fail to parse); the file is a message, and is identified and read as one."""
    body, libmagic_says = _EMBEDDED[embedded]
    path = tmp_path / "reply.eml"
    path.write_text(f"From: {_HEADERS['From']}\nSubject: the scan\n\n{body}Jo Bloggs, NHS number 943 476 5919.\n")
    assert magic.Magic(mime=True).from_file(str(path)) == libmagic_says
    assert _identify(path) == ("message/rfc822", False)


def test_the_csv_test_before_the_mail_rules_is_libmagics() -> None:
    """A message is named without libmagic only when libmagic's CSV test, which runs before its mail rules, fails;
    that test is ported, and gives libmagic's answer on CSV-shaped text of every kind."""
    rnd = random.Random(3)
    cells = ["a", "b,c", '"x,y"', '"q""r"', "1", "", '"two\nlines"', "Date: Mon, 1 Jan 2024"]
    libmagic = magic.Magic(mime=True)
    for _ in range(400):
        width = rnd.randint(1, 4)
        rows = [",".join(rnd.choice(cells) for _ in range(width if rnd.random() < 0.8 else rnd.randint(1, 5)))]
        rows += [",".join(rnd.choice(cells) for _ in range(width)) for _ in range(rnd.randint(0, 13))]
        data = ("\n".join(rows) + ("\n" if rnd.random() < 0.7 else "")).encode()
        assert _csv_by_libmagic(data) == (libmagic.from_buffer(data) == "text/csv"), data


_TABLE_CELLS = [
    "Jo Bloggs",
    "jo.bloggs@example.org",
    "024 7678 9000",
    "CV1 2AB",
    "12 High Street, Coventry",
    "2024-03-05",
    "N/A",
    "#12",
    "first_name",
    "(2)",
    "https://www.example.org/",
    '"quoted"',
    "GB33BUKB20201555555555",
    "1,234.50",
]
_TABLE_MARKERS = {  # cells that make libmagic name another format, or that it searches for
    "script": "typeof a === 'b'",
    "module": "module.exports = x",
    "html": "<b>bold</b>",
    "rtf": "{\\rtf1 x}",
    "pdf": "%PDF-1.4",
    "require": "require('x')",
}


def test_tables_of_tab_separated_values_get_the_type_libmagic_gives_them(tmp_path: Path) -> None:
    """A .tsv table of plain cells is named without libmagic (text/plain, then tab-separated by its extension), as
    libmagic names it; one holding a cell libmagic's rules look for is left to libmagic."""
    rnd = random.Random(6)
    libmagic = magic.Magic(mime=True)
    named = 0
    for i in range(300):
        rows = [["Name", "Email", "Phone", "Postcode", "Address", "Date", "Note", "Ref"]]
        rows += [
            [rnd.choice(("Jo Bloggs", "Al Smith", "C1042")), *(rnd.choice(_TABLE_CELLS) for _ in range(7))]
            for _ in range(rnd.randint(1, 30))
        ]
        if i % 3 == 0:
            marker = _TABLE_MARKERS[sorted(_TABLE_MARKERS)[i % len(_TABLE_MARKERS)]]
            rows[rnd.randrange(1, len(rows))][rnd.choice((0, 3))] = marker  # a row's first cell, or inside
        data = "".join("\t".join(row) + "\n" for row in rows).encode()
        found = _sniff(data, "tsv")
        assert found in (None, libmagic.from_buffer(data)), data
        named += found is not None
    assert named > 150  # most plain tables are named without libmagic
    path = tmp_path / "export.tsv"
    path.write_text("Name\tWard\nJo Bloggs\tWestwood\n")
    assert _identify(path) == ("text/tab-separated-values", False)


def test_csv_files_named_without_libmagic_get_its_type() -> None:
    """A .csv file of plain UTF-8 CSV is named text/csv without libmagic, as libmagic names it; what libmagic
    tests before CSV (JSON, JSON lines, a tar header), other encodings and control characters are left to it."""
    libmagic = magic.Magic(mime=True)
    rnd = random.Random(5)
    cells = ["a", "Jo Bloggs", "1", "1.5", "é", "", '"x,y"', '"q""r"', "true", "-3", '"two\nlines"']
    named = 0
    for _ in range(600):
        width = rnd.randint(1, 5)
        rows = [",".join(rnd.choice(cells) for _ in range(width)) for _ in range(rnd.randint(1, 14))]
        data = (rnd.choice(["", "\ufeff", " "]) + "\n".join(rows) + "\n").encode()
        found = _sniff(data, "csv")
        named += found is not None
        assert found is None or found == libmagic.from_buffer(data), data
    assert named > 200
    others = {
        "json": b"[[1,2,3],\n[4,5,6],\n[7,8,9],\n[1,2,3]]\n",
        "json lines": b'{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n{"a":3,"b":"z"}\n',
        "latin-1": "name,ward\nJos\xe9,North\nAl,South\nJo,East\n".encode("latin-1"),
        "control": b"name,ward\nJo\x1b,North\nAl,South\nJo,East\n",
        "tar": b"name,ward\x00\x00\x00\nAl,South\nJo,East\nMo,West\n",
    }
    for label, data in others.items():
        assert _sniff(data, "csv") is None, label
        with io.BytesIO(data) as fh:
            assert identify(fh, "export.csv").mime == libmagic.from_buffer(data), label
