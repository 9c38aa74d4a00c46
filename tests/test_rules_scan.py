"""Rules end to end: a generated share whose file times are set in the past is scanned, and the findings,
the register's retention columns and the disposal list follow; a changed rule file changes the findings on the
next scan; a dismissal survives a re-scan and lapses when its file changes; a cleared condition resolves."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from scanner.samples import office, text

DAY = 86400
RETENTION = """\
version: 1
default: team
classes:
  - {id: team, name: Team documents, category: Normal, period: 3y, action: review, mandate: schedule}
  - {id: occ-health, name: Occupational health, category: Exceptions, priority: 20, period: 45y,
     match: {paths: ['HR/Occupational Health']}, action: destroy, mandate: COSHH reg. 11}
  - {id: hr, name: Staff records, category: Major, priority: 10, period: 6y, match: {paths: ['HR/**']},
     mandate: CIPD}
holds:
  - {id: sar-7, reason: subject_access, reference: SAR-7, paths: ['HR/Staff/**'], since: 2020-01-01}
"""
POLICIES = """\
version: 1
policies:
  - {id: open-personal, kind: exposure, severity: high}
  - {id: stale, kind: stale, severity: low, period: 3y}
  - {id: dupes, kind: duplicate, severity: medium, min_size: 50MB, personal_data: true}
  - {id: names, kind: naming, severity: info, patterns: [{id: copy-of, regex: '^copy of', message: a copy}]}
  - {id: locked, kind: unscannable, severity: medium}
  - {id: no-owner, kind: unowned, severity: medium}
