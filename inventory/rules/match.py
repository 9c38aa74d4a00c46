"""Whether a file meets a ``Match``: every condition given must hold; within one list any item may match."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from inventory.rules.facts import FileFacts
from inventory.rules.schema import Match, compile_name
from scanner.globs import compile_glob


@cache
def _globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{compile_glob(p).pattern})" for p in patterns), re.IGNORECASE)


@cache
def _names(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{compile_name(p).pattern})" for p in patterns), re.IGNORECASE)


def _mime_ok(mime: str | None, wanted: tuple[str, ...]) -> bool:
    if mime is None:
        return False
    return any(mime == w or (w.endswith("*") and mime.startswith(w[:-1])) for w in wanted)


def matches(m: Match | None, f: FileFacts) -> bool:
    """True when ``f`` meets every condition of ``m`` (None matches every file)."""
    if m is None:
        return True
    if m.sources and f.source not in m.sources:
        return False
    if m.paths and not _path_match(m.paths, f.path):
        return False
    if m.exclude and _path_match(m.exclude, f.path):
        return False
    if m.names and not _names(m.names).search(f.name):
        return False
    if m.extensions and f.ext not in m.extensions:
        return False
    if m.mime and not _mime_ok(f.mime, m.mime):
        return False
    if m.entities and not (f.entities and ("any" in m.entities or any(e in f.entities for e in m.entities))):
        return False
    if m.special_category and not (
        f.special_category and ("any" in m.special_category or set(m.special_category) & set(f.special_category))
    ):
        return False
    if m.keywords and not set(k.lower() for k in m.keywords) & set(f.keywords):
        return False
    if m.marking and f.marking not in m.marking:
        return False
    if m.min_size is not None and (f.size or 0) < m.min_size:
        return False
    return not m.any_of or any(matches(sub, f) for sub in m.any_of)


def _path_match(globs: tuple[str, ...], path: str) -> bool:
    """A glob matches the file's path, or a folder above it (so 'HR/Occupational Health' covers its files)."""
    return _folder_match(globs, path.rpartition("/")[0]) or bool(_globs(globs).match(path))


@lru_cache(maxsize=65536)
def _folder_match(globs: tuple[str, ...], folder: str) -> bool:
    """Pure and cached: the files of one folder come together, so each folder is tested once."""
    pattern = _globs(globs)
    parts = folder.split("/") if folder else []
    return any(pattern.match("/".join(parts[:i])) for i in range(1, len(parts) + 1))
