"""The governance board's evidence pack opens offline, its links resolve, its statuses follow from the figures,
and it is byte-identical when rebuilt from the same store and date."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import Result
from sqlalchemy import update

from inventory.store.engine import open_store
from inventory.store.models import Asset


def _status(index: str, action: str) -> str:
    row = index.split(f"<tr><td>{action}</td>", 1)[1].split("</tr>", 1)[0]
    found = re.search(r"<td class='[^']*'>([a-z ]+)</td>", row)
    assert found, row
    return found.group(1)


def test_the_evidence_pack(web: Any, tmp_path: Path, steward: Callable[..., Result]) -> None:
    cfg = str(web.config_path)
    first, again = tmp_path / "pack.zip", tmp_path / "again.zip"
    for out in (first, again):
        made = steward("evidence", "--out", str(out), "--date", "2026-12-01", "--config", cfg)
        assert made.exit_code == 0, made.output
    assert first.read_bytes() == again.read_bytes()  # the same store and date: the same bytes

    with zipfile.ZipFile(first) as pack:
        names = set(pack.namelist())
        assert {"index.html", "register.xlsx", "risk-register.xlsx", "siro-report.html", "trends.csv"} <= names
        assert {"ownership-decisions.csv", "finding-decisions.csv", "disposal-approvals.csv"} <= names
        index = pack.read("index.html").decode("utf-8")
        for name in names - {"register.xlsx", "risk-register.xlsx"}:
            text = pack.read(name).decode("utf-8")
            assert not re.search(r"(src|href)=['\"]?https?:", text), name  # opens offline
        links = set(re.findall(r"href='([^']+)'", index))
        assert links and links <= names  # every link resolves inside the pack
        pack.extract("register.xlsx", tmp_path)
    assert openpyxl.load_workbook(tmp_path / "register.xlsx").active.max_row >= 3  # header and the assets
    assert _status(index, "A13") == "not met"  # nobody has confirmed an asset yet

    with open_store(web.config.database)() as db:  # every owner confirms: A13 follows the figure
        db.execute(update(Asset).values(owner_status="confirmed", owner="Someone"))
        db.commit()
    steward("evidence", "--out", str(first), "--date", "2026-12-01", "--config", cfg)
    with zipfile.ZipFile(first) as pack:
        index = pack.read("index.html").decode("utf-8")
    assert _status(index, "A13") == "met" and "confirmed share: 100%" in index


def test_a_bad_evidence_rule_is_named_by_rules_check(tmp_path: Path, steward: Callable[..., Result]) -> None:
    rules = Path(__file__).resolve().parents[1] / "rules"
    for name in ("retention.yaml", "policies.yaml"):
        (tmp_path / name).write_text((rules / name).read_text())
    (tmp_path / "evidence.yaml").write_text(
        "version: 1\nexpectations:\n  - {id: A13, title: t, says: s, measure: happiness, met: 1, partly: 0}\n"
    )
    checked = steward("rules", "check", str(tmp_path))
    assert checked.exit_code == 2 and "evidence.yaml:3: expectations[0].measure" in checked.output
