"""The coordinator side of a Dask scan: ``DaskExecutor`` sends content work to Dask workers in batches.

The coordinator keeps walking and recording; the executor takes the entries that need reading (riskiest first,
as the walk orders them), sends them in batches (8 files to each worker first, doubling up to
``scan.dask.batch``) to the workers that passed the plugin's checks, and yields one observation per entry as
batches complete. A worker killed mid-batch loses nothing: the scheduler runs the batch again elsewhere, and only
a completed batch is yielded, so every file is recorded once. A batch that kills every worker it meets
(``KilledWorker``) is recorded as unreadable, as the local pool does. Results come straight from the workers
(``direct_to_workers``), not relayed by the scheduler.
"""

from __future__ import annotations

import logging
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from typing import Any

from distributed import Client, Future, LocalCluster, wait
from distributed.scheduler import KilledWorker
from distributed.security import Security

from scanner.cluster.worker import BatchResult, StewardPlugin, identity, observe_batch, report, without_secrets
from scanner.config import DaskConfig
from scanner.errors import SourceError, StewardError
from scanner.types import FileEntry, FileObservation, Status

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0  # how often the coordinator looks at the workers connected
FIRST_BATCH = 8  # files in each worker's first batch; batches double from there up to scan.dask.batch
QUEUED_PER_WORKER = 3  # batches handed out per ready worker (one read, the others waiting on it), plus two
READ_AHEAD = 2  # entries taken from the walk ahead of those sent: this many full batches per worker
TAIL_SHARES = 2  # at the end of the list, a batch holds at most 1/(TAIL_SHARES x workers) of the files left
TAIL_BATCH = 4  # but no fewer files than this (the scheduler's and the coordinator's cost is per task)


class ClusterUnavailable(StewardError):
    """The Dask scheduler cannot be reached when a scan starts."""


def security(settings: DaskConfig) -> Security | None:
    tls = settings.tls
    if tls is None:
        return None
    return Security(
        tls_ca_file=str(tls.ca_file),
        tls_client_cert=str(tls.cert),
        tls_client_key=str(tls.key),
        require_encryption=True,
    )


def connect(settings: DaskConfig, local_workers: int) -> tuple[Client, LocalCluster | None]:
    """A client of the configured scheduler, or of a LocalCluster on 127.0.0.1; raises ClusterUnavailable."""
    sec = security(settings)
    if not log.isEnabledFor(logging.DEBUG):  # Dask's own chatter (workers joining, closing) only when debugging
        logging.getLogger("distributed").setLevel(logging.WARNING)
    if settings.scheduler == "local":
        # On 127.0.0.1, but still TLS with throwaway certificates: no other local user can hand it work.
        local = Security.temporary()
        cluster = LocalCluster(
            n_workers=local_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=settings.dashboard or "127.0.0.1:0",  # its HTTP server too, never 0.0.0.0
            protocol="tls://",
            security=local,
        )
        return Client(cluster, security=local, set_as_default=False, direct_to_workers=True), cluster
    try:
        client = Client(
            settings.scheduler,
            security=sec,
            timeout=f"{settings.connect_timeout}s",
            set_as_default=False,
            direct_to_workers=True,  # results come from the workers, not relayed by the scheduler
        )
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(
            f"the Dask scheduler at {settings.scheduler} cannot be reached within {settings.connect_timeout:g} s "
            f"({type(exc).__name__}); start it, correct scan.dask.scheduler, or set scan.dask.fallback: local"
        ) from None
    return client, None


@dataclass
class WorkerRate:
    """One worker's work in this scan, as its tasks reported it (``first`` is the coordinator's clock)."""

    files: int = 0
    busy: float = 0.0  # wall seconds spent reading batches
    cpu: float = 0.0  # CPU seconds the worker process used meanwhile
    began: float = float("inf")  # the worker's clock (seconds since the epoch): its first batch began
    ended: float = 0.0  # and its last batch ended
    first: float = field(default_factory=time.monotonic)


