"""A run that fails part-way keeps what it read, and the next run carries on from there without reading it again
and without duplicating it: when the share goes away mid-walk, when the store's disk fills up, and when the
store's connection is cut."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
import yaml
from council_share import smb_source
from samba_server import PASSWORD, SambaServer, free_port, have_samba
from sqlalchemy import create_engine, func, select, text

from inventory.config import load_config
from inventory.runs.orchestrator import LocalExecutor, ProvenanceHook, ScanRequest, run_scan
from inventory.store.engine import open_store
from inventory.store.models import FileRecord, ScanRun
from scanner.pipeline import Job
from scanner.types import FileEntry, FileObservation

FOLDERS, PER_FOLDER = 30, 20
TOTAL = FOLDERS * PER_FOLDER


@pytest.fixture(scope="module")
def server() -> Iterator[SambaServer]:
    """A Samba server of this module's own, so stopping it mid-scan touches no other test."""
    if not have_samba():
        pytest.fail("Samba (smbd, pdbedit) and root are needed for SMB tests; scripts/setup.sh test installs them")
    base = Path(tempfile.mkdtemp(prefix="steward-smb-outage-"))
    samba = SambaServer(base, free_port())
    samba.write_conf("stwadmin", "stwscan", [])
    for account in ("stwadmin", "stwscan"):
        samba.add_account(account)
    samba.read_sids()
    for i in range(TOTAL):
        samba.write(
            f"Team {i % FOLDERS:02d}/case {i:04d}.txt", f"Case {i}: write to case{i}@example.co.uk".encode(), "stwscan"
        )
    samba.start()
    try:
        yield samba
    finally:
        samba.stop()
        shutil.rmtree(base, ignore_errors=True)


class StopsTheServer:
    """The configured executor, passing each observation through; after ``after`` of them the SMB server stops,
    as when a file server is restarted or the network to it is lost during a nightly scan."""

    def __init__(self, server: SambaServer, after: int) -> None:
        self.inner, self.server, self.after, self.observed = LocalExecutor(0), server, after, 0

    def observe(
        self,
        entries: Iterable[FileEntry],
        job: Job,
        on_provenance: ProvenanceHook | None = None,
        idle: Callable[[], None] | None = None,
    ) -> Iterator[FileObservation]:
        for obs in self.inner.observe(entries, job, on_provenance, idle):
            self.observed += 1
            yield obs
            if self.observed == self.after:
                self.server.stop()


def count(url: str, *where: object) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(FileRecord).where(*where)) or 0
    finally:
        engine.dispose()


def test_a_share_that_goes_away_mid_walk_keeps_what_was_read(
    server: SambaServer, tmp_path: Path, write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_TEST_SMB_PASSWORD", PASSWORD)
    (tmp_path / "empty").mkdir()
    # Checkpoints far apart and no riskiest-first gathering: the walk and the reading go together, and the
    # failure lands with observations read but not yet written.
    config_path = write_config(tmp_path / "empty", scan={"workers": 0, "checkpoint_every": 10_000, "risk_batch": 0})
    data = yaml.safe_load(config_path.read_text())
    data["sources"] = [smb_source(server, id="fs")]
    config_path.write_text(yaml.safe_dump(data))
    config, digest = load_config(config_path)
    factory = open_store(config.database)
    url = str(config.database)

    executor = StopsTheServer(server, after=150)
    try:
        failed = run_scan(factory, config, digest, ScanRequest("fs"), executor)
    finally:
        if server.process is None:
            server.start()
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.startswith("source 'fs': "), failed.error  # one sentence, naming the source
    # Everything observed before the failure was written, each file once, and the run says how far it got.
    kept = count(url)
    assert kept == executor.observed >= 150
    kept_ok = count(url, FileRecord.status == "ok")
    assert kept_ok >= 150

    again = run_scan(factory, config, digest, ScanRequest("fs"))
    assert again.status == "completed", again.error
    # Only what was not read before is read now (files the outage made unreadable are tried again).
    assert again.read == TOTAL - kept_ok
    assert again.unchanged == kept_ok
    assert count(url) == TOTAL
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count(func.distinct(FileRecord.path)))) == TOTAL
        assert conn.scalar(select(func.count()).where(FileRecord.status != "ok")) == 0
        assert conn.execute(select(ScanRun.status).order_by(ScanRun.id)).scalars().all() == ["failed", "completed"]
    engine.dispose()


