"""The contract every crawler satisfies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol

from scanner.types import FileEntry


class Crawler(Protocol):
    """Walks one source. ``iter_entries`` yields every entry (files of a folder before its sub-folders);
    ``open`` returns a readable, seekable binary stream and never changes the file."""

    def iter_entries(self) -> Iterator[FileEntry]: ...

    def open(self, entry: FileEntry) -> BinaryIO: ...
