"""Core value types passed between the scanner's stages (frozen, picklable)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from scanner.identifiers import IdentifierDigest
from scanner.picklable import by_fields


class Status(StrEnum):
    """The outcome recorded for every entry a crawler finds."""

    OK = "ok"
    ENCRYPTED = "encrypted"
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    DEFERRED = "deferred"  # pages left for OCR when the run's OCR budget was spent: read again next scan
    CORRUPT = "corrupt"
    UNSUPPORTED = "unsupported"
    UNREADABLE = "unreadable"
    DENIED = "denied"  # permission denied on stat, open or listing
    VANISHED = "vanished"  # listed, then gone before it could be read
    SPECIAL = "special"  # FIFO, socket or device: never read
    LINK = "link"  # symbolic link: never followed


@by_fields
@dataclass(frozen=True, slots=True)
class AccessFact:
    """One access-control entry: who may (or may not, ``allow=False``) read, write or do everything.
    ``inherited`` marks an entry inherited from the parent folder rather than set on the item itself."""

    principal: str  # "CORP\\MapInfo Users", a SID, or a uid/gid name
    rights: Literal["read", "write", "full"]
    allow: bool = True
    inherited: bool = False


@by_fields
@dataclass(frozen=True, slots=True)
class KnownAccess:
    """What the store holds of one entry's permissions: its ChangeTime when they were last read, owner and ACL.
    ``exact``: False when the store keeps times to the second only (the comparison is then to the second)."""

    ctime: datetime | None
    owner: str | None
    acl: tuple[AccessFact, ...]
    exact: bool = True


# A folder's path ("" for the root) -> {path of each entry in it: what the store holds of it}.
KnownLookup = Callable[[str], Mapping[str, KnownAccess]]


@by_fields
@dataclass(frozen=True, slots=True)
class TableFacts:
    """What a database crawler knows of a table or view before reading it (the map tier)."""

    schema: str
    name: str
    kind: Literal["table", "view"] = "table"
    columns: tuple[tuple[str, str], ...] = ()  # (column name, declared type), in table order
    rows_estimated: bool = False  # size is the planner's estimate, not an exact count
    storage_bytes: int | None = None  # on-disk size (data and indexes) when the engine says
    modified_from: str | None = None  # where "modified" and the change token came from


@by_fields
@dataclass(frozen=True, slots=True)
class FileEntry:
    """One item found by a crawler. ``status`` is set when the crawler already knows it cannot be read."""

    source: str
    path: str  # relative to the source root, "/"-separated
    identity: str  # "dev:inode" locally; survives renames
    size: int | None
    mtime: datetime | None
    ctime: datetime | None = None
    atime: datetime | None = None
    uid: int | None = None
    gid: int | None = None
    mode: int | None = None
    owner: str | None = None  # account name or SID
    acl: tuple[AccessFact, ...] = ()
    status: Status = Status.OK
    reason: str | None = None
    # "folder": a folder's own facts (owner, ACL), yielded before its files; never opened or read.
    kind: Literal["file", "folder"] = "file"
    # The content type when the crawler knows it (a database sample is text/csv): identification is skipped.
    mime: str | None = None
    # A change token compared with the store along with identity, size and mtime, for sources whose times
    # do not tell every change (database statistics counters, a hash of a table's sample).
    version: str | None = None
    table: TableFacts | None = None  # database tables and views

    @property
    def dir(self) -> str:
        return self.path.rpartition("/")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


@by_fields
@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of extracted text with where it came from and context words (headers, sheet names)."""

    text: str
    where: str  # "p3" | "Staff!C" | "body" | "att:cv.docx/p1" | "zip:a/b.txt/p1"
    context: tuple[str, ...] = ()
    # A table column (CSV, sheet, database sample): ``text`` holds one cell value per line, ``column`` is
    # the header and ``first_row`` the row number of the first line, so a cell's locator is
    # f"{where}{first_row + line_index}" ("Staff!C" + "7" -> "Staff!C7").
    column: str | None = None
    first_row: int | None = None


@by_fields
@dataclass(frozen=True, slots=True)
class Detection:
    """Per file and entity type. Never holds the raw value: a masked example and locators only."""

    entity: str
    count: int
    best_score: float
    example: str
    where: tuple[str, ...] = ()
    recognizer: str | None = None
    validated: bool = False
    context_words: tuple[str, ...] = ()


