"""The content worker pool: processes forked from the process that holds the detector, fed files in batches.

The detector (and with it the spaCy pipeline) is loaded once, by the command's loader (``scanner.loader``) when
it started one, else by the pool's own process; workers are forked from that process, so the model's memory is
shared copy-on-write rather than loaded again in every worker. The pool's process (the parent, below) feeds and
watches them either way. The pool lives for the whole process (every source of a run, every run of a service)
and is replaced only when the detection settings change; its workers stop when a walk is done (``rest``) and the
next run forks new ones, so the pages each has made its own are not held while the rules run or the process
waits; with ``files`` set, a worker given that many files is stopped once it has sent them back and a fresh one
forked in its place.

Workers receive batches of entries (locators, never contents) over one socket pair each and send back one list
of observations per batch. A worker holds ``HELD`` batches, and more (up to ``IN_FLIGHT``) while they would take
it under ``QUEUE_SECONDS`` at the pace of its last batch, and its socket's buffers are widened, so it has work in
hand and room for its results while the parent writes a checkpoint (a fifth of a second or more with small
files) without one worker holding minutes of slow files that another could read at the end of the walk. The
batches handed to one worker and not yet answered never fill more than half of the parent's send buffer, so the
parent never waits to hand out work while that worker waits to send its results.

Each worker runs under a memory ceiling (``RLIMIT_AS`` plus a resident-memory watch by the parent) and a
wall-clock limit per file watched by the parent. A worker that exceeds either, or dies, is
replaced: the file it had in hand gets ``too_large``, ``timeout`` or ``unreadable`` with the reason, and the rest
of its batches go to the replacement.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import itertools
import logging
import mmap
import multiprocessing
import os
import resource
import signal
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any

from scanner import loader
from scanner.crawlers import crawler_for
from scanner.crawlers.base import Crawler
from scanner.types import FileEntry, FileObservation, Status

log = logging.getLogger(__name__)

BATCH_FILES = 64  # entries per batch (bounded so a batch and its results fit in the socket buffers)
BATCH_BYTES = 8 * 1024 * 1024  # a batch closes early once its files add up to this many bytes
HELD = 4  # batches a worker holds at once, however long they take: one in work, three waiting
IN_FLIGHT = 16  # most batches a worker holds at once, while they last it under QUEUE_SECONDS
QUEUE_SECONDS = 1.0  # work held beyond HELD batches: enough to outlast a checkpoint's write
SOCKET_BUFFER = 1 << 20  # send buffer asked for each end of a worker's socket (the kernel caps it at wmem_max)
TICK = 0.5  # seconds between the parent's checks of time and memory
_PAGE = os.sysconf("SC_PAGE_SIZE")
_LIBC = ctypes.CDLL(None)  # this process's C library

Observe = Callable[[FileEntry, Crawler, Any], FileObservation]  # (entry, crawler, job) -> observation


@dataclass
class _Batch:
    number: int
    job: Any
    entries: list[FileEntry]
    attempts: int = 0  # workers that died holding it with no file in hand
    size: int = 0  # bytes it took on the worker's socket


@dataclass
class _Worker:
    process: BaseProcess | loader.Forked
    conn: Connection
    # Shared doubles: batch number, index in batch, monotonic start of the file in hand (0 = idle).
    slot: memoryview[float]
    baseline_rss: int
    room: int  # bytes of batches it may hold unanswered: half the parent's send buffer
    batches: list[_Batch] = field(default_factory=list)
    progress: float = 0.0  # monotonic time it last received work while idle or sent results
    per_file: float = 0.0  # seconds a file of its last answered batch took it (0: none answered yet)
    handed: int = 0  # files it has been given


def _stop(workers: list[_Worker]) -> None:
    """Ask ``workers`` to stop, give each two seconds to do so, then kill what is left."""
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.conn.send(None)
    for worker in workers:
        worker.process.join(timeout=2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()


def _depth(worker: _Worker) -> int:
    """The batches ``worker`` may hold: ``HELD``, or as many full ones (up to ``IN_FLIGHT``) as would take it
    ``QUEUE_SECONDS`` at the pace of its last batch (small files: sixteen; documents of milliseconds each: four)."""
    if worker.per_file <= 0:
        return HELD
    return max(HELD, min(IN_FLIGHT, int(QUEUE_SECONDS / (worker.per_file * BATCH_FILES))))


def _widen(conn: Connection) -> int:
    """Ask for ``SOCKET_BUFFER`` bytes of send buffer on ``conn``'s socket; the size the kernel gave."""
    with socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as sock:  # a duplicate of the socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _trim() -> None:
    """Give the C allocator's free pages back to the system (glibc's ``malloc_trim``; elsewhere nothing)."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def _slot(fd: int) -> memoryview[float]:
    """Three doubles in the shared memory file ``fd``, seen by the worker and its parent alike."""
    return memoryview(mmap.mmap(fd, 3 * 8)).cast("d")


def _new_slot() -> tuple[memoryview[float], int]:
    fd = os.memfd_create("steward-worker-slot", os.MFD_CLOEXEC)
    os.ftruncate(fd, 3 * 8)
    return _slot(fd), fd


def _vm_size() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * _PAGE


def _forked_main(fds: list[int], memory: int, observe: Observe) -> None:
    """A worker forked by the loader (``scanner.loader``): its socket and slot come as file descriptors."""
    sock, slot_fd = fds
    slot = _slot(slot_fd)
    os.close(slot_fd)
    _worker_main(Connection(sock), slot, memory, observe, [])


def _worker_main(
    conn: Connection, slot: memoryview[float], memory: int, observe: Observe, siblings: list[Connection]
) -> None:
    """A worker's whole life: take a batch, observe each entry, send the observations back, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    loader.name("steward-worker")
    for other in siblings:  # the parent's ends of the other workers' sockets: held here, they would never close
        other.close()
    if memory > 0:
        ceiling = _vm_size() + memory  # the address space it was forked with, plus its allowance
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    crawlers: dict[str, tuple[Any, Crawler]] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        number, job, entries = message
        began = time.monotonic()
        source = job.source
        results: list[FileObservation] = []
        try:
            if source.id not in crawlers or crawlers[source.id][0] != source:
                crawlers[source.id] = (source, crawler_for(source))
            crawler = crawlers[source.id][1]
        except Exception as exc:  # the source cannot be reached from here: every file of the batch says so
            why = f"the worker cannot open the source: {type(exc).__name__}"
            results = [FileObservation(e, None, Status.UNREADABLE, why) for e in entries]
            entries = []
        many = getattr(observe, "many", None)  # an observer that reads a batch at once (``JobObserver``)

        def started(index: int, number: int = number) -> None:
            slot[0], slot[1], slot[2] = number, index, time.monotonic()

        if many is not None and entries:
            results += many(entries, crawler, job, started)
        for index, entry in enumerate(entries if many is None else ()):
            started(index)
            results.append(observe(entry, crawler, job))
        slot[2] = 0.0
        conn.send((number, results, time.monotonic() - began))


