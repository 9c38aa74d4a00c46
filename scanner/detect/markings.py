"""Protective markings (Government Security Classifications and legacy GPMS/IL markings) found in a file's
first lines or in header/footer chunks give a suggested classification for the file."""

from __future__ import annotations

import re

# Found marking -> suggested current classification (conservative for legacy markings; see docs/detection.md).
SUGGESTED = {
    "OFFICIAL": "OFFICIAL",
    "OFFICIAL-SENSITIVE": "OFFICIAL-SENSITIVE",
    "SECRET": "SECRET",
    "TOP SECRET": "TOP SECRET",
    "PROTECT": "OFFICIAL",
    "RESTRICTED": "OFFICIAL-SENSITIVE",
    "CONFIDENTIAL": "OFFICIAL-SENSITIVE",
    "IL0": "OFFICIAL",
    "IL1": "OFFICIAL",
    "IL2": "OFFICIAL",
    "IL3": "OFFICIAL-SENSITIVE",
    "IL4": "SECRET",
    "IL5": "SECRET",
    "IL6": "TOP SECRET",
}
RANK = {"OFFICIAL": 1, "OFFICIAL-SENSITIVE": 2, "SECRET": 3, "TOP SECRET": 4}

# A line that is a marking, optionally "Classification:" before it and a short descriptor after it
# ("OFFICIAL-SENSITIVE: PERSONAL", "PROTECT - STAFF"). Upper case only, except "Official Sensitive".
_LINE = re.compile(
    r"^\W{0,3}(?:(?i:classification|security classification|protective marking)\s*:\s*)?"
    r"(?P<m>TOP SECRET|SECRET|OFFICIAL[ \t]*[-–—:]?[ \t]*SENSITIVE"
    r"|Official[ \t]*[-–—]?[ \t]*Sensitive|OFFICIAL"
    r"|PROTECT|RESTRICTED|CONFIDENTIAL|IL[0-6])"
    r"(?:[ \t]*[-–—:/][ \t]*[A-Z][A-Za-z]*(?:[ \t]+[A-Z][A-Za-z]*){0,3})?\W{0,3}$",
    re.MULTILINE,
)


def normalise(found: str) -> str:
    upper = found.upper()
    return "OFFICIAL-SENSITIVE" if "SENSITIVE" in upper else upper


def find_marking(text: str) -> tuple[str, str] | None:
    """(marking as found, normalised; suggested classification) of the highest marking in ``text``."""
    best: tuple[str, str] | None = None
    for m in _LINE.finditer(text):
        found = normalise(m.group("m"))
        suggested = SUGGESTED[found]
        if best is None or RANK[suggested] > RANK[best[1]]:
            best = (found, suggested)
    return best


def head_lines(text: str, lines: int) -> str:
    out = text.lstrip()[:4000].split("\n", lines)
    return "\n".join(out[:lines])
