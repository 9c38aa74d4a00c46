"""A read-only pass-through FUSE file system that answers every request after a delay: a network mount (NFS,
CIFS) as the crawler sees it, on one machine.

    python benchmarks/slow_fs.py SOURCE MOUNTPOINT DELAY_SECONDS [ATTRIBUTE_SECONDS]

Each ``getattr``, ``readdir``, ``opendir``, ``open`` and ``read`` waits ``DELAY_SECONDS`` (``time.sleep`` releases
the GIL, so requests from several threads wait together, as on a network). Listings give each entry's type, as
NFS's READDIRPLUS and SMB's directory queries do, so the walk needs no look to tell files from folders. Entries are
cached by the kernel (``entry_timeout``) and attributes for ``ATTRIBUTE_SECONDS`` (``attr_timeout``; 0, never, by
default: a re-scan's walk asks for every file's attributes again, as it does on a network mount whose attribute
cache has expired overnight). A file's pages are dropped when it is opened again (FUSE's default, as NFS checks a
file again at each open). Needs ``/dev/fuse``, ``fusermount`` (Debian ``fuse3``), libfuse 2 (``libfuse2``) and
``fusepy`` (``requirements/evaluation.txt``).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from fuse import FUSE, FuseOSError, Operations  # type: ignore[import-not-found]

_STAT = ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid", "st_ino")
_STATFS = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize")


class SlowFS(Operations):  # type: ignore[misc]
    def __init__(self, root: str, delay: float) -> None:
        self.root, self.delay = root, delay

    def _real(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        time.sleep(self.delay)
        try:
            st = os.lstat(self._real(path))
        except OSError as exc:
            raise FuseOSError(exc.errno) from None
        return {key: getattr(st, key) for key in _STAT}

    def readdir(self, path: str, fh: int) -> list[Any]:
        time.sleep(self.delay)
        out: list[Any] = [".", ".."]
        with os.scandir(self._real(path)) as listing:
            for item in listing:
                out.append(
                    (item.name, {"st_mode": item.stat(follow_symlinks=False).st_mode, "st_ino": item.inode()}, 0)
                )
        return out

    def opendir(self, path: str) -> int:
        time.sleep(self.delay)
        return 0

    def open(self, path: str, flags: int) -> int:
        time.sleep(self.delay)
        return os.open(self._real(path), os.O_RDONLY)

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        time.sleep(self.delay)
        return os.pread(fh, size, offset)

    def release(self, path: str, fh: int) -> None:
        os.close(fh)

    def readlink(self, path: str) -> str:
        return os.readlink(self._real(path))

    def statfs(self, path: str) -> dict[str, int]:
        found = os.statvfs(self._real(path))
        return {key: getattr(found, key) for key in _STATFS}


if __name__ == "__main__":
    source, mountpoint, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    attributes = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    FUSE(
        SlowFS(source, delay),
        mountpoint,
        foreground=True,
        ro=True,
        attr_timeout=attributes,
        entry_timeout=3600,
        use_ino=True,
    )
