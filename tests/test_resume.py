"""A scan killed with SIGKILL and run again completes with nothing duplicated and nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from inventory.store.models import FileRecord, ScanRun


def count_files(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(FileRecord)) or 0
    except Exception:
        return 0  # the store is still being created
    finally:
        engine.dispose()


def test_killed_scan_resumes(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    root = tmp_path / "share"
    for i in range(600):
        folder = root / f"Service {i % 6}" / f"Team {i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note {i:04d}.txt").write_text(f"Case {i}: contact case.worker{i}@example.co.uk about the review.")
    config = write_config(root, scan={"workers": 1, "checkpoint_every": 25})
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while count_files(url) < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the scan finished before it could be killed; make the tree bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = count_files(url)
    assert 100 <= partial < 600

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "600 entries" in again.stdout
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FileRecord)) == 600
        assert conn.scalar(select(func.count(func.distinct(FileRecord.path)))) == 600
        runs = conn.execute(select(ScanRun.id, ScanRun.status, ScanRun.resumed)).all()
        assert runs == [(1, "completed", 1)]  # the killed run was carried on, not started afresh
    export = subprocess.run(
        [sys.executable, "-m", "inventory", "export", "files", "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in export.stdout.splitlines()]
    assert len(lines) == 600
    assert all(line["entities"].get("EMAIL_ADDRESS") == 1 for line in lines)


def processes_under(pid: int, name: str) -> list[int]:
    """The processes named ``name`` (as ``ps -o comm`` shows them) among ``pid``'s descendants."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            names[int(entry)] = stat[stat.index("(") + 1 : stat.rindex(")")]

    def under(child: int) -> bool:
        while child in parents and child != pid:
            child = parents[child]
        return child == pid

    return [p for p, n in names.items() if n == name and p != pid and under(p)]


def test_a_worker_killed_mid_scan_loses_nothing(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    """As when the kernel's OOM killer takes a worker: its files are recorded unreadable and read next time."""
    # Enough files that the workers are still reading when one is killed (the scan reads well over 1,000 a second).
    root, total = tmp_path / "share", 3000
    for i in range(total):
        folder = root / f"Service {i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note {i:04d}.txt").write_text(f"Case {i}: contact case.worker{i}@example.co.uk today.")
    config = write_config(root, scan={"workers": 2, "checkpoint_every": 25})
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while count_files(url) < 50 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    workers = processes_under(proc.pid, "steward-worker")
    assert workers and proc.poll() is None
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"{total:,} entries" in out and "a content worker died (signal 9)" in err
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FileRecord)) == total
        lost = conn.scalar(select(func.count()).where(FileRecord.status == "unreadable"))
        assert lost <= 1  # only the file in hand, if it had one: the rest of its batch went to the replacement
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and f"{lost} read" in again.stdout
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(FileRecord.status == "unreadable")) == 0


def test_once_every_entry_is_with_the_workers_what_is_recorded_is_committed(tmp_path: Path) -> None:
    """A walk shorter than a checkpoint used to write everything after its last file came back; once its last
    entry is handed out, the next observation writes and commits what is recorded (a kill then loses nothing of
    it), while the workers read what they hold."""
    from inventory.runs.record import Recorder, start_run
    from inventory.store.engine import open_store
    from scanner.types import FileEntry, FileObservation, Status

    url = f"sqlite:///{tmp_path / 'store.db'}"
    factory = open_store(url)
    with factory() as session:
        recorder = Recorder(session, start_run(session, "share", "hash", {}), depth=1)
        for i in range(3):
            recorder.record(
                FileObservation(FileEntry("share", f"HR/{i}.txt", f"1:{i}", 10, None), "text/plain", Status.OK)
            )
        assert count_files(url) == 0  # buffered: a checkpoint comes every 2,000 files or 5 s
        recorder.handed_out()
        recorder.record(FileObservation(FileEntry("share", "HR/3.txt", "1:3", 10, None), "text/plain", Status.OK))
        assert count_files(url) == 4
        recorder.record(FileObservation(FileEntry("share", "HR/4.txt", "1:4", 10, None), "text/plain", Status.OK))
        assert count_files(url) == 4  # one checkpoint, not one per file from then on
        recorder.finish()
    assert count_files(url) == 5


def test_what_is_recorded_while_the_workers_read_their_last_files_is_written_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the walk's last entry is with the workers, while every worker holds files and none has answered,
    the scan process writes what it has recorded, so little is left to write once the last file is back; at
    most every so often, and the checkpoints commit as before."""
    from inventory.runs import record
    from inventory.runs.record import Recorder, start_run
    from inventory.store.engine import open_store
    from scanner.types import FileEntry, FileObservation, Status

    def observation(i: int) -> FileObservation:
        return FileObservation(FileEntry("share", f"HR/{i}.txt", f"1:{i}", 10, None), "text/plain", Status.OK)

    url = f"sqlite:///{tmp_path / 'store.db'}"
    factory = open_store(url)
    with factory() as session:
        recorder = Recorder(session, start_run(session, "share", "hash", {}), depth=1)
        written = select(func.count()).select_from(FileRecord)
        for i in range(3):
            recorder.record(observation(i))
        monkeypatch.setattr(record, "IDLE_WRITE_SECONDS", 0.0)
        recorder.idle()
        assert session.scalar(written) == 0  # the walk still has entries to hand out: the checkpoints write
        recorder.handed_out()
        recorder.record(observation(3))  # the checkpoint once every entry is out
        recorder.record(observation(4))
        recorder.idle()
        assert session.scalar(written) == 5
        monkeypatch.setattr(record, "IDLE_WRITE_SECONDS", 60.0)
        recorder.record(observation(5))
        recorder.idle()
        assert session.scalar(written) == 5  # not again so soon
        recorder.checkpoint()
        assert count_files(url) == 6
        recorder.finish()
    assert count_files(url) == 6