class DaskExecutor:
    """Content work on Dask workers. ``observe`` is called once; the client is closed when it ends."""

    def __init__(self, settings: DaskConfig, client: Client, cluster: LocalCluster | None = None) -> None:
        self.settings, self.client, self.cluster = settings, client, cluster
        self.accepted: set[str] = set()
        self.refused: dict[str, str] = {}
        self.connected: list[str] = []
        self.in_flight = 0
        self.rates: dict[str, WorkerRate] = {}
        self._checked = 0.0
        self._closer = weakref.finalize(self, _close, client, cluster)
        info = client.scheduler_info()
        self.address = str(info.get("address") or settings.scheduler)
        self.dashboard = _dashboard(client, info)
        log.info(
            "scan engine dask: scheduler %s%s", self.address, f", dashboard {self.dashboard}" if self.dashboard else ""
        )

    def close(self) -> None:
        self._closer()

    def state(self) -> dict[str, Any]:
        """What `steward status` and the progress line show: workers, files in flight, per-worker rates."""
        now = time.monotonic()
        return {
            "engine": "dask",
            "scheduler": self.address,
            "dashboard": self.dashboard,
            "workers": len(self.connected),
            "accepted": len(self.accepted),
            "refused": dict(self.refused),
            "in_flight": self.in_flight,
            "rates": {a: round(r.files / max(now - r.first, 1e-6), 1) for a, r in sorted(self.rates.items())},
        }

    def observe(
        self,
        entries: Iterable[FileEntry],
        job: Any,
        on_provenance: Callable[[dict[str, Any]], None] | None = None,
        idle: Callable[[], None] | None = None,
    ) -> Iterator[FileObservation]:
        stream = iter(entries)
        first = next(stream, None)
        if first is None:
            self.close()
            return
        name = f"steward-{job.source.id}-{uuid.uuid4().hex[:8]}"
        try:
            self._setup(name, job)
            if on_provenance:
                ready = sorted(self.accepted)[0]
                on_provenance(self.client.run(report, name, workers=[ready])[ready]["provenance"])
            yield from self._run(name, chain([first], stream), idle)
        finally:
            self.in_flight = 0
            try:
                self.client.unregister_worker_plugin(name)
            except Exception as exc:  # the scheduler went away; nothing is left to tidy on it
                log.debug("could not remove the worker plugin: %s", type(exc).__name__)
            self.close()

    def _setup(self, name: str, job: Any) -> None:
        root = getattr(job.source, "root", None)
        has_files = job.source.kind == "local" and _has_files(root)
        wire = replace(job, source=without_secrets(job.source))  # every field of the job, but no password
        self.client.register_plugin(StewardPlugin(name, wire, identity(job.detection), has_files), name=name)
        self._wait_for_workers(name)

    def _wait_for_workers(self, name: str) -> None:
        """Until at least one worker is ready, for up to ``wait_for_workers`` seconds."""
        deadline = time.monotonic() + self.settings.wait_for_workers
        while True:
            self._refresh(name, force=True)
            if self.accepted:
                return
            if time.monotonic() > deadline:
                why = "; ".join(f"{a}: {r}" for a, r in sorted(self.refused.items())) or "none connected"
                raise SourceError(
                    f"no Dask worker at {self.address} could take the scan within "
                    f"{self.settings.wait_for_workers:g} s ({why})"
                )
            time.sleep(0.5)

    def _refresh(self, name: str, force: bool = False) -> None:
        """Learn which workers are connected; ask new ones whether they are ready, and log any refusal once."""
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_SECONDS:
            return
        self._checked = now
        self.connected = sorted(self.client.scheduler_info(n_workers=-1)["workers"])
        self.accepted &= set(self.connected)
        new = [a for a in self.connected if a not in self.accepted and a not in self.refused]
        if not new:
            return
        answers = self.client.run(report, name, workers=new, on_error="return")
        for address, answer in answers.items():
            if isinstance(answer, BaseException):
                continue  # gone while asked; the next refresh sees
            if answer["state"] == "ready":
                self.accepted.add(address)
                log.info("Dask worker %s is ready", address)
            elif answer["state"] == "refused":
                self.refused[address] = answer["reason"]
                log.error("Dask worker %s is refused: %s", address, answer["reason"])

    def _run(
        self, name: str, stream: Iterator[FileEntry], idle: Callable[[], None] | None = None
    ) -> Iterator[FileObservation]:
        pending: dict[Future[Any], list[FileEntry]] = {}
        allowed: dict[Future[Any], frozenset[str]] = {}
        ahead: deque[FileEntry] = deque()
        seq, exhausted, starved_since = 0, False, None
        while True:
            self._refresh(name)
            while (ahead or not exhausted) and len(pending) < QUEUED_PER_WORKER * len(self.accepted) + 2:
                if not self.accepted:
                    break
                size = self._size(seq)
                if not exhausted:  # read ahead, so that the end of the list is seen before its last batches go
                    want = max(0, READ_AHEAD * size * len(self.accepted) - len(ahead))
                    got = len(ahead)
                    ahead.extend(islice(stream, want))
                    exhausted = len(ahead) - got < want
                if exhausted:
                    size = self._tail(size, len(ahead))
                batch = [ahead.popleft() for _ in range(min(size, len(ahead)))]
                if not batch:
                    break
                future = self._submit(name, batch, seq)
                pending[future], allowed[future] = batch, frozenset(self.accepted)
                self.in_flight += len(batch)
                seq += 1
            if not pending:
                if exhausted and not ahead:
                    return
            else:
                if idle is not None and not any(f.done() for f in pending):
                    idle()  # every batch is out and none is back: the coordinator writes what it holds
                try:
                    with self.client.as_current():
                        done = wait(list(pending), timeout=REFRESH_SECONDS, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    done = set()
                for future in done:
                    batch = pending.pop(future)
                    del allowed[future]
                    self.in_flight -= len(batch)
                    yield from self._results(future, batch)
            starved_since = self._starved(name, pending, allowed, starved_since)

    def _size(self, seq: int) -> int:
        """Files in batch ``seq``: ``FIRST_BATCH`` for each worker's first, doubling each round of batches up to
        ``scan.dask.batch``, so that a short list still spreads over every worker and the riskiest files come
        back soon, while a long scan sends few, large tasks (the coordinator's and scheduler's cost is per task)."""
        rounds = seq // max(1, len(self.accepted))
        return min(self.settings.batch, FIRST_BATCH << min(rounds, 16))

    def _tail(self, size: int, left: int) -> int:
        """Files in a batch once the end of the list is in sight: a share of what is left that shrinks with it
        (``left`` over ``TAIL_SHARES`` per worker), so that the workers finish together rather than one reading a
        full batch while the others have nothing left."""
        share = -(-left // (TAIL_SHARES * max(1, len(self.accepted))))
        return max(min(size, share), min(left, TAIL_BATCH))

    def _submit(self, name: str, batch: list[FileEntry], seq: int) -> Future[Any]:
        return self.client.submit(
            observe_batch,
            name,
            batch,
            key=f"{name}-{seq}" if seq >= 0 else f"{name}-again-{uuid.uuid4().hex[:8]}",
            workers=sorted(self.accepted),
            allow_other_workers=False,
            pure=False,
            priority=-seq if seq >= 0 else 1,  # earlier batches (the riskiest files) first
        )

    def _results(self, future: Future[Any], batch: list[FileEntry]) -> Iterator[FileObservation]:
        try:
            done: BatchResult = future.result()
        except KilledWorker:
            log.error("a batch of %d file(s) killed every worker that read it; recorded as unreadable", len(batch))
            yield from (FileObservation(e, None, Status.UNREADABLE, "worker process died while reading") for e in batch)
            return
        rate = self.rates.setdefault(done.address, WorkerRate())
        rate.files += len(done.observations)
        rate.busy += done.ended - done.began
        rate.cpu += done.cpu
        rate.began, rate.ended = min(rate.began, done.began), max(rate.ended, done.ended)
        yield from done.observations

    def _starved(
        self,
        name: str,
        pending: dict[Future[Any], list[FileEntry]],
        allowed: dict[Future[Any], frozenset[str]],
        since: float | None,
    ) -> float | None:
        """Hand batches held for workers that are gone to those that are here; fail when none has been for long."""
        if self.accepted:
            for future in [f for f, who in allowed.items() if not who & self.accepted]:
                batch = pending.pop(future)
                del allowed[future]
                future.cancel()  # never started anywhere: its workers were gone
                again = self._submit(name, batch, seq=-1)
                pending[again], allowed[again] = batch, frozenset(self.accepted)
            return None
        if not pending:
            time.sleep(0.5)  # nothing to wait on: look for workers again shortly
        now = time.monotonic()
        if since is None:
            return now
        if now - since > self.settings.wait_for_workers:
            raise SourceError(
                f"every Dask worker at {self.address} left the scan and none came back within "
                f"{self.settings.wait_for_workers:g} s"
            )
        return since


def _has_files(root: Any) -> bool:
    import os

    try:
        return root is not None and next(os.scandir(root), None) is not None
    except OSError:
        return False


def _dashboard(client: Client, info: dict[str, Any]) -> str | None:
    """The dashboard's address when the scheduler really serves one (it needs bokeh there)."""
    import socket
    from urllib.parse import urlsplit

    if "dashboard" not in info.get("services", {}):
        return None
    link = str(client.dashboard_link)
    where = urlsplit(link)
    try:
        with socket.create_connection((where.hostname or "127.0.0.1", where.port or 80), timeout=0.5):
            return link
    except OSError:
        return None


def _close(client: Client, cluster: LocalCluster | None) -> None:
    client.close()
    if cluster is not None:
        cluster.close()
