"""Scans on Dask distributed with real processes: a `dask scheduler` and two `dask worker` processes on 127.0.0.1
with TLS on, the coordinator as `steward scan`, the store in PostgreSQL. What the cluster records must be what the
local engine records: the same `export files` lines, with a worker killed mid-scan and with the coordinator
killed and run again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_resume import count_files

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FILES = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def databases() -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL databases, dropped when the module's tests are done."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def fresh() -> str:
        name = f"steward_cluster_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    yield fresh
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def share(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scanner.samples.share import build_share

    root = tmp_path_factory.mktemp("cluster") / "share"
    build_share(root, files=FILES, seed=11)
    return root


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("certs")
    names = ["scheduler", "worker", "coordinator"]
    subprocess.run(["sh", str(REPO / "scripts" / "cluster-certs.sh"), str(where), *names], check=True)
    return where


def tls_flags(certs: Path, name: str) -> list[str]:
    ca, cert, key = (str(certs / f) for f in ("ca.pem", f"{name}.pem", f"{name}.key"))
    return ["--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key]


@dataclass
class Cluster:
    address: str
    certs: Path
    logs: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"worker{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        cmd = [str(BIN / "dask"), "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny"]
        proc = subprocess.Popen(
            [*cmd, "--no-dashboard", *tls_flags(self.certs, "worker")],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**dask_env(), **(env or {})},
        )
        self.procs.append(proc)
        self.workers.append(proc)
        return proc


def dask_env() -> dict[str, str]:
    return {**os.environ, "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True", "PYTHONPATH": str(REPO)}


@pytest.fixture
def cluster(certs: Path, tmp_path: Path) -> Iterator[Cluster]:
    """A TLS scheduler on 127.0.0.1 and two single-threaded worker processes (no nanny: one process each)."""
    port = free_port()
    found = Cluster(f"tls://127.0.0.1:{port}", certs, tmp_path)
    log = open(tmp_path / "scheduler.log", "wb")  # noqa: SIM115 - closed with the process
    cmd = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--protocol", "tls"]
    found.procs.append(
        subprocess.Popen(
            [*cmd, "--no-dashboard", *tls_flags(certs, "scheduler")],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dask_env(),
        )
    )
    found.start_worker()
    found.start_worker()
    wait_for_workers(found, 2)
    yield found
    for proc in reversed(found.procs):
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
    for proc in found.procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for_workers(cluster: Cluster, count: int) -> None:
    from distributed import Client
    from distributed.security import Security

    sec = Security(
        tls_ca_file=str(cluster.certs / "ca.pem"),
        tls_client_cert=str(cluster.certs / "coordinator.pem"),
        tls_client_key=str(cluster.certs / "coordinator.key"),
        require_encryption=True,
    )
    with Client(cluster.address, security=sec, timeout="60s", set_as_default=False) as client:
        client.wait_for_workers(count, timeout=120)


def write_config(
    where: Path, root: Path, database: str, scan: dict[str, object], source: dict[str, object] | None = None
) -> Path:
    data = {
        "database": database,
        "hash_key": "test-key",
        "sources": [source or {"id": "share", "kind": "local", "root": str(root)}],
        "scan": {"checkpoint_every": 10, **scan},
    }
    path = where / f"config-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def dask_scan(cluster: Cluster, **more: object) -> dict[str, object]:
    tls = {k: str(cluster.certs / f) for k, f in (("ca_file", "ca.pem"), ("cert", "coordinator.pem"))}
    tls["key"] = str(cluster.certs / "coordinator.key")
    return {"engine": "dask", "dask": {"scheduler": cluster.address, "tls": tls, "batch": 4, **more}}


def steward(*args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "inventory", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO, env={**dask_env(), **env})


def export_lines(config: Path, **env: str) -> list[str]:
    out = steward("export", "files", "--config", str(config), **env)
    assert out.returncode == 0, out.stderr
    return sorted(out.stdout.splitlines())


@pytest.fixture(scope="module")
def local_lines(share: Path, databases: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The reference: the same share scanned by the local engine."""
    config = write_config(tmp_path_factory.mktemp("local"), share, databases(), {"engine": "local", "workers": 1})
    out = steward("scan", "--config", str(config))
    assert out.returncode == 0, out.stderr
    lines = export_lines(config)
    assert len(lines) == FILES
    return lines


def start_scan(config: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=dask_env())


def wait_until_recorded(proc: subprocess.Popen[str], url: str, at_least: int) -> int:
    deadline = time.monotonic() + 300
    while (n := count_files(url)) < at_least and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the scan finished before it could be interrupted; make the share bigger"
    return n


