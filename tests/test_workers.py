"""Content workers: a file that needs more memory than a worker may take is too_large, the worker is replaced
and the scan goes on; a worker renewed after its files, or stopped after a walk, loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from scanner.config import DetectionConfig, LocalSource
from scanner.pipeline import Job
from scanner.samples import office, text
from scanner.types import FileEntry, FileObservation, Limits, Status
from scanner.workers import BATCH_FILES, HELD, IN_FLIGHT, WorkerPool


def test_a_file_beyond_the_worker_memory_limit_is_too_large(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    root = tmp_path / "share"
    root.mkdir()
    # a 17 MB PDF page: the PDF library holds the file and its content stream in memory
    office.write_pdf(root / "huge.pdf", ["\n".join(["Contact jo.bloggs@example.co.uk about case 123."] * 300_000)])
    for i in range(20):
        text.write_text(root / f"note {i}.txt", f"Contact case.worker{i}@example.co.uk")
    config = write_config(root, scan={"workers": 2}, limits={"worker_memory": "32MB"}, detection={"names": False})
    steward = [sys.executable, "-m", "inventory"]
    scan = subprocess.run([*steward, "scan", "--config", str(config)], capture_output=True, text=True, timeout=600)
    assert scan.returncode == 0, scan.stderr
    assert "21 entries" in scan.stdout
    export = subprocess.run(
        [*steward, "export", "files", "--config", str(config)], capture_output=True, text=True, check=True
    )
    exported = {line["path"]: line for line in map(json.loads, export.stdout.splitlines())}
    assert exported["huge.pdf"]["status"] == "too_large"
    assert "worker" in exported["huge.pdf"]["reason"]
    assert all(exported[f"note {i}.txt"]["entities"] == {"EMAIL_ADDRESS": 1} for i in range(20))


def test_renewed_workers_lose_no_file(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    # A worker that has been given its 40 files is stopped once it has sent them back, and a fresh one forked
    # in its place; the workers stop once a source's walk is done (their memory is not held while its rules
    # run), and the next source's walk forks new ones. Every file of both sources is read exactly once.
    roots = {}
    for name in ("first", "second"):
        roots[name] = tmp_path / name
        roots[name].mkdir()
        for i in range(150):
            text.write_text(roots[name] / f"{name} note {i}.txt", f"Contact {name}.worker{i}@example.co.uk")
    sources = [{"id": name, "kind": "local", "root": str(root)} for name, root in roots.items()]
    settings = {"scan": {"workers": 2}, "limits": {"worker_files": 40}, "detection": {"names": False}}
    config = write_config(roots["first"], sources=sources, **settings)
    steward = [sys.executable, "-m", "inventory"]
    scan = subprocess.run([*steward, "scan", "--config", str(config)], capture_output=True, text=True, timeout=600)
    assert scan.returncode == 0, scan.stderr
    assert "first: 150 entries, 150 read" in scan.stdout
    assert "second: 150 entries, 150 read" in scan.stdout
    export = subprocess.run(
        [*steward, "export", "files", "--config", str(config)], capture_output=True, text=True, check=True
    )
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    paths = [row["path"] for row in rows]
    assert len(paths) == len(set(paths)) == 300
    assert all(row["status"] == "ok" and row["entities"] == {"EMAIL_ADDRESS": 1} for row in rows)


def test_batches_shrink_near_the_end_of_the_stream() -> None:
    # Full batches while more is left than the workers hold at once (two workers, HELD batches each), then a
    # share of what is left per batch they hold, so the workers run out of work together; every entry is handed
    # out once, in order.
    pool = WorkerPool(2, 0, lambda entry, crawler, job: FileObservation(entry, None, Status.OK))
    slots = 2 * HELD
    entries = [FileEntry("s", f"f{i}.txt", str(i), 10, None) for i in range((slots + 5) * BATCH_FILES + 88)]
    stream, ahead = iter(entries), deque[FileEntry]()
    sizes, handed = [], []
    while (batch := pool._next_batch(stream, ahead, None)) is not None:
        left = len(entries) - len(handed)
        assert len(batch.entries) == min(BATCH_FILES, -(-min(left, slots * BATCH_FILES) // slots))
        sizes.append(len(batch.entries))
        handed += batch.entries
    assert handed == entries
    assert sizes[:5] == [BATCH_FILES] * 5 and sizes[-1] == 1


class Stuck(Exception):
    pass


def _bulky(entry: FileEntry, crawler: object, job: object) -> FileObservation:
    return FileObservation(entry, None, Status.OK, "r" * 20_000)  # 64 of these: over a megabyte of results a batch


def test_large_batches_and_results_with_a_slow_parent_lose_nothing(tmp_path: Path) -> None:
    # Entries with long paths (half a megabyte a batch) and observations of 20 KB each, read by a parent that
    # pauses as it does to write a checkpoint: the workers hold no more than their socket's buffer can take
    # unread, so the parent never waits on a worker that waits on it; every entry is observed once.
    job = Job(LocalSource(id="s", kind="local", root=tmp_path), Limits(), DetectionConfig(names=False), None)
    entries = [FileEntry("s", f"{'deep/' * 1600}f{i}.txt", str(i), 10, None) for i in range(12 * BATCH_FILES)]
    pool = WorkerPool(2, 0, _bulky)

    def stuck(signum: int, frame: object) -> None:
        raise Stuck("the pool stopped moving")  # not an OSError, which a send to a dead worker is allowed to raise

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(120)
    try:
        seen = []
        for obs in pool.run(iter(entries), job):
            seen.append(obs.entry.path)
            if len(seen) % BATCH_FILES == 0:
                time.sleep(0.2)  # a checkpoint being written
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        for worker in pool.workers:
            worker.process.kill()  # a pool that stopped moving cannot be asked to stop
        pool.close()
    assert sorted(seen) == sorted(e.path for e in entries)
    assert pool.replaced == 0


def _slow(entry: FileEntry, crawler: object, job: object) -> FileObservation:
    time.sleep(0.005)  # a batch of these takes a third of a second
    return FileObservation(entry, None, Status.OK)


def _quick(entry: FileEntry, crawler: object, job: object) -> FileObservation:
    return FileObservation(entry, None, Status.OK)


def test_workers_hold_many_batches_of_quick_files_and_few_of_slow_ones(tmp_path: Path) -> None:
    # A worker holds enough batches to keep reading while the parent writes (sixteen of small, quick files) but
    # not minutes of slow ones that the other worker could share at the end of the walk.
    job = Job(LocalSource(id="s", kind="local", root=tmp_path), Limits(), DetectionConfig(names=False), None)
    held = {}
    for observe in (_slow, _quick):
        entries = [FileEntry("s", f"f{i}.txt", str(i), 10, None) for i in range(24 * BATCH_FILES)]
        pool = WorkerPool(2, 0, observe)
        most, seen = 0, 0
        for _ in pool.run(iter(entries), job):
            most = max(most, *(len(w.batches) for w in pool.workers))
            seen += 1
            if seen % BATCH_FILES == 0:
                time.sleep(0.05)  # a checkpoint being written
        pool.close()
        assert seen == len(entries)
        held[observe.__name__] = most
    assert held["_slow"] == HELD
    assert HELD < held["_quick"] <= IN_FLIGHT
