"""A re-scan in which nothing changed keeps the register, owners, findings and risks without recomputing them, and
every kind of change is still taken up on the next re-scan: a file added, changed or deleted, a folder deleted,
the directory, an owner decision, a risk rule edited. Files not seen are found deleted without a seen mark per file,
and a hard link is not taken for a move."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from inventory.store.models import FileEvent, FileRecord, ScanRun

KEPT = "nothing changed or came due: roll-up, ownership, rules and risks kept"
HR = (
    "account,uid,name,email,department,manager,status\n"
    "mhead,4100,Mary Head,mary.head@c.gov.uk,Planning,,active\n"
    "tofficer,4101,Tom Officer,tom.officer@c.gov.uk,Planning,mhead,active\n"
    "hclerk,4103,Hal Clerk,hal.clerk@c.gov.uk,Highways,,active\n"
)
MOVING = ("last_seen", "last_scanned", "trend")
SHIPPED_RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    for folder in ("Planning/2024", "Planning/2025", "Highways", "Archive"):
        (root / folder).mkdir(parents=True)
    for i in range(3):
        path = root / f"Planning/2024/application {i}.csv"
        path.write_text("Ref,Applicant,Email\n" + f"P{i},Jo Bloggs,jo{i}@example.co.uk\n" * 40)
        os.chown(path, 4101, 4100)
    (root / "Planning/2025/notes.txt").write_text("Meeting notes, nothing personal.")
    (root / "Highways/inspection.txt").write_text("Road surface inspected on the A46. No defects found.")
    os.chown(root / "Highways/inspection.txt", 4103, 4103)
    (root / "Archive/old list.csv").write_text("Name,Email\n" + "Sam Past,sam.past@example.co.uk\n" * 20)
    os.chown(root / "Archive/old list.csv", 4999, 4999)  # nobody in the directory: an asset with no owner
    return root


@pytest.fixture
def config(share: Path, tmp_path: Path, write_config: Callable[..., Path]) -> Path:
    (tmp_path / "hr.csv").write_text(HR)
    rules = tmp_path / "rules"
    shutil.copytree(SHIPPED_RULES, rules)
    return write_config(share, directory={"kind": "csv", "path": str(tmp_path / "hr.csv")}, rules={"dir": str(rules)})


def state(steward: Callable[..., Result], config: Path) -> dict[str, Any]:
    """What a person sees: the register, the owners, the open findings and the risk register."""

    def shown(*args: str) -> Any:
        result = steward(*args, "--config", str(config), "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def lasting(rows: list[dict[str, Any]]) -> list[str]:  # without what every scan moves (when, trend)
        return sorted(json.dumps({k: v for k, v in r.items() if k not in MOVING}, sort_keys=True) for r in rows)

    return {
        "assets": lasting(shown("assets")),
        "owners": lasting(shown("owners")),
        "findings": lasting(shown("findings")),
        "risks": lasting(shown("risks")),
    }


def rescan(steward: Callable[..., Result], config: Path, caplog: pytest.LogCaptureFixture) -> tuple[str, bool]:
    """Scan again; the summary line, and whether the steps after the walk were all kept."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="inventory.runs.orchestrator"):
        result = steward("scan", "--config", str(config))
    assert result.exit_code == 0, result.output
    return result.output, KEPT in caplog.text


def asset(found: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in map(json.loads, found["assets"]) if a["name"] == name)


