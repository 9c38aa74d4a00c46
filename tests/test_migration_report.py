"""The migration triage: every file in one bucket, the buckets adding up to the register, dispose matching the
disposal list, as a self-contained page and as a workbook."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import Result


def test_migration_buckets_add_up_to_the_register(web: Any, tmp_path: Path, steward: Callable[..., Result]) -> None:
    cfg = str(web.config_path)
    register = json.loads(steward("assets", "--format", "json", "--config", cfg).output)
    xlsx = tmp_path / "migration.xlsx"
    made = steward("report", "migration", "--out", str(xlsx), "--config", cfg)
    assert made.exit_code == 0, made.output
    sheet = openpyxl.load_workbook(xlsx)["By asset"]
    rows = list(sheet.iter_rows(values_only=True))
    head = list(rows[0])
    by_asset = {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:]}
    for asset in register:
        row = by_asset[f"{asset['source']}:{asset['name']}"]
        buckets = [c for c in head if str(c).endswith(": files") and not str(c).startswith("All")]
        assert sum(row[c] for c in buckets) == row["All files"] == asset["file_count"], asset["name"]
        assert sum(row[c.replace(": files", ": bytes")] for c in buckets) == row["All bytes"] == asset["bytes"]
    disposal = list(csv.DictReader(io.StringIO(steward("export", "disposal", "--config", cfg).output)))
    assert sum(r["Dispose (past retention): files"] for r in by_asset.values()) == len(disposal) > 0
    # What holds personal data and is not to be disposed of or reviewed moves with protection.
    housing = by_asset[f"{register[0]['source']}:Housing"]
    assert housing["Move with protection (personal data): files"] >= 1

    page = tmp_path / "migration.html"
    assert steward("report", "migration", "--out", str(page), "--config", cfg).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "Migration triage" in html and "By service" in html and "By asset" in html
    assert "http" not in html and "<script" not in html  # opens offline, nothing runs
    assert steward("report", "migration", "--out", str(tmp_path / "m.pdf"), "--config", cfg).exit_code == 2
