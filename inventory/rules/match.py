"""Whether a file meets a ``Match``: every condition given must hold; within one list any item may match.

A ``Match`` is compiled once into a predicate that tests only the conditions it sets, cheapest first (an
evaluation asks each retention class's match about every file it classifies: a million questions per 100,000
files); path globs are answered once per folder."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache

from inventory.rules.facts import FileFacts
from inventory.rules.schema import Match, compile_name
from scanner.globs import compile_glob

Check = Callable[[FileFacts], bool]
FOLDERS = 65536  # folders whose answer a path condition remembers
_compiled: dict[int, tuple[Match, Check]] = {}  # by id, holding the Match so that its id is not reused


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
    return m is None or compiled(m)(f)


def compiled(m: Match) -> Check:
    found = _compiled.get(id(m))
    if found is None or found[0] is not m:
        if len(_compiled) > 4096:  # rule books loaded again and again (a long-running service)
            _compiled.clear()
        found = _compiled[id(m)] = (m, _compile(m))
    return found[1]


def _compile(m: Match) -> Check:
    checks: list[Check] = []
    if m.sources:
        sources = frozenset(m.sources)
        checks.append(lambda f: f.source in sources)
    if m.extensions:
        extensions = frozenset(m.extensions)
        checks.append(lambda f: f.ext in extensions)
    if m.min_size is not None:
        least = int(m.min_size)
        checks.append(lambda f: (f.size or 0) >= least)
    if m.mime:
        mime = m.mime
        checks.append(lambda f: _mime_ok(f.mime, mime))
    if m.marking:
        marking = frozenset(m.marking)
        checks.append(lambda f: f.marking in marking)
    if m.entities:
        entities, every = m.entities, "any" in m.entities
        checks.append(lambda f: bool(f.entities) and (every or any(e in f.entities for e in entities)))
    if m.special_category:
        wanted, every = frozenset(m.special_category), "any" in m.special_category
        checks.append(lambda f: bool(f.special_category) and (every or not wanted.isdisjoint(f.special_category)))
    if m.keywords:
        words = frozenset(k.lower() for k in m.keywords)
        checks.append(lambda f: not words.isdisjoint(f.keywords))
    if m.names:
        search = _names(m.names).search
        checks.append(lambda f: search(f.name) is not None)
    if m.paths:
        checks.append(_path_check(m.paths))
    if m.exclude:
        excluded = _path_check(m.exclude)
        checks.append(lambda f: not excluded(f))
    if m.any_of:
        subs = tuple(_compile(sub) for sub in m.any_of)
        checks.append(lambda f: any(sub(f) for sub in subs))
    if not checks:
        return lambda f: True
    if len(checks) == 1:
        return checks[0]
    every_check = tuple(checks)
    return lambda f: all(check(f) for check in every_check)


def _path_check(globs: tuple[str, ...]) -> Check:
    """A glob matches the file's path, or a folder above it; each folder's answer is kept."""
    pattern = _globs(globs)
    folders: dict[str, bool] = {}

    def check(f: FileFacts) -> bool:
        folder = f.path.rpartition("/")[0]
        hit = folders.get(folder)
        if hit is None:
            if len(folders) >= FOLDERS:
                folders.clear()
            hit = folders[folder] = _folder_hit(pattern, folder)
        return hit or pattern.match(f.path) is not None

    return check


def _folder_hit(pattern: re.Pattern[str], folder: str) -> bool:
    parts = folder.split("/") if folder else []
    return any(pattern.match("/".join(parts[:i])) for i in range(1, len(parts) + 1))


def _path_match(globs: tuple[str, ...], path: str) -> bool:
    """A glob matches the file's path, or a folder above it (so 'HR/Occupational Health' covers its files)."""
    return _folder_match(globs, path.rpartition("/")[0]) or bool(_globs(globs).match(path))


@lru_cache(maxsize=65536)
def _folder_match(globs: tuple[str, ...], folder: str) -> bool:
    """Pure and cached: the files of one folder come together, so each folder is tested once."""
    return _folder_hit(_globs(globs), folder)
