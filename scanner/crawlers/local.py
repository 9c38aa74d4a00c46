"""Walks a local or mounted directory tree.

Read-only and careful: folders are opened with ``O_NOATIME`` where the platform allows and listed through
their descriptors, links are recorded but never followed, and files are opened with ``O_NOFOLLOW`` and
checked to be inside the root, so the walk never leaves it. Files of a folder come before its sub-folders.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from scanner.config import LocalSource
from scanner.crawlers.base import CrawlerBase
from scanner.errors import SourceError
from scanner.globs import PathFilter
from scanner.types import FileEntry, Status

log = logging.getLogger(__name__)

NOATIME = getattr(os, "O_NOATIME", 0)
SPECIAL_KINDS = {
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}


def ns_to_datetime(ns: int) -> datetime:
    """To the microsecond (exact: a float of microseconds since 1970 resolves well under half of one)."""
    return datetime.fromtimestamp(ns // 1000 / 1e6, UTC)


def _open_noatime(path: str | bytes, flags: int, dir_fd: int | None = None) -> int:
    """Open without touching the access time when allowed (owner or CAP_FOWNER), else plainly."""
    if NOATIME:
        try:
            return os.open(path, flags | NOATIME, dir_fd=dir_fd)
        except PermissionError:
            pass  # EPERM: not the owner; fall back below (EACCES re-raises there too)
    return os.open(path, flags, dir_fd=dir_fd)


class LocalCrawler(CrawlerBase):
    source_kind = "local"

    def __init__(self, source: LocalSource) -> None:
        self.source = source
        self.root = os.path.realpath(source.root)
        self.filter = PathFilter(source.include, source.exclude)

    def iter_entries(self) -> Iterator[FileEntry]:
        if not os.path.isdir(self.root):
            raise SourceError(f"source {self.source.id!r}: root {self.root} is not a readable folder")
        yield from self._walk("")

    def _walk(self, rel_dir: str) -> Iterator[FileEntry]:
        abs_dir = os.path.join(self.root, rel_dir) if rel_dir else self.root
        try:
            fd = _open_noatime(abs_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except PermissionError:
            yield self._problem(rel_dir, Status.DENIED, "folder cannot be listed: permission denied")
            return
        except FileNotFoundError:
            yield self._problem(rel_dir, Status.VANISHED, "folder vanished during the scan")
            return
        subdirs: list[str] = []
        try:
            with os.scandir(fd) as listing:
                names = sorted(listing, key=lambda e: e.name)
            for item in names:
                rel = f"{rel_dir}/{item.name}" if rel_dir else item.name
                if item.is_dir(follow_symlinks=False):
                    if self.filter.wants_dir(rel):
                        subdirs.append(rel)
                elif self.filter.wants_file(rel):
                    yield self._entry(rel, item.name, fd)
        finally:
            os.close(fd)
        for rel in subdirs:
            yield from self._walk(rel)

    def entry_at(self, rel: str) -> FileEntry | None:
        """The entry for one path relative to the root (for watchers); None when the filters leave it out or
        it is not there. Folders on the way are opened without following links, so it never leaves the root."""
        parts = rel.split("/")
        if not rel or ".." in parts or not self.filter.wants_file(rel):
            return None
        if any(not self.filter.wants_dir("/".join(parts[:i])) for i in range(1, len(parts))):
            return None
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for folder in parts[:-1]:
                inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = inner
            if stat.S_ISDIR(os.stat(parts[-1], dir_fd=fd, follow_symlinks=False).st_mode):
                return None
            return self._entry(rel, parts[-1], fd)
        except PermissionError:
            return self._problem(rel, Status.DENIED, "cannot be read: permission denied")
        except OSError:  # gone, not a folder, or a link on the way (ELOOP): nothing to read here
            return None
        finally:
            os.close(fd)

    def _entry(self, rel: str, name: str, dir_fd: int) -> FileEntry:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return self._problem(rel, Status.VANISHED, "vanished during the scan")
        except PermissionError:
            return self._problem(rel, Status.DENIED, "cannot be read: permission denied")
        status, reason = Status.OK, None
        kind = stat.S_IFMT(st.st_mode)
        if kind == stat.S_IFLNK:
            status, reason = Status.LINK, self._link_reason(rel)
        elif kind in SPECIAL_KINDS:
            status, reason = Status.SPECIAL, f"{SPECIAL_KINDS[kind]}: never read"
        return FileEntry(
            source=self.source.id,
            path=rel,
            identity=f"{st.st_dev}:{st.st_ino}",
            size=st.st_size,
            mtime=ns_to_datetime(st.st_mtime_ns),
            ctime=ns_to_datetime(st.st_ctime_ns),
            atime=ns_to_datetime(st.st_atime_ns),
            uid=st.st_uid,
            gid=st.st_gid,
            mode=st.st_mode,
            owner=str(st.st_uid),
            status=status,
            reason=reason,
        )

    def _link_reason(self, rel: str) -> str:
        target = os.path.realpath(os.path.join(self.root, rel))
        inside = target == self.root or target.startswith(self.root + os.sep)
        return "symbolic link, not followed" + ("" if inside else " (points outside the source root)")

    def _problem(self, rel: str, status: Status, reason: str) -> FileEntry:
        return FileEntry(
            self.source.id, rel or ".", identity=f"path:{rel}", size=None, mtime=None, status=status, reason=reason
        )

    def open(self, entry: FileEntry) -> BinaryIO:
        path = os.path.join(self.root, entry.path)
        fd = _open_noatime(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        real = os.path.realpath(f"/proc/self/fd/{fd}") if os.path.isdir("/proc/self/fd") else path
        if not real.startswith(self.root + os.sep):
            os.close(fd)
            raise PermissionError(f"{entry.path} resolves outside the source root")
        return os.fdopen(fd, "rb")
