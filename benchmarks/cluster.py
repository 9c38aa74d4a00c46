"""Scan rate with the local engine and with Dask workers, scaling efficiency, and the coordinator's cost per file.

    python benchmarks/cluster.py                       # 300 files of the sample share (every format)
    python benchmarks/cluster.py --files 600 --tls     # the same over TLS

Starts a real `dask scheduler` and `dask worker` processes (one thread each, no nanny) on 127.0.0.1. For each
engine it times the content work alone (the executor's stream of observations, from the first file out to the
last, so model loading is left out): the local pool with 1 and 2 processes, Dask with 1 and 2 workers. Scaling
efficiency is rate(2 workers) / (2 x rate(1 worker)). Then it runs a whole Dask scan in this process into
PostgreSQL ($STEWARD_TEST_PG_URL) and divides the CPU this process used (walk, batches out, observations in,
recording, roll-up and rules) by the files: the coordinator's cost per file, and so how many workers at the
measured per-worker rate one coordinator core can feed. The machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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

    def add_worker(self) -> None:
        cmd = ["worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        self._start([*cmd, *self._flags("worker")])

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            proc.wait()


def settings(address: str, tls: Path | None, batch: int) -> object:
    from scanner.config import DaskConfig, DaskTls

    certs = DaskTls(ca_file=tls / "ca.pem", cert=tls / "coordinator.pem", key=tls / "coordinator.key") if tls else None
    return DaskConfig(scheduler=address, tls=certs, batch=batch, wait_for_workers=120)


def cpu_seconds(pids: list[int]) -> float:
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


def content_rate(executor: object, entries: list[object], job: object, workers: list[int] | None) -> dict[str, float]:
    """From the first observation out to the last (the engine's start-up left out): files per second of wall
    time, files per CPU second of the reading processes, and this process's (the coordinator's) CPU per file."""
    first = last = 0.0
    count = 0
    pids: list[int] = []
    cpu = mine = 0.0
    for _ in executor.observe(entries, job):  # type: ignore[attr-defined]
        last = time.perf_counter()
        if not first:
            first, pids = last, workers or children() or [os.getpid()]  # the local engine with 1 reads here
            cpu, mine = cpu_seconds(pids), time.process_time()
        count += 1
        if count == len(entries):
            cpu, mine = cpu_seconds(pids) - cpu, time.process_time() - mine
    assert count == len(entries), (count, len(entries))
    return {
        "wall": (count - 1) / max(last - first, 1e-9),
        "cpu": (count - 1) / max(cpu, 1e-9),
        "own": mine / (count - 1),
    }


@contextmanager
def database() -> Iterator[str]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tls", action="store_true", help="TLS between coordinator, scheduler and workers")
    args = parser.parse_args()

    from inventory.config import StewardConfig
    from inventory.rules import load_rulebook
    from inventory.runs.orchestrator import LocalExecutor, ScanRequest, reading_for, run_scan
    from inventory.store.engine import open_store
    from scanner.cluster import DaskExecutor, connect
    from scanner.crawlers import crawler_for
    from scanner.pipeline import Job
    from scanner.samples.share import build_share

    work = Path(tempfile.mkdtemp(prefix="steward-cluster-bench-"))
    root = work / "share"
    build_share(root, files=args.files, seed=5)
    tls = None
    if args.tls:
        tls = work / "certs"
        names = ["scheduler", "worker", "coordinator"]
        subprocess.run(
            ["sh", str(REPO / "scripts/cluster-certs.sh"), str(tls), *names], check=True, capture_output=True
        )
    source = {"id": "share", "kind": "local", "root": str(root)}
    config = StewardConfig.model_validate({"database": PG_URL, "hash_key": "bench", "sources": [source]})
    book = load_rulebook(config.rules.dir)
    src = config.sources[0]
    limits = config.limits.to_limits(config.extract.ocr_settings(), config.extract.metadata)  # as run_scan does
    job = Job(src, limits, config.detection, b"bench", reading_for(book))
    entries = [e for e in crawler_for(src).iter_entries() if e.kind != "folder"]
    print(f"{len(entries)} files of the sample share; load average before: {os.getloadavg()[0]:.2f} (2 cores)")

    rates: dict[str, dict[str, float]] = {}

    def show(name: str, rate: dict[str, float]) -> None:
        rates[name] = rate
        print(
            f"{name}: {rate['wall']:.1f} files/s; {rate['cpu']:.1f} files per CPU second of the reading processes; "
            f"coordinator {1000 * rate['own']:.2f} ms CPU per file"
        )

    for workers in (1, 2):
        show(f"local engine, {workers} process(es)", content_rate(LocalExecutor(workers), entries, job, None))
    cluster = Processes(tls)
    try:
        for workers in (1, 2):
            cluster.add_worker()
            dask = settings(cluster.address, tls, args.batch)
            client, _ = connect(dask, 0)  # type: ignore[arg-type]
            client.wait_for_workers(workers, timeout=120)
            pids = [p.pid for p in cluster.procs[1:]]
            show(f"dask, {workers} worker(s)", content_rate(DaskExecutor(dask, client), entries, job, pids))  # type: ignore[arg-type]
        one, two = rates["dask, 1 worker(s)"], rates["dask, 2 worker(s)"]
        local1, local2 = rates["local engine, 1 process(es)"], rates["local engine, 2 process(es)"]
        print(
            f"scaling efficiency at 2 workers (wall): {two['wall'] / (2 * one['wall']):.2f} "
            f"(local pool: {local2['wall'] / (2 * local1['wall']):.2f}); "
            f"per CPU second of the workers: {two['cpu'] / one['cpu']:.2f}"
        )

        with database() as url:
            dask = settings(cluster.address, tls, args.batch)
            scan = {"engine": "dask", "dask": dask.model_dump(mode="json")}  # type: ignore[attr-defined]
            full = StewardConfig.model_validate(
                {"database": url, "hash_key": "bench", "sources": [source], "scan": scan}
            )
            factory = open_store(url)
            began_cpu, began = time.process_time(), time.perf_counter()
            out = run_scan(factory, full, "bench", ScanRequest("share"))
            cpu, wall = time.process_time() - began_cpu, time.perf_counter() - began
        assert out.status == "completed" and out.read == len(entries), out
        per_file = cpu / len(entries)
        worker_rate = two["cpu"]  # files a worker reads per second on a core of its own
        print(
            f"coordinator, whole dask scan into PostgreSQL ({wall:.1f} s): {1000 * per_file:.2f} ms CPU per file "
            f"(walk, batches, recording, roll-up and rules); of which the executor alone {1000 * two['own']:.2f} ms"
        )
        print(
            f"a worker on a core of its own reads {worker_rate:.1f} files/s: one coordinator core feeds "
            f"{1 / (per_file * worker_rate):.0f} workers (20 need {per_file * 20 * worker_rate:.2f} of a core)"
        )
    finally:
        cluster.stop()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
