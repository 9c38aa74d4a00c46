"""What a file is, by its content: a MIME type from libmagic, refined for containers.

libmagic alone is not enough for office files (ENVIRONMENT.md §3): on a head of a few KB it calls an
xlsx ``application/zip`` and a .doc, .xls or .msg ``application/x-ole-storage``, because the telling
parts (zip member names, the compound file's directory) can sit anywhere in the file. So:

- libmagic reads a 64 KB head;
- a zip is opened (central directory) and named by its members: ``mimetype`` for ODF,
  ``[Content_Types].xml`` / ``word/``, ``xl/``, ``ppt/`` for OOXML (macro-enabled variants included);
- an OLE compound file is opened with olefile and named by its streams: ``WordDocument`` (Word),
  ``Workbook``/``Book`` (Excel), ``PowerPoint Document``, ``__substg1.0_*`` (Outlook message), and
  ``EncryptionInfo`` + ``EncryptedPackage`` (a password-protected OOXML file: ``ENCRYPTED_OOXML``);
- a head that opens ``%PDF-`` or ``{\\rtf``, or a zip whose members name it an ODF or OOXML package, is named
  without libmagic (its answer for those is the same, and it costs a tenth of a millisecond a document);
- the file name is used only to break ties among text types (``.csv``, ``.tsv``) and to flag files
  whose content clearly disagrees with their extension. An unknown extension never disagrees.

libmagic costs about half a millisecond on a small text file (it tries every text rule it knows), which was a
quarter of the work on a share of small files. So where the extension says text and the content shows at a
glance that libmagic's answer can only be the expected one, that answer is given without asking it
(``_sniff``): plain prose in a .txt or .log file (printable text with none of the marks that libmagic's text
rules look for: markup, code, headers, scripts), under a protective marking line or not; an .html file that opens
with its doctype or ``<html>``; a table of plain cells in a .tsv or .tab file; and a message in an .eml, .txt or
.log file that opens with one of the header lines libmagic's mail rules look for.
Anything else, however slightly unusual, still goes to libmagic.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from typing import BinaryIO

import magic
import olefile

log = logging.getLogger(__name__)

HEAD_BYTES = 64 * 1024
EMPTY = "inode/x-empty"
ENCRYPTED_OOXML = "application/x-ooxml-encrypted"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PPTM = "application/vnd.ms-powerpoint.presentation.macroEnabled.12"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
MSG = "application/vnd.ms-outlook"

_OOXML_MAIN = {  # [Content_Types].xml main part type -> MIME
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.ms-word.document.macroEnabled.main+xml": DOCM,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": XLSM,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml": PPTM,
}
_OOXML_DIRS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_ZIPS = {"application/zip", "application/x-zip-compressed", DOCX, XLSX, PPTX}
_OLES = {
    "application/x-ole-storage",
    "application/CDFV2",
    "application/vnd.ms-office",
    "application/encrypted",
}
_TEXT_BY_EXT = {"csv": "text/csv", "tsv": "text/tab-separated-values", "tab": "text/tab-separated-values"}
_NO_OPINION = {EMPTY, "application/octet-stream"}

_OOXML_ANY = (DOCX, DOCM, XLSX, XLSM, PPTX, PPTM, ENCRYPTED_OOXML)
_ACCEPT: dict[str, tuple[str, ...]] = {  # extension -> acceptable MIME types; "x/" accepts a family
    "pdf": ("application/pdf",),
    "docx": (DOCX, DOCM, ENCRYPTED_OOXML),
    "docm": (DOCX, DOCM, ENCRYPTED_OOXML),
    "dotx": (DOCX, DOCM, ENCRYPTED_OOXML),
    "xlsx": (XLSX, XLSM, ENCRYPTED_OOXML),
    "xlsm": (XLSX, XLSM, ENCRYPTED_OOXML),
    "pptx": (PPTX, PPTM, ENCRYPTED_OOXML),
    "odt": (ODT,),
    "ods": (ODS,),
    "odp": ("application/vnd.oasis.opendocument.presentation",),
    "doc": (DOC, "text/rtf", *_OLES),
    "dot": (DOC, *_OLES),
    "xls": (XLS, *_OLES),
    "ppt": (PPT, *_OLES),
    "msg": (MSG, *_OLES),
    "rtf": ("text/rtf", "application/rtf"),
    "txt": ("text/",),
    "log": ("text/",),
    "csv": ("text/", "application/csv"),
    "tsv": ("text/",),
    "json": ("application/json", "text/"),
    "xml": ("application/xml", "text/"),
    "html": ("text/",),
    "htm": ("text/",),
    "eml": ("message/rfc822", "text/"),
    "zip": ("application/zip", "application/x-zip-compressed"),
    "gz": ("application/gzip", "application/x-gzip"),
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "gif": ("image/gif",),
}


# Plain prose, as libmagic's rules would see it (checked against libmagic on tens of thousands of files and
# generated texts; anything that fails one of these checks is given to libmagic):
# - printable characters only, none of the marks its text rules look for (markup, braces, shebangs, comment
#   leaders, escapes);
_PROSE_CHARS = re.compile(rb"[^\x00-\x08\x0b\x0e-\x1f\x7f<>{}\[\]#\\`|~^;$*_]*")
# - no line that opens like code, a directive, a makefile, a diff or a troff request;
_NOT_PROSE_LINE = re.compile(
    rb"^[ \t]*(?:[.'/+!(&%\"=:@-]|from |import |def |class |package |public (?:class|static|interface|abstract|"
    rb"final|void|enum)|private |protected |function |var |const |static |struct |begin |diff |index |msgid|"
    rb"msgstr|digraph |graph |subgraph |module |program |procedure |unit |interface |library |entity |"
    rb"architecture |use |require |sub |my |local |set |echo |if |for |while |print|return |goto |call |"
    rb"rem |dnl|extern|union|typedef|cflags|ldflags|vpath|subdirs|all:|clean:|install:|only in |common subdirectories|"
    rb"binary files |forward to |pipe to )",
    re.IGNORECASE | re.MULTILINE,
)
# - and nothing a rule searches for anywhere (makefile targets, Windows policy templates);
_NOT_PROSE = re.compile(rb"\.(?:phony|precious|suffixes|default|include)|class (?:machine|user)", re.IGNORECASE)
# - not CSV by libmagic's own CSV test, which it runs before any rule (``_csv_by_libmagic``: quotes and commas are
#   prose's too);
# - a first line that is not a mail or news header ("From: ...", "Received: ...");
_HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]*:")
# - and it opens with a capitalised word (not one of libmagic's capitalised signatures: news articles, diffs)
#   or a digit; an all-capitals start can be a printer language or an image header.
_PROSE_START = re.compile(r"(?!.diff)(?:[A-Z][a-z](?<!Ar)|\d)")
# A protective marking on a line of its own above the prose (UK government classifications, current and older) is
# read past: libmagic gave text/plain for every generated prose text under each of them.
_MARKING = re.compile(
    r"(?:OFFICIAL(?:[ -]{1,3}SENSITIVE(?:[ :-]{1,3}(?:PERSONAL|COMMERCIAL))?)?|TOP SECRET|SECRET|"
    r"NOT PROTECTIVELY MARKED|PROTECT|RESTRICTED|CONFIDENTIAL|UNCLASSIFIED)[ \t]*\r?\n"
)
# A message: a head that opens with one of the header lines libmagic's mail rules look for at its start (matched
# as they match them: "From:", "Received:" and "Date:" in that case, "Return-Path:" and "Delivered-To:" in any), in text
# it would call text (no control characters, valid UTF-8) and that its CSV test cannot take. libmagic answers
# the same for such a head unless the message's text holds another format's marker that outranks its mail rules
# (a script, an SVG drawing, a PDF header quoted in the body): it then names that format, which Steward would
# not read or would fail to, where the file is a message and is read as one (docs/performance.md).
_MAIL_START = re.compile(rb"(?:From:|Received:|Date:|(?i:return-path:|delivered-to:))")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAIL_EXTENSIONS = frozenset({"eml", "txt", "log"})
# A table of tab-separated values in a .tsv or .tab file, which libmagic names text/plain after trying every text
# rule (over a millisecond): UTF-8 text with no control characters but tabs, a tab in each of its first lines, no
# line that opens like code, no markup, escapes or script markers (which libmagic's rules search for: a cell reading
# "typeof" makes it a script), and not taken by its CSV test; libmagic gave text/plain for every such table
# generated with Faker, hostile cells included (docs/performance.md).
_TSV_EXTENSIONS = frozenset({"tsv", "tab"})
_NOT_TSV = re.compile(
    rb"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f<>{}\\`]|%PDF-|typeof|module\.exports|^[ \t]*(?:require\(|export )", re.MULTILINE
)
_HTML_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*<(?:!doctype html[ >]|html[ >])", re.IGNORECASE)
_PROSE_EXTENSIONS = frozenset({"txt", "log"})
_HTML_EXTENSIONS = frozenset({"html", "htm"})
_CSV_LINES = 10  # libmagic calls text CSV when its first ten lines agree on their number of commas


def _sniff(head: bytes, ext: str) -> str | None:
    """libmagic's answer for plain prose in a .txt/.log file, a plain .html file, a plain table in a .tsv/.tab file,
    plain CSV in a .csv file or a message in an .eml, .txt or .log file, or None to ask libmagic."""
    if ext in _MAIL_EXTENSIONS and _MAIL_START.match(head):
        return "message/rfc822" if _is_mail_text(head) else None
    if ext in _PROSE_EXTENSIONS:
        if _HEADER_LINE.match(head) or _csv_by_libmagic(head) or not _PROSE_CHARS.fullmatch(head):
            return None
        if _NOT_PROSE_LINE.search(head) or _NOT_PROSE.search(head):
            return None
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            return None
        marking = _MARKING.match(text)
        if not _PROSE_START.match(text, marking.end() if marking else 0):
            return None
        if not text.isprintable() and not _printable_lines(text):
            return None
        return "text/plain"
    if ext in _TSV_EXTENSIONS:
        return "text/plain" if _is_plain_table(head) else None
    if ext == "csv":
        return "text/csv" if _is_plain_csv(head) else None
    if ext in _HTML_EXTENSIONS and _HTML_START.match(head) and b"\x00" not in head:
        return "text/html"
    return None


def _is_plain_table(head: bytes) -> bool:
    lines = head.split(b"\n", _CSV_LINES)[:_CSV_LINES]
    if not all(b"\t" in line for line in lines if line.strip()) or _NOT_TSV.search(head):
        return False
    return not (_NOT_PROSE_LINE.search(head) or _NOT_PROSE.search(head)) and _utf8_not_csv(head)


def _is_plain_csv(head: bytes) -> bool:
    """UTF-8 text that libmagic's CSV test takes, and that none of the tests it runs before could: a tar header
    holds NULs, and JSON that a CSV test could take opens with a bracket or a brace (a lone string or number is
    all of a JSON text, and a CSV line holds a comma after its first value)."""
    if _CONTROL.search(head) or head.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] in (b"[", b"{"):
        return False
    return _csv_by_libmagic(head) and _utf8(head)


def _utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_mail_text(head: bytes) -> bool:
    return not _CONTROL.search(head) and _utf8_not_csv(head)


def _utf8_not_csv(head: bytes) -> bool:
    """UTF-8 text that libmagic's CSV test, run before any of its rules, does not take."""
    return not _csv_by_libmagic(head) and _utf8(head)


