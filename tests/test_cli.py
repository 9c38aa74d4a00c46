"""The `steward` command: every command has help, errors are one clear sentence with the right exit code."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from inventory.cli.main import cli
from scanner.samples import office, text

README = Path(__file__).parent.parent / "README.md"


def all_commands() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in cli.commands.items():
        found.append((name,))
        for sub in getattr(command, "commands", {}):
            found.append((name, sub))
    return found


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_has_help_and_is_documented(command: tuple[str, ...], steward: Callable[..., Result]) -> None:
    result = steward(*command, "--help")
    assert result.exit_code == 0 and "Usage: " in result.output
    assert len(result.output.splitlines()) > 3
    assert f"steward {' '.join(command)}" in README.read_text(), f"README does not mention steward {command}"


def test_top_level_help_lists_every_command(steward: Callable[..., Result]) -> None:
    output = steward("--help").output
    for name in cli.commands:
        assert name in output


@pytest.fixture
def scanned(tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]) -> Path:
    root = tmp_path / "share"
    (root / "HR").mkdir(parents=True)
    office.write_xlsx(root / "HR" / "staff.xlsx", {"Staff": [["Name", "NI number"], ["John Smith", "AB 12 34 56 C"]]})
    text.write_text(root / "HR" / "notes.txt", "Contact john.smith@example.co.uk")
    config = write_config(root)
    assert steward("scan", "--config", str(config)).exit_code == 0
    return config


def test_asset_detail_shows_masked_detections(scanned: Path, steward: Callable[..., Result]) -> None:
    out = steward("asset", "share:HR", "--config", str(scanned)).output
    assert "Asset 1: HR" in out and "HR/staff.xlsx" in out
    assert "UK_NINO" in out and "Staff!B2" in out
    assert "AB 12 34 56 C" not in out
    assert steward("asset", "1", "--config", str(scanned)).output == out
    missing = steward("asset", "99", "--config", str(scanned))
    assert missing.exit_code == 1 and "no asset '99'" in missing.output


def test_register_exports(scanned: Path, steward: Callable[..., Result], tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(steward("export", "iar", "--config", str(scanned)).output)))
    assert rows[0]["name"] == "HR" and rows[0]["file_count"] == "2"
    assert "UK_NINO: 1" in rows[0]["personal_data"]
    data = json.loads(steward("export", "iar", "--config", str(scanned), "--format", "json").output)
    assert data["information_asset_register"][0]["personal_data"]["EMAIL_ADDRESS"] == 1
    out = tmp_path / "iar.xlsx"
    steward("export", "iar", "--config", str(scanned), "--format", "xlsx", "--out", str(out))
    sheet = openpyxl.load_workbook(out).active
    assert sheet["C1"].value == "Name" and sheet["C2"].value == "HR"
    lines = [json.loads(x) for x in steward("export", "files", "--config", str(scanned)).output.splitlines()]
    assert {x["path"] for x in lines} == {"HR/staff.xlsx", "HR/notes.txt"}
    assert set(lines[0]) >= {"source", "path", "mime", "status", "size", "entities", "special_category"}


def test_bad_config_exits_2_with_one_sentence(tmp_path: Path, steward: Callable[..., Result]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("database: sqlite:///x.db\nsources:\n  - id: s\n    kind: local\n    root: /srv\n    colour: red\n")
    for command in (("scan",), ("assets",), ("export", "iar"), ("config", "check")):
        result = steward(*command, "--config", str(bad))
        assert result.exit_code == 2
        assert result.output.strip() == f"Error: {bad}: sources[0].colour: unknown key"


def test_unknown_source_and_unreachable_root(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(tmp_path / "no-such-folder")
    wrong = steward("scan", "--config", str(config), "--source", "nope")
    assert wrong.exit_code == 2 and "no source with id 'nope'" in wrong.output
    failed = steward("scan", "--config", str(config))
    assert failed.exit_code == 1 and "share: FAILED" in failed.output and "not a readable folder" in failed.output


def test_config_show_redacts_secrets(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(tmp_path, database="postgresql+psycopg://steward:hunter2@db.example/steward")
    shown = steward("config", "show", "--config", str(config)).output
    assert "hunter2" not in shown and "test-key" not in shown and "max_file_size" in shown