def fill(folder: Path) -> Path:
    """Write zeros into ``folder`` until its file system has no room left."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as fh:
        while True:
            try:
                fh.write(block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    for size in (4096, 512, 1):  # the last scraps too
        try:
            with open(filler, "ab", buffering=0) as fh:
                while True:
                    fh.write(b"\0" * size)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB file system of the test's own (tmpfs), to fill up under the store."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.fail(f"mounting a tmpfs needs root: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_store_whose_disk_fills_up_fails_the_run_in_one_sentence_and_the_next_run_carries_on(
    small_disk: Path, tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    root, total = tmp_path / "share", 2000
    share_of_notes(root, total)
    url = f"sqlite:///{small_disk / 'steward.db'}"
    config = write_config(root, database=url, scan={"workers": 1, "checkpoint_every": 50})
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    proc = scan_until_recorded(cmd, url, 200)
    assert proc.poll() is None, "the scan finished before the disk could fill; make the tree bigger"
    filler = fill(small_disk)
    out, err = proc.communicate(timeout=300)

    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err
    problem = [line for line in err.splitlines() if line.startswith("Error: ")]
    # One sentence naming the store; what was kept depends on whether SQLite found room once more (a WAL file
    # already that large can take the batch again).
    assert len(problem) == 1, err
    assert problem[0].startswith(f"Error: the store {url} failed (database or disk is full): the scan of 'share' ")
    assert problem[0].endswith(" is kept; run it again to carry on")
    kept_ok = count(url, FileRecord.status == "ok")
    assert kept_ok >= 200
    assert count(url, FileRecord.status != "ok") == 0  # no row was recorded as refused for the store's fault

    filler.unlink()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"share: {total:,} entries, {total - kept_ok:,} read, {kept_ok:,} unchanged" in again.stdout
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FileRecord)) == total
        assert conn.scalar(select(func.count(func.distinct(FileRecord.path)))) == total
        assert conn.scalar(select(func.count()).where(FileRecord.status != "ok")) == 0
    engine.dispose()


def test_a_store_already_full_when_a_scan_starts_stops_it_in_one_sentence(
    small_disk: Path, tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    root = tmp_path / "share"
    share_of_notes(root, 40)
    url = f"sqlite:///{small_disk / 'steward.db'}"
    config = write_config(root, database=url, scan={"workers": 1})
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    (root / "Service 0" / "new note.txt").write_text("Case 41: contact new.worker@example.co.uk about it.")
    filler = fill(small_disk)

    failed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    problem = [line for line in failed.stderr.splitlines() if line.startswith("Error: ")]
    assert problem in (
        [  # the store's files were left beside it: the run could not be opened
            f"Error: the store {url} failed (database or disk is full): the scan of 'share' could not start and "
            "read nothing; run it again once the store works again"
        ],
        [  # they were not: the store could not be opened at all (SQLite needs room for its shared memory file)
            f"Error: the store {url} cannot be opened: the disk holding it is full (disk I/O error); nothing was "
            "read or changed: run the command again once there is room"
        ],
    )

    filler.unlink()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "share: 41 entries, 1 read, 40 unchanged" in again.stdout
    assert count(url) == 41


def scan_until_recorded(cmd: list[str], url: str, files: int) -> subprocess.Popen[str]:
    """Start ``cmd`` (a scan) and return once its store holds ``files`` rows, it ended, or three minutes passed."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while count_or_zero(url) < files and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    return proc


def share_of_notes(root: Path, total: int) -> None:
    for i in range(total):
        folder = root / f"Service {i % 8}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note {i:04d}.txt").write_text(f"Case {i}: contact case.worker{i}@example.co.uk about it.")


