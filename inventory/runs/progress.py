"""Progress of a scan: a live status line on a terminal, a periodic log line otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Protocol, TextIO

log = logging.getLogger(__name__)


class Counts(Protocol):
    seen: int
    read: int
    unchanged: int
    moved: int


class Progress:
    def __init__(self, source: str, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.source = source
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.every = 0.2 if self.live else every
        self.started = self._last = time.monotonic()
        self.engine: dict[str, Any] | None = None  # the content engine's state, set while it runs

    def update(self, run: Counts, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return
        self._last = now
        rate = run.seen / max(now - self.started, 1e-6)
        line = (
            f"{self.source}: {run.seen:,} seen, {run.read:,} read, {run.unchanged:,} unchanged, "
            f"{run.moved:,} moved ({rate:,.0f} files/s)"
        )
        if self.engine and self.engine.get("engine") == "dask":
            line += "; " + engine_line(self.engine)
        if self.live:
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
        else:
            log.info("%s", line)

    def close(self) -> None:
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()


def engine_line(state: dict[str, Any]) -> str:
    """A Dask engine's state in a few words: workers, files in flight, each worker's rate."""
    rates = ", ".join(f"{address.rsplit('/', 1)[-1]} {rate:,.0f}/s" for address, rate in state["rates"].items())
    refused = f" ({len(state['refused'])} refused)" if state.get("refused") else ""
    return (
        f"dask {state['scheduler']}: {state['workers']} worker(s) connected{refused}, "
        f"{state['in_flight']:,} file(s) in flight" + (f"; per worker {rates}" if rates else "")
    )
