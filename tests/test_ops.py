"""Operations without a long-running process: `steward status`, time budgets, risk order, schedule config, logs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from sqlalchemy import select

from inventory.config import load_config
from inventory.runs.orchestrator import ScanRequest, run_scan
from inventory.runs.service import RunControl
from inventory.store.engine import open_store
from inventory.store.models import FileRecord, ScanRun
from scanner.samples import text

FAST = {"names": False}


def add_source(config: Path, **source: object) -> None:
    data = yaml.safe_load(config.read_text())
    data["sources"].append(source)
    config.write_text(yaml.safe_dump(data))


def test_status_reports_a_failed_source_and_exits_1(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    root = tmp_path / "share"
    (root / "HR").mkdir(parents=True)
    text.write_text(root / "HR" / "note.txt", "Contact jane@example.org")
    config = write_config(root, detection=FAST)
    assert steward("status", "--config", str(config)).output.startswith("share: NEVER SCANNED")
    assert steward("scan", "--config", str(config)).exit_code == 0
    healthy = steward("status", "--config", str(config))
    assert healthy.exit_code == 0 and "share: COMPLETED" in healthy.output and "files: ok 1" in healthy.output

    add_source(config, id="finance", kind="local", root=str(tmp_path / "unmounted"))
    assert steward("scan", "--config", str(config)).exit_code == 1
    result = steward("status", "--config", str(config))
    assert result.exit_code == 1
    assert "finance: FAILED" in result.output and "not a readable folder" in result.output
    report = json.loads(steward("status", "--config", str(config), "--format", "json").output)
    assert report["ok"] is False
    finance = {s["source"]: s for s in report["sources"]}["finance"]
    assert finance["failed"] and finance["last_run"]["status"] == "failed" and not finance["in_progress"]
    assert finance["last_run"]["duration_seconds"] is not None


def risky_tree(root: Path) -> None:
    """Parks first in walk order, private; Social Care last, readable by everyone."""
    for i in range(60):
        park = root / "Parks" / f"bench {i:02d}.txt"
        park.parent.mkdir(parents=True, exist_ok=True)
        text.write_text(park, f"Bench {i} repainted.")
        park.chmod(0o600)
    for i in range(20):
        case = root / "Social Care" / "Safeguarding" / f"case {i:02d}.csv"
        case.parent.mkdir(parents=True, exist_ok=True)
        text.write_text(case, f"Name,Email\nChild {i},carer{i}@example.org\n")
        case.chmod(0o666)


class Budget:
    """A time budget counted in questions instead of seconds (asked once per entry walked and per file read)."""

    def __init__(self, files: int) -> None:
        self.left = files

    def stop_reason(self) -> str | None:
        self.left -= 1
        return "budget" if self.left < 0 else None


def test_spent_budget_stops_the_walk() -> None:
    assert RunControl(threading.Event(), deadline=time.monotonic()).stop_reason() == "budget"
    stopping = threading.Event()
    stopping.set()
    assert RunControl(stopping, deadline=None).stop_reason() == "signal"


def test_time_budget_pauses_riskiest_first_and_the_next_run_carries_on(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    root = tmp_path / "share"
    risky_tree(root)
    config_file = write_config(root, detection=FAST, scan={"workers": 1, "checkpoint_every": 5})
    config, digest = load_config(config_file)
    factory = open_store(config.database)
    first = run_scan(factory, config, digest, ScanRequest("share", trigger="schedule", control=Budget(files=84)))
    assert (first.status, first.stop_reason) == ("paused", "budget")
    with factory() as session:
        read = list(session.scalars(select(FileRecord.path).order_by(FileRecord.id)))
    assert len(read) == 5 and all(p.startswith("Social Care/") for p in read), "riskiest first"

    second = run_scan(factory, config, digest, ScanRequest("share", control=RunControl(threading.Event(), None)))
    assert (second.run_id, second.status, second.read) == (first.run_id, "completed", 80 - len(read))
    with factory() as session:
        paths = list(session.scalars(select(FileRecord.path).order_by(FileRecord.id)))
        run = session.get(ScanRun, first.run_id)
        assert run is not None and run.resumed == 1 and run.stop_reason is None and run.deleted == 0
    assert len(paths) == 80 and all(p.startswith("Social Care/") for p in paths[:20])


def test_schedule_config_is_checked(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    good = write_config(tmp_path, schedule={"cron": "30 1 * * 0", "sources": {"share": {"cron": "*/5 * * * * *"}}})
    config, _ = load_config(good)
    assert "second='*/5'" in str(config.schedule.trigger_for("share"))
    assert "day_of_week='sun'" in str(
        load_config(write_config(tmp_path, schedule={"cron": "30 1 * * 0"}))[0].schedule.trigger_for("share")
    )
    for schedule, reason in (
        ({"cron": "61 * * * *"}, "schedule.cron: not a valid cron expression"),
        ({"cron": "* * *"}, "schedule.cron: not a valid cron expression (has 5 fields"),
        ({"sources": {"nope": {"interval_seconds": 5}}}, "schedule: sources.nope: no source with this id"),
        ({"timezone": "Mars/Olympus"}, "schedule.timezone: unknown time zone"),
    ):
        bad = write_config(tmp_path, schedule=schedule)
        result = steward("config", "check", "--config", str(bad))
        assert result.exit_code == 2 and f"{bad}: {reason}" in result.output, result.output


@pytest.mark.parametrize("cron, fields", [("0 2 * * *", "hour='2'"), ("0 2 * * 1-5", "day_of_week='mon-fri'")])
def test_crontab_weekdays_count_from_sunday(
    cron: str, fields: str, tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    config, _ = load_config(write_config(tmp_path, schedule={"cron": cron}))
    assert fields in str(config.schedule.trigger_for("share"))
