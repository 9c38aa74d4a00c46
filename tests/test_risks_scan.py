"""The risk register end to end: a generated share is scanned, rescanned and remediated, and the risks open,
persist (same id), are accepted, worsen and reopen, close when their findings clear and reopen when they return;
a risk from outside the scan is added and treated; the register exports as CSV and XLSX in the committee shape;
the SIRO's HTML report, rendered by a headless Chromium, shows the right figures, heat map and top risks."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result
from sqlalchemy import create_engine, update

from inventory.risks.models import Risk
from scanner.samples import office, text

DAY = 86400
RETENTION = """\
version: 1
default: team
classes:
  - {id: team, name: Team documents, category: Normal, period: 10y, action: review, mandate: schedule}
  - {id: hr, name: Staff records, category: Major, priority: 10, period: 6y, match: {paths: ['HR/**']},
     mandate: CIPD}
"""
POLICIES = """\
version: 1
policies:
  - {id: open-personal, kind: exposure, severity: high}
  - {id: no-owner, kind: unowned, severity: medium}
"""


def _age(path: Path, days: float, mode: int = 0o640) -> None:
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))
    os.chmod(path, mode)


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    for folder in ("HR", "Team"):
        (root / folder).mkdir(parents=True)
    office.write_docx(
        root / "HR/referral.docx",
        [
            "Occupational health referral for Sarah Thompson, NHS number "
            "943 476 5919: diagnosed with diabetes, medication reviewed."
        ],
    )
    text.write_text(root / "HR/old appraisal.txt", "Appraisal of John Smith, NI number AB 12 34 56 C, 2016.")
    text.write_text(root / "Team/notes.txt", "Minutes of the team meeting. Nothing personal.")
    _age(root / "HR/referral.docx", 30, 0o644)  # other-readable: special-category data open to all
    _age(root / "HR/old appraisal.txt", 8 * 365)
    _age(root / "Team/notes.txt", 10)
    return root


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if getattr(request, "param", "sqlite") == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'steward.db'}"


@pytest.fixture
def config(share: Path, tmp_path: Path, write_config: Callable[..., Path], store: str) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "retention.yaml").write_text(RETENTION)
    (rules / "policies.yaml").write_text(POLICIES)
    return write_config(share, database=store, rules={"dir": str(rules)})


def run(steward: Callable[..., Result], *args: str) -> Result:
    result = steward(*args)
    assert result.exit_code == 0, result.output
    return result


def register(steward: Callable[..., Result], config: Path) -> dict[tuple[str | None, str], dict]:
    rows = json.loads(run(steward, "risks", "--config", str(config), "--format", "json", "--status", "all").output)
    return {(r["asset"], r["type"]): r for r in rows}


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_risks_open_persist_worsen_close_and_reopen(
    share: Path, config: Path, steward: Callable[..., Result], tmp_path: Path
) -> None:
    assert "open risks: " in run(steward, "scan", "--config", str(config)).output
    first = register(steward, config)
    assert set(first) == {
        ("share:HR", "special_open"),
        ("share:HR", "past_retention"),
        ("share:HR", "no_owner"),
        ("share:Team", "no_owner"),
    }
    special = first[("share:HR", "special_open")]
    assert {"id", "title", "asset", "owner", "likelihood", "impact", "score", "band", "status"} <= set(special)
    assert special["status"] == "open" and special["score"] == special["likelihood"] * special["impact"]
    assert (special["likelihood"], special["impact"], special["band"]) == (3, 4, "High")
    assert first[("share:Team", "no_owner")]["band"] == "Low"

    run(steward, "scan", "--config", str(config))
    assert {k: r["id"] for k, r in register(steward, config).items()} == {k: r["id"] for k, r in first.items()}

    # accepted with a reason and a review date; the risk then worsens (writable by all) and reopens
    sid = str(special["id"])
    refused = steward("risk", "accept", sid, "--config", str(config), "--by", "SIRO", "--reason", "x")
    assert refused.exit_code == 1 and "review date" in refused.output
    review = (date.today() + timedelta(days=90)).isoformat()
    run(
        steward,
        "risk",
        "accept",
        sid,
        "--config",
        str(config),
        "--by",
        "Jane Doe (SIRO)",
        "--reason",
        "Moving the folder next month",
        "--review",
        review,
    )
    run(steward, "scan", "--config", str(config))
    assert register(steward, config)[("share:HR", "special_open")]["status"] == "tolerated"
    os.chmod(share / "HR/referral.docx", 0o666)
    run(steward, "scan", "--config", str(config))
    worse = register(steward, config)[("share:HR", "special_open")]
    assert worse["status"] == "open" and worse["likelihood"] == 4 and worse["trend"] == "up"
    shown = json.loads(run(steward, "risk", sid, "--config", str(config), "--format", "json").output)
    assert [e["event"] for e in shown["events"]] == ["opened", "tolerated", "worsened"]
    assert shown["events"][1]["by"] == "Jane Doe (SIRO)" and "Moving the folder" in shown["events"][1]["reason"]
    assert [s["score"] for s in shown["scores"]][-1] == 16

    # remediated: the findings clear and the risk closes itself; exposed again, the same risk reopens
    os.chmod(share / "HR/referral.docx", 0o640)
    run(steward, "scan", "--config", str(config))
    assert register(steward, config)[("share:HR", "special_open")]["status"] == "closed"
    assert ("share:HR", "special_open") not in {
        (r["asset"], r["type"])
        for r in json.loads(run(steward, "risks", "--config", str(config), "--format", "json").output)
    }
    os.chmod(share / "HR/referral.docx", 0o644)
    run(steward, "scan", "--config", str(config))
    again = register(steward, config)[("share:HR", "special_open")]
    assert again["id"] == special["id"] and again["status"] == "open"


def test_an_acceptance_reopens_when_its_review_date_passes(
    config: Path, steward: Callable[..., Result], tmp_path: Path
) -> None:
    run(steward, "scan", "--config", str(config))
    rid = register(steward, config)[("share:Team", "no_owner")]["id"]
    moved = steward(
        "risk",
        "treat",
        str(rid),
        "--config",
        str(config),
        "--treatment",
        "treat",
        "--by",
        "IAO",
        "--reason",
        "x",
        "--owner",
        "Someone Else",
    )
    assert moved.exit_code == 1 and "steward owner set" in moved.output
    run(
        steward,
        "risk",
        "accept",
        str(rid),
        "--config",
        str(config),
        "--by",
        "IAO",
        "--reason",
        "low value",
        "--review",
        (date.today() + timedelta(days=1)).isoformat(),
    )
    assert register(steward, config)[("share:Team", "no_owner")]["status"] == "tolerated"
    engine = create_engine(f"sqlite:///{tmp_path / 'steward.db'}")
    with engine.begin() as conn:  # a day later than the review date
        conn.execute(update(Risk).where(Risk.id == rid).values(review_date=date.today() - timedelta(days=1)))
    assert register(steward, config)[("share:Team", "no_owner")]["status"] == "open"


def test_a_risk_from_outside_the_scan_is_added_treated_and_exported(
    config: Path, steward: Callable[..., Result], tmp_path: Path
) -> None:
    run(steward, "scan", "--config", str(config))
    out = run(
        steward,
        "risk",
        "add",
        "--config",
        str(config),
        "--title",
        "Laptop lost with unencrypted case notes",
        "--likelihood",
        "2",
        "--impact",
        "5",
        "--owner",
        "Head of ICT",
        "--by",
        "Security team",
    ).output
    rid = out.split()[1]
    run(
        steward,
        "risk",
        "treat",
        rid,
        "--config",
        str(config),
        "--treatment",
        "treat",
        "--by",
        "Head of ICT",
        "--reason",
        "Full-disk encryption",
        "--control",
        "BitLocker on every laptop",
        "--action",
        "Audit in May",
        "--residual-likelihood",
        "1",
        "--target",
        "5",
        "--review",
        "2027-06-30",
    )
    rows = register(steward, config)
    manual = rows[(None, "manual")]
    assert (manual["score"], manual["residual_score"], manual["status"], manual["treatment"]) == (
        10,
        5,
        "treated",
        "treat",
    )
    run(steward, "scan", "--config", str(config))  # a scan never closes a risk it did not derive
    assert register(steward, config)[(None, "manual")]["status"] == "treated"
    table = run(steward, "risks", "--config", str(config)).output
    assert "Laptop lost" in table and "Head of ICT" in table
    current = json.loads(run(steward, "risks", "--config", str(config), "--format", "json").output)
    assert table.rstrip().splitlines()[-1].startswith(f"{len(current)} risk(s) (current): ")  # the closing count line
    listed = list(csv.reader(io.StringIO(run(steward, "risks", "--config", str(config), "--format", "csv").output)))
    assert listed[0][:5] == ["Id", "Title", "Description", "Asset", "Owner"]
    xlsx = tmp_path / "risks.xlsx"
    run(steward, "export", "risks", "--config", str(config), "--format", "xlsx", "--out", str(xlsx))
    sheet = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    for column in (
        "Id",
        "Title",
        "Description",
        "Asset",
        "Owner",
        "Inherent L",
        "Inherent I",
        "Inherent score",
        "Controls",
        "Residual L",
        "Residual I",
        "Residual score",
        "Treatment",
        "Actions",
        "Review date",
        "Status",
    ):
        assert column in header
    values = {
        header[i]: c.value
        for row in sheet.iter_rows(min_row=2)
        for i, c in enumerate(row)
        if row[1].value.startswith("Laptop")
    }
    assert values["Controls"] == "BitLocker on every laptop" and values["Residual score"] == 5
    assert sheet.max_row == 1 + len(rows)


def _chromium_dom(page: Path) -> str:
    """The page as a real headless Chromium renders it (its DOM after parsing)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is needed (scripts/setup.sh test installs it)"
    done = subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_the_siro_report_shows_the_figures_the_heat_map_and_the_top_risks(
    share: Path, config: Path, steward: Callable[..., Result], tmp_path: Path
) -> None:
    run(steward, "scan", "--config", str(config))
    run(
        steward,
        "owner",
        "set",
        "share:Team",
        "Head of Democratic Services",
        "--config",
        str(config),
        "--by",
        "IG",
        "--reason",
        "named at the IAO workshop",
        "--force",  # no directory here: an administrator records the name as given
    )
    run(steward, "scan", "--config", str(config))  # the owner now answers for Team: its no-owner risk closes
    rows = json.loads(run(steward, "risks", "--config", str(config), "--format", "json").output)
    page = tmp_path / "report.html"
    pdf = tmp_path / "report.pdf"
    assert "open risks" in run(steward, "report", "--config", str(config), "--out", str(page), "--pdf", str(pdf)).output
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    html = page.read_text()
    dom = _chromium_dom(page)
    assert "Headline figures" in dom and "Top ten risks" in dom
    figures = dict(re.findall(r"data-figure=\"([^\"]+)\"><span>[^<]+</span><b>([^<]+)</b>", dom))
    assert figures["Information assets"] == "2"
    assert figures["Assets with a confirmed owner"] == "50% (1 of 2)"
    assert figures["Personal data"] == "2 files in 1 assets"
    assert figures["Special-category data"] == "1 files in 1 assets"
    assert figures["Past retention"].endswith("in 1 files")
    assert figures["Volume scanned"].endswith("in 3 files")
    cells = {
        (int(lk), int(im)): int(n)
        for lk, im, n in re.findall(r'class="cell" data-likelihood="(\d)" data-impact="(\d)" data-count="(\d+)"', dom)
    }
    assert len(cells) == 25 and sum(cells.values()) == len(rows) == 3
    for r in rows:
        assert cells[(r["likelihood"], r["impact"])] >= 1
    assert cells[(3, 4)] == 2  # HR: special-category data open to all, and no owner for personal/special data
    top = re.findall(r"<tr><td class=\"n\">(\d+)</td><td>([^<]+)</td>", dom.split("Top ten risks")[1])
    assert [int(i) for i, _ in top] == [r["id"] for r in rows]  # highest score first, as the register lists them
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert "Special-category data open to all staff: share:HR" in dom
    assert "Maturity: Asset Management" in dom and "target 4 (Operational)" in dom
    assert "<td>Assets with an accountable owner</td><td>50% (1 of 2)</td>" in dom
    assert "<td>Special-category files open to all staff</td><td>1</td>" in dom
    # self-contained, no script, and no personal-data value anywhere
    for needle in ("http:", "https:", "src=", "href=", "<script", "<link", "url(", "@import"):
        assert needle not in html, needle
    for value in ("943 476 5919", "9434765919", "Sarah Thompson", "AB 12 34 56 C", "John Smith"):
        assert value not in html
