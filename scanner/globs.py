"""Include/exclude glob patterns over "/"-separated relative paths (``**`` spans folders)."""

from __future__ import annotations

import re
from functools import cache


@cache
def compile_glob(pattern: str) -> re.Pattern[str]:
    """``**/`` matches any number of folders, ``*`` and ``?`` stay within one path segment."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE)


class PathFilter:
    """Decides which files to scan and which folders to prune."""

    def __init__(self, include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
        self._include = _union(include)
        self._exclude = _union(exclude)
        self._include_all = "**" in include

    def wants_file(self, rel: str) -> bool:
        if self._exclude and self._exclude.match(rel):
            return False
        return self._include_all or bool(self._include and self._include.match(rel))

    def wants_dir(self, rel: str) -> bool:
        return not (self._exclude and (self._exclude.match(rel) or self._exclude.match(rel + "/")))


def _union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for a list of globs: a single match per path, however many patterns."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{compile_glob(p).pattern})" for p in patterns), re.IGNORECASE)
