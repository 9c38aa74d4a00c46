"""`steward schedule` and `steward watch` as real services: run on time, never overlap, stop cleanly on SIGTERM
in the middle of a scan with nothing lost, resume; a file dropped into a live folder is in the store in seconds."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import Result
from sqlalchemy import create_engine, func, select

from inventory.store.models import DetectionRow, FileRecord, ScanRun
from scanner.samples import text

FAST = {"names": False}  # patterns only: the services are under test here, not name recognition


def query(url: str, statement: object) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(statement)]  # type: ignore[call-overload]
    except Exception:
        return []  # the store is still being created
    finally:
        engine.dispose()


def wait_for(check: Callable[[], bool], proc: subprocess.Popen[bytes] | None, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        assert proc is None or proc.poll() is None, f"the service exited early while waiting for {what}"
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    logging = ["--log-format", "json", "--log-file", str(log)] if log else []
    return subprocess.Popen(
        [sys.executable, "-m", "inventory", *logging, *args, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()


def events(log: Path) -> list[dict[str, object]]:
    """The service's log: JSON objects, one per line; those that carry an event."""
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    return [line for line in lines if "event" in line]


def test_schedule_runs_never_overlaps_stops_on_sigterm_and_resumes(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    root = tmp_path / "share"
    files_in_share = 400  # enough that a SIGTERM after the first ten lands mid-scan, however fast the reading
    for i in range(files_in_share):
        folder = root / f"Service {i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        text.write_text(folder / f"case {i:03d}.txt", f"Case {i}: write to case.worker{i}@example.co.uk today.")
    config = write_config(
        root,
        scan={"workers": 1, "checkpoint_every": 5},
        detection=FAST,
        schedule={"interval_seconds": 1, "misfire_grace": 60},
    )
    url = yaml.safe_load(config.read_text())["database"]
    files = select(func.count()).select_from(FileRecord)
    log = tmp_path / "steward.log"

    proc = start(config, "schedule", log=log)
    wait_for(lambda: (query(url, files) or [(0,)])[0][0] >= 10, proc, 60, "the first scan to be under way")
    assert stop(proc) == 0, proc.stderr.read() if proc.stderr else ""
    (run,) = query(url, select(ScanRun.id, ScanRun.status, ScanRun.stop_reason, ScanRun.trigger))
    assert run == (1, "paused", "signal", "schedule")
    partial = query(url, files)[0][0]
    assert 10 <= partial < files_in_share, "stop on SIGTERM mid-scan"
    without = select(func.count()).where(~FileRecord.id.in_(select(DetectionRow.file_id)))
    assert query(url, without)[0][0] == 0, "every file recorded before the stop is recorded whole"

    proc = start(config, "schedule", log=log)  # the missed runs start at once (coalesced), resuming run 1
    completed = select(ScanRun.id).where(ScanRun.status == "completed")
    wait_for(lambda: len(query(url, completed)) >= 2, proc, 60, "the resumed run and the next")
    assert stop(proc) == 0
    runs = query(
        url,
        select(
            ScanRun.id, ScanRun.status, ScanRun.resumed, ScanRun.read, ScanRun.started_at, ScanRun.finished_at
        ).order_by(ScanRun.id),
    )
    assert runs[0][:3] == (1, "completed", 1) and runs[0][3] == files_in_share - partial
    assert all(r[3] == 0 for r in runs[1:] if r[1] == "completed"), "later runs read nothing: nothing changed"
    for before, after in itertools.pairwise(runs):
        assert before[5] is not None and before[5] <= after[4], "two runs of the source overlapped"
    assert "skipped: maximum number of running instances reached (1)" in log.read_text()
    started = [e["event"] for e in events(log) if e["event"] in ("scan_started", "scan_finished")]
    assert started[:4] == ["scan_started", "scan_finished"] * 2 and "scan_started scan_started" not in " ".join(
        started
    ), "a scan started while another was running"

    exported = [json.loads(line) for line in steward("export", "files", "--config", str(config)).output.splitlines()]
    assert len(exported) == files_in_share and all(line["entities"] == {"EMAIL_ADDRESS": 1} for line in exported)
    report = json.loads(steward("status", "--config", str(config), "--format", "json").output)
    share = report["sources"][0]
    assert report["ok"] and share["next_run"] and not share["in_progress"]
    assert share["files"] == {"ok": files_in_share}


def test_file_dropped_into_live_folder_is_recorded_within_seconds(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    config = write_config(exports, detection=FAST, watch={"settle_seconds": 1, "poll_seconds": 0.2})
    data = yaml.safe_load(config.read_text())
    data["sources"][0]["live"] = True
    config.write_text(yaml.safe_dump(data))
    log = tmp_path / "watch.log"
    proc = start(config, "watch", log=log)
    try:
        wait_for(
            lambda: log.exists() and any(e["event"] == "scan_finished" for e in events(log)),
            proc,
            30,
            "the watcher to start and catch up",
        )
        dropped = time.monotonic()
        with (exports / "benefits export.csv").open("w") as fh:  # written in two goes, as a slow copy would be
            fh.write("Name,NI number,Email\nJohn Smith,AB 12 34 56 C,")
            fh.flush()
            time.sleep(0.5)
            fh.write("john.smith@example.co.uk\n")

        def exported() -> list[dict[str, object]]:
            out = steward("export", "files", "--config", str(config)).output
            return [json.loads(line) for line in out.splitlines()]

        wait_for(lambda: bool(exported()), proc, 10, "the dropped file in `steward export files`")
        assert time.monotonic() - dropped < 10
        (line,) = exported()
        assert line["path"] == "benefits export.csv"
        assert line["size"] == (exports / "benefits export.csv").stat().st_size, "read once it stopped changing"
        assert line["entities"]["UK_NINO"] == 1 and line["entities"]["EMAIL_ADDRESS"] == 1
        assert "AB 12 34 56 C" not in log.read_text()

        def retention_class() -> object:
            register = json.loads(steward("assets", "--config", str(config), "--format", "json").output)
            return register[0]["retention_class"] if register else None

        # The file is recorded first and the rules run just after: the register shows it within seconds too.
        wait_for(lambda: bool(retention_class()), proc, 10, "the rules evaluated for the new file")
        assert time.monotonic() - dropped < 20
    finally:
        assert stop(proc) == 0
    watched = [e for e in events(log) if e["event"] == "watched"]
    assert len(watched) == 1 and watched[0]["read"] == 1, "the file is read once, whole"
