"""Follows live folders: a new or changed file is reported once it has stopped changing. No store, no scanning.

watchdog (inotify on Linux) reports events on its own thread; each touched file joins a pending set. A checker
thread stats the pending files every ``poll`` seconds and reports a file once its size and modification time have
stayed the same for ``settle`` seconds, so a large export being copied in is read once, whole. A folder created
or moved in is walked and its files join the pending set (inotify reports only the folder).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Ready = Callable[[str, str], None]  # (source id, path relative to its root)


class SettleWatcher:
    def __init__(self, roots: Mapping[str, Path], settle: float, poll: float, ready: Ready) -> None:
        self.roots = {sid: os.path.realpath(root) for sid, root in roots.items()}
        self.settle, self.poll, self.ready = settle, poll, ready
        self._pending: dict[tuple[str, str], tuple[tuple[int, int] | None, float]] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._observer: Any = None
        self._checker = threading.Thread(target=self._check_loop, name="steward-watch-settle", daemon=True)

    def start(self) -> list[str]:
        """Start watching; returns the ids of the sources actually watched (a missing root is logged)."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                if event.event_type in ("created", "modified", "moved", "closed"):
                    path = getattr(event, "dest_path", "") or event.src_path
                    watcher.touch(os.fsdecode(path))

        self._observer = Observer()
        watched = []
        for sid, root in self.roots.items():
            try:
                self._observer.schedule(Handler(), root, recursive=True)
                watched.append(sid)
            except OSError as exc:
                log.error("cannot watch source %s: %s (%s)", sid, root, exc.strerror or type(exc).__name__)
        self._observer.start()
        self._checker.start()
        return watched

    def stop(self) -> None:
        self._stopped.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._checker.is_alive():
            self._checker.join(timeout=5)

    def touch(self, path: str) -> None:
        """Note that ``path`` (absolute) changed: it is reported once it settles."""
        for sid, root in self.roots.items():
            if path.startswith(root + os.sep):
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with self._lock:
                    self._pending[(sid, rel)] = (None, time.monotonic())
                return

    def _check_loop(self) -> None:
        while not self._stopped.wait(self.poll):
            try:
                self._check()
            except Exception:  # the watcher must outlive any one bad path
                log.exception("watch check failed")

    def _check(self) -> None:
        now = time.monotonic()
        with self._lock:
            pending = list(self._pending.items())
        for (sid, rel), (last, since) in pending:
            path = os.path.join(self.roots[sid], rel)
            try:
                st = os.stat(path, follow_symlinks=False)
            except OSError:
                self._forget(sid, rel, last, since)  # gone before it settled: the next scan records it
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                self._forget(sid, rel, last, since)
                self._walk(path)
                continue
            signature = (st.st_size, st.st_mtime_ns)
            if signature != last:
                with self._lock:
                    if self._pending.get((sid, rel)) == (last, since):
                        self._pending[(sid, rel)] = (signature, now)
            elif now - since >= self.settle and self._forget(sid, rel, last, since):
                self.ready(sid, rel)

    def _forget(self, sid: str, rel: str, last: tuple[int, int] | None, since: float) -> bool:
        """Drop a pending path unless a new event arrived for it meanwhile."""
        with self._lock:
            if self._pending.get((sid, rel)) == (last, since):
                del self._pending[(sid, rel)]
                return True
        return False

    def _walk(self, folder: str) -> None:
        for dirpath, _, files in os.walk(folder):
            for name in files:
                self.touch(os.path.join(dirpath, name))
