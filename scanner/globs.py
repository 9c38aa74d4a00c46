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
        self._include = [compile_glob(p) for p in include]
        self._exclude = [compile_glob(p) for p in exclude]
        self._include_all = "**" in include

    def wants_file(self, rel: str) -> bool:
        if any(p.match(rel) for p in self._exclude):
            return False
        return self._include_all or any(p.match(rel) for p in self._include)

    def wants_dir(self, rel: str) -> bool:
        return not any(p.match(rel) or p.match(rel + "/") for p in self._exclude)
