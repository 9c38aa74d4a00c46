"""The sample council the demo scans: staff own the files, an HR export is the directory, so a first scan proposes
owners from evidence, a board's confirmation holds, and an owner who left is flagged."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files to staff needs root, as the demo does")
def test_sample_council_has_owners_evidence_and_a_leaver(
    tmp_path: Path, steward: Callable[..., Result], write_config: Callable[..., Path]
) -> None:
    share, hr = tmp_path / "share", tmp_path / "hr.csv"
    made = steward("sample-share", str(share), "--files", "80", "--staff-csv", str(hr))
    assert made.exit_code == 0 and "HR export of" in made.output
    staff = list(csv.DictReader(hr.open(encoding="utf-8")))
    leaver = next(p for p in staff if p["status"] == "leaver")
    head_of = {p["department"]: p for p in staff if p["title"].startswith("Head of") and p["status"] == "active"}
    assert (share / "Finance").stat().st_uid == int(head_of["Finance"]["uid"])  # the head owns the service folder
    config = write_config(
        share,
        directory={"kind": "csv", "path": str(hr)},
        owners={"declared": [{"path": "share:Planning", "owner": leaver["account"]}]},
        assets={"services": {"GIS": "Place Intelligence"}},
    )
    assert steward("scan", "--config", str(config)).exit_code == 0
    confirmed = steward(
        "owner",
        "set",
        "share:Finance",
        head_of["Finance"]["account"],
        "--by",
        "IG board",
        "--reason",
        "board",
        "--config",
        str(config),
    )
    assert confirmed.exit_code == 0, confirmed.output

    owners = {a["asset"]: a for a in json.loads(steward("owners", "--format", "json", "--config", str(config)).output)}
    care = owners["Adult Social Care"]
    assert (care["owner"], care["owner_status"]) == (head_of["Adult Social Care"]["name"], "proposed")
    assert any("owns" in why or "manages" in why for why in care["evidence"]), care["evidence"]
    assert care["service"] == "Adult Social Care"  # the owner's department
    assert owners["GIS"]["service"] == "Place Intelligence"  # the config's folder -> service mapping wins
    assert owners["Finance"]["owner_status"] == "confirmed"
    assert "root (uid 0) owns" in " ".join(owners["share (root files)"]["notes"])  # root's own files, named

    report = tmp_path / "report.html"
    assert steward("report", "--out", str(report), "--config", str(config)).exit_code == 0
    by_service = report.read_text(encoding="utf-8").split("By service", 1)[1].split("</table>", 1)[0]
    assert "Place Intelligence" in by_service and "Adult Social Care" in by_service
    assert all(service in by_service for service in ("Finance", "HR", "Planning", "Highways"))  # a row each

    findings = steward("findings", "--rule", "owner-left", "--format", "json", "--config", str(config))
    left = json.loads(findings.output)
    assert len(left) == 1 and left[0]["asset"].endswith("Planning") and leaver["name"] in left[0]["message"]
