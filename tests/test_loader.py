"""The loader: `steward scan` loads the detector in a process of its own and forks the workers from it; the scan
process never loads the model, and a loader that dies or cannot build costs nothing but the time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scanner import loader
from tests.test_failed_run import scan_until_recorded
from tests.test_resume import processes_under


def _plus_one(value: int) -> int:
    return value + 1


def _refuse() -> None:
    raise RuntimeError("cannot build")


def _exit_with(fds: list[int], code: int) -> None:
    os._exit(code)


def _sleep(fds: list[int], seconds: float) -> None:
    time.sleep(seconds)


def _write(fds: list[int], data: bytes) -> None:
    os.write(fds[0], data)


@pytest.fixture
def started() -> Iterator[None]:
    loader.start("os:getpid")
    assert loader.running()
    try:
        yield
    finally:
        loader.stop()


def test_the_loaders_processes_are_watched_and_collected(started: None) -> None:
    assert loader.fork("key", _exit_with, (3,), []) is None  # nothing built for "key" yet: the caller forks
    assert loader.build("key", _plus_one, 41) == 42
    assert loader.serves("key") and not loader.serves("other")
    quick = loader.fork("key", _exit_with, (3,), [])
    assert quick is not None
    quick.join(30)
    assert not quick.is_alive() and quick.exitcode == 3
    slow = loader.fork("key", _sleep, (60.0,), [])
    assert slow is not None and slow.is_alive() and slow.exitcode is None
    slow.join(0.1)
    assert slow.is_alive()
    slow.kill()
    slow.join(30)
    assert slow.exitcode == -signal.SIGKILL
    read, write = os.pipe()
    writer = loader.fork("key", _write, (b"hello",), [write])  # the process gets its own copy of the pipe
    os.close(write)
    assert writer is not None and os.read(read, 5) == b"hello"
    writer.join(30)
    assert writer.exitcode == 0
    os.close(read)


def test_a_loader_that_cannot_build_is_let_go(started: None) -> None:
    assert loader.build("key", _refuse) is None  # the caller builds its own, which raises what is wrong
    assert not loader.running() and not loader.serves("key")
    assert loader.fork("key", _exit_with, (0,), []) is None


def _count(path: str, value: int) -> int:
    with open(path, "a") as fh:
        fh.write("built\n")
    return value + 1


def test_a_build_asked_for_early_is_run_once_and_waited_for_later(started: None, tmp_path: Path) -> None:
    marks = str(tmp_path / "marks")
    loader.prepare("key", _count, marks, 41)  # returns at once: the loader builds while the caller goes on
    loader.prepare("key", _count, marks, 41)  # asked again: nothing more is sent
    assert not loader.serves("key")  # not known to be built until its answer is taken
    assert loader.build("key", _count, marks, 41) == 42
    assert loader.serves("key") and Path(marks).read_text() == "built\n"  # built once, not twice
    loader.prepare("other", _count, marks, 1)
    assert loader.build("third", _count, marks, 2) == 3  # the earlier answer is taken first, then this is asked
    assert loader.serves("other") and loader.serves("third") and Path(marks).read_text().count("built") == 3
    worker = loader.fork("third", _exit_with, (5,), [])
    assert worker is not None
    worker.join(30)
    assert worker.exitcode == 5


def test_a_build_asked_for_early_that_fails_lets_the_loader_go(started: None) -> None:
    loader.prepare("key", _refuse)
    assert loader.build("key", _refuse) is None  # the caller builds its own, which raises what is wrong
    assert not loader.running() and loader.fork("key", _exit_with, (0,), []) is None


def test_a_scan_is_known_past_the_groups_options() -> None:
    from inventory.cli.main import command

    # `steward scan` alone loads only its own module and starts a loader: so must these
    assert command(["scan", "--full"]) == "scan"
    assert command(["--log-level", "debug", "--log-file", "scan.log", "scan"]) == "scan"
    assert command(["--log-format=json", "scan"]) == "scan"
    assert command(["--log-file", "scan", "assets"]) == "assets"  # "scan" here is a file name
    assert command(["--version"]) is None


def test_a_command_that_only_names_scan_as_a_value_stops_the_loader_it_forked(tmp_path: Path) -> None:
    """The loader is forked before the command line is parsed when "scan" is among its words; `--log-file scan
    assets` is the register, and leaves no loader behind it while it runs."""
    config = f"database: sqlite:///{tmp_path / 'steward.db'}\nsources:\n- {{id: s, kind: local, root: {tmp_path}}}\n"
    (tmp_path / "config.yaml").write_text(config)
    script = (
        "import os, sys\nfrom inventory.cli.main import main\nfrom scanner import loader\n"
        "import inventory.cli.group as group\nimport inventory.cli.scan\n"
        "shown = group.cli.commands['assets'].callback\n"
        "def assets(**kwargs):\n"
        "    print('loader running:', loader.running(), flush=True)\n"
        "    shown(**kwargs)\n"
        "group.cli.commands['assets'].callback = assets\n"
        f"sys.argv = ['steward', '--log-file', 'scan', 'assets', '--config', {str(tmp_path / 'config.yaml')!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "loader running: False" in done.stdout


def _tree(root: Path, total: int) -> None:
    for i in range(total):
        folder = root / f"Service {i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note {i:04d}.txt").write_text(f"Dear Jo Bloggs, case {i}: contact case.worker{i}@example.co.uk.")


def _maps(pid: int) -> str:
    with open(f"/proc/{pid}/maps") as fh:
        return fh.read()


def _exported(config: Path) -> list[dict[str, object]]:
    export = subprocess.run(
        [sys.executable, "-m", "inventory", "export", "files", "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in export.stdout.splitlines()]


def test_the_scan_process_never_loads_the_model_and_outlives_its_loader(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    root, total = tmp_path / "share", 3000
    _tree(root, total)
    config = write_config(root, scan={"workers": 2, "checkpoint_every": 25})
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    proc = scan_until_recorded(cmd, f"sqlite:///{tmp_path / 'steward.db'}", 50)
    assert proc.poll() is None, "the scan finished before it could be looked at; make the tree bigger"
    (held,) = processes_under(proc.pid, "steward-loader")
    workers = processes_under(proc.pid, "steward-worker")
    assert len(workers) == 2 and set(workers) == set(processes_under(held, "steward-worker"))
    assert "/spacy/" in _maps(held) and all("/spacy/" in _maps(w) for w in workers)
    assert "/spacy/" not in _maps(proc.pid)  # the model is in the loader's pages, shared with its workers
    os.kill(held, signal.SIGKILL)  # its workers read on; any that stops is replaced from the scan process
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"{total:,} entries" in out and "a content worker died" in err
    rows = _exported(config)
    assert len(rows) == total
    lost = [row for row in rows if row["status"] != "ok"]
    assert len(lost) <= 1  # only the file the killed worker had in hand, if it had one
    assert all(row["entities"] == {"EMAIL_ADDRESS": 1, "PERSON": 1} for row in rows if row["status"] == "ok")


def test_a_scan_whose_loader_dies_as_it_starts_reads_every_file_itself(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    root, total = tmp_path / "share", 200
    _tree(root, total)
    config = write_config(root, scan={"workers": 2})
    cmd = [sys.executable, "-m", "inventory", "scan", "--config", str(config)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    found: list[int] = []
    while not found and time.monotonic() < deadline and proc.poll() is None:
        found = processes_under(proc.pid, "steward-loader")
        time.sleep(0.01)
    assert found, "no loader was seen"
    os.kill(found[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"{total:,} entries, {total:,} read" in out
    rows = _exported(config)
    assert len(rows) == total
    assert all(row["status"] == "ok" and row["entities"] == {"EMAIL_ADDRESS": 1, "PERSON": 1} for row in rows)


def test_the_workers_a_loader_forks_log_as_the_command_asks(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    # The loader is forked before the command reads its options; it and its workers take the command's logging
    # then. The loader logs the detector's build; a worker logs, at debug level, a workbook that is no zip.
    root = tmp_path / "share"
    _tree(root, 20)
    (root / "Service 0" / "damaged.xlsx").write_bytes(b"PK\x03\x04 not a workbook at all")
    config = write_config(root, scan={"workers": 2})
    log = tmp_path / "steward.log"
    cmd = [sys.executable, "-m", "inventory", "--log-level", "debug", "--log-format", "json", "--log-file", str(log)]
    done = subprocess.run([*cmd, "scan", "--config", str(config)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line JSON, whoever wrote it
    built = [line for line in lines if line["logger"] == "scanner.detect.engine" and "built" in line["message"]]
    read = [line for line in lines if line["logger"] == "scanner.identify" and "not a readable zip" in line["message"]]
    assert built and read and all(line["level"] == "debug" for line in built + read)