_CSV_MARKS = re.compile(rb'["\n]')  # the commas between two marks are counted at once


def _csv_by_libmagic(head: bytes) -> bool:
    """libmagic's own CSV test on a text buffer (``csv_parse`` in its is_csv.c), which it runs before any magic
    rule: over its first ten lines (at least three), every line holds the same number of commas outside double
    quotes, and at least one; a quoted field may run on over newlines, and a doubled quote inside it is a quote.
    The same answer as libmagic's on 42,686 texts (generated, /usr/share/doc, and random CSV-shaped lines)."""
    fields = first = lines = 0
    at = 0
    while (mark := _CSV_MARKS.search(head, at)) is not None:
        fields += head.count(b",", at, mark.start())
        at = mark.end()
        if head[mark.start()] == 0x22:  # a quote: its field runs to the first character after a lone closing quote
            at = _past_quote(head, at)
        else:
            lines += 1
            if lines == _CSV_LINES:
                return first != 0 and first == fields
            if first == 0:
                if fields == 0:
                    return False
                first = fields
            elif first != fields:
                return False
            fields = 0
    return first != 0 and lines > 2


def _past_quote(head: bytes, at: int) -> int:
    while (start := head.find(b'"', at)) >= 0:
        end = start
        while end < len(head) and head[end] == 0x22:
            end += 1
        if (end - start) % 2:  # an odd run of quotes: the last one closes the field
            return end
        at = end  # doubled quotes are quotes inside the field
    return len(head)


