"""The contract every crawler satisfies, with its optional capabilities declared rather than probed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, ClassVar, Protocol

from scanner.errors import SourceError
from scanner.types import FileEntry, KnownLookup

# What a re-scan compares of a plain regular file (no access list, no change token) before any entry is made for
# it: its path, identity, size, modification time (µs since 1970), mode and group (``Recorder.as_stored``).
StatFacts = tuple[str, str, int, int, int, int]


class Crawler(Protocol):
    """Walks one source. ``iter_entries`` yields every entry (files of a folder before its sub-folders);
    ``open`` returns a readable, seekable binary stream and never changes the file; ``prefetch`` asks the
    storage to start reading files that will be opened soon (a hint: it reads nothing itself and reports
    nothing); ``entry_at`` re-reads one path relative to the root (live folders, single-path re-reads), None when
    it is not there; ``close`` releases connections."""

    known: KnownLookup | None  # set before a re-scan: what the store holds of each entry's permissions
    # The walk holds nothing of the process's own (no connection, no client): it can run in a forked process,
    # which sends ``iter_compact``'s items (plain tuples where it can) for ``expand`` to make entries of; of a
    # plain regular file, ``stat_facts`` gives what a re-scan compares (None for any other item).
    walks_apart: ClassVar[bool]

    def iter_entries(self) -> Iterator[FileEntry]: ...

    def iter_compact(self) -> Iterator[Any]: ...

    def expand(self, item: Any) -> FileEntry: ...

    def stat_facts(self, item: Any) -> StatFacts | None: ...

    def open(self, entry: FileEntry) -> BinaryIO: ...

    def prefetch(self, entries: Sequence[FileEntry]) -> None: ...

    def entry_at(self, rel: str) -> FileEntry | None: ...

    def close(self) -> None: ...


class CrawlerBase:
    """Defaults for the capabilities a source kind may not have: single paths cannot be re-read (so the source
    cannot be watched) and there is nothing to close."""

    source_kind: ClassVar[str] = "this"
    # The installation's key, for change tokens derived from data (a keyed HMAC, never a plain hash).
    hash_key: bytes | None = None
    # What the store holds of each entry's permissions, set before a re-scan: a crawler that can tell an entry's
    # permissions are unchanged (SMB: its ChangeTime) keeps these instead of reading them again.
    known: KnownLookup | None = None
    walks_apart: ClassVar[bool] = False

    def iter_entries(self) -> Iterator[FileEntry]:
        raise NotImplementedError

    def iter_compact(self) -> Iterator[Any]:
        return self.iter_entries()

    def expand(self, item: Any) -> FileEntry:
        return item  # type: ignore[no-any-return]

    def stat_facts(self, item: Any) -> StatFacts | None:
        return None

    def entry_at(self, rel: str) -> FileEntry | None:
        raise SourceError(f"a {self.source_kind} source cannot re-read single paths, so it cannot be watched")

    def prefetch(self, entries: Sequence[FileEntry]) -> None:
        return None  # files are read when opened

    def close(self) -> None:
        return None