class WorkerPool:
    """``workers`` forked processes sharing a loaded detector (the loader's, else this process's, loaded by
    ``load``); ``run`` streams observations."""

    def __init__(
        self,
        workers: int,
        memory: int,
        observe: Observe,
        key: object = None,
        files: int = 0,
        load: Callable[[], object] | None = None,
    ) -> None:
        self.size, self.memory, self.observe, self.key = workers, memory, observe, key
        self.load = load  # what the workers share, loaded here before one is forked from this process
        self.files = files  # files a worker is given before a fresh one takes its place (0: no limit)
        self.context = multiprocessing.get_context("fork")
        self.workers: list[_Worker] = []
        self.numbers = itertools.count(1)
        self.replaced = 0
        self.renewed = 0  # workers stopped after their ``files`` and replaced
        self.requeue: list[_Batch] = []  # batches taken back from a retired worker, handed out first

    def _start(self) -> _Worker:
        parent_end, child_end = self.context.Pipe(duplex=True)
        room = _widen(parent_end) // 2
        _widen(child_end)
        slot, slot_fd = _new_slot()
        try:
            fds = [child_end.fileno(), slot_fd]
            forked = loader.fork(self.key, _forked_main, (self.memory, self.observe), fds)
            if forked is not None:  # the loader holds the detector: the worker shares its memory
                return _Worker(forked, parent_end, slot, loader.rss(), room)
            if self.load is not None:
                self.load()
            gc.collect()
            gc.freeze()  # keep the collector from touching (and so copying) the pages loaded before the fork
            _trim()  # free heap pages left by loading go back to the system rather than into every worker's share
            process = self.context.Process(
                target=_worker_main,
                args=(child_end, slot, self.memory, self.observe, [parent_end] + [w.conn for w in self.workers]),
                daemon=True,
                name="steward-worker",
            )
            process.start()
            return _Worker(process, parent_end, slot, _rss(os.getpid()), room)
        finally:
            child_end.close()
            os.close(slot_fd)

    def _reap(self) -> list[FileObservation]:
        """Take out dead workers (the file each had in hand is unreadable); ``run`` forks their replacements."""
        lost: list[FileObservation] = []
        for worker in [w for w in self.workers if not w.process.is_alive()]:
            code = worker.process.exitcode
            why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            if code is None:  # forked by a loader that has since gone: its status went with it
                why = "exit status unknown"
            log.warning("a content worker died (%s); a new one takes its place", why)
            if code == -signal.SIGABRT and self.memory:
                # A native parser (PDFium, libxml2) aborts when an allocation fails under the memory ceiling.
                mb = self.memory // (1024 * 1024)
                lost.extend(self._retire(worker, Status.TOO_LARGE, f"worker memory exceeded {mb} MB ({why})"))
            else:
                lost.extend(self._retire(worker, Status.UNREADABLE, f"worker process died ({why})"))
        return lost

    def _spent(self, worker: _Worker) -> bool:
        return 0 < self.files <= worker.handed

    def _renew(self) -> None:
        """Stop each worker that has been given its ``files`` and has finished them; ``run`` forks a fresh
        one from this process. What a worker gathers as it reads (pages of the model it made its own, spaCy's
        vocabulary, the allocator's free lists) goes with it, and nothing it was given is lost."""
        spent = [w for w in self.workers if self._spent(w) and not w.batches]
        _stop(spent)
        self.workers = [w for w in self.workers if w not in spent]
        self.renewed += len(spent)

    def close(self) -> None:
        """Stop every worker (they finish nothing further)."""
        _stop(self.workers)
        self.workers = []

    def _retire(self, worker: _Worker, status: Status | None, reason: str) -> list[FileObservation]:
        """Stop ``worker``; the file in hand gets ``status`` (none if it was idle); its unstarted batches return."""
        busy = worker.slot[2] > 0 and worker.batches and worker.batches[0].number == int(worker.slot[0])
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self.workers.remove(worker)
        self.replaced += 1
        lost: list[FileObservation] = []
        if worker.batches and status is not None:
            first = worker.batches[0]
            index = int(worker.slot[1]) if busy else -1
            if 0 <= index < len(first.entries):
                entry = first.entries[index]
                lost.append(FileObservation(entry, None, status, reason))
                log.warning("%s/%s: %s; the worker was replaced", entry.source, entry.path, reason)
                first.entries = first.entries[:index] + first.entries[index + 1 :]
            else:
                first.attempts += 1
                if first.attempts >= 3:  # it fails outside any one file: give its files an outcome, not a loop
                    lost.extend(FileObservation(e, None, Status.UNREADABLE, reason) for e in first.entries)
                    first.entries = []
        self.requeue.extend(b for b in worker.batches if b.entries)
        return lost

    def _limits(self, now: float) -> Iterator[FileObservation]:
        for worker in list(self.workers):
            started = worker.slot[2]
            if not worker.batches:
                continue
            limit = worker.batches[0].job.limits.max_seconds
            hard = limit + max(30.0, limit)  # the worker stops itself at the limit; this is for code that cannot
            if started <= 0:  # between files: a worker that holds work but starts none for that long is stuck
                if now - worker.progress > hard:
                    yield from self._retire(worker, Status.UNREADABLE, f"worker stalled for {hard:g} s between files")
                continue
            if now - started > hard:
                yield from self._retire(worker, Status.TIMEOUT, f"content work exceeded {hard:g} s; worker stopped")
            elif self.memory > 0 and _rss(worker.process.pid or 0) > worker.baseline_rss + self.memory:
                mb = self.memory // (1024 * 1024)
                yield from self._retire(worker, Status.TOO_LARGE, f"worker memory exceeded {mb} MB")

    def run(
        self, entries: Iterator[FileEntry], job: Any, idle: Callable[[], None] | None = None
    ) -> Iterator[FileObservation]:
        """Observe ``entries`` in the workers, yielding observations as batches complete (not in order).
        ``idle`` is called when every worker is busy and none has answered, before waiting for one.

        If the caller stops early, workers with files still in hand are stopped and replaced on the next run.
        """
        self.requeue = []
        exhausted = False
        ahead: deque[FileEntry] = deque()  # the next entries of the stream, so batches shrink near its end
        try:
            while True:
                if self.requeue or not exhausted:
                    self._renew()
                yield from self._reap()
                for index in range(self.size):
                    if index == len(self.workers):  # missing: forked now, and given work before the next is
                        if exhausted and not self.requeue:
                            break
                        self.workers.append(self._start())
                    worker = self.workers[index]
                    while len(worker.batches) < _depth(worker) and not self._spent(worker):
                        batch = self.requeue.pop(0) if self.requeue else None
                        if batch is None and not exhausted:
                            batch = self._next_batch(entries, ahead, job)
                            exhausted = batch is None
                        if batch is None:
                            break
                        data = ForkingPickler.dumps((batch.number, batch.job, batch.entries))
                        if worker.batches and sum(b.size for b in worker.batches) + len(data) > worker.room:
                            self.requeue.insert(0, batch)  # the next worker with room takes it
                            break
                        batch.size = len(data)
                        if not worker.batches:
                            worker.progress = time.monotonic()
                        worker.batches.append(batch)
                        worker.handed += len(batch.entries)
                        with contextlib.suppress(OSError):  # a dead worker: the next round replaces it
                            worker.conn.send_bytes(data)
                busy = [w for w in self.workers if w.batches]
                if not busy:
                    return
                by_handle: dict[Any, _Worker] = {}
                for worker in busy:
                    by_handle[worker.conn] = worker
                    by_handle[worker.process.sentinel] = worker
                handles = list(by_handle)
                ready = wait(handles, timeout=0) if idle is not None else []
                if not ready:
                    if idle is not None:
                        idle()
                    ready = wait(handles, timeout=TICK)
                for handle in ready:
                    worker = by_handle[handle]
                    if worker not in self.workers or handle is not worker.conn:
                        continue  # a sentinel: the worker died, and the next round replaces it
                    try:
                        number, observations, spent = worker.conn.recv()
                    except (EOFError, OSError):
                        continue  # it died: the next round replaces it
                    if observations:
                        worker.per_file = spent / len(observations)
                    worker.batches = [b for b in worker.batches if b.number != number]
                    worker.progress = time.monotonic()
                    yield from observations
                yield from self._limits(time.monotonic())
        finally:
            if any(w.batches for w in self.workers):
                for worker in list(self.workers):
                    if worker.batches:
                        self._retire(worker, None, "")
            self.requeue = []

    def _next_batch(self, entries: Iterator[FileEntry], ahead: deque[FileEntry], job: Any) -> _Batch | None:
        """Up to ``BATCH_FILES`` entries (or ``BATCH_BYTES``). Near the end of the stream, when fewer entries are
        left than the workers hold, batches shrink to a share of what is left, so the workers run out of work
        together rather than one reading a last full batch while the others wait."""
        slots = sum(_depth(w) for w in self.workers) + HELD * max(0, self.size - len(self.workers))
        for entry in itertools.islice(entries, max(0, slots * BATCH_FILES - len(ahead))):  # what they hold
            ahead.append(entry)
        files = min(BATCH_FILES, -(-len(ahead) // slots))
        batch: list[FileEntry] = []
        size = 0
        while ahead and len(batch) < files and size < BATCH_BYTES:
            entry = ahead.popleft()
            batch.append(entry)
            size += entry.size or 0
        return _Batch(next(self.numbers), job, batch) if batch else None


_POOL: list[WorkerPool] = []  # this process's pool, kept for the next source and the next run


def pool_for(
    workers: int, memory: int, observe: Observe, key: object, files: int = 0, load: Callable[[], object] | None = None
) -> WorkerPool:
    """The process's pool for these settings, (re)started if the settings changed; a larger pool already
    running serves a request for fewer workers (a service's watcher and its walks share one pool)."""
    if _POOL and ((_POOL[0].key, _POOL[0].memory, _POOL[0].files) != (key, memory, files) or _POOL[0].size < workers):
        _POOL.pop().close()
    if not _POOL:
        _POOL.append(WorkerPool(workers, memory, observe, key, files, load))
    return _POOL[0]


def rest() -> None:
    """Stop the pool's workers but keep the pool: its next run forks new ones from this process, which still
    holds the detector. Called when a walk is done, so the workers' memory is not held while the rules run
    or the process waits for its next run."""
    for pool in _POOL:
        pool.close()


def shutdown() -> None:
    """Stop the pool's workers (at exit, or when a service stops)."""
    while _POOL:
        _POOL.pop().close()


atexit.register(shutdown)
