"""Orders content work by risk: exposure and likely sensitivity first, from metadata alone.

The score is computed from what the walk already knows (no file is opened): how widely the file is readable
(mode bits, broad ACL entries), whether its folders or name suggest a sensitive service, its type, and its size.
``by_risk`` sorts the entries of bounded batches, so memory stays flat however large the tree: the order is
exact within a batch of ``batch`` consecutive entries of the walk and follows the walk between batches (a global
order would need the whole tree in memory or a second walk). With a time budget this means each run reads the
riskiest files of every stretch of the tree first, and the next run carries on from there.
"""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache

from scanner.principals import broad_sid
from scanner.types import FileEntry

# Folder and file names that suggest a council service holding personal or special-category data.
SENSITIVE_WORDS = (
    "social care",
    "social services",
    "safeguarding",
    "child",
    "children",
    "adult",
    "looked after",
    "fostering",
    "adoption",
    "sen",
    "send",
    "pupil",
    "school",
    "education",
    "health",
    "medical",
    "patient",
    "occupational",
    "mental",
    "disab",
    "hr",
    "personnel",
    "payroll",
    "salar",
    "pension",
    "recruit",
    "disciplinar",
    "grievance",
    "sickness",
    "absence",
    "staff",
    "employee",
    "benefit",
    "revenues",
    "council tax",
    "housing",
    "homeless",
    "tenan",
    "legal",
    "court",
    "complaint",
    "fraud",
    "police",
    "crime",
    "offend",
    "youth justice",
    "asylum",
    "immigration",
    "export",
    "extract",
    "dump",
    "backup",
    "confidential",
    "sensitive",
    "personal",
    "private",
)
DATA_EXTENSIONS = frozenset(
    {"csv", "tsv", "xlsx", "xlsm", "xls", "ods", "mdb", "accdb", "sql", "json", "xml", "dbf", "sav", "bak"}
)
DOCUMENT_EXTENSIONS = frozenset({"docx", "doc", "odt", "rtf", "pdf", "msg", "eml", "txt", "pptx", "zip"})
# Read by OCR (seconds a page): within each batch these follow every other file, riskiest first among them.
OCR_EXTENSIONS = frozenset({"tif", "tiff", "png", "jpg", "jpeg", "bmp", "gif"})
BROAD_PRINCIPALS = ("everyone", "authenticated users", "domain users", "users", "all staff", "world")


@cache
def _sensitive() -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in SENSITIVE_WORDS)
    return re.compile(rf"(?:^|[^a-z])(?:{words})", re.IGNORECASE)


def exposure(entry: FileEntry) -> float:
    """0 (owner only) to 5 (anyone may change it)."""
    score = 0.0
    if entry.mode is not None:
        if entry.mode & stat.S_IROTH:
            score += 2.0
        if entry.mode & stat.S_IWOTH:
            score += 2.0
        if entry.mode & stat.S_IWGRP:
            score += 0.5
    for fact in entry.acl:
        broad = broad_sid(fact.principal) or any(p in fact.principal.lower() for p in BROAD_PRINCIPALS)
        if fact.allow and broad:
            score += 2.0 if fact.rights == "read" else 3.0
            break
    return min(score, 5.0)


def _words(text: str) -> int:
    return len(_sensitive().findall(text.replace("_", " ").replace("-", " ")))


@lru_cache(maxsize=4096)
def _folder_words(folder: str) -> int:
    """Sensitive words in a folder's path, counted once for all its files (a walk gives a folder's files together)."""
    return _words(folder)


def sensitivity(entry: FileEntry, ext: str | None = None) -> float:
    """0 to 5: a sensitive folder or name, a data extract or document type, a larger file."""
    score = 0.0
    # No word runs across a "/" (which a word's leading non-letter can be), so the path's words are the folder's
    # and the name's.
    folder, _, name = entry.path.rpartition("/")
    score += min(_folder_words(folder) + _words(name), 2) * 1.5
    if ext is None:
        ext = _extension(name)
    if ext in DATA_EXTENSIONS:
        score += 1.5
    elif ext in DOCUMENT_EXTENSIONS:
        score += 0.75
    if entry.size:
        score += min(math.log10(entry.size + 1) / 8, 0.5)  # more records, more exposure; up to 100 MB
    return score


def _extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def risk_score(entry: FileEntry, ext: str | None = None) -> float:
    """Exposure times likely sensitivity, with a floor so private files still order by sensitivity."""
    return (1.0 + exposure(entry)) * (0.5 + sensitivity(entry, ext))


def _order(entry: FileEntry) -> tuple[bool, float]:
    """Cheaper work first (images, which need OCR, last), then riskiest first."""
    ext = _extension(entry.name)
    return ext in OCR_EXTENSIONS, -risk_score(entry, ext)


def by_risk(entries: Iterable[FileEntry], batch: int) -> Iterator[FileEntry]:
    """The entries, riskiest first within each batch of ``batch`` (0 or 1: in the order given); images, which
    need OCR, after the other files of their batch."""
    if batch <= 1:
        yield from entries
        return
    pending: list[FileEntry] = []
    for entry in entries:
        pending.append(entry)
        if len(pending) >= batch:
            yield from sorted(pending, key=_order)
            pending.clear()
    yield from sorted(pending, key=_order)
