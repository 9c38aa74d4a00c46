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

    _figures_agree(tmp_path, config, steward, report.read_text(encoding="utf-8"))

    findings = steward("findings", "--rule", "owner-left", "--format", "json", "--config", str(config))
    left = json.loads(findings.output)
    assert len(left) == 1 and left[0]["asset"].endswith("Planning") and leaver["name"] in left[0]["message"]


def _figures_agree(tmp_path: Path, config: Path, steward: Callable[..., Result], report: str) -> None:
    """Special-category files and their bytes are the same number in export files, risks --format json, the SIRO's
    report and the web page: distinct files, however many rules each breaches."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from inventory.cli.main import cli
    from inventory.config import load_config
    from inventory.web.app import create_app

    out = tmp_path / "files.jsonl"
    assert steward("export", "files", "--out", str(out), "--config", str(config)).exit_code == 0
    files = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    special: dict[str, list[dict[str, object]]] = {}
    for f in files:
        if f["special_category"]:
            special.setdefault(str(f["path"]).split("/")[0], []).append(f)
    assert special, "the sample council holds special-category files"

    risks = json.loads(steward("risks", "--format", "json", "--config", str(config)).output)
    special_risks = {r["asset"]: r for r in risks if r["title"].startswith("Special-category data open")}
    for folder, held in special.items():
        risk = special_risks[f"share:{folder}"]  # every sample file is readable by every local account
        assert risk["evidence"]["files"] == len(held), (folder, risk["evidence"])
        assert risk["evidence"]["bytes"] == sum(int(str(f["size"])) for f in held), folder
        assert f"{len(held):,} file(s) with special-category data" in risk["description"]

    total = sum(len(v) for v in special.values())
    headline = report.split("Special-category data</span><b>", 1)[1].split("</b>", 1)[0]
    assert headline == f"{total:,} files in {len(special):,} assets", headline

    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "user",
            "add",
            "sam",
            "--email",
            "sam@council.example",
            "--role",
            "siro",
            "--password-stdin",
            "--config",
            str(config),
        ],
        input="a long enough secret\n",
    )
    assert added.exit_code == 0, added.output
    web = TestClient(create_app(load_config(config)[0]), base_url="https://testserver")
    page = web.get("/sign-in")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    web.post("/sign-in", data={"name": "sam", "password": "a long enough secret", "csrf_token": token})
    assets = {a["name"]: a for a in web.get("/api/v1/assets").json()}
    for folder, held in special.items():
        body = web.get(f"/assets/{assets[folder]['id']}").text
        table = body.split('<table id="files">', 1)[1].split("</table>", 1)[0]
        assert table.count("special category:") == len(held), folder
