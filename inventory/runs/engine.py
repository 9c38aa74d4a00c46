"""Which engine a scan's content work runs on, and what it shows while it runs.

``cluster_executor`` chooses for ``scan.engine: dask``: database sources stay on the coordinator's own pool
unless ``scan.dask.databases: workers``; an unreachable scheduler fails in one sentence or, with
``scan.dask.fallback: local``, scans locally. ``EngineWatch`` copies the engine's state (workers connected, files
in flight, per-worker rates) into the run, which `steward status` reads, and onto the progress line.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from inventory.config import StewardConfig
from inventory.runs.progress import Progress
from inventory.store.models import ScanRun

log = logging.getLogger(__name__)

PUBLISH_SECONDS = 2.0
FIRST_PUBLISH_SECONDS = 0.5  # the first figures once work is under way, so a short scan shows them too


def local_workers(config: StewardConfig) -> int:
    return config.scan.workers or os.cpu_count() or 1


def cluster_executor(config: StewardConfig, source: Any, local: Callable[[int], Any]) -> Any:
    """The Dask executor for ``source``, or ``local(workers)`` where the config keeps the work here."""
    settings = config.scan.dask
    if source is not None and source.kind == "database" and settings.databases == "coordinator":
        return local(local_workers(config))
    from scanner.cluster import ClusterUnavailable, DaskExecutor, connect

    try:
        client, cluster = connect(settings, local_workers(config))
    except ClusterUnavailable as exc:
        if settings.fallback != "local":
            raise
        log.warning("%s; scanning with the local engine (scan.dask.fallback: local)", exc)
        return local(local_workers(config))
    return DaskExecutor(settings, client, cluster)


def engine_state(executor: Any) -> dict[str, Any]:
    state = getattr(executor, "state", None)
    if callable(state):
        found: dict[str, Any] = state()
        return found
    return {"engine": "local", "workers": getattr(executor, "workers", 1)}


class EngineWatch:
    """Every couple of seconds (the first time half a second after the start): the engine's state into the run's
    provenance (committed with the next checkpoint) and onto the progress line."""

    def __init__(self, run: ScanRun, executor: Any, progress: Progress | None) -> None:
        self.run, self.executor, self.progress = run, executor, progress
        self.last, self.every = 0.0, FIRST_PUBLISH_SECONDS
        self.tick(force=True)

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        if not force:
            self.every = PUBLISH_SECONDS
        self.last = now
        state = engine_state(self.executor)
        self.run.provenance = {**(self.run.provenance or {}), "engine": state}
        if self.progress is not None:
            self.progress.engine = state