@by_fields
@dataclass(frozen=True, slots=True)
class FileObservation:
    entry: FileEntry
    mime: str | None
    status: Status
    reason: str | None = None  # error class and message; never document text
    detections: tuple[Detection, ...] = ()
    extension_mismatch: bool = False
    special_category: tuple[str, ...] = ()  # e.g. ("health", "criminal_offence")
    marking: str | None = None  # protective marking found, e.g. "OFFICIAL-SENSITIVE"
    chunks: int = 0
    chars: int = 0
    # Document properties (author, last modified by) of Office and PDF files: who wrote it, never content.
    authors: tuple[str, ...] = ()
    columns: tuple[ColumnRead, ...] = ()  # how detection read each table column (CSV, sheets, database samples)
    content_hash: str | None = None  # keyed HMAC-SHA256 of the bytes, only when Reading.hash_* asks for it
    keywords: tuple[str, ...] = ()  # Reading.keywords found in the text (lower case)
    ocr: OcrFacts | None = None  # set when any of the file's text was read by OCR (scanner.extractors.ocr)
    # Keyed digests of identifiers with their locators, for the subject-access index (only with a hash key).
    identifiers: tuple[IdentifierDigest, ...] = ()


@by_fields
@dataclass(frozen=True, slots=True)
class ColumnRead:
    """One table column as detection read it: ``where`` is its locator prefix ("C", "Staff!C")."""

    where: str
    column: str
    rows: int
    sampled: int
    entity: str | None  # the type the column took (most of its sampled values match it)
    matched: int  # sampled rows holding that type
    found: tuple[tuple[str, int], ...] = ()  # every entity counted in the column, with its row count


@by_fields
@dataclass(frozen=True, slots=True)
class Reading:
    """What the rules want learnt from each file while it is open (set by the inventory, passed to workers).

    ``hash_min_size``/``hash_personal``: compute a keyed content hash for files at least that large, or holding
    personal data; ``keywords``: words or phrases to look for in the extracted text (case-insensitive).
    """

    hash_min_size: int | None = None
    hash_personal: bool = False
    keywords: tuple[str, ...] = ()


@by_fields
@dataclass(frozen=True, slots=True)
class OcrFacts:
    """How OCR read a file: pages that had no text layer, pages read, confidence (0-100) and why it stopped."""

    pages: int  # pages (or image frames) that needed OCR
    read: int  # of those, pages OCR read
    mean_confidence: float | None  # mean word confidence over the pages read
    low_confidence: int  # pages read whose mean word confidence is below OcrLimits.low_confidence
    note: str | None = None  # "OCR read 3 of 12 pages (page limit)"
    deferred: int = 0  # pages left for a later run because the run's OCR budget was spent


@by_fields
@dataclass(frozen=True, slots=True)
class OcrLimits:
    """Bounds on OCR (``extract.ocr`` in config.yaml). ``run_pages`` is shared by the run's worker processes
    on one machine through a counter file named by ``run_token``; 0 = no run budget."""

    enabled: bool = True
    max_pages: int = 50  # pages OCR reads per file
    page_seconds: float = 60.0  # Tesseract stops recognising one page after this (wall-clock seconds)
    file_seconds: float = 90.0  # OCR stops after this much per file (pages read so far are kept)
    run_pages: int = 0  # pages OCR reads per run, all files together (0 = no limit)
    run_token: str = ""  # names the run's shared page counter
    dpi: int = 300  # resolution PDF pages are rendered at
    low_confidence: float = 60.0  # a page whose mean word confidence is below this is counted as low
    language: str = "eng"


@by_fields
@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on the work done for one file. Containers pass ``nested()`` copies to their members."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_seconds: float = 120.0
    max_text_chars: int = 20_000_000  # extracted text per file; the rest is not read
    max_chunk_chars: int = 100_000
    max_archive_depth: int = 3
    max_archive_members: int = 2_000
    max_expanded_bytes: int = 500 * 1024 * 1024
    max_table_rows: int = 50_000  # rows of one sheet or CSV read
    max_worker_bytes: int = 1024 * 1024 * 1024  # memory a worker may take beyond what it was forked with
    max_worker_files: int = 0  # files a worker reads before a fresh one is forked in its place (0: never)
    depth: int = 0
    ocr: OcrLimits = OcrLimits()
    metadata: bool = True  # image EXIF/XMP/IPTC and document author fields read as personal data (extract.metadata)

    def nested(self) -> Limits:
        from dataclasses import replace

        return replace(self, depth=self.depth + 1)
