"""Walks a local or mounted directory tree, read-only, whatever its names, depth or path lengths.

Every folder is opened relative to its parent's descriptor (``openat`` style, ``O_NOFOLLOW | O_DIRECTORY``
and ``O_NOATIME`` where allowed) and every file is looked at relative to its folder's (``fstatat``), so no
path is ever handed to the kernel whole: a path longer than PATH_MAX, or thousands of folders deep, is read
like any other. The walk is an explicit stack (no recursion) that holds a bounded number of descriptors and
reopens an ancestor, checking it is still the same folder, only when it has sub-folders left to visit.

Names stay as they are (``str`` with undecodable bytes as lone surrogates; ``scanner.names``). Links are
recorded and never followed; FIFOs, sockets and devices are recorded and never opened. Anything that goes
wrong with one entry (stat, listing, a folder that vanished, turned into a file or became unreadable
mid-walk) becomes that entry's status and reason, and the walk goes on; only a root that cannot be opened
fails the source. Files are opened the same way, one folder at a time from the root with ``O_NOFOLLOW``
(``..`` refused), so a read never leaves the root, and only a regular file is ever read.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import BinaryIO, NamedTuple

from scanner.config import LocalSource
from scanner.crawlers.base import CrawlerBase, StatFacts
from scanner.crawlers.local_fds import FILE_FLAGS, DirCache, open_dir, open_noatime
from scanner.crawlers.local_lookers import Lookers
from scanner.crawlers.local_prefetch import Prefetcher
from scanner.errors import ItemError, SourceError
from scanner.globs import PathFilter
from scanner.names import readable
from scanner.types import FileEntry, Status

log = logging.getLogger(__name__)

SPECIAL_KINDS = {
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}
MAX_OPEN_FOLDERS = 64  # descriptors the walk keeps for ancestors with sub-folders still to visit


def ns_to_datetime(ns: int) -> datetime:
    """To the microsecond (exact: a float of microseconds since 1970 resolves well under half of one)."""
    return datetime.fromtimestamp(ns // 1000 / 1e6, UTC)


def path_identity(rel: str) -> str:
    """The identity of an entry that could not be looked at: its path, as a digest (a path can be any length)."""
    return "path:" + hashlib.blake2b(rel.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def failure(exc: OSError, what: str) -> tuple[Status, str]:
    """The status and reason one entry gets for an error (the error number's name, never a full path)."""
    code = exc.errno
    if code == errno.ENOENT or code == errno.ENOTDIR:
        return Status.VANISHED, f"{what}: vanished during the scan"
    if code in (errno.EACCES, errno.EPERM):
        return Status.DENIED, f"{what}: permission denied"
    if code == errno.ELOOP:
        return Status.LINK, f"{what}: became a symbolic link during the scan, not followed"
    name = errno.errorcode.get(code or 0, type(exc).__name__)
    return Status.UNREADABLE, f"{what}: {name} ({os.strerror(code) if code else 'error'})"


class Changed(ItemError):
    """A listed file that is no longer a regular file when it is opened; carries the status it gets."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class _Folder:
    """A folder on the walk's stack: its sub-folders still to visit, and its descriptor while one is kept."""

    rel: str
    ident: tuple[int, int]
    pending: list[str] = field(default_factory=list)  # sub-folder names, last one first
    fd: int | None = None


# A regular file as the walk saw it: path, device, inode, size, times (ns: modified, changed, accessed), owner,
# group and mode (``LocalCrawler.expand``).
Looked = tuple[str, int, int, int, int, int, int, int, int, int]
READ_AHEAD_FILES = 64  # a folder read ahead has its files looked at too when it holds no more than this


class _Listing(NamedTuple):
    """A folder listed: its ``stat``, file and sub-folder names (sorted), an error part-way, and its files looked
    at when it was read ahead (``LocalCrawler._read_ahead``)."""

    st: os.stat_result
    files: list[str]
    folders: list[str]
    error: OSError | None
    looked: list[FileEntry | Looked] | None


class LocalCrawler(CrawlerBase):
    source_kind = "local"
    walks_apart = True  # folders and files looked at through descriptors it opens itself

    def __init__(self, source: LocalSource) -> None:
        self.source = source
        self.root = os.path.realpath(source.root)
        self.filter = PathFilter(source.include, source.exclude)
        self._dirs = DirCache(self.root)
        self._ahead = Prefetcher(self.root, source.read_threads)
        self._lookers = Lookers(source.walk_threads)  # a slow file system's files looked at several at a time

    # -- walking -------------------------------------------------------------------------------------------
    def iter_entries(self) -> Iterator[FileEntry]:
        return map(self.expand, self.iter_compact())

    def iter_compact(self) -> Iterator[FileEntry | Looked]:
        """The walk, each regular file as the plain tuple ``expand`` makes its entry from (cheap to send to
        another process: ``scanner.crawlers.apart``); problems, links and the like as entries."""
        try:
            root_fd = open_dir(self.root)
        except OSError as exc:
            raise SourceError(
                f"source {self.source.id!r}: root {self.root} is not a readable folder ({failure(exc, 'root')[1]})"
            ) from None
        stack: list[_Folder] = []
        try:
            yield from self._enter(stack, "", os.dup(root_fd))
            while stack:
                yield from self._step(stack, root_fd)
        finally:
            self._lookers.close()
            for folder in stack:
                if folder.fd is not None:
                    os.close(folder.fd)
            os.close(root_fd)

    def _step(self, stack: list[_Folder], root_fd: int) -> Iterator[FileEntry | Looked]:
        """Visit the next sub-folder of the folder on top of the stack."""
        top = stack[-1]
        name = top.pending.pop()
        rel = f"{top.rel}/{name}" if top.rel else name
        ahead = self._lookers.taken(rel)
        parent_fd = self._reopen(stack, len(stack) - 1, root_fd)
        if not top.pending:  # its last sub-folder: the folder is done once this one is open
            stack.pop()
        try:
            if parent_fd is None:
                if ahead is not None and ahead.exception() is None:
                    os.close(ahead.result()[0])
                yield self._problem(rel, Status.VANISHED, "folder: its parent vanished or was replaced mid-scan")
                return
            self._read_ahead(stack)
            try:
                fd, listing = ahead.result() if ahead is not None else (open_dir(name, parent_fd), None)
            except OSError as exc:
                if exc.errno == errno.ENOTDIR:  # listed as a folder, now a file: recorded as what it is now
                    yield self._look(rel, name, parent_fd)
                else:
                    yield self._problem(rel, *failure(exc, "folder cannot be listed"))
                return
            yield from self._enter(stack, rel, fd, listing)
        finally:
            if top.fd is not None and not top.pending:
                os.close(top.fd)
                top.fd = None

    def _enter(
        self, stack: list[_Folder], rel: str, fd: int, listing: _Listing | OSError | None = None
    ) -> Iterator[FileEntry | Looked]:
        """List one folder (unless it was read ahead: ``listing``): yield its files (sorted) and push it when it
        has sub-folders to visit. The descriptor is the walk's from here on: pushed with the folder, or closed."""
        pushed = False
        try:
            try:
                if isinstance(listing, OSError):
                    raise listing
                st, files, folders, error, looked = listing or self._listing(rel, fd, look=False)
            except OSError as exc:
                yield self._problem(rel, *failure(exc, "folder cannot be listed"))
                return
            if error is not None:
                yield self._problem(rel, *failure(error, "folder could not be listed to the end"))
            if looked is not None:
                yield from looked
            elif len(files) > 1 and self._lookers.slow():
                yield from self._lookers.look_all(
                    lambda item, name: self._look(item, name, fd), list(self._wanted(rel, files))
                )
            else:
                for item, name in self._wanted(rel, files):
                    yield self._look(item, name, fd)
            pending = self._subfolders(rel, folders)[::-1]
            if pending:
                stack.append(_Folder(rel, (st.st_dev, st.st_ino), pending, fd))
                pushed = True
                self._limit_open(stack)
                self._read_ahead(stack)
        finally:
            if not pushed:
                os.close(fd)

    def _wanted(self, rel: str, files: list[str]) -> Iterator[tuple[str, str]]:
        """The path and name of each of the folder ``rel``'s files the globs keep."""
        for name in files:
            item = f"{rel}/{name}" if rel else name
            if self.filter.wants_file(item):
                yield item, name

    def _subfolders(self, rel: str, folders: list[str]) -> list[str]:
        """The names of the folder ``rel``'s sub-folders the globs keep, in the order the walk visits them."""
        return [n for n in folders if self.filter.wants_dir(f"{rel}/{n}" if rel else n)]

    def _listing(self, rel: str, fd: int, look: bool) -> _Listing:
        """The folder open as ``fd`` listed; with ``look``, its files looked at too when it holds few (a folder
        read ahead: the walk yields them when it gets there)."""
        st = os.fstat(fd)
        files, folders, error = self._list(fd)
        looked = None
        if look and len(files) <= READ_AHEAD_FILES:
            looked = [self._look(item, name, fd) for item, name in self._wanted(rel, files)]
        return _Listing(st, files, folders, error, looked)

    def _read_ahead(self, stack: list[_Folder]) -> None:
        """While the file system is slow, have threads open and list the next sub-folders of the folder on top of
        the stack before the walk gets to them (``local_lookers``)."""
        top = stack[-1] if stack else None
        if top is not None and top.fd is not None and self._lookers.slow():
            self._ahead_of(top.rel, top.rel.count("/") + 2 if top.rel else 1, reversed(top.pending), top.fd)

    def _ahead_of(self, rel: str, depth: int, names: Iterable[str], fd: int) -> None:
        """The first ``threads`` of ``names`` (sub-folders of ``rel``, open as ``fd``, in the order the walk
        visits them) read ahead, each through its own copy of ``fd``."""
        for name in islice(names, self._lookers.threads):
            item = f"{rel}/{name}" if rel else name
            self._lookers.read_ahead(item, depth, partial(self._folder_ahead, item, name, depth), os.dup(fd))

    def _folder_ahead(self, rel: str, name: str, depth: int, parent_fd: int) -> tuple[int, _Listing | OSError]:
        """Run by a thread: the folder ``name`` opened through ``parent_fd`` (closed here) and listed; its own
        first sub-folders are read ahead in turn, so the threads keep ahead of a walk through small folders."""
        try:
            fd = open_dir(name, parent_fd)
        finally:
            os.close(parent_fd)
        try:
            listing = self._listing(rel, fd, look=True)
        except OSError as exc:
            return fd, exc
        self._ahead_of(rel, depth + 1, self._subfolders(rel, listing.folders), fd)
        return fd, listing

    @staticmethod
    def _limit_open(stack: list[_Folder]) -> None:
        """Keep at most MAX_OPEN_FOLDERS descriptors: the deepest folders keep theirs."""
        kept = 0
        for folder in reversed(stack):
            if folder.fd is not None:
                kept += 1
                if kept > MAX_OPEN_FOLDERS:
                    os.close(folder.fd)
                    folder.fd = None

    @staticmethod
    def _list(fd: int) -> tuple[list[str], list[str], OSError | None]:
        """A folder's file and sub-folder names, sorted; an error part-way keeps what was listed."""
        files: list[str] = []
        folders: list[str] = []
        error: OSError | None = None
        with os.scandir(fd) as listing:
            try:
                for item in listing:
                    try:
                        is_dir = item.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False  # stat of the file tells what it is
                    (folders if is_dir else files).append(item.name)
            except OSError as exc:
                error = exc
        files.sort()
        folders.sort()
        return files, folders, error

    def _reopen(self, stack: list[_Folder], index: int, root_fd: int) -> int | None:
        """The descriptor of ``stack[index]``, reopened from its nearest open ancestor when it was closed;
        None when the folder on that path is no longer the one that was listed."""
        folder = stack[index]
        if folder.fd is not None:
            return folder.fd
        base_fd, base_rel = root_fd, ""
        for above in reversed(stack[:index]):
            if above.fd is not None:
                base_fd, base_rel = above.fd, above.rel
                break
        tail = folder.rel[len(base_rel) + 1 :] if base_rel else folder.rel
        fd: int | None = None
        try:
            for part in tail.split("/"):
                inner = open_dir(part, base_fd if fd is None else fd)
                if fd is not None:
                    os.close(fd)
                fd = inner
            assert fd is not None
            st = os.fstat(fd)
        except OSError:
            if fd is not None:
                os.close(fd)
            return None
        if (st.st_dev, st.st_ino) != folder.ident:
            os.close(fd)
            return None
        folder.fd = fd
        return fd

    def entry_at(self, rel: str) -> FileEntry | None:
        """The entry for one path relative to the root (for watchers); None when the filters leave it out or
        it is not there. Folders on the way are opened without following links, so it never leaves the root."""
        parts = rel.split("/")
        if not rel or ".." in parts or not self.filter.wants_file(rel):
            return None
        if any(not self.filter.wants_dir("/".join(parts[:i])) for i in range(1, len(parts))):
            return None
        try:
            dir_fd = self._dirs.fd_for("/".join(parts[:-1]))
            if stat.S_ISDIR(os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False).st_mode):
                return None
            return self.expand(self._look(rel, parts[-1], dir_fd))
        except PermissionError:
            return self._problem(rel, Status.DENIED, "cannot be read: permission denied")
        except (OSError, ValueError):  # gone, not a folder, or a link on the way (ELOOP): nothing to read here
            return None
        finally:
            self._dirs.close()

    def _look(self, rel: str, name: str, dir_fd: int) -> FileEntry | Looked:
        try:
            st = self._lookers.stat(name, dir_fd)
        except OSError as exc:
            return self._problem(rel, *failure(exc, "cannot be read"))
        looked = (
            rel,
            st.st_dev,
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
            st.st_ctime_ns,
            st.st_atime_ns,
            st.st_uid,
            st.st_gid,
            st.st_mode,
        )
        kind = stat.S_IFMT(st.st_mode)
        if kind == stat.S_IFLNK:
            return replace(self.expand(looked), status=Status.LINK, reason=self._link_reason(rel, name, dir_fd))
        if kind in SPECIAL_KINDS:
            return replace(self.expand(looked), status=Status.SPECIAL, reason=f"{SPECIAL_KINDS[kind]}: never read")
        if kind == stat.S_IFDIR:  # listed as a file, a folder by the time it was looked at
            reason = "turned into a folder during the scan; its content is read next scan"
            return replace(self.expand(looked), size=None, status=Status.VANISHED, reason=reason)
        return looked  # a regular file

    def expand(self, item: FileEntry | Looked) -> FileEntry:
        """The entry ``item`` stands for (``iter_compact``)."""
        if isinstance(item, FileEntry):
            return item
        rel, dev, ino, size, mtime_ns, ctime_ns, atime_ns, uid, gid, mode = item
        mtime = ns_to_datetime(mtime_ns)
        # A file written once and never chmod'ed changed when it was modified: one time made for both.
        ctime = mtime if ctime_ns // 1000 == mtime_ns // 1000 else ns_to_datetime(ctime_ns)
        return FileEntry(
            source=self.source.id,
            path=rel,
            identity=f"{dev}:{ino}",
            size=size,
            mtime=mtime,
            ctime=ctime,
            atime=ns_to_datetime(atime_ns),
            uid=uid,
            gid=gid,
            mode=mode,
            owner=str(uid),
        )

    @staticmethod
    def stat_facts(item: FileEntry | Looked) -> StatFacts | None:
        """What a re-scan compares of a regular file as the walk saw it (``iter_compact``); None for an entry."""
        if isinstance(item, FileEntry):
            return None
        rel, dev, ino, size, mtime_ns, _, _, _, gid, mode = item
        return rel, f"{dev}:{ino}", size, mtime_ns // 1000, mode, gid

    def _link_reason(self, rel: str, name: str, dir_fd: int) -> str:
        """Whether a link points inside the root, judged from its text (never by following it)."""
        try:
            target = os.readlink(name, dir_fd=dir_fd)
        except OSError:
            return "symbolic link, not followed"
        if os.path.isabs(target):
            resolved = os.path.normpath(target)
            inside = resolved == self.root or resolved.startswith(self.root + os.sep)
        else:
            folder = rel.rpartition("/")[0]
            resolved = os.path.normpath(f"{folder}/{target}" if folder else target)
            inside = resolved != ".." and not resolved.startswith("../")
        return "symbolic link, not followed" + ("" if inside else " (points outside the source root)")

    def _problem(self, rel: str, status: Status, reason: str) -> FileEntry:
        log.debug("%s: %s", readable(rel), reason)
        return FileEntry(
            self.source.id, rel or ".", path_identity(rel), size=None, mtime=None, status=status, reason=reason
        )

    def close(self) -> None:
        """Release the folder descriptors kept for reading; the reading ahead ends."""
        self._dirs.close()
        self._ahead.close()

    # -- reading -------------------------------------------------------------------------------------------
    def prefetch(self, entries: Sequence[FileEntry]) -> None:
        """Have the first bytes of each file among ``entries`` read ahead by a thread of this process
        (``local_prefetch``), so a worker's next files come from memory rather than each waiting on the disk in
        turn (on a cold cache, about 75 µs a file here; far more on a busy disk or a network mount, where the files
        are also opened by several threads at once and kept open for ``open``)."""
        self._ahead.ask([(e.path, e.size) for e in entries if e.status is Status.OK and e.size])

    def open(self, entry: FileEntry) -> BinaryIO:
        """The file's content: its folder reached from the root one name at a time without following links,
        the file opened with ``O_NOFOLLOW`` (and ``O_NOATIME`` where allowed), and read only if regular."""
        fd = self._ahead.take(entry.path)  # opened ahead as below, by a thread reading ahead
        if fd is None:
            folder, _, name = entry.path.rpartition("/")
            try:
                fd = open_noatime(name, FILE_FLAGS, self._dirs.fd_for(folder))
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise Changed(Status.LINK, "became a symbolic link after it was listed; not followed") from None
                raise
        try:
            kind = stat.S_IFMT(os.fstat(fd).st_mode)
            if kind == stat.S_IFDIR:
                raise Changed(Status.VANISHED, "turned into a folder after it was listed")
            if kind != stat.S_IFREG:
                raise Changed(Status.SPECIAL, f"became a {SPECIAL_KINDS.get(kind, 'special file')}; never read")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb")
