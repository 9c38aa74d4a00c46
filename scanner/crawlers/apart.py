"""A crawler's walk in a process forked for it, beside the scan process that compares what it finds.

A re-scan of a quiet share is a walk and a comparison: listing and looking at every entry (``stat``) and looking
each up among the stored rows. Both are Python, one file at a time, so on one core they add up; walked in a process
of its own, the walk runs on one core and the comparison on the other. The walker runs the crawler's
``iter_compact`` (each regular file a plain tuple of its path and ``stat`` fields, under a microsecond to send and
to take, where a whole entry takes several) and sends the items in batches over a pipe, whose room bounds how far
it runs ahead. The scan process compares a plain file's facts (``stat_facts``) with the stored row and makes an
entry (``expand``) only of what it must record or read. What the walk raises is raised here, as the same
exception. The walker ends with the walk, when the scan stops taking entries (a paused or interrupted scan), or
with the command however it ends. Where a process cannot be forked safely (no ``fork``; other threads running, one
of which might hold a lock the child would wait on for ever: a service's scheduler, a cluster client) the walk
runs here.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import threading
from collections.abc import Generator, Iterator
from functools import partial
from multiprocessing.connection import Connection, Pipe
from typing import Any

from scanner import loader
from scanner.crawlers.base import Crawler
from scanner.errors import SourceError

log = logging.getLogger(__name__)

BATCH = 512  # items a message carries (about 50 KB of plain tuples)
_F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20  # the pipe's room asked for: a dozen batches ahead (the kernel may give less)


def walk_apart(crawler: Crawler, what: str, apart: bool = True) -> Generator[Any, None, None]:
    """``crawler.iter_compact()`` (``crawler.expand`` makes each item an entry), walked in a forked process where
    it can be (``apart`` and ``crawler.walks_apart``); ``what`` names the walk in the sentence a walker stopped
    from outside raises."""
    if not (apart and crawler.walks_apart) or not hasattr(os, "fork") or threading.active_count() > 1:
        yield from crawler.iter_compact()
        return
    read, write = Pipe(duplex=False)
    with contextlib.suppress(OSError):
        import fcntl

        fcntl.fcntl(write.fileno(), _F_SETPIPE_SZ, PIPE_BYTES)
    pid = loader.forked("steward-walker", partial(_walk, crawler, write), read.close)
    write.close()
    try:
        yield from _items(read, pid, what)
    finally:
        read.close()
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # ended already, or stopped mid-walk: nothing of it is wanted
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _items(read: Connection, pid: int, what: str) -> Iterator[Any]:
    while True:
        try:
            kind, payload = read.recv()
        except EOFError:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            raise SourceError(f"{what}: the walk was stopped ({how}) before it finished") from None
        if kind == "entries":
            yield from payload
        elif kind == "error":
            raise payload
        else:
            return


def _walk(crawler: Crawler, write: Connection) -> None:
    gc.freeze()  # the scan process's objects are never walked by the collector here, so never copied
    try:
        batch: list[Any] = []
        for entry in crawler.iter_compact():
            batch.append(entry)
            if len(batch) >= BATCH:
                write.send(("entries", batch))
                batch = []
        if batch:
            write.send(("entries", batch))
        write.send(("end", None))
    except (BrokenPipeError, ConnectionResetError):
        return  # the scan stopped taking entries
    except Exception as exc:  # raised in the scan process as it would have been there
        log.debug("walker: %s", exc, exc_info=True)
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # one that cannot be sent as it is: its class and words
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        write.send(("error", exc))
