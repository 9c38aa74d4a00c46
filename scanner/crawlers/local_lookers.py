"""Looking at a folder's files several at a time, when the file system answers slowly.

The walk looks at each file (``stat``) as it lists a folder. On a local disk with its metadata cached a look takes
a microsecond or two and the walk is bound by its own Python; on a network mount (NFS, CIFS/SMB, a FUSE file
system) or a cold, busy disk each look waits a round trip or a seek, a millisecond or more, and a walk one look at
a time spends nearly all its time waiting: 5,000 files on a file system that answers in half a millisecond took
3.6-3.8 s, against 0.02 s from a local disk, and 1.0-1.1 s looked at by eight threads (``benchmarks/slow_walk.py``).
``stat`` releases the GIL while it waits, so threads overlap those waits. The walk times one look in ``SAMPLE``;
while the last few timed looks all took ``SLOW_NS`` or more, the files of each folder it enters are looked at in
chunks by up to ``threads`` threads and handed back in the folder's order, so what the walk yields is the same, in
the same order, either way. On a fast file system no thread is started: threads there would only contend for the GIL.

The threads run ahead of the walk by at most ``AHEAD`` chunks, so a folder of a million files is not looked at
(and held) all at once; a walk that stops early waits for the looks under way before its folder's descriptor is
closed, so no thread ever looks through a descriptor that has been closed (and perhaps reused). The pool is shut
down when the walk ends (``close``): a forked re-scan walker (``scanner.crawlers.apart``) is only forked from a
process without other threads.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")

SLOW_NS = 50_000  # looks never faster than this (50 µs: a network round trip, a seek) are worth threads
SAMPLE = 8  # one look in this many is timed (timing each cost the walk of a fast disk a tenth more time)
_KEPT = 8  # timed looks judged: a local disk's looks are never all this slow, a network's are
CHUNK = 16  # files a thread looks at in one task: a task costs tens of µs to hand over, a slow look far more
AHEAD = 4  # chunks in hand per thread, at most, ahead of the walk


class Lookers:
    """Times one look in ``SAMPLE`` and, while the fastest of the last ``_KEPT`` timed looks took ``SLOW_NS``
    or more, looks at a folder's files in threads (``look_all``). The fastest, not the average: a busy machine
    can hold up any one look on a fast disk, but a network mount never answers faster than its round trip."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.timed: deque[int] = deque(maxlen=_KEPT)  # the last timed looks, in ns
        self._looks = 0
        self._pool: ThreadPoolExecutor | None = None

    def stat(self, name: str, dir_fd: int) -> os.stat_result:
        """``name``'s ``lstat`` in the folder ``dir_fd``; one in ``SAMPLE`` timed (from any thread: a count lost
        to a race only moves which look is timed)."""
        self._looks += 1
        if self._looks % SAMPLE:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        start = time.perf_counter_ns()
        try:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        finally:
            self.timed.append(time.perf_counter_ns() - start)

    def slow(self) -> bool:
        return self.threads > 1 and len(self.timed) == _KEPT and min(self.timed) >= SLOW_NS

    def look_all(self, look: Callable[[str, str], T], items: Sequence[tuple[str, str]]) -> Iterator[T]:
        """``look(path, name)`` of each item, in the items' order, by the pool's threads."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="steward-look")
        pool = self._pool
        chunks = (items[i : i + CHUNK] for i in range(0, len(items), CHUNK))
        pending: deque[Future[list[T]]] = deque()

        def more() -> None:
            chunk = next(chunks, None)
            if chunk is not None:
                pending.append(pool.submit(lambda: [look(path, name) for path, name in chunk]))

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

    def close(self) -> None:
        """Stop the threads (started again if another walk needs them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
