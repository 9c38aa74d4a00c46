"""`steward rules check`: the shipped rules are valid; every problem in a broken file is named with its file,
line, key and reason; the detection files beside the rule files are left to detection; periods and path dates."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result

from inventory.rules import DEFAULT_DIR, load_rulebook
from inventory.rules.periods import date_in_path, parse_period
from scanner.errors import ConfigError

RETENTION = """\
version: 1
default: team
classes:
  - id: team
    name: Team documents
    category: Normal
    period: 3y
    mandate: schedule
  - id: hr
    name: HR
    category: Major
    priority: 10
    period: 6y
    match:
      paths: ['HR/**']
    mandate: CIPD
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def test_shipped_rules_are_valid_and_detection_files_are_not_rejected(steward: Callable[..., Result]) -> None:
    result = steward("rules", "check", str(DEFAULT_DIR))
    assert result.exit_code == 0, result.output
    assert "rules are valid" in result.output and "retention classes" in result.output
    assert "recognizers.yaml" not in result.output  # another capability's file: not ours to judge
    book = load_rulebook(DEFAULT_DIR)
    ids = {c.id for c in book.retention.classes} if book.retention else set()
    assert {"team-documents", "occupational-health", "erdf-projects", "sensory-support"} <= ids
    assert {p.kind for p in book.policies} == {
        "exposure",
        "third_party_licensed",
        "stale",
        "duplicate",
        "naming",
        "unscannable",
        "bulk_export",
        "unowned",
        "owner_left",
        "identifier_in_name",
    }


def test_broken_file_is_rejected_with_file_line_key_and_reason(rules_dir: Path, steward: Callable[..., Result]) -> None:
    broken = RETENTION.replace("    period: 6y\n", "    period: six years\n").replace(
        "    mandate: CIPD\n", "    mandate: CIPD\n    colour: red\n"
    )
    (rules_dir / "retention.yaml").write_text(broken)
    result = steward("rules", "check", str(rules_dir))
    assert result.exit_code == 2
    lines = result.output.splitlines()
    path = rules_dir / "retention.yaml"
    assert (
        f"{path}:13: classes[1].period: 'six years' is not a period (write e.g. '3y', '45 years', "
        "'18 months', '90d')" in lines
    )
    assert f"{path}:17: classes[1].colour: unknown key" in lines
    assert lines[-1] == f"Error: {rules_dir}: 2 problem(s) in the rule files"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (RETENTION.replace("priority: 10", "priority: 0\n    priority: 5"), ":13: classes[1].priority: duplicate key"),
        (RETENTION.replace("default: team", "default: teams"), ":2: default: names no class (have: team, hr)"),
        (
            RETENTION.replace("      paths: ['HR/**']", "      names: ['(unclosed']"),
            ":15: classes[1].match.names: regular expression '(unclosed' is invalid",
        ),
        (RETENTION.replace("category: Major", "category: Huge"), ":11: classes[1].category: Input should be"),
        (
            RETENTION.replace("      paths: ['HR/**']", "      entities: [UK_NSH, NHS]"),
            ":15: classes[1].match.entities: unknown entity type 'NHS'",
        ),
        (
            RETENTION.replace("      paths: ['HR/**']", "      special_category: [helth]"),
            ":15: classes[1].match.special_category: unknown category 'helth'",
        ),
        (RETENTION.replace("    match:\n      paths: ['HR/**']\n", ""), ":9: classes[1]: needs a match"),
        (
            RETENTION.replace("      paths: ['HR/**']", "      exclude: ['HR/x']"),
            ":14: classes[1].match: gives no condition, so it would match every file",
        ),
        (RETENTION.replace("priority: 10", "priority: 0"), ""),  # the default class has no priority to clash
        (
            RETENTION + "  - id: hr2\n    name: HR2\n    category: Major\n    priority: 10\n    period: 1y\n"
            "    match: {paths: ['HR/x']}\n    mandate: m\n",
            ":20: classes[2].priority: 10 is also the priority of 'hr'",
        ),
        (RETENTION.replace("version: 1", "version: 2"), ":1: version: Input should be 1"),
        (
            RETENTION.replace("    period: 3y\n", "    period: 3y\n    action: retain_permanently\n"),
            ":4: classes[0]: a permanent class has no period",
        ),
        ("version: 1\nclasses: [\n", ":3: (file): not valid YAML"),
        # PyYAML's own parser's words for a bad file, read quickly by libyaml when good
        ("version: 1\nclasses:\n\t- id: a\n", ":3: (file): not valid YAML (found character '\\t' that cannot start"),
        # a tag no safe loader builds is a problem in the file, not a crash
        ("version: 1\nclasses: !!python/object:os.system ls\n", ":2: (file): not valid YAML (could not determine"),
        (
            "version: 1\nbase: &b {period: 1y}\nclasses:\n  - <<: *b\n",
            ":4: (file): not valid YAML (could not determine",
        ),
    ],
)
def test_each_kind_of_mistake_is_named(
    rules_dir: Path, steward: Callable[..., Result], text: str, expected: str
) -> None:
    (rules_dir / "retention.yaml").write_text(text)
    result = steward("rules", "check", str(rules_dir))
    if not expected:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2
    assert f"{rules_dir / 'retention.yaml'}{expected}" in result.output, result.output