def test_nothing_changed_keeps_everything_and_each_change_is_taken_up(
    share: Path, config: Path, tmp_path: Path, steward: Callable[..., Result], caplog: pytest.LogCaptureFixture
) -> None:
    rescan(steward, config, caplog)
    first = state(steward, config)
    assert asset(first, "Planning")["file_count"] == 4 and asset(first, "Planning")["personal_files"] == 3

    out, kept = rescan(steward, config, caplog)
    assert "6 entries, 0 read, 6 unchanged, 0 moved, 0 deleted" in out and kept
    assert state(steward, config) == first
    full = steward("scan", "--full", "--config", str(config))  # every file read again, every step recomputed
    assert full.exit_code == 0 and "6 read" in full.output
    assert state(steward, config) == first

    # a file added: the register, the findings and the risks take it up
    added = share / "Planning/2025/objectors.csv"
    added.write_text("Name,Email\n" + "Ann Other,ann.other@example.co.uk\n" * 30)
    out, kept = rescan(steward, config, caplog)
    assert "7 entries, 1 read" in out and not kept
    now = state(steward, config)
    assert asset(now, "Planning")["file_count"] == 5 and asset(now, "Planning")["personal_files"] == 4
    assert len(now["findings"]) > len(first["findings"])
    _, kept = rescan(steward, config, caplog)
    assert kept and state(steward, config) == now

    # the directory changed (the head of Planning left): owners, findings and risks take it up, no file changed
    (tmp_path / "hr.csv").write_text(HR.replace("Planning,,active", "Planning,,leaver"))
    out, kept = rescan(steward, config, caplog)
    assert "0 read" in out and not kept
    after = state(steward, config)
    assert after["owners"] != now["owners"]
    _, kept = rescan(steward, config, caplog)
    assert kept

    # an owner decision is taken up by the next scan
    decided = steward("owner", "set", "Highways", "tofficer", "--by", "siro", "--reason", "agreed", "--config",
                      str(config))  # fmt: skip
    assert decided.exit_code == 0, decided.output
    _, kept = rescan(steward, config, caplog)
    assert not kept
    highways = next(o for o in map(json.loads, state(steward, config)["owners"]) if o["asset"] == "Highways")
    assert (highways["owner"], highways["owner_status"]) == ("Tom Officer", "confirmed")

    # a risk rule edited: the risk register takes it up, no file changed
    risk_file = tmp_path / "rules/risk.yaml"
    before = {json.loads(r)["title"] for r in state(steward, config)["risks"]}
    assert any(t.startswith("Personal data") or t.startswith("Information asset") for t in before)
    text = risk_file.read_text()
    risk_file.write_text(
        text.replace("title: Information asset with no accountable owner", "title: Asset without an owner").replace(
            "title: Personal data kept past its retention period", "title: Kept too long"
        )
    )
    _, kept = rescan(steward, config, caplog)
    assert not kept
    titles = {json.loads(r)["title"] for r in state(steward, config)["risks"]}
    assert titles != before

    # a file changed and a file deleted, then a whole folder deleted
    (share / "Planning/2024/application 0.csv").write_text("Ref,Applicant\nP0,withdrawn\n")
    (share / "Planning/2024/application 1.csv").unlink()
    out, kept = rescan(steward, config, caplog)
    assert "1 read" in out and "1 deleted" in out and not kept
    planning = asset(state(steward, config), "Planning")
    assert planning["file_count"] == 4 and planning["personal_files"] == 2
    kept = state(steward, config)  # the rules evaluated over those two files alone end as a full evaluation
    applied = steward("rules", "apply", "--all", "--config", str(config))
    assert applied.exit_code == 0 and "files evaluated" in applied.output
    assert state(steward, config) == kept
    shutil.rmtree(share / "Highways")
    out, _ = rescan(steward, config, caplog)
    assert "1 deleted" in out
    assert "Highways" not in {json.loads(a)["name"] for a in state(steward, config)["assets"]}


def test_unseen_files_are_found_deleted_and_a_hard_link_is_not_a_move(
    share: Path, config: Path, steward: Callable[..., Result], caplog: pytest.LogCaptureFixture
) -> None:
    rescan(steward, config, caplog)
    rescan(steward, config, caplog)
    os.link(share / "Planning/2024/application 2.csv", share / "Planning/2025/same application.csv")
    (share / "Planning/2024/application 0.csv").unlink()
    out, _ = rescan(steward, config, caplog)
    assert "6 entries, 1 read, 5 unchanged, 0 moved, 1 deleted" in out
    url = f"sqlite:///{config.parent / 'steward.db'}"
    with Session(create_engine(url)) as s:
        present = set(s.scalars(select(FileRecord.path).where(FileRecord.deleted_at.is_(None))))
        assert present == {
            "Planning/2024/application 1.csv",
            "Planning/2024/application 2.csv",
            "Planning/2025/same application.csv",
            "Planning/2025/notes.txt",
            "Highways/inspection.txt",
            "Archive/old list.csv",
        }
        run = s.scalars(select(ScanRun).order_by(ScanRun.id.desc())).first()
        assert run is not None and run.counts == {"ok": 6}  # every present file, though unchanged ones were not marked
        kinds = {e.kind for e in s.scalars(select(FileEvent).where(FileEvent.run_id == run.id))}
        assert kinds == {"added", "deleted"}


