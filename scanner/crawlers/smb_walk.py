"""The pipelined walk of one SMB share: listings fetched ahead of need, security descriptors of many entries in
flight at once, entries still yielded in walk order (a folder, its files, then its sub-folders, by name).

Each folder is listed by one compound (CREATE, the folder's own security descriptor when it is wanted, two
QUERY_DIRECTORY pages, CLOSE); folders still to visit are listed ahead of the walk, up to ``ahead`` at once.
Each file's owner and DACL come from one compound (CREATE for READ_CONTROL only, QUERY_INFO, CLOSE) sent as
soon as the file is listed; up to ``window`` entries wait for their replies while the walk goes on.

A re-scan passes ``known``: for each folder, what the store holds of its children (ChangeTime, owner, DACL).
An entry whose ChangeTime (which moves whenever its security descriptor changes) is the one stored keeps the
stored owner and DACL and costs no request at all. Identical descriptors are parsed once and shared.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from scanner.crawlers import smb_wire as w
from scanner.crawlers.smb_security import access_facts, parse_descriptor
from scanner.globs import PathFilter
from scanner.types import AccessFact, FileEntry, KnownAccess, KnownLookup, Status

ACCESS_DENIED = 0xC0000022
NOT_FOUND = (0xC0000034, 0xC000003A, 0xC0000225)
REPARSE_POINT, DIRECTORY = 0x400, 0x10
OPEN_REPARSE_POINT = 0x00200000
LIST = w.LIST_DIRECTORY | w.READ_ATTRIBUTES | w.SYNCHRONIZE


Access = tuple[str | None, tuple[AccessFact, ...]]


def why(status: int | None) -> str:
    if status == ACCESS_DENIED:
        return "access denied"
    if status in NOT_FOUND:
        return "not found"
    return f"NTSTATUS 0x{status or 0:08X}"


class _Item:
    """One entry on its way out: done when its security descriptor (if asked for) has arrived."""

    __slots__ = ("access", "flight", "folder", "info", "reason", "rel", "status")

    def __init__(self, rel: str, info: w.DirEntry | None, folder: bool, status: Status, reason: str | None) -> None:
        self.rel, self.info, self.folder, self.status, self.reason = rel, info, folder, status, reason
        self.flight: w.Flight | None = None
        self.access: Access | None = None


class _Listing:
    __slots__ = ("flight", "with_security")

    def __init__(self, flight: w.Flight, with_security: bool) -> None:
        self.flight, self.with_security = flight, with_security


class Walk:
    def __init__(
        self,
        wire: w.Wire,
        tid: int,
        source: str,
        prefix: str,
        path_filter: PathFilter,
        known: KnownLookup | None = None,
        label: str = "",
        window: int = 96,
        ahead: int = 24,
    ) -> None:
        """``prefix``: the folder walked inside the share; ``label``: put before every entry's path (the share's
        name when a source covers several shares)."""
        self.wire, self.tid, self.source, self.prefix, self.filter = wire, tid, source, prefix, path_filter
        self.label = label
        self.known, self.window, self.ahead = known, window, ahead
        self.out: deque[_Item] = deque()
        self.listings: dict[str, _Listing] = {}
        self.descriptors: dict[bytes, Access] = {}  # identical descriptors parsed once, facts shared
        self.read = self.reused = 0  # security descriptors read and reused from the store

    def path(self, rel: str) -> str:
        """The entry's path as the source records it."""
        if self.label:
            return f"{self.label}/{rel}" if rel else self.label
        return rel or "."

    def share_path(self, rel: str) -> str:
        tail = rel.replace("/", "\\")
        return f"{self.prefix}\\{tail}" if self.prefix and tail else self.prefix or tail

    # -- the walk ---------------------------------------------------------------------------------------------
    def entries(self) -> Iterator[FileEntry]:
        stack: list[tuple[str, w.DirEntry | None, KnownAccess | None]] = [("", None, None)]
        while stack:
            rel, info, known = stack.pop()
            listing = self.listings.pop(rel, None) or self._list(rel, known is None)
            folder = _Item(rel, info, True, Status.OK, None)
            children, problem = self._receive_listing(rel, listing, folder, known)
            self._emit(folder, known)
            if problem:
                problem_item = _Item(rel, None, False, problem[0], f"folder cannot be listed: {problem[1]}")
                self._emit(problem_item, None, read=False)
            kids = self.known(self.path(rel) if rel or self.label else "") if self.known else {}
            subdirs: list[tuple[str, w.DirEntry | None, KnownAccess | None]] = []
            for entry in sorted(children):
                child = f"{rel}/{entry[0]}" if rel else entry[0]
                if entry[1] & REPARSE_POINT:
                    if self.filter.wants_file(child):
                        item = _Item(child, entry, False, Status.LINK, "reparse point (link), not followed")
                        self._emit(item, kids.get(self.path(child)), OPEN_REPARSE_POINT)
                elif entry[1] & DIRECTORY:
                    if self.filter.wants_dir(child):
                        subdirs.append((child, entry, kids.get(self.path(child))))
                elif self.filter.wants_file(child):
                    self._emit(_Item(child, entry, False, Status.OK, None), kids.get(self.path(child)))
                yield from self._ready()
            stack.extend(reversed(subdirs))
            self._prefetch(stack)
            self.wire.flush()
            yield from self._ready()
        while self.out:
            yield self._finish(self.out.popleft())

    def _ready(self) -> Iterator[FileEntry]:
        """Entries at the front whose replies are in; the oldest waited for when the window is full."""
        out = self.out
        while out and (len(out) > self.window or out[0].flight is None or out[0].flight.done.is_set()):
            yield self._finish(out.popleft())

    def _emit(self, item: _Item, known: KnownAccess | None, options: int = 0, read: bool = True) -> None:
        if item.access is None and read:  # a folder's descriptor may have come with its listing
            if self._unchanged(item.info, known):
                assert known is not None
                item.access = (known.owner, known.acl)
                self.reused += 1
            else:
                self._make_room(4)
                path = self.share_path(item.rel)
                item.flight = self.wire.send(
                    [w.create(path, w.READ_CONTROL, options), w.query_security(), w.close()], self.tid
                )
                self.read += 1
        self.out.append(item)

    def _make_room(self, credits: int) -> None:
        """Wait for the oldest replies until ``credits`` are free (the window grows as the server grants more)."""
        if self.wire.room() >= credits:
            return
        pending = [i.flight for i in self.out if i.flight is not None] + [x.flight for x in self.listings.values()]
        for flight in pending:
            if self.wire.room() >= credits:
                return
            self.wire.wait(flight)

    def _finish(self, item: _Item) -> FileEntry:
        if item.flight is not None:
            replies = self.wire.wait(item.flight)
            status, body = replies[1] if replies[0][0] == w.SUCCESS else replies[0]
            item.access = self._access(w.buffer_of(body)) if status == w.SUCCESS else None
            if status != w.SUCCESS and item.status is Status.OK:
                item.reason = f"permissions cannot be read: {why(status)}"
        owner, acl = item.access or (None, ())
        info = item.info
        return FileEntry(
            source=self.source,
            path=self.path(item.rel),
            identity=f"smb:{info[6]}" if info is not None else f"smb:path:{self.path(item.rel)}",
            size=None if item.folder or info is None else info[2],
            mtime=w.filetime(info[3]) if info is not None else None,
            ctime=w.filetime(info[4]) if info is not None else None,
            atime=w.filetime(info[5]) if info is not None else None,
            owner=owner,
            acl=acl,
            status=item.status,
            reason=item.reason,
            kind="folder" if item.folder else "file",
        )

    def _access(self, descriptor: bytes) -> Access:
        found = self.descriptors.get(descriptor)
        if found is None:
            security = parse_descriptor(descriptor)
            found = self.descriptors[descriptor] = (security.owner, access_facts(security.aces))
        return found

    # -- listings ---------------------------------------------------------------------------------------------
    def _list(self, rel: str, with_security: bool) -> _Listing:
        path = self.share_path(rel)
        access = LIST | (w.READ_CONTROL if with_security else 0)
        messages = [w.create(path, access, w.DIRECTORY_FILE)]
        if with_security:
            messages.append(w.query_security())
        messages += [w.query_directory(), w.query_directory(), w.close()]
        return _Listing(self.wire.send(messages, self.tid), with_security)

    def _prefetch(self, stack: list[tuple[str, w.DirEntry | None, KnownAccess | None]]) -> None:
        for rel, info, known in reversed(stack[-self.ahead :]):
            if len(self.listings) >= self.ahead or self.wire.room() < 16:
                return
            if rel not in self.listings:
                self.listings[rel] = self._list(rel, not self._unchanged(info, known))

    @staticmethod
    def _unchanged(info: w.DirEntry | None, known: KnownAccess | None) -> bool:
        if known is None or info is None or known.ctime is None:
            return False
        ctime = w.filetime(info[4])
        return known.ctime == (ctime if known.exact else ctime.replace(microsecond=0))

    def _receive_listing(
        self, rel: str, listing: _Listing, folder: _Item, known: KnownAccess | None
    ) -> tuple[list[w.DirEntry], tuple[Status, str] | None]:
        replies = self.wire.wait(listing.flight)
        if listing.with_security:
            if replies[0][0] != w.SUCCESS:  # perhaps READ_CONTROL alone is refused: list without it
                return self._receive_listing(rel, self._list(rel, False), folder, known)
            folder.access = self._access(w.buffer_of(replies[1][1]))
            self.read += 1
            replies = replies[:1] + replies[2:]
        status = replies[0][0]
        if status != w.SUCCESS:
            kind = Status.DENIED if status == ACCESS_DENIED else Status.VANISHED if status in NOT_FOUND else None
            return [], (kind or Status.UNREADABLE, why(status))
        entries: list[w.DirEntry] = []
        for page_status, body in replies[1:3]:
            if page_status == w.NO_MORE_FILES:
                return entries, None
            if page_status != w.SUCCESS:
                return entries, (Status.UNREADABLE, why(page_status))
            entries += w.dir_entries(w.buffer_of(body))
        return self._list_all(rel)

    def _list_all(self, rel: str) -> tuple[list[w.DirEntry], tuple[Status, str] | None]:
        """A folder with more than two pages of entries: listed again, page after page, on one handle."""
        size = self.wire.max_payload
        opening = [w.create(self.share_path(rel), LIST, w.DIRECTORY_FILE), w.query_directory(output=size)]
        replies = self.wire.call(opening, self.tid)
        if replies[0][0] != w.SUCCESS:
            return [], (Status.UNREADABLE, why(replies[0][0]))
        handle = w.file_id_of(replies[0][1])
        entries: list[w.DirEntry] = []
        status, body = replies[1]
        while status == w.SUCCESS:
            entries += w.dir_entries(w.buffer_of(body))
            [(status, body)] = self.wire.call([w.query_directory(handle, output=size)], self.tid)
        self.wire.send([w.close(handle)], self.tid, related=False)
        return entries, None if status == w.NO_MORE_FILES else (Status.UNREADABLE, why(status))