def test_policy_mistakes(rules_dir: Path, steward: Callable[..., Result]) -> None:
    (rules_dir / "policies.yaml").write_text(
        "version: 1\npolicies:\n  - id: a\n    kind: stael\n    severity: low\n"
        "  - id: b\n    kind: stale\n    severity: urgent\n    period: 3y\n"
    )
    out = steward("rules", "check", str(rules_dir)).output
    path = rules_dir / "policies.yaml"
    assert f"{path}:4: policies[0].kind: unknown kind 'stael'" in out
    assert f"{path}:8: policies[1].severity: Input should be 'info', 'low', 'medium', 'high' or 'critical'" in out
    (rules_dir / "policies.yaml").write_text(
        "version: 1\npolicies:\n  - {id: team-documents, kind: unowned, severity: low}\n"
    )
    out = steward("rules", "check", str(rules_dir)).output
    assert "'team-documents' is also the id of one of the classes; rule ids must be unique" in out


def test_unknown_yaml_file_is_a_warning(rules_dir: Path, steward: Callable[..., Result]) -> None:
    (rules_dir / "retension.yaml").write_text("version: 1\n")
    result = steward("rules", "check", str(rules_dir))
    assert result.exit_code == 0
    assert (
        "retension.yaml:1: (file): not a file Steward reads (expected retention.yaml or policies.yaml); "
        "ignored (warning)" in result.output
    )


def test_scan_refuses_a_broken_rule_file(
    rules_dir: Path, tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    (rules_dir / "policies.yaml").write_text("version: 1\npolicies:\n  - id: a\n    kind: stale\n")
    (tmp_path / "share").mkdir()
    config = write_config(tmp_path / "share", rules={"dir": "rules"})  # relative to the config file
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {rules_dir / 'policies.yaml'}:3: policies[0].severity: is required"
    with pytest.raises(ConfigError):
        load_rulebook(rules_dir)


@pytest.mark.parametrize(
    ("text", "months", "days"),
    [("3y", 36, 0), ("45 years", 540, 0), ("18 months", 18, 0), ("90d", 0, 90), ("2 weeks", 0, 14)],
)
def test_periods(text: str, months: int, days: int) -> None:
    assert parse_period(text) == (months, days)
    assert parse_period("3y").after(datetime(2016, 2, 29)) == datetime(2019, 2, 28)


@pytest.mark.parametrize(
    ("path", "kinds", "date", "text"),
    [
        ("Finance/Accounts 2012-13/x.xlsx", ("financial_year",), datetime(2013, 3, 31), "2012-13"),
        ("Finance/2012/13 ledger.xlsx", ("financial_year",), None, None),
        ("Finance/Budgets FY2019/b.xlsx", ("financial_year",), datetime(2020, 3, 31), "FY2019"),
        ("Finance/1999-2000/b.xlsx", ("financial_year",), datetime(2000, 3, 31), "1999-2000"),
        ("ASC/Closed 2015/case.docx", ("closed",), datetime(2015, 12, 31), "Closed 2015"),
        ("SS/Left 2019/J Smith/notes.docx", ("left",), datetime(2019, 8, 31), "Left 2019"),
        ("SS/Leavers 2020/notes.docx", ("left",), datetime(2020, 8, 31), "Leavers 2020"),
        ("Minutes/2019-04-03 council.docx", ("iso_date",), datetime(2019, 4, 3), "2019-04-03"),
        ("Minutes/2019-13-03 council.docx", ("iso_date",), None, None),
        ("Closed 2010/Closed 2015/x.docx", ("closed",), datetime(2015, 12, 31), "Closed 2015"),
        ("Reports 2014/x.docx", ("closed", "financial_year"), None, None),
    ],
)
def test_dates_in_paths(path: str, kinds: tuple[str, ...], date: datetime | None, text: str | None) -> None:
    found = date_in_path(path, kinds)
    assert (found or (None, None)) == (date, text)


@pytest.mark.parametrize(
    ("name", "line"),
    [("allowlist.yaml", "bogus_key: 1"), ("recognizers.yaml", "bogus_key: 1"), ("special_category.yaml", "bogus: 1")],
)
def test_detection_lists_are_checked_too(tmp_path: Path, steward: Callable[..., Result], name: str, line: str) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, folder)
    with (folder / name).open("a", encoding="utf-8") as fh:
        fh.write(f"\n{line}\n")
    checked = steward("rules", "check", str(folder))
    assert checked.exit_code == 2
    assert f"{folder / name}:" in checked.output and f"{line.split(':')[0]}: unknown key" in checked.output
