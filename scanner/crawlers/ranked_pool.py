"""A few threads that take the most urgent task first (``concurrent.futures`` gives its tasks out in the order
they came).

The walk of a slow file system (``scanner.crawlers.local_lookers``) hands its threads two kinds of work: the files
of the folder it is in, which it waits for now, and folders it will reach later, read ahead. A folder nearer the
end of the walk's path comes sooner (the walk goes depth first), so a task's ``rank`` is what orders them: the
lowest first, and tasks of one rank in the order they were given.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

_Task = tuple[int, int, Future[Any], Callable[[], Any]]


class RankedPool:
    def __init__(self, threads: int, name: str) -> None:
        """Start the threads; RuntimeError when not one can be started (a process at its limit)."""
        self._tasks: list[_Task] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        self._threads: list[threading.Thread] = []
        for i in range(threads):
            thread = threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
            try:
                thread.start()
            except RuntimeError:
                if not self._threads:
                    raise
                break  # as many as could be had
            self._threads.append(thread)

    def submit(self, rank: int, work: Callable[[], Any]) -> Future[Any]:
        """``work()``, run by a thread once no task of a lower rank waits; its future (``cancel`` works until a
        thread takes it). RuntimeError once the pool is shut down."""
        future: Future[Any] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            heapq.heappush(self._tasks, (rank, next(self._order), future, work))
            self._ready.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._tasks and not self._closed:
                    self._ready.wait()
                if not self._tasks:
                    return
                _, _, future, work = heapq.heappop(self._tasks)
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            try:
                future.set_result(work())
            except BaseException as exc:  # the caller's to see, as concurrent.futures hands it over
                future.set_exception(exc)

    def shutdown(self) -> None:
        """Cancel the tasks still waiting, let the running ones finish, and end the threads."""
        with self._ready:
            self._closed = True
            for _, _, future, _ in self._tasks:
                future.cancel()
            self._tasks.clear()
            self._ready.notify_all()
        for thread in self._threads:
            thread.join()