class StatusWatch(threading.Thread):
    """`steward status` (its report, rendered) polled from before the scan starts until it shows per-worker rates
    or the scan ends: a small share's content work can be over within a second of its first file being recorded,
    too soon for a reader that only starts then."""

    def __init__(self, config: Path) -> None:
        super().__init__(daemon=True)
        from inventory.config import load_config
        from inventory.store.engine import open_store

        self.settings, _ = load_config(config)
        self.factory = open_store(self.settings.database)
        self.shown, self.done = "", threading.Event()

    def run(self) -> None:
        from inventory.runs.status import render_status, status_report

        while not self.done.is_set() and "per worker" not in self.shown:
            try:
                with self.factory() as session:
                    self.shown = render_status(status_report(session, self.settings))
            except Exception:  # the scan has not created its run (or the store's tables) yet
                pass
            time.sleep(0.1)

    def until(self, proc: subprocess.Popen[str]) -> str:
        """What it last showed, once it showed the rates or ``proc`` ended."""
        while self.is_alive() and proc.poll() is None:
            time.sleep(0.1)
        self.done.set()
        self.join()
        return self.shown


def test_dask_scan_records_what_the_local_engine_records(
    cluster: Cluster, share: Path, databases: Callable[[], str], local_lines: list[str], tmp_path: Path
) -> None:
    url = databases()
    config = write_config(tmp_path, share, url, dask_scan(cluster))
    watch = StatusWatch(config)
    proc = start_scan(config)
    watch.start()
    running = watch.until(proc)  # what `steward status` shows from outside while it runs
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert f"{FILES} entries, {FILES} read" in stdout
    assert f"engine: dask {cluster.address}: 2 worker(s) connected" in running
    assert "file(s) in flight; per worker 127.0.0.1:" in running
    assert export_lines(config) == local_lines
    after = steward("status", "--config", str(config))
    assert f"engine: dask {cluster.address} (2 worker(s) read files)" in after.stdout