def test_a_file_changed_behind_an_unmoved_modification_time_is_still_read(
    share: Path, config: Path, steward: Callable[..., Result], caplog: pytest.LogCaptureFixture
) -> None:
    """A re-scan compares the walk's facts of each file with its stored row before any entry is made of it: a
    file rewritten with its old modification time put back, one replaced by another of the same size and time,
    and one whose permissions alone changed must each still be told from the files that did not change."""
    rescan(steward, config, caplog)
    grown, swapped, opened = (
        share / "Planning/2024/application 0.csv",
        share / "Planning/2025/notes.txt",
        share / "Highways/inspection.txt",
    )
    kept = os.stat(grown)
    grown.write_text(grown.read_text() + "P9,Ann Other,ann@example.co.uk\n")
    os.utime(grown, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    was = os.stat(swapped)
    twin = swapped.with_name("notes.tmp")
    twin.write_text(swapped.read_text().replace("Meeting", "Meeting"[::-1]))
    os.utime(twin, ns=(was.st_atime_ns, was.st_mtime_ns))
    os.replace(twin, swapped)  # same path, size and time; another file (inode)
    opened.chmod(0o600)
    out, _ = rescan(steward, config, caplog)
    assert "6 entries, 2 read, 4 unchanged, 0 moved, 0 deleted" in out
    with Session(create_engine(f"sqlite:///{config.parent / 'steward.db'}")) as s:
        run = s.scalars(select(ScanRun).order_by(ScanRun.id.desc())).first()
        assert run is not None
        events = {(e.file_id, e.kind) for e in s.scalars(select(FileEvent).where(FileEvent.run_id == run.id))}
        ids = {path: file_id for path, file_id in s.execute(select(FileRecord.path, FileRecord.id))}
    assert events == {
        (ids["Planning/2024/application 0.csv"], "changed"),
        (ids["Planning/2025/notes.txt"], "changed"),
        (ids["Highways/inspection.txt"], "access"),
    }


def test_a_current_store_is_recognised_without_alembic_and_any_other_is_upgraded(tmp_path: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from inventory.store.engine import MIGRATIONS, head_revision, is_current, make_engine, open_store

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(cfg).get_current_head()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    assert not is_current(engine)  # no store yet
    created: list[str] = []
    open_store(url, on_new=lambda: created.append(url))  # a new store: told first (a scan then reads everything)
    assert is_current(engine) and created == [url]
    open_store(url, on_new=lambda: created.append(url))
    assert created == [url]  # a current store is not new
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0010_ocr'")
    assert not is_current(engine)  # an older store goes through Alembic's upgrade


def test_a_new_store_is_migrated_in_a_process_of_its_own_and_an_in_memory_one_here(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    script = (
        "import sys\nfrom inventory.store.engine import is_current, make_engine, open_store\n"
        f"open_store({url!r})\n"
        f"print(is_current(make_engine({url!r})), 'alembic' in sys.modules, 'mako' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "False"]  # migrated, and neither is held by the command
    from inventory.store.engine import head_revision, open_store

    with open_store("sqlite://")() as session:  # a store in memory is this process's alone
        assert session.connection().exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
            head_revision()
        )


def test_quiet_rescans_stay_quiet_however_many_follow(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result], caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "share"
    (root / "Team").mkdir(parents=True)
    (root / "Team/list.csv").write_text("Name,Email\nJo Bloggs,jo@example.co.uk\n")
    config = write_config(root)
    rescan(steward, config, caplog)
    for _ in range(25):  # more runs than the look-back for the last evaluation's state
        out, kept = rescan(steward, config, caplog)
        assert "1 entries, 0 read, 1 unchanged" in out and kept


def test_a_rescan_that_reads_nothing_loads_no_detection_library(
    share: Path, config: Path, steward: Callable[..., Result]
) -> None:
    """Nightly re-scans of quiet shares start in about a second: the scan process never imports presidio and
    spaCy (seconds to import); its loader does, beside it, and is stopped with the command."""
    assert steward("scan", "--config", str(config)).exit_code == 0
    script = (
        "import sys\nfrom inventory.cli.main import main\n"
        f"sys.argv = ['steward', 'scan', '--config', {str(config)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(sorted(m for m in ('presidio_analyzer', 'spacy', 'thinc') if m in sys.modules))\n"
    )
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert KEPT in again.stderr + again.stdout
    assert again.stdout.strip().splitlines()[-1] == "[]"


def test_standing_findings_are_last_seen_at_each_scan_without_their_rows_being_rewritten(
    share: Path, config: Path, steward: Callable[..., Result], caplog: pytest.LogCaptureFixture
) -> None:
    from inventory.findings.models import Finding

    def seen() -> dict[int, tuple[str, str]]:
        result = steward("findings", "--status", "all", "--config", str(config), "--format", "json")
        assert result.exit_code == 0, result.output
        return {f["id"]: (f["status"], f["last_seen"]) for f in json.loads(result.output)}

    def stored() -> dict[int, object]:
        with Session(create_engine(f"sqlite:///{config.parent / 'steward.db'}")) as s:
            return {i: when for i, when in s.execute(select(Finding.id, Finding.last_seen))}

    rescan(steward, config, caplog)
    first, rows = seen(), stored()
    assert first and all(status == "open" for status, _ in first.values())
    time.sleep(1.1)  # findings show when they were last seen to the second
    _, kept = rescan(steward, config, caplog)
    assert kept, caplog.text
    quiet = seen()
    # every standing finding was seen by this scan, later than by the first ...
    assert all(quiet[i][1] > first[i][1] for i in first) and len({when for _, when in quiet.values()}) == 1
    assert stored() == rows  # ... and not one finding's row was written to say so
    one = next(iter(first))
    shown = steward("finding", str(one), "--config", str(config))
    assert shown.exit_code == 0 and f"Last seen:   {quiet[one][1]}" in shown.output

    (share / "Archive/old list.csv").unlink()  # its findings resolve: last seen at the scan before, when they held
    time.sleep(1.1)
    rescan(steward, config, caplog)
    after = seen()
    resolved = [i for i, (status, _) in after.items() if status == "resolved"]
    assert resolved
    assert all(after[i][1] == quiet[i][1] for i in resolved)
    assert all(when > quiet[i][1] for i, (status, when) in after.items() if status == "open")