def test_a_store_connection_cut_mid_scan_fails_the_run_after_keeping_its_work(
    tmp_path: Path, write_config: Callable[..., Path], pg_url: str
) -> None:
    root, total = tmp_path / "share", 2000
    share_of_notes(root, total)
    config = write_config(root, database=pg_url, scan={"workers": 1, "checkpoint_every": 50})
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    proc = scan_until_recorded(cmd, pg_url, 200)
    assert proc.poll() is None, "the scan finished before its connection could be cut; make the tree bigger"
    deadline = time.monotonic() + 180
    # The scan's connection is cut while a statement of its is under way, as a fail-over or an administrator
    # would (a connection cut while idle is replaced unnoticed). A lock on the files table holds the scan's next
    # statement until it is cut, so the cut always lands mid-transaction.
    admin = create_engine(pg_url)
    with admin.connect() as holder, admin.connect() as conn:
        holder.execute(text("LOCK TABLE files IN ACCESS EXCLUSIVE MODE"))
        waiting = None
        while waiting is None and time.monotonic() < deadline and proc.poll() is None:
            waiting = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar()
            time.sleep(0.05)
        assert waiting is not None, "the scan never waited for the files table"
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting}).scalar()
        holder.rollback()
    admin.dispose()
    out, err = proc.communicate(timeout=300)

    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err
    problem = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(problem) == 1 and problem[0].startswith("Error: the store postgresql+psycopg://"), err
    # The connection was replaced, so what was read before the cut is written and the run is marked failed.
    assert problem[0].endswith("the scan of 'share' stopped and what it had recorded is kept; run it again to carry on")
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        failed = conn.execute(select(ScanRun.status, ScanRun.read, ScanRun.error)).one()
        kept_ok = conn.scalar(select(func.count()).where(FileRecord.status == "ok"))
    assert failed.status == "failed" and failed.error == problem[0].removeprefix("Error: ")
    assert kept_ok >= 200 and kept_ok == failed.read
    assert count(pg_url, FileRecord.status != "ok") == 0

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"share: {total:,} entries, {total - kept_ok:,} read, {kept_ok:,} unchanged" in again.stdout
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FileRecord)) == total
        assert conn.scalar(select(func.count(func.distinct(FileRecord.path)))) == total
    engine.dispose()


def count_or_zero(url: str) -> int:
    try:
        return count(url)
    except Exception:
        return 0  # the store is still being created


def test_a_store_fault_in_a_bulk_read_or_write_is_raised_as_any_other_store_fault(tmp_path: Path) -> None:
    """The reads and writes that go straight to the driver (rule evaluation, the risk sync, the recorder) raise a
    fault of the store as SQLAlchemy raises one, so it is reported as one and the run kept."""
    from sqlalchemy import Table
    from sqlalchemy.exc import DBAPIError

    from inventory.store.bulk import insert_many, read_rows

    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as conn:  # a files table that lacks most of its columns
        conn.execute(text("CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL)"))
    with engine.begin() as conn, pytest.raises(DBAPIError) as read:
        read_rows(conn, select(FileRecord.id, FileRecord.source).where(FileRecord.source == "s"))
    assert "no such column" in str(read.value.orig)
    table = FileRecord.__table__
    assert isinstance(table, Table)
    with engine.begin() as conn, pytest.raises(DBAPIError) as written:
        insert_many(conn, table, [{"path": "a.txt", "source": "s"}])
    assert "no column" in str(written.value.orig)


def test_a_store_that_cannot_be_reached_stops_the_command_in_one_sentence(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    # Nothing listens on port 9 here: the store's migration (run in a process of its own) cannot connect, and
    # its failure comes back as the configuration's one sentence.
    root = tmp_path / "share"
    share_of_notes(root, 3)
    config = write_config(root, database="postgresql+psycopg://steward@127.0.0.1:9/steward")
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    failed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 2, failed.stderr
    assert "Traceback" not in failed.stderr
    problem = [line for line in failed.stderr.splitlines() if line.startswith("Error: ")]
    assert len(problem) == 1 and problem[0].startswith("Error: database: cannot be opened (")
