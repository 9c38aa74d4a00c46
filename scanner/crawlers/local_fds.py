"""Folder descriptors for the local crawler: opening without following links or touching access times, and a
small cache that reaches any folder under the root one name at a time (so no path is limited by PATH_MAX)."""

from __future__ import annotations

import os
from collections import OrderedDict

NOATIME = getattr(os, "O_NOATIME", 0)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
# A file: never through a link, never waiting on a FIFO that turned up after the walk (read only if regular).
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
CACHED_FOLDERS = 32


def open_noatime(path: str, flags: int, dir_fd: int | None = None) -> int:
    """Open without touching the access time when allowed (owner or CAP_FOWNER), else plainly."""
    if NOATIME:
        try:
            return os.open(path, flags | NOATIME, dir_fd=dir_fd)
        except PermissionError:
            pass  # EPERM: not the owner; fall back below (EACCES re-raises there too)
    return os.open(path, flags, dir_fd=dir_fd)


def open_dir(name: str, dir_fd: int | None = None) -> int:
    """A folder's descriptor (relative to ``dir_fd`` when given); a link is refused (ELOOP), never followed."""
    return open_noatime(name, DIR_FLAGS, dir_fd)


class DirCache:
    """Descriptors of recently used folders, by path relative to the root. A folder is reached from its
    nearest cached ancestor (or the root), one name at a time with ``O_NOFOLLOW``; ``..``, ``.`` and empty
    names are refused, so nothing outside the root is ever opened."""

    def __init__(self, root: str, size: int = CACHED_FOLDERS) -> None:
        self.root = root
        self.size = size
        self._fds: OrderedDict[str, int] = OrderedDict()

    def fd_for(self, rel: str) -> int:
        """The descriptor of folder ``rel`` ("" for the root); raises OSError as opening it would."""
        fd = self._fds.get(rel)
        if fd is not None:
            self._fds.move_to_end(rel)
            return fd
        parts = rel.split("/") if rel else []
        if any(part in ("", ".", "..") for part in parts):
            raise PermissionError(f"not a plain relative path ({len(parts)} names)")
        base, base_fd = "", self._fds.get("")
        for known, known_fd in self._fds.items():
            if len(known) > len(base) and rel.startswith(known + "/"):
                base, base_fd = known, known_fd
        if base_fd is None:
            base_fd = self._keep("", open_dir(self.root))
            if not rel:
                return base_fd
        fd, owned = base_fd, False  # owned: an intermediate folder's descriptor, closed after the next step
        try:
            for i in range(base.count("/") + 1 if base else 0, len(parts)):
                inner = open_dir(parts[i], fd)
                if owned:
                    os.close(fd)
                fd, owned = inner, True
        except BaseException:
            if owned:
                os.close(fd)
            raise
        return self._keep(rel, fd)

    def _keep(self, rel: str, fd: int) -> int:
        """Cache ``fd`` under ``rel``, closing the least recently used descriptor beyond the cache's size."""
        self._fds[rel] = fd
        while len(self._fds) > self.size:
            _, evicted = self._fds.popitem(last=False)
            os.close(evicted)
        return fd

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