def _printable_lines(text: str) -> bool:
    return all(line.isprintable() for line in text.replace("\t", " ").replace("\r\n", "\n").split("\n"))


@dataclass(frozen=True, slots=True)
class Identified:
    mime: str
    extension_mismatch: bool  # the content clearly disagrees with the file name's extension


@cache
def _magic() -> magic.Magic:
    return magic.Magic(mime=True)


def identify(fh: BinaryIO, name: str) -> Identified:
    """Identify a seekable stream by its content; ``name`` only breaks ties. Leaves ``fh`` at 0."""
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    ext = extension(name)
    if not head:
        return Identified(EMPTY, False)
    known = _container(fh, head)
    if known is not None:
        fh.seek(0)
        return Identified(known, mismatch(known, ext))
    try:
        mime = _sniff(head, ext) or _magic().from_buffer(head)
    except magic.MagicException as exc:
        log.debug("libmagic failed on %s (%s)", name, type(exc).__name__)
        mime = "application/octet-stream"
    try:
        if mime in _ZIPS and not head.startswith(_ZIP):  # a zip head's members were read by ``_container``
            mime = _zip_type(fh) or mime
        elif mime in _OLES or (mime in {DOC, XLS, PPT, MSG} and head.startswith(olefile.MAGIC)):
            mime = _ole_type(fh) or mime
        elif mime in {"text/plain", "text/csv"} and ext in _TEXT_BY_EXT:
            mime = _TEXT_BY_EXT[ext]
    finally:
        fh.seek(0)
    return Identified(mime, mismatch(mime, ext))