"""
PEOPLE = [
    ["Name", "Email", "NHS Number"],
    ["John Smith", "john.smith@example.co.uk", "943 476 5919"],
    ["Mary Jones", "mary.jones@example.co.uk", "401 023 2137"],
]


def _age(path: Path, days: float, mode: int = 0o640) -> None:
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))
    os.chmod(path, mode)


@pytest.fixture
def aged_share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    for folder in ("Team", "HR/Occupational Health", "HR/Staff", "Exports/old"):
        (root / folder).mkdir(parents=True)
    text.write_text(root / "Team/notes.txt", "Minutes of the team meeting. Nothing personal.")
    text.write_text(root / "Team/recent.txt", "This week's rota.")
    text.write_text(root / "Team/Copy of rota.txt", "Last week's rota.")
    office.write_docx(
        root / "HR/Occupational Health/referral.docx",
        ["Employee: Sarah Thompson, NHS number 943 476 5919.", "Referred for back pain."],
    )
    text.write_text(root / "HR/Staff/old appraisal.txt", "Appraisal notes for the team, 2016.")
    text.write_csv(root / "Exports/people.csv", PEOPLE)
    text.write_csv(root / "Exports/old/people copy.csv", PEOPLE)
    office.write_encrypted_docx(root / "HR/Staff/salaries.docx", ["Salaries"], "secret")
    _age(root / "Team/notes.txt", 4 * 365)
    _age(root / "Team/recent.txt", 10)
    _age(root / "Team/Copy of rota.txt", 20)
    _age(root / "HR/Occupational Health/referral.docx", 10 * 365, 0o644)  # other-readable: exposed
    _age(root / "HR/Staff/old appraisal.txt", 8 * 365)
    _age(root / "Exports/people.csv", 30)
    _age(root / "Exports/old/people copy.csv", 30)
    _age(root / "HR/Staff/salaries.docx", 100)
    return root


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "retention.yaml").write_text(RETENTION)
    (folder / "policies.yaml").write_text(POLICIES)
    return folder


def run(steward: Callable[..., Result], *args: str) -> Result:
    result = steward(*args)
    assert result.exit_code == 0, result.output
    return result


def findings(steward: Callable[..., Result], config: Path, *extra: str) -> dict[tuple[str, str | None], dict]:
    rows = json.loads(run(steward, "findings", "--config", str(config), "--format", "json", *extra).output)
    return {(r["rule"], r["path"] or r["asset"]): r for r in rows}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'steward.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_scan_raises_findings_fills_the_register_and_lists_disposals(
    aged_share: Path,
    rules_dir: Path,
    write_config: Callable[..., Path],
    steward: Callable[..., Result],
    store_url: str,
    tmp_path: Path,
) -> None:
    config = write_config(aged_share, database=store_url, rules={"dir": str(rules_dir)})
    out = run(steward, "scan", "--config", str(config)).output
    assert "open findings:" in out
    found = findings(steward, config)
    assert set(found) == {
        ("team", "Team/notes.txt"),
        ("stale", "Team/notes.txt"),
        ("sar-7", "HR/Staff/old appraisal.txt"),
        ("stale", "HR/Staff/old appraisal.txt"),
        ("stale", "HR/Occupational Health/referral.docx"),
        ("open-personal", "HR/Occupational Health/referral.docx"),
        ("dupes", "Exports/people.csv"),
        ("dupes", "Exports/old/people copy.csv"),
        ("names", "Team/Copy of rota.txt"),
        ("locked", "HR/Staff/salaries.docx"),
        ("no-owner", "share:Team"),
        ("no-owner", "share:HR"),
        ("no-owner", "share:Exports"),
    }
    team = found[("team", "Team/notes.txt")]
    assert {"id", "rule", "kind", "severity", "asset", "path", "status"} <= set(team)
    assert team["kind"] == "retention" and team["status"] == "open" and team["asset"] == "share:Team"
    assert found[("no-owner", "share:Team")]["path"] is None
    assert found[("sar-7", "HR/Staff/old appraisal.txt")]["kind"] == "hold"
    assert found[("open-personal", "HR/Occupational Health/referral.docx")]["evidence"]["grants"] == ["Everyone: read"]
    assert found[("dupes", "Exports/people.csv")]["evidence"]["copies"] == ["share:Exports/old/people copy.csv"]

    register = {
        r["name"]: r for r in json.loads(run(steward, "assets", "--config", str(config), "--format", "json").output)
    }
    assert register["HR"]["retention_classes"] == {"hr": 2, "occ-health": 1}
    assert register["HR"]["past_retention_files"] == 0  # the old appraisal is held
    assert register["Team"]["retention_class"] == "team" and register["Team"]["past_retention_files"] == 1
    assert register["Team"]["past_retention_bytes"] == (aged_share / "Team/notes.txt").stat().st_size
    assert register["Team"]["disposal_date"] is not None
    detail = run(steward, "asset", "share:HR", "--config", str(config)).output
    assert "Retention:       Staff records 2" in detail  # classes by the schedule's names, not their ids

    listed = list(csv.DictReader(io.StringIO(run(steward, "export", "disposal", "--config", str(config)).output)))
    assert [(r["path"], r["class"], r["action"]) for r in listed] == [("Team/notes.txt", "team", "review")]
    out_file = tmp_path / "disposal.xlsx"
    run(steward, "export", "disposal", "--config", str(config), "--format", "xlsx", "--out", str(out_file))
    sheet = openpyxl.load_workbook(out_file).active
    assert sheet["E1"].value == "Path" and sheet["E2"].value == "Team/notes.txt"


def test_changed_rule_file_changes_findings_on_the_next_scan(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    assert ("team", "Team/notes.txt") in findings(steward, config)
    (rules_dir / "retention.yaml").write_text(RETENTION.replace("period: 3y", "period: 5y"))
    (rules_dir / "policies.yaml").write_text(
        POLICIES.replace("period: 3y", "period: 2y").replace(
            "  - {id: no-owner, kind: unowned, severity: medium}\n", ""
        )
    )
    run(steward, "scan", "--config", str(config))
    now = findings(steward, config)
    assert ("team", "Team/notes.txt") not in now
    assert not any(rule == "no-owner" for rule, _ in now)
    resolved = findings(steward, config, "--status", "resolved")
    assert ("team", "Team/notes.txt") in resolved and ("no-owner", "share:HR") in resolved
    detail = run(steward, "finding", str(resolved[("team", "Team/notes.txt")]["id"]), "--config", str(config))
    assert "opened" in detail.output and "resolved: the condition no longer holds" in detail.output


def test_a_dismissal_survives_rescans_and_lapses_when_the_file_changes(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    exposed = findings(steward, config)[("open-personal", "HR/Occupational Health/referral.docx")]
    stale = findings(steward, config)[("stale", "Team/notes.txt")]
    said = run(
        steward,
        "dismiss",
        str(exposed["id"]),
        "--config",
        str(config),
        "--reason",
        "the folder is on a restricted share",
        "--by",
        "J Bloggs (IAO)",
    )
    assert "dismissed by J Bloggs (IAO)" in said.output
    run(
        steward,
        "accept",
        str(stale["id"]),
        "--config",
        str(config),
        "--reason",
        "kept for the archive",
        "--by",
        "A Clerk",
    )
    run(steward, "scan", "--config", str(config))
    after = findings(steward, config, "--status", "all")
    assert after[("open-personal", "HR/Occupational Health/referral.docx")]["status"] == "dismissed"
    assert after[("open-personal", "HR/Occupational Health/referral.docx")]["decided_by"] == "J Bloggs (IAO)"
    assert after[("stale", "Team/notes.txt")]["status"] == "accepted"

    path = aged_share / "HR/Occupational Health/referral.docx"
    office.write_docx(path, ["Employee: Sarah Thompson, NHS number 943 476 5919.", "Second referral: knee."])
    _age(path, 10 * 365 - 1, 0o644)
    run(steward, "scan", "--config", str(config))
    lapsed = findings(steward, config)[("open-personal", "HR/Occupational Health/referral.docx")]
    assert lapsed["status"] == "open" and lapsed["id"] == exposed["id"]
    history = run(steward, "finding", str(lapsed["id"]), "--config", str(config)).output
    assert "dismissed by J Bloggs (IAO): the folder is on a restricted share" in history
    assert "lapsed: the file changed after it was dismissed" in history
    assert findings(steward, config, "--status", "accepted")[("stale", "Team/notes.txt")]

    os.chmod(path, 0o600)  # the condition clears: no longer readable by everyone (mtime untouched)
    run(steward, "scan", "--config", str(config))
    resolved = findings(steward, config, "--status", "resolved")
    assert ("open-personal", "HR/Occupational Health/referral.docx") in resolved


def test_filters_table_and_csv(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    table = run(steward, "findings", "--config", str(config), "--asset", "share:Team").output
    assert "Team/notes.txt" in table and "referral" not in table and "finding(s):" in table
    rows = list(
        csv.DictReader(
            io.StringIO(run(steward, "findings", "--config", str(config), "--rule", "stale", "--format", "csv").output)
        )
    )
    assert {r["path"] for r in rows} == {
        "Team/notes.txt",
        "HR/Staff/old appraisal.txt",
        "HR/Occupational Health/referral.docx",
    }
    bad = steward("dismiss", "99999", "--config", str(config), "--reason", "x", "--by", "y")
    assert bad.exit_code == 1 and "no finding '99999'" in bad.output
    assert "943 476 5919" not in run(steward, "findings", "--config", str(config), "--format", "json").output


def test_shipped_rules_on_the_sample_share(
    sample_share: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(sample_share)
    run(steward, "scan", "--config", str(config))
    found = findings(steward, config, "--status", "all")
    kinds = {r["kind"] for r in found.values()}
    assert {"retention", "exposure", "stale", "unscannable", "unowned"} <= kinds
    assert any(rule == "adult-social-care-closed" and "Closed 2015" in (path or "") for rule, path in found)
    assert found[("unscannable-files", "HR/Payroll/salaries 2019 (protected).docx")]["severity"] == "medium"


def test_content_keywords_are_found_while_reading_and_classify_files(
    tmp_path: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    root = tmp_path / "kw"
    (root / "Legal").mkdir(parents=True)
    office.write_docx(root / "Legal/lease.docx", ["This lease was executed UNDER\nSEAL by the council."])
    text.write_text(root / "Legal/letter.txt", "A letter about the lease.")
    (rules_dir / "retention.yaml").write_text(
        RETENTION.replace(
            "holds:",
            """\
  - {id: deeds, name: Deeds, category: Permanent, priority: 30, match: {keywords: [under seal]},
     action: retain_permanently, mandate: Law of Property Act 1925}
