"""Reading ahead for the local crawler: a worker's next files asked of the kernel while it works on those before.

``Prefetcher.ask`` hands a batch's files to a thread of the process's own, which reaches each as the crawler does
(its folder from the root one name at a time, no link followed, through a ``DirCache`` of its own), asks the
kernel to start reading its first ``PREFETCH_BYTES`` (``POSIX_FADV_WILLNEED``) and closes it. Nothing is read
into the process and nothing is reported: a file that cannot be opened is left to the crawler's ``open``. The
thread waits on the storage in the worker's stead, so a slow disk or network mount holds the thread, not the
worker, and a folder that stops answering holds only the thread: the worker's own open of that file then meets
the file's deadline, and that file is the one blamed. A batch asked while the thread is ``BEHIND`` batches
behind is dropped (a hint that late is no use). A forked process starts a thread of its own when first asked.
"""

from __future__ import annotations

import logging
import os
import queue
import stat
import threading

from scanner.crawlers.local_fds import FILE_FLAGS, DirCache, open_noatime

log = logging.getLogger(__name__)

PREFETCH_BYTES = 1 << 20  # of each file; the kernel reads ahead of a longer sequential read by itself
BEHIND = 4

Files = list[tuple[str, int]]  # (path relative to the root, size), in the order they will be opened


class Prefetcher:
    def __init__(self, root: str) -> None:
        self.root = root
        self._queue: queue.SimpleQueue[Files | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def ask(self, files: Files) -> None:
        """Have ``files`` read ahead, unless the thread is already ``BEHIND`` batches behind."""
        if not files or not hasattr(os, "posix_fadvise"):
            return
        if self._thread is None or self._pid != os.getpid():
            self._queue = queue.SimpleQueue()  # a forked process's copy of another's queue is not used
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, args=(self._queue,), name="prefetch", daemon=True)
            try:
                self._thread.start()
            except RuntimeError:  # no thread to be had (a process at its limit): files are read when opened
                log.debug("no thread for reading ahead; files are read when opened")
                return
        if self._thread.is_alive() and self._queue.qsize() < BEHIND:
            self._queue.put(files)

    def close(self) -> None:
        """Let the thread end once it is done with what it was asked (it is not waited for: it may be stuck)."""
        if self._thread is not None and self._pid == os.getpid():
            self._queue.put(None)
        self._thread = None

    def _run(self, asked: queue.SimpleQueue[Files | None]) -> None:
        dirs = DirCache(self.root)
        try:
            while (files := asked.get()) is not None:
                for rel, size in files:
                    _advise(dirs, rel, size)
        finally:
            dirs.close()


def _advise(dirs: DirCache, rel: str, size: int) -> None:
    folder, _, name = rel.rpartition("/")
    try:
        fd = open_noatime(name, FILE_FLAGS, dirs.fd_for(folder))
    except (OSError, ValueError):
        return
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.posix_fadvise(fd, 0, min(size, PREFETCH_BYTES), os.POSIX_FADV_WILLNEED)
    except OSError:
        pass
    finally:
        os.close(fd)
