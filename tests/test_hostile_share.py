"""A hostile share scanned end to end: every regular file gets exactly one line with a true status, nothing
outside the root is read, no access time changes, nothing is written, and the main process stays small."""

from __future__ import annotations

import json
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from hostile_share import (
    MUTATING,
    HostileShare,
    Mutator,
    age_access_times,
    build,
    build_names_and_paths,
    remove_tree,
    scan_measured,
)
from hostile_share import snapshot as take_snapshot

from scanner.names import from_store, readable

NOT_REGULAR = {
    **{f"links/{n}": "link" for n in ("loop-a", "loop-b", "self", "parent", "escape-abs", "escape-rel")},
    **{f"links/{n}": "link" for n in ("escape-folder", "dangling", "inside")},
    **{f"special/{n}": "special" for n in ("pipe", "sock", "null-dev", "loop-dev")},
}


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[HostileShare]:
    share = build(tmp_path / "share", huge=3_000, depth=2_100, long_levels=20)
    yield share
    remove_tree(share.root)


def atime_is_kept(folder: Path) -> bool:
    """Whether this file system updates access times on read (else that part of the check says nothing)."""
    probe = folder / "atime-probe.txt"
    probe.write_text("probe")
    os.utime(probe, (time.time() - 3 * 86400, time.time()))
    before = os.stat(probe).st_atime_ns
    probe.read_text()
    return os.stat(probe).st_atime_ns != before


def test_a_hostile_share_is_scanned_to_the_end(
    hostile: HostileShare, tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(hostile.root, scan={"workers": 2, "checkpoint_every": 500}, limits={"file_timeout": 30})
    age_access_times(hostile.root)
    age_access_times(hostile.outside)
    before, outside_before = take_snapshot(hostile.root), take_snapshot(hostile.outside)
    mutator = Mutator(hostile.root)
    mutator.start()
    try:
        measured = scan_measured(config, tmp_path)
    finally:
        mutator.stop()
    assert measured.exit == 0, measured.output[-3000:]
    assert mutator.rounds > 10  # the files really changed while the scan ran

    out = tmp_path / "files.jsonl"
    steward("export", "files", "--config", str(config), "--out", str(out))
    raw_lines = out.read_bytes().splitlines()
    rows = [json.loads(line.decode("utf-8")) for line in raw_lines]  # strict UTF-8, one object a line
    assert len(rows) == len(raw_lines)
    for row in rows:
        assert readable(row["path"]) == row["path"]  # nothing in a line can break a terminal or a page

    lines = Counter(from_store(row.get("path_escaped", row["path"])) for row in rows)
    status = {from_store(row.get("path_escaped", row["path"])): row for row in rows}
    # Exactly one line per regular file, each with a status that is true for what the file is.
    for path, acceptable in hostile.expected.items():
        assert lines[path] == 1, readable(path)
        assert status[path]["status"] in acceptable, (readable(path), status[path]["status"], status[path]["reason"])
    for path in hostile.mutating:
        assert lines[path] <= 1
        if path in status:
            assert status[path]["status"] in MUTATING, (path, status[path])
    for path, kind in NOT_REGULAR.items():
        if path in lines:
            assert status[path]["status"] == kind
    # No line for anything that is not in the share, so nothing outside the root was walked.
    assert set(lines) <= set(hostile.expected) | hostile.mutating | set(NOT_REGULAR)
    # Oddly named, deep and long-path files are read like any other.
    for path in hostile.detect:
        assert "UK_NHS" in status[path]["entities"], readable(path)

    # Nothing written, nothing read outside the root, no access time changed (where the system keeps them).
    after = take_snapshot(hostile.root)
    assert set(after) == set(before)
    keeps_atime = atime_is_kept(tmp_path)
    for path, facts in before.items():
        now = after[path]
        assert now[:4] == facts[:4], readable(path)  # mode, size, mtime, ctime
        if keeps_atime and stat.S_ISREG(facts[0]):
            assert now[4] == facts[4], f"access time changed: {readable(path)}"
    assert take_snapshot(hostile.outside) == outside_before
    # The scanning process stays small whatever the share holds: the libraries and the detector the workers share
    # are about 160 MB of it, the rest is the walk and the batch being recorded (docs/reliability.md).
    assert measured.peak_rss_mb < 500, f"main process peaked at {measured.peak_rss_mb:.0f} MB"


def test_odd_names_and_paths_beyond_os_limits_are_recorded_in_postgresql(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result], pg_url: str
) -> None:
    share = build_names_and_paths(tmp_path / "share", depth=1_500, long_levels=14)
    try:
        config = write_config(share.root, database=pg_url)
        result = steward("scan", "--config", str(config))
        assert result.exit_code == 0, result.output
        out = tmp_path / "files.jsonl"
        steward("export", "files", "--config", str(config), "--out", str(out))
        rows = [json.loads(line) for line in out.read_bytes().decode("utf-8").splitlines()]
        found = {from_store(row.get("path_escaped", row["path"])): row for row in rows}
        assert set(found) == set(share.expected)
        assert max(len(path.encode("utf-8", "surrogateescape")) for path in found) > 3000  # past B-tree's limit
        for path in share.detect:
            assert found[path]["status"] == "ok" and "UK_NHS" in found[path]["entities"], readable(path)
        again = steward("scan", "--config", str(config))  # a re-scan finds every stored name unchanged
        assert f"{len(share.expected)} unchanged" in again.output.replace(",", "")
    finally:
        remove_tree(share.root)


def test_a_row_the_store_refuses_is_recorded_plainly_and_the_scan_goes_on(pg_url: str) -> None:
    from inventory.runs.record import Recorder, start_run
    from inventory.store.engine import open_store
    from inventory.store.models import FileRecord
    from scanner.types import FileEntry, FileObservation, Status

    factory = open_store(pg_url)
    with factory() as session:
        run = start_run(session, "share", "hash", {})
        recorder = Recorder(session, run, depth=1)
        too_long = FileEntry("share", "HR/odd.txt", "1:2", 10, None, owner="S-1-5-" + "9" * 300)
        fine = FileEntry("share", "HR/fine.txt", "1:3", 10, None, owner="1000")
        recorder.record(FileObservation(too_long, "text/plain", Status.OK))
        recorder.record(FileObservation(fine, "text/plain", Status.OK))
        recorder.finish()
    with factory() as session:
        rows = {f.path: f for f in session.query(FileRecord)}
    assert rows["HR/fine.txt"].status == "ok" and rows["HR/fine.txt"].owner == "1000"
    assert rows["HR/odd.txt"].status == "unreadable" and rows["HR/odd.txt"].owner is None
    assert rows["HR/odd.txt"].reason == "the store refused this entry's row (StringDataRightTruncation)"
