"""Scan rate with the local engine and with Dask workers, scaling efficiency, and the coordinator's cost per file.

    python benchmarks/cluster.py                          # 1200 files of the sample share (every format)
    python benchmarks/cluster.py --files 2000 --tls       # over TLS
    python benchmarks/cluster.py --database postgresql+psycopg://postgres@127.0.0.1:5432/steward_cluster

Starts a real `dask scheduler` and two `dask worker` processes (one thread each, no nanny) on 127.0.0.1.

Content work alone (no store): the local pool with 1 and 2 processes, then Dask rounds alternating 1 worker
(the other left idle) and 2 workers, so that a change in the machine's load falls on both. Every round starts with
the workers' caches emptied, so each reads the share as new (as the local pool's fresh processes do). Each Dask
task reports when it began and ended on its worker and the CPU the worker process used meanwhile, which gives,
per round:

    rate       files / wall time (first batch began to last batch ended)
    cpu rate   files / CPU seconds of the workers            (what a worker reads per second on a core of its own)
    occupancy  seconds the workers spent on batches / (workers x wall)   (below 1: a worker waited for work)
    grant      CPU seconds of the workers / seconds spent on batches     (below 1: the machine gave it less than
                                                                           a core while it had work)

rate = workers x cpu rate x occupancy x grant, so the scaling efficiency rate(2) / (2 x rate(1)) is exactly the
product of three ratios: cpu rate(2)/cpu rate(1) (more work per file with more workers), occupancy(2)/occupancy(1)
(workers starved by the coordinator or the scheduler) and grant(2)/grant(1) (cores taken by other processes). The
first two are the engine's; the third is the machine's. "Efficiency with a core per worker" is the product of the
first two: what the same engine gives where each worker has a core of its own.

Then two whole Dask scans (2 workers) into PostgreSQL, of half the files and of all of them, each a new source in
the store given by --database (by default a fresh database next to $STEWARD_TEST_PG_URL, dropped afterwards). The
coordinator's CPU (getrusage of this process, every thread) is split at the moment the last observation is
recorded: feeding (walk, batches out, results in, recording) and closing (roll-up, ownership, rules, risks).
The difference between the two scans divided by the difference in files is the cost per file (what a scan costs
once, such as loading the rules, is left out). Feeding CPU per file against the workers' CPU per file in the same
run gives how many workers one coordinator core keeps busy, whatever the load. The machine's load average is
printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

from scanner.cluster import DaskExecutor  # noqa: E402  (after the path above)
from scanner.cluster.executor import FIRST_BATCH  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def own_cpu() -> float:
    """CPU seconds of this process so far (every thread: the walk, the recorder, Dask's client)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU seconds so far of these processes (from /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children() -> list[int]:
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == me:
                        found.append(int(entry))
            except OSError:
                continue
    return found


class Processes:
    """A scheduler and workers as separate OS processes; stopped by their pids."""

    def __init__(self, tls: Path | None) -> None:
        self.tls, self.procs = tls, list[subprocess.Popen[bytes]]()
        self.address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{free_port()}"
        port = self.address.rsplit(":", 1)[1]
        proto = "tls" if tls else "tcp"
        cmd = ["scheduler", "--host", "127.0.0.1", "--port", port, "--protocol", proto, "--no-dashboard"]
        self._start([*cmd, *self._flags("scheduler")])

    def _flags(self, name: str) -> list[str]:
        if self.tls is None:
            return []
        ca, cert, key = (str(self.tls / f) for f in ("ca.pem", f"{name}.pem", f"{name}.key"))
        return ["--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key]

    def _start(self, args: list[str]) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": str(bool(self.tls))}
        out = subprocess.DEVNULL
        self.procs.append(subprocess.Popen([str(BIN / "dask"), *args], stdout=out, stderr=out, env=env))

    @property
    def scheduler(self) -> int:
        return self.procs[0].pid

    def add_worker(self) -> None:
        cmd = ["worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        self._start([*cmd, *self._flags("worker")])

    def stop(self) -> None:
        for proc in reversed(self.procs):  # workers first, then the scheduler
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # a worker can hang on its way out once the scheduler is gone
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()


def settings(address: str, tls: Path | None, batch: int | None) -> Any:
    from scanner.config import DaskConfig, DaskTls

    certs = DaskTls(ca_file=tls / "ca.pem", cert=tls / "coordinator.pem", key=tls / "coordinator.key") if tls else None
    extra = {"batch": batch} if batch else {}
    return DaskConfig(scheduler=address, tls=certs, wait_for_workers=120, **extra)


def forget(name: str) -> int:
    """On a worker: empty what its process remembers of files already read (the detector's answers for the texts
    it has read, the bounded caches of values and folder names), so that every round reads the share as new to
    it. Without this the worker left idle in the 1-worker rounds would start each 2-worker round with less
    remembered than the other, and read its files at a higher CPU cost per file."""
    import sys

    from scanner.cluster.worker import LOADED

    state = LOADED[name]
    state.detector.forget()
    cleared = 0
    from scanner.memo import Recent

    for module in [m for n, m in sys.modules.items() if n.startswith("scanner.") and m is not None]:
        for value in list(vars(module).values()):
            parameters = getattr(value, "cache_parameters", None)
            if callable(parameters) and parameters()["maxsize"] is not None:  # an LRU of values, not a setting
                value.cache_clear()
                cleared += 1
            elif isinstance(value, Recent):  # a memory of values (the identifiers' digests)
                value.clear()
                cleared += 1
    return cleared


class Limited(DaskExecutor):
    """Sends batches to the first ``limit`` ready workers only: the others stay connected and idle. Every
    worker starts the round with its caches empty (``forget``)."""

    def __init__(self, dask: Any, client: Any, limit: int) -> None:
        super().__init__(dask, client)
        self.limit = limit

    def _setup(self, name: str, job: Any) -> None:
        super()._setup(name, job)
        self.client.run(forget, name, workers=self.connected)

    def _refresh(self, name: str, force: bool = False) -> None:
        super()._refresh(name, force)
        for extra in sorted(self.accepted)[self.limit :]:
            self.accepted.discard(extra)
            self.refused[extra] = "left idle by the benchmark"


class Timed(DaskExecutor):
    """Notes this process's CPU when the last observation has been taken (and so recorded) by the scan."""

    fed: float = 0.0

    def observe(self, entries: Iterable[Any], job: Any, on_provenance: Any = None) -> Iterator[Any]:
        yield from super().observe(entries, job, on_provenance)
        self.fed = own_cpu()


@dataclass
class Round:
    workers: int
    files: int
    wall: float  # first batch began to last batch ended, on the workers' clock
    cpu: float  # CPU seconds of the workers meanwhile
    busy: float  # seconds the workers spent on batches
    coordinator: float  # CPU seconds of this process over the round
    scheduler: float  # CPU seconds of the scheduler over the round

    @property
    def rate(self) -> float:
        return self.files / self.wall

    @property
    def cpu_rate(self) -> float:
        return self.files / self.cpu

    @property
    def occupancy(self) -> float:
        return self.busy / (self.workers * self.wall)

    @property
    def grant(self) -> float:
        return self.cpu / self.busy

    def line(self) -> str:
        return (
            f"dask, {self.workers} worker(s): {self.rate:6.1f} files/s; cpu rate {self.cpu_rate:6.1f} files per "
            f"worker CPU second; occupancy {self.occupancy:.3f}; grant {self.grant:.2f}; coordinator "
            f"{1000 * self.coordinator / self.files:.3f} ms CPU per file, scheduler "
            f"{1000 * self.scheduler / self.files:.3f} ms"
        )


def dask_round(cluster: Processes, dask: Any, entries: list[Any], job: Any, workers: int) -> Round:
    from scanner.cluster import connect

    client, _ = connect(dask, 0)
    client.wait_for_workers(2, timeout=120)
    executor = Limited(dask, client, workers)
    scheduler, mine = cpu_seconds([cluster.scheduler]), own_cpu()
    count = sum(1 for _ in executor.observe(entries, job))
    scheduler, mine = cpu_seconds([cluster.scheduler]) - scheduler, own_cpu() - mine
    assert count == len(entries), (count, len(entries))
    used = [r for r in executor.rates.values() if r.files]
    assert len(used) == workers, executor.rates
    wall = max(r.ended for r in used) - min(r.began for r in used)
    return Round(workers, count, wall, sum(r.cpu for r in used), sum(r.busy for r in used), mine, scheduler)


def local_rate(workers: int, entries: list[Any], job: Any) -> tuple[float, float]:
    """The local pool, from the first observation out to the last: files/s, files per CPU second of its readers."""
    from inventory.runs.orchestrator import LocalExecutor

    first = last = cpu = 0.0
    count, pids = 0, list[int]()
    for _ in LocalExecutor(workers).observe(entries, job):
        last = time.perf_counter()
        if not first:
            first, pids = last, children() or [os.getpid()]
            cpu = cpu_seconds(pids)
        count += 1
        if count == len(entries):
            cpu = cpu_seconds(pids) - cpu
    return (count - 1) / (last - first), (count - 1) / cpu


@contextmanager
def store(url: str | None) -> Iterator[str]:
    """The given store, or a fresh database next to $STEWARD_TEST_PG_URL that is dropped afterwards."""
    if url:
        yield url
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"steward_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def backends_cpu(url: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to this database (when the server runs here)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        pids = conn.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).all()
    engine.dispose()
    return cpu_seconds(pids)


def whole_scan(cluster: Processes, dask: Any, root: Path, url: str) -> dict[str, float]:
    """A Dask scan of the share as a new source of the store, with 2 workers."""
    from inventory.config import StewardConfig
    from inventory.runs.orchestrator import ScanRequest, run_scan
    from inventory.store.engine import open_store
    from scanner.cluster import connect

    source = f"bench-{uuid.uuid4().hex[:8]}"
    scan = {"engine": "dask", "checkpoint_every": 100, "dask": dask.model_dump(mode="json")}
    config = StewardConfig.model_validate(
        {
            "database": url,
            "hash_key": "bench",
            "sources": [{"id": source, "kind": "local", "root": str(root)}],
            "scan": scan,
        }
    )
    factory = open_store(url)
    client, _ = connect(dask, 0)
    client.wait_for_workers(2, timeout=120)
    executor = Timed(dask, client)
    began, scheduler, wall = own_cpu(), cpu_seconds([cluster.scheduler]), time.perf_counter()
    out = run_scan(factory, config, "bench", ScanRequest(source), executor)
    ended, wall = own_cpu(), time.perf_counter() - wall
    scheduler = cpu_seconds([cluster.scheduler]) - scheduler
    database = backends_cpu(url)
    factory.kw["bind"].dispose()
    assert out.status == "completed", out
    return {
        "files": out.read,
        "wall": wall,
        "feeding": executor.fed - began,
        "closing": ended - executor.fed,
        "workers": sum(r.cpu for r in executor.rates.values()),
        "scheduler": scheduler,
        "database": database,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1200)
    parser.add_argument("--batch", type=int, default=None, help="files per task (default: scan.dask.batch's)")
    parser.add_argument("--rounds", type=int, default=3, help="Dask rounds of 1 worker then 2 workers")
    parser.add_argument("--tls", action="store_true", help="TLS between coordinator, scheduler and workers")
    parser.add_argument("--database", help="a PostgreSQL store to scan into (a new source each run)")
    args = parser.parse_args()

    from inventory.config import StewardConfig
    from inventory.rules import load_rulebook
    from inventory.runs.orchestrator import reading_for
    from scanner.cluster import connect
    from scanner.crawlers import crawler_for
    from scanner.pipeline import Job
    from scanner.samples.share import build_share

    work = Path(tempfile.mkdtemp(prefix="steward-cluster-bench-"))
    root, half = work / "share", work / "half"
    build_share(root, files=args.files, seed=5)
    build_share(half, files=args.files // 2, seed=5)
    tls = None
    if args.tls:
        tls = work / "certs"
        names = ["scheduler", "worker", "coordinator"]
        subprocess.run(
            ["sh", str(REPO / "scripts/cluster-certs.sh"), str(tls), *names], check=True, capture_output=True
        )
    config = StewardConfig.model_validate(
        {"database": "sqlite://", "hash_key": "bench", "sources": [{"id": "share", "kind": "local", "root": str(root)}]}
    )
    book = load_rulebook(config.rules.dir)
    src = config.sources[0]
    limits = config.limits.to_limits(config.extract.ocr_settings(), config.extract.metadata)  # as run_scan does
    job = Job(src, limits, config.detection, b"bench", reading_for(book))
    entries = [e for e in crawler_for(src).iter_entries() if e.kind != "folder"]
    loads = [os.getloadavg()[0]]
    print(f"{len(entries)} files of the sample share; load average {loads[0]:.2f} (2 cores)")

    local = {n: local_rate(n, entries, job) for n in (1, 2)}
    for n, (rate, cpu_rate) in local.items():
        print(f"local pool, {n} process(es): {rate:6.1f} files/s; cpu rate {cpu_rate:6.1f} files per CPU second")

    cluster = Processes(tls)
    try:
        cluster.add_worker()
        cluster.add_worker()
        dask = settings(cluster.address, tls, args.batch)
        client, _ = connect(dask, 0)
        client.wait_for_workers(2, timeout=120)
        idle = cpu_seconds([cluster.scheduler])
        time.sleep(10)
        idle = (cpu_seconds([cluster.scheduler]) - idle) / 10
        client.close()
        print(f"Dask: batches of {FIRST_BATCH} files doubling to {dask.batch}; idle scheduler {idle:.1%} of a core")
        dask_round(cluster, dask, entries[: 4 * dask.batch], job, 2)  # both workers load their detector
        rounds: dict[int, list[Round]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for n in (1, 2):
                rounds[n].append(dask_round(cluster, dask, entries, job, n))
                print(rounds[n][-1].line())
            loads.append(os.getloadavg()[0])
        pairs = list(zip(rounds[1], rounds[2], strict=True))

        def median(f: Any) -> float:
            return statistics.median(f(one, two) for one, two in pairs)

        wall = median(lambda one, two: two.rate / (2 * one.rate))
        each = median(lambda one, two: two.cpu_rate / one.cpu_rate)
        fed = median(lambda one, two: two.occupancy / one.occupancy)
        grant = median(lambda one, two: two.grant / one.grant)
        engine = median(lambda one, two: two.cpu_rate / one.cpu_rate * two.occupancy / one.occupancy)
        (l1, _), (l2, _) = local[1], local[2]
        print(
            f"scaling efficiency at 2 workers (median of {len(pairs)} alternated pairs): wall {wall:.2f} "
            f"(local pool {l2 / (2 * l1):.2f}) = work per file {each:.3f} x occupancy {fed:.3f} x grant {grant:.2f}"
        )
        print(f"  with a core per worker (work per file x occupancy): {engine:.2f}")

        with store(args.database) as url:
            small, big = (whole_scan(cluster, dask, where, url) for where in (half, root))
        files = big["files"] - small["files"]
        per = {k: 1000 * (big[k] - small[k]) / files for k in big if k not in ("files", "wall")}
        per["workers"] = 1000 * big["workers"] / big["files"]
        fixed = {k: big[k] - per[k] * big["files"] / 1000 for k in ("feeding", "closing")}
        print(
            f"whole Dask scans into PostgreSQL, 2 workers: {small['files']} files in {small['wall']:.1f} s and "
            f"{big['files']} in {big['wall']:.1f} s. CPU per file (the difference between the two, so what each "
            f"scan costs once is left out): coordinator feeding {per['feeding']:.3f} ms (walk, batches, results, "
            f"recording), closing {per['closing']:.3f} ms (roll-up, rules, risks); scheduler "
            f"{per['scheduler']:.3f} ms; PostgreSQL backends {per['database']:.3f} ms; workers {per['workers']:.2f} ms"
        )
        print(f"  once per scan: feeding {fixed['feeding']:.2f} s, closing {fixed['closing']:.2f} s of CPU")
        if min(per["feeding"], per["closing"]) <= 0:
            print("too few files to tell the cost per file from the cost per scan: run with --files 1000 or more")
            return
        feeds = per["workers"] / per["feeding"]
        worker_rate = statistics.median(r.cpu_rate for r in rounds[1])
        print(
            f"one coordinator core feeds {feeds:.0f} workers (workers' CPU per file / coordinator's feeding CPU per "
            f"file, same run); 20 workers need {20 / feeds:.2f} of a coordinator core"
        )
        print(
            f"a worker on a core of its own: {worker_rate:.1f} files/s (median cpu rate at 1 worker); at that rate "
            f"20 workers need {20 * worker_rate * per['feeding'] / 1000:.2f} of a coordinator core"
        )
        sizing(worker_rate)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    loads.append(os.getloadavg()[0])
    print(f"load average during the run: {min(loads):.1f} to {max(loads):.1f} (2 cores)")


def sizing(rate: float) -> None:
    """Workers for the jobs in docs/cluster.md at this per-worker rate and at a tenth of it."""
    jobs = [
        ("first scan, 10 million files, 60 h", 10_000_000, 60),
        ("first scan, 50 million files, 60 h", 50_000_000, 60),
        ("nightly, 10 million files, 2% changed, 4 h", 200_000, 4),
        ("nightly, 50 million files, 2% changed, 4 h", 1_000_000, 4),
    ]
    for name, files, hours in jobs:
        need = files / (hours * 3600)
        print(
            f"  {name}: {need:.0f} files/s: {need / rate:.1f} workers at {rate:.0f} files/s, "
            f"{need / (rate / 10):.1f} at {rate / 10:.1f}"
        )


if __name__ == "__main__":
    main()
