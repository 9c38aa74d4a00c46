"""Looking at a folder's files several at a time, when the file system answers slowly.

The walk looks at each file (``stat``) as it lists a folder. On a local disk with its metadata cached a look takes
a microsecond or two and the walk is bound by its own Python; on a network mount (NFS, CIFS/SMB, a FUSE file
system) or a cold, busy disk each look waits a round trip or a seek, a millisecond or more, and a walk one look at
a time spends nearly all its time waiting: 5,000 files in folders of 100 on a file system that answers in half a
millisecond took 3.8 s, against 0.02 s from a local disk, and 1.0 s with eight threads; in case folders of five,
6.6 s and 1.6-2.3 s (``benchmarks/slow_walk.py``).
``stat`` releases the GIL while it waits, so threads overlap those waits. The walk times one look in ``SAMPLE``;
while the fastest of the last few timed looks took ``SLOW_NS`` or more (``local_timing``), the files of each
folder it enters are looked at in chunks by up to ``threads`` threads and handed back in the folder's order, so
what the walk yields is the same, in the same order, either way. On a fast file system no thread is started:
threads there would only contend for the GIL.

A folder of few files gives threads little to share, and a tree of case folders is mostly such folders: so, while
the file system is slow, the walk also has the next sub-folders of the folder it is in read ahead (``read_ahead``:
at most ``AHEAD_FOLDERS`` per thread), each opened through a copy of its parent's descriptor, listed and, when
small, its files looked at; the walk takes each (``taken``) when it gets there, in its own order.

The threads run ahead of the walk by at most ``AHEAD`` chunks, so a folder of a million files is not looked at
(and held) all at once; a walk that stops early waits for the looks under way before its folder's descriptor is
closed, so no thread ever looks through a descriptor that has been closed (and perhaps reused), and the folders
read ahead and never reached are closed. The pool is shut down when the walk ends (``close``): a forked re-scan
walker (``scanner.crawlers.apart``) is only forked from a process without other threads.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from functools import partial
from typing import Any, TypeVar

from scanner.crawlers.local_timing import Timings
from scanner.crawlers.ranked_pool import RankedPool

T = TypeVar("T")
log = logging.getLogger(__name__)

SAMPLE = 8  # one look in this many is timed (timing each cost the walk of a fast disk a tenth more time)
CHUNK = 16  # files a thread looks at in one task: a task costs tens of µs to hand over, a slow look far more
AHEAD = 4  # chunks in hand per thread, at most, ahead of the walk
AHEAD_FOLDERS = 4  # folders read ahead per thread, at most
NOW = -(1 << 30)  # the rank of the files of the folder the walk is in (a folder read ahead ranks minus its depth)


class Lookers:
    """Times one look in ``SAMPLE`` and, while those timings judge the file system slow (``local_timing``),
    looks at a folder's files in threads (``look_all``)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.timed = Timings()
        self._looks = 0
        self._pool: RankedPool | None = None
        self._ahead: dict[str, tuple[Future[tuple[int, Any]], int]] = {}  # folder -> its read-ahead, parent copy
        self._lock = threading.Lock()
        self._closing = False

    def stat(self, name: str, dir_fd: int) -> os.stat_result:
        """``name``'s ``lstat`` in the folder ``dir_fd``; one in ``SAMPLE`` timed (from any thread: a count lost
        to a race only moves which look is timed)."""
        self._looks = looks = self._looks + 1
        if looks % SAMPLE:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        start = time.perf_counter_ns()
        try:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        finally:
            self.timed.add(time.perf_counter_ns() - start)

    def slow(self) -> bool:
        return self.threads > 1 and self.timed.slow()

    def _threads(self) -> RankedPool | None:
        """The pool, its threads started when first needed; None when no thread can be had (a process at its
        limit): the walk then goes on one look at a time."""
        if self._pool is None:
            try:
                self._pool = RankedPool(self.threads, "steward-look")
            except RuntimeError:
                log.info("no threads to be had for the walk: it looks at one file at a time")
                self.threads = 1
        return self._pool

    def look_all(self, look: Callable[[str, str], T], items: Sequence[tuple[str, str]]) -> Iterator[T]:
        """``look(path, name)`` of each item, in the items' order, by the pool's threads."""
        pool = self._threads()
        if pool is None:
            yield from (look(path, name) for path, name in items)
            return
        chunks = (items[i : i + CHUNK] for i in range(0, len(items), CHUNK))
        pending: deque[Future[list[T]]] = deque()

        def more() -> None:
            chunk = next(chunks, None)
            if chunk is not None:
                pending.append(pool.submit(NOW, lambda: [look(path, name) for path, name in chunk]))

        try:
            for _ in range(self.threads * AHEAD):
                more()
            while pending:
                done = pending.popleft()
                more()
                yield from done.result()
        finally:
            for future in pending:
                future.cancel()
            wait(pending)  # the looks under way finish before the caller closes the folder's descriptor

    def read_ahead(self, key: str, depth: int, read: Callable[[int], tuple[int, Any]], parent_fd: int) -> None:
        """Have a thread run ``read(parent_fd)`` for the folder ``key``, ``depth`` folders below the root (the
        deeper, the sooner the walk gets there: read first): it opens the folder through ``parent_fd``, a copy
        of the parent's descriptor that is this call's to close (``read`` closes it), and returns the folder's
        descriptor with what it found. The walk takes it with ``taken`` when it gets there. Nothing is started
        (and the copy is closed) when the folder is being read already, or ``threads * AHEAD_FOLDERS`` are, or
        the walk is ending. Safe from any thread: a folder read ahead reads its own first sub-folders ahead."""
        with self._lock:
            full = len(self._ahead) >= self.threads * AHEAD_FOLDERS
            pool = None if self._closing or key in self._ahead or full else self._threads()
            if pool is None:
                os.close(parent_fd)
                return
            self._ahead[key] = (pool.submit(-depth, partial(read, parent_fd)), parent_fd)

    def taken(self, key: str) -> Future[tuple[int, Any]] | None:
        """The read-ahead of the folder ``key``, if one was started: its result is the walk's to close."""
        with self._lock:
            found = self._ahead.pop(key, None)
        return found[0] if found is not None else None

    def close(self) -> None:
        """Let go of the folders read ahead and never reached (their descriptors closed) and stop the threads
        (started again if another walk needs them)."""
        with self._lock:
            self._closing = True  # no thread reads another folder ahead from now on
            ahead = list(self._ahead.values())
            self._ahead.clear()
        for future, parent_fd in ahead:
            if future.cancel():
                os.close(parent_fd)  # never ran: its copy of the parent's descriptor is closed here
        wait([future for future, _ in ahead])
        for future, _ in ahead:
            if not future.cancelled() and future.exception() is None:
                os.close(future.result()[0])
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._closing = False