_PDF, _RTF, _ZIP = b"%PDF-", b"{\\rtf", b"PK\x03\x04"


def _container(fh: BinaryIO, head: bytes) -> str | None:
    """libmagic's answer, refined as ``identify`` refines it, for a head that can only be a PDF, an RTF document
    or an ODF or OOXML package (a zip whose members name it), without asking libmagic (a tenth of a millisecond
    a document); None for any other head, and for a zip that is neither (libmagic names it)."""
    if head.startswith(_PDF):
        return "application/pdf"
    if head.startswith(_RTF):
        return "text/rtf"
    if head.startswith(_ZIP):
        return _zip_type(fh)
    return None


def extension(name: str) -> str:
    """The lower-case extension of a file name or path, without the dot ("" when there is none)."""
    base = name.replace("\\", "/").rpartition("/")[2]
    stem, dot, ext = base.rpartition(".")
    return ext.lower() if dot and stem else ""


def mismatch(mime: str, ext: str) -> bool:
    """True when ``mime`` is not one the extension ``ext`` allows. Unknown extensions never mismatch."""
    accepted = _ACCEPT.get(ext)
    if accepted is None or mime in _NO_OPINION:
        return False
    return not any(mime.startswith(a) if a.endswith("/") else mime == a for a in accepted)


def _zip_type(fh: BinaryIO) -> str | None:
    """ODF or OOXML type from a zip's member names, or None when it is some other (or a broken) zip."""
    from scanner.errors import TooLarge
    from scanner.extractors.guards import PACKAGE_MAX_PARTS, check_zip_directory, package_zip

    try:
        check_zip_directory(fh, PACKAGE_MAX_PARTS)
    except TooLarge:
        return None  # too many members for a document: the archive extractor reports it
    try:
        archive = package_zip(fh)  # read again from here by the extractor and the properties
        names = set(archive.namelist())
        if "mimetype" in names:
            declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
            if declared.startswith("application/vnd.oasis.opendocument."):
                return declared
        if "[Content_Types].xml" in names and archive.getinfo("[Content_Types].xml").file_size < 1 << 20:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            for main, found in _OOXML_MAIN.items():
                if main in types:
                    return found
        for prefix, found in _OOXML_DIRS.items():
            if any(n.startswith(prefix) for n in names):
                return found
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError, NotImplementedError) as exc:
        log.debug("not a readable zip (%s); keeping libmagic's type", type(exc).__name__)
    return None


def _ole_type(fh: BinaryIO) -> str | None:
    """Office type of an OLE compound file from its stream names, or None when they say nothing."""
    fh.seek(0)
    try:
        with olefile.OleFileIO(fh) as ole:
            streams = {"/".join(path) for path in ole.listdir(streams=True, storages=False)}
    except (OSError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        log.debug("not a readable OLE file (%s); keeping libmagic's type", type(exc).__name__)
        return None
    if {"EncryptionInfo", "EncryptedPackage"} <= streams:
        return ENCRYPTED_OOXML
    if "WordDocument" in streams:
        return DOC
    if "Workbook" in streams or "Book" in streams:
        return XLS
    if "PowerPoint Document" in streams:
        return PPT
    if any(s.startswith("__substg1.0_") for s in streams):
        return MSG
    return None
