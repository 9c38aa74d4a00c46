"""Reading ahead for the local crawler: a worker's next files opened and asked of the kernel while it works on
those before.

``Prefetcher.ask`` hands a batch's files to a thread of the process's own. It reaches each file as the crawler
does (its folder from the root one name at a time, no link followed, through a ``DirCache`` of its own), opens it
and asks the kernel to start reading its first ``PREFETCH_BYTES`` (``POSIX_FADV_WILLNEED``). Each open is timed.
On a local disk the thread then closes the file and the worker opens it itself (handing a descriptor from one
thread to another costs more there than the open it saves). Once those timings judge the file system slow
(``local_timing``: a network mount, NFS or CIFS), the files asked from then on are kept open, by up to ``threads``
threads at once so that their round trips overlap, and ``take`` hands the crawler the descriptor: the worker
neither opens the file again nor waits for it, and a file system that checks a file anew at each open (NFS's
close-to-open, FUSE) cannot drop what was read ahead.

Nothing is read into the process and nothing is reported: a file that cannot be opened is left to the crawler's
``open``. A folder that stops answering holds only a thread: ``take`` waits at most ``TAKE_WAIT`` for a file being
opened, the worker's own open of that file then meets the file's deadline, and that file is the one blamed. At most
``HELD`` descriptors are kept; the threads wait while that many are held, and a file the worker went past (a later
file taken first) is closed, so a file skipped never holds one. Files asked while ``BEHIND_FILES`` wait are dropped
(a hint that late is no use). A forked process drops its copies of what its parent held and starts threads of its
own when first asked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections import deque

from scanner.crawlers.local_fds import FILE_FLAGS, DirCache, open_noatime
from scanner.crawlers.local_timing import Timings

log = logging.getLogger(__name__)

PREFETCH_BYTES = 1 << 20  # of each file; the kernel reads ahead of a longer sequential read by itself
BEHIND_FILES = 256  # files waiting to be opened, at most: more are not asked
HELD = 64  # descriptors opened ahead and not yet taken, at most
TAKE_WAIT = 1.0  # seconds ``take`` waits for a file a thread is opening, before the crawler opens it itself
THREAD_FOLDERS = 8  # folder descriptors each thread keeps

Files = list[tuple[str, int]]  # (path relative to the root, size), in the order they will be opened


class Prefetcher:
    """The crawler's reading ahead: the state of this process's threads (``_Ahead``), made afresh in a forked
    process and after ``close``."""

    def __init__(self, root: str, threads: int = 1) -> None:
        self.root = root
        self.threads = max(1, threads)
        self._state: _Ahead | None = None
        self._pid = 0

    def ask(self, files: Files) -> None:
        """Have ``files`` opened and read ahead, unless ``BEHIND_FILES`` are already waiting."""
        if not files or not hasattr(os, "posix_fadvise"):
            return
        if self._state is None or self._pid != os.getpid():
            if self._state is not None:
                self._state.drop_inherited()
            self._state, self._pid = _Ahead(self.root, self.threads), os.getpid()
        self._state.ask(files)

    def take(self, rel: str) -> int | None:
        """The descriptor opened ahead for ``rel`` (the caller's to close), or None: the file was not asked, could
        not be opened, or is still being opened after ``TAKE_WAIT`` seconds. Files asked before it and not taken
        are closed: the worker has gone past them."""
        state = self._state
        if state is None or not state.keeping() or self._pid != os.getpid():  # the pid last: a system call
            return None
        return state.take(rel)

    def close(self) -> None:
        """Close what is held; let the threads end once they are done with what they are opening (they are not
        waited for: one may be stuck on a folder that does not answer)."""
        if self._state is not None and self._pid == os.getpid():
            self._state.close()
        self._state = None


class _Ahead:
    def __init__(self, root: str, threads: int) -> None:
        self.root, self.threads = root, threads
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # the threads wait on it for files and room
        self._done = threading.Condition(lock)  # ``take`` waits on it for a file being opened
        self._awaited: set[str] = set()  # files ``take`` waits for
        self._todo: deque[tuple[int, str, int]] = deque()  # (order asked, or -1: not kept; path, size) to open
        self._order: dict[str, int] = {}  # files asked and not yet taken or passed: when each was asked
        self._busy: set[str] = set()  # being opened by a thread
        self._held: dict[str, tuple[int, int]] = {}  # opened ahead: path -> (order asked, descriptor)
        self._asked = 0
        self._passed = -1  # the last file taken: those asked before it will not be
        self._running = 0
        self._closed = False
        self.timed = Timings()  # every open (an open costs microseconds at best, the clock 0.1 µs)

    def ask(self, files: Files) -> None:
        with self._cond:
            if self._closed:
                return
            keep = self.slow()  # a fast disk: the files are only read ahead, and the worker opens them itself
            for rel, size in files:
                if len(self._todo) >= BEHIND_FILES:
                    break
                if keep:
                    self._order[rel] = self._asked
                self._todo.append((self._asked if keep else -1, rel, size))
                self._asked += 1
            if len(self._order) > 4 * (BEHIND_FILES + HELD):  # files never taken (none should be; bounded)
                self._order = {r: o for r, o in self._order.items() if o > self._passed}
            self._cond.notify_all()
            if not self._running:
                self._start()

    def keeping(self) -> bool:
        """Whether any file asked is to be kept open (none on a fast disk: ``take`` then is not worth the lock)."""
        return bool(self._order)

    def take(self, rel: str) -> int | None:
        with self._cond:
            order = self._order.pop(rel, None)
            if order is None:
                return None
            if rel in self._busy:
                self._awaited.add(rel)
                try:  # the file's deadline may interrupt the wait
                    self._done.wait_for(lambda: rel not in self._busy, TAKE_WAIT)
                finally:
                    self._awaited.discard(rel)
            held = self._held.pop(rel, None)
            room = held is not None
            if order > self._passed:
                skipped = order > self._passed + 1  # files asked between the last taken and this one
                self._passed = order
                for passed in [r for r, (o, _) in self._held.items() if o < order] if skipped else ():
                    os.close(self._held.pop(passed)[1])
                    self._order.pop(passed, None)
                    room = True
            if room and self._todo:  # a thread waiting for room may go on (none is woken for nothing)
                self._cond.notify_all()
        return held[1] if held is not None else None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._todo.clear()
            self._order.clear()
            held = [fd for _, fd in self._held.values()]
            self._held.clear()
            self._cond.notify_all()
            self._done.notify_all()
        for fd in held:
            os.close(fd)

    def drop_inherited(self) -> None:
        """In a forked process: close its copies of the descriptors the parent held (no thread came with it)."""
        for _, fd in self._held.values():
            with contextlib.suppress(OSError):
                os.close(fd)

    def slow(self) -> bool:
        return self.timed.slow()

    def _start(self) -> None:
        """Another thread, unless ``threads`` are running (under the lock)."""
        if self._running >= self.threads:
            return
        thread = threading.Thread(target=self._run, name="prefetch", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had (a process at its limit): files are read when opened
            log.debug("no thread for reading ahead; files are read when opened")
            return
        self._running += 1

    def _run(self) -> None:
        dirs = DirCache(self.root, THREAD_FOLDERS)
        try:
            while (jobs := self._next()) is not None:
                for order, rel, size in jobs:
                    self._open(dirs, order, rel, size)
        finally:
            dirs.close()
            with self._cond:
                self._running -= 1

    def _open(self, dirs: DirCache, order: int, rel: str, size: int) -> None:
        started = time.perf_counter_ns()
        fd = _open_advised(dirs, rel, size)
        self.timed.add(time.perf_counter_ns() - started)
        if order < 0:  # read ahead only
            if fd is not None:
                os.close(fd)
            if self._todo and self._running < self.threads and self.slow():
                with self._cond:
                    self._start()
            return
        with self._cond:
            self._busy.discard(rel)
            if fd is not None and not self._closed and order > self._passed and rel not in self._held:
                self._held[rel], fd = (order, fd), None
            elif order <= self._passed and self._order.get(rel) == order:
                del self._order[rel]
            if self._todo and self._running < self.threads and self.slow():
                self._start()  # a slow file system: another open under way at once
            if rel in self._awaited:
                self._done.notify_all()
        if fd is not None:
            os.close(fd)

    def _next(self) -> list[tuple[int, str, int]] | None:
        """The next files to open: a file to keep once fewer than ``HELD`` descriptors are held or being opened, or
        the files to read ahead only that come next (a fast disk: no lock taken for each); None at close."""
        with self._cond:
            while not self._closed:
                if self._todo and self._todo[0][0] < 0:
                    jobs: list[tuple[int, str, int]] = []
                    while self._todo and self._todo[0][0] < 0 and len(jobs) < HELD:
                        jobs.append(self._todo.popleft())
                    return jobs
                if self._todo and len(self._held) + len(self._busy) < HELD:
                    order, rel, _ = job = self._todo.popleft()
                    if self._order.get(rel) != order:
                        continue  # taken, passed, or asked again later (its later turn counts)
                    if order <= self._passed:
                        del self._order[rel]
                        continue
                    self._busy.add(rel)
                    return [job]
                self._cond.wait()
            return None


def _open_advised(dirs: DirCache, rel: str, size: int) -> int | None:
    """``rel`` opened as the crawler opens it, its first bytes asked of the kernel; None when it cannot be opened
    or is not a regular file (the crawler's own open then says why)."""
    folder, _, name = rel.rpartition("/")
    try:
        fd = open_noatime(name, FILE_FLAGS, dirs.fd_for(folder))
    except (OSError, ValueError):
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.posix_fadvise(fd, 0, min(size, PREFETCH_BYTES), os.POSIX_FADV_WILLNEED)
            return fd
    except OSError:
        pass
    os.close(fd)
    return None