holds:""",
        )
    )
    config = write_config(root, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    register = {
        r["name"]: r for r in json.loads(run(steward, "assets", "--config", str(config), "--format", "json").output)
    }
    assert register["Legal"]["retention_classes"] == {"deeds": 1, "team": 1}


def test_a_dismissed_retention_finding_leaves_the_register_and_the_disposal_list_alike(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    team = findings(steward, config)[("team", "Team/notes.txt")]
    run(steward, "dismiss", str(team["id"]), "--reason", "kept for the inquiry", "--by", "IAO", "--config", str(config))
    run(steward, "scan", "--config", str(config))
    register = {
        r["name"]: r for r in json.loads(run(steward, "assets", "--config", str(config), "--format", "json").output)
    }
    listed = list(csv.DictReader(io.StringIO(run(steward, "export", "disposal", "--config", str(config)).output)))
    assert register["Team"]["past_retention_files"] == 0 and register["Team"]["past_retention_bytes"] == 0
    assert [r["path"] for r in listed] == []


def test_findings_are_grouped_by_rule_and_asset_unless_all_are_asked_for(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    every = json.loads(run(steward, "findings", "--config", str(config), "--format", "json").output)
    grouped = run(steward, "findings", "--config", str(config)).output.splitlines()
    assert grouped[0].split() == ["Severity", "Rule", "Kind", "Asset", "Findings"]
    stale_team = sum(1 for f in every if f["rule"] == "stale" and f["asset"] == "share:Team")
    assert any(
        line.split()[1:2] == ["stale"] and "share:Team" in line and line.endswith(f" {stale_team}") for line in grouped
    )
    assert f"{len(every)} finding(s) in " in grouped[-1]
    listed = run(steward, "findings", "--all", "--config", str(config)).output
    assert listed.splitlines()[0].split()[:2] == ["ID", "Severity"] and f"{len(every)} finding(s):" in listed