def test_a_worker_killed_mid_scan_loses_nothing(
    cluster: Cluster, share: Path, databases: Callable[[], str], local_lines: list[str], tmp_path: Path
) -> None:
    url = databases()
    config = write_config(tmp_path, share, url, dask_scan(cluster))
    proc = start_scan(config)
    wait_until_recorded(proc, url, 20)
    os.kill(cluster.workers[0].pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert f"{FILES} entries, {FILES} read" in stdout
    assert cluster.workers[0].wait() == -signal.SIGKILL
    lines = export_lines(config)
    assert "worker process died" not in "".join(lines)
    assert lines == local_lines  # every file once, as the local engine records it


def test_a_coordinator_killed_mid_scan_carries_on_next_run(
    cluster: Cluster, share: Path, databases: Callable[[], str], local_lines: list[str], tmp_path: Path
) -> None:
    url = databases()
    config = write_config(tmp_path, share, url, dask_scan(cluster))
    proc = start_scan(config)
    wait_until_recorded(proc, url, 30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    partial = count_files(url)
    assert 30 <= partial < FILES
    again = steward("scan", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert "resuming scan run 1" in again.stderr
    assert f"{FILES} entries" in again.stdout
    assert export_lines(config) == local_lines


def test_a_worker_of_another_version_is_refused(
    cluster: Cluster, share: Path, databases: Callable[[], str], local_lines: list[str], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import scanner\nscanner.__version__ = '9.9.9'\n")
    odd = cluster.start_worker({"PYTHONPATH": f"{other}:{REPO}"})
    wait_for_workers(cluster, 3)
    url = databases()
    config = write_config(tmp_path, share, url, dask_scan(cluster))
    out = steward("scan", "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert "is refused: differs from the coordinator: Steward 9.9.9 (coordinator 0.1.0)" in out.stderr
    assert odd.poll() is None
    assert export_lines(config) == local_lines


def test_an_unreachable_scheduler_fails_in_one_sentence_or_falls_back(
    share: Path, databases: Callable[[], str], certs: Path, tmp_path: Path
) -> None:
    url = databases()
    nowhere = Cluster(f"tls://127.0.0.1:{free_port()}", certs, tmp_path)
    config = write_config(tmp_path, share, url, dask_scan(nowhere, connect_timeout=2))
    began = time.monotonic()
    out = steward("scan", "--config", str(config), timeout=120)
    assert out.returncode == 1
    assert time.monotonic() - began < 60
    assert "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: the Dask scheduler at {nowhere.address} cannot be reached within 2 s")
    assert "scan.dask.fallback: local" in last

    config = write_config(tmp_path, share, url, {**dask_scan(nowhere, connect_timeout=2, fallback="local")})
    data = yaml.safe_load(config.read_text())
    data["sources"][0]["include"] = ["HR/**"]  # a part of the share is enough to show the local engine ran
    config.write_text(yaml.safe_dump(data))
    out = steward("scan", "--config", str(config), timeout=600)
    assert out.returncode == 0, out.stderr
    assert "scanning with the local engine (scan.dask.fallback: local)" in out.stderr
    assert "engine: local" in steward("status", "--config", str(config)).stdout


def test_dask_with_an_sqlite_store_is_refused(tmp_path: Path, share: Path) -> None:
    config = write_config(tmp_path, share, f"sqlite:///{tmp_path / 's.db'}", {"engine": "dask"})
    out = steward("scan", "--config", str(config))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"Error: {config}: scan: engine: dask needs a PostgreSQL store (`database` is SQLite, which one machine owns)"
    )


@pytest.mark.parametrize(
    ("dask", "message"),
    [
        (
            {"scheduler": "scan-head:8786"},
            "scan.dask.scheduler: must be 'local' or an address such as tls://scan-head:8786",
        ),
        (
            {"scheduler": "tls://scan-head:8786"},
            "scan.dask: a tls:// scheduler needs scan.dask.tls (ca_file, cert, key)",
        ),
        ({"fallback": "maybe"}, "scan.dask.fallback: Input should be 'fail' or 'local'"),
        ({"workers": 2}, "scan.dask.workers: unknown key"),
    ],
)
def test_a_wrong_dask_setting_is_one_sentence(
    tmp_path: Path, share: Path, dask: dict[str, object], message: str
) -> None:
    from inventory.config import load_config
    from scanner.errors import ConfigError

    config = write_config(tmp_path, share, PG_URL, {"engine": "dask", "dask": dask})
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value) == f"{config}: {message}"


def test_smb_passwords_come_from_each_workers_environment(
    cluster: Cluster, samba: object, databases: Callable[[], str], tmp_path: Path
) -> None:
    from council_share import smb_source
    from samba_server import PASSWORD

    coordinator = {"STEWARD_TEST_SMB_PASSWORD": PASSWORD}  # the coordinator's own, for its walk
    source = smb_source(samba)  # type: ignore[arg-type]
    local = write_config(tmp_path, tmp_path, databases(), {"engine": "local", "workers": 1}, source)
    assert steward("scan", "--config", str(local), **coordinator).returncode == 0
    expected = export_lines(local, **coordinator)
    assert len(expected) > 5

    cluster.start_worker({"STEWARD_PASSWORD_COUNCIL": PASSWORD})  # the only worker that has it
    wait_for_workers(cluster, 3)
    config = write_config(tmp_path, tmp_path, databases(), dask_scan(cluster), source)
    out = steward("scan", "--config", str(config), **coordinator)
    assert out.returncode == 0, out.stderr
    refusal = "is refused: STEWARD_PASSWORD_COUNCIL is not set in this worker's environment"
    assert out.stderr.count(refusal) == 2
    assert export_lines(config, **coordinator) == expected


def test_the_file_time_limit_holds_in_a_worker_thread() -> None:
    """Dask runs tasks in threads, where the local pool's alarm signal cannot reach: the limit still holds."""
    import threading

    from scanner.cluster.worker import thread_deadline
    from scanner.errors import Timeout

    caught: list[BaseException] = []

    def work() -> None:
        try:
            with thread_deadline(0.3):
                while True:  # a parser that never returns
                    sum(range(1000))
        except Timeout as exc:
            caught.append(exc)
        with thread_deadline(5):  # a file that finishes in time is left alone, and nothing fires later
            sum(range(1000))
        time.sleep(0.2)

    began = time.monotonic()
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert time.monotonic() - began < 5
    assert [f"{type(e).__name__}: {e}" for e in caught] == ["Timeout: content work exceeded 0.3 s"]


def test_a_local_cluster_listens_on_127_0_0_1_only_and_speaks_tls() -> None:
    from scanner.cluster import connect
    from scanner.config import DaskConfig

    def listening() -> set[str]:
        """Listening addresses of this process and its children (the servers earlier tests started included)."""
        ours = {os.getpid()}
        ours |= {int(p) for p in subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True)
                 .stdout.split()}  # fmt: skip
        lines = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
        return {line.split()[3] for line in lines if any(f"pid={pid}," in line for pid in ours)}

    before = listening()
    client, cluster = connect(DaskConfig(scheduler="local"), 1)
    try:
        assert client.scheduler_info()["address"].startswith("tls://127.0.0.1:")
        mine = listening() - before  # what the cluster opened
        assert len(mine) >= 2  # the scheduler and its worker at least
        assert all(address.startswith("127.0.0.1:") for address in mine), mine
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def test_a_database_source_stays_on_the_coordinator(databases: Callable[[], str], certs: Path, tmp_path: Path) -> None:
    """With engine: dask, a database source is read by the coordinator's own pool: no scheduler is even asked."""
    crm = databases()
    engine = create_engine(crm)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE clients (id integer primary key, email text)"))
        conn.execute(text("INSERT INTO clients VALUES (1, 'a.person@example.co.uk'), (2, 'b.person@example.co.uk')"))
    engine.dispose()
    nowhere = Cluster(f"tls://127.0.0.1:{free_port()}", certs, tmp_path)
    source = {"id": "crm", "kind": "database", "url": crm}
    config = write_config(tmp_path, tmp_path, databases(), dask_scan(nowhere, connect_timeout=2), source)
    out = steward("scan", "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert "crm: 1 entries, 1 read" in out.stdout
    assert "engine: local" in steward("status", "--config", str(config)).stdout
