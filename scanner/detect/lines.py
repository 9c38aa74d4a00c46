"""Where a match is: the locator of the line that holds it, in a unit of text made of one chunk or of several
short chunks read together.

A chunk located by its first line ("line 12", "att:notes.txt/line 3") locates each of its lines by number
("line 14" for its third line); any other locator ("p3", "page 2", "body") holds for all the chunk's lines.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_LINE = re.compile(r"^(.*\bline )(\d+)$")


@dataclass(frozen=True, slots=True)
class _Segment:
    start: int  # offset of the segment in the unit's text
    where: str
    unit: int  # the chunk id, for special-category co-occurrence
    prefix: str | None  # "line " when the segment is located by line number
    first: int  # the number of the segment's first line
    text: str


class Lines:
    """Maps offsets in a unit's text to the locator of their own line and to their chunk's id."""

    def __init__(self, segments: list[_Segment]):
        self._segments = segments
        self._starts = [s.start for s in segments]

    @classmethod
    def of(cls, where: str, unit: int, text: str, line: int = 0) -> Lines:
        """One chunk (or a piece of one starting ``line`` lines into it)."""
        m = _LINE.match(where)
        segment = _Segment(0, where, unit, m.group(1) if m else None, int(m.group(2)) + line if m else 0, text)
        return cls([segment])

    @classmethod
    def joined(cls, parts: list[tuple[str, str, int]]) -> tuple[str, Lines]:
        """Several short chunks (text, where, chunk id) as one text, a line each."""
        segments, pos = [], 0
        for text, where, unit in parts:
            m = _LINE.match(where)
            segments.append(_Segment(pos, where, unit, m.group(1) if m else None, int(m.group(2)) if m else 0, text))
            pos += len(text) + 1
        return "\n".join(p[0] for p in parts), cls(segments)

    def _segment(self, offset: int) -> _Segment:
        return self._segments[max(0, bisect.bisect_right(self._starts, offset) - 1)]

    def where(self, offset: int) -> str:
        seg = self._segment(offset)
        if seg.prefix is None:
            return seg.where
        return f"{seg.prefix}{seg.first + seg.text.count(chr(10), 0, offset - seg.start)}"

    def unit(self, offset: int) -> int:
        return self._segment(offset).unit
