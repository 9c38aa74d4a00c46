"""Incremental rule evaluation: a re-scan that changed nothing keeps the findings without evaluating; a changed
file, a changed permission, an edited rule file or a date coming due is taken up; and the incremental path ends
with exactly the findings a full evaluation (`steward rules apply --all`) gives."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select

from inventory.config import load_config
from inventory.findings.evaluate import evaluate_source
from inventory.findings.models import Finding
from inventory.rules import load_rulebook
from inventory.runs.record import utcnow
from inventory.store.engine import open_store
from scanner.samples import text
from tests import test_rules_scan
from tests.test_rules_scan import DAY, PEOPLE, POLICIES, RETENTION, findings, run

aged_share = test_rules_scan.aged_share  # the same fixtures: a share with aged files, and its rule files
rules_dir = test_rules_scan.rules_dir

store_url = test_rules_scan.store_url  # SQLite and PostgreSQL


def stored(config: Path) -> set[tuple[str, str, int, str, str]]:
    """Every finding as a person sees it: rule, subject, status and message (resolved ones too)."""
    settings, _ = load_config(config)
    with open_store(settings.database)() as session:
        return {(f.rule, f.subject, f.subject_id, f.status, f.message) for f in session.scalars(select(Finding)).all()}


def test_rescans_skip_evaluation_until_something_changes_and_match_a_full_evaluation(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    first = stored(config)
    assert ("stale", "file") in {(rule, subject) for rule, subject, *_ in first}

    applied = run(steward, "rules", "apply", "--config", str(config)).output
    assert "nothing changed or came due" in applied
    full = run(steward, "rules", "apply", "--all", "--config", str(config)).output
    assert "files evaluated" in full
    assert stored(config) == first

    # a file made other-readable (no content change) raises an exposure finding on the next re-scan
    os.chmod(aged_share / "Exports/people.csv", 0o644)
    run(steward, "scan", "--config", str(config))
    assert ("open-personal", "Exports/people.csv") in findings(steward, config)
    # a file whose content changed: a new stale file is no longer stale once rewritten
    notes = aged_share / "Team/notes.txt"
    notes.write_text("Minutes rewritten today.")
    run(steward, "scan", "--config", str(config))
    assert ("stale", "Team/notes.txt") not in findings(steward, config)
    incremental = stored(config)
    run(steward, "rules", "apply", "--all", "--config", str(config))
    assert stored(config) == incremental

    # an edited rule file is taken up on the next re-scan, though no file changed
    (rules_dir / "policies.yaml").write_text(POLICIES.replace("period: 3y", "period: 1y"))
    run(steward, "scan", "--config", str(config))
    assert ("stale", "Team/Copy of rota.txt") not in findings(steward, config)  # 20 days old
    assert ("stale", "Exports/people.csv") not in findings(steward, config)
    (rules_dir / "policies.yaml").write_text(POLICIES.replace("period: 3y", "period: 15d"))
    run(steward, "scan", "--config", str(config))
    assert ("stale", "Team/Copy of rota.txt") in findings(steward, config)


def test_a_date_coming_due_is_taken_up_without_any_change(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    (rules_dir / "retention.yaml").write_text(RETENTION)
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    recent = aged_share / "Team/recent.txt"  # 10 days old: stale (3y) and past retention (3y) in about 3 years
    stamp = time.time() - 10 * DAY
    os.utime(recent, (stamp, stamp))
    run(steward, "scan", "--config", str(config))
    settings, _ = load_config(config)
    book = load_rulebook(settings.rules.dir)
    later = utcnow() + timedelta(days=3 * 366)
    with open_store(settings.database)() as session:
        assert evaluate_source(session, settings, book, "share", utcnow()).skipped
        due = evaluate_source(session, settings, book, "share", later)
        assert not due.skipped
        incremental = {(f.rule, f.path, f.status) for f in session.scalars(select(Finding))}
        assert ("stale", "Team/recent.txt", "open") in incremental
        assert ("team", "Team/recent.txt", "open") in incremental
        again = evaluate_source(session, settings, book, "share", later + timedelta(seconds=1))
        assert again.skipped
        evaluate_source(session, settings, book, "share", later + timedelta(seconds=2), full=True)
        assert {(f.rule, f.path, f.status) for f in session.scalars(select(Finding))} == incremental


EXPORTS = """\
  - {id: exports, name: Exports, category: Normal, priority: 30, period: 40d, match: {paths: ['Exports/**']},
     mandate: schedule}
"""
EVALUATED = "inventory.findings.evaluate"


def everything(config: Path) -> tuple[set[tuple[object, ...]], list[str]]:
    """Every finding (resolved ones too) with what a person reads of it, and every asset's register row as text
    (so the order of its retention classes counts too), without what each evaluation moves (last seen)."""
    from inventory.register.queries import iar_row
    from inventory.store.models import Asset

    settings, _ = load_config(config)
    with open_store(settings.database)() as session:
        found = {
            (
                f.rule,
                f.subject,
                f.subject_id,
                f.status,
                f.message,
                f.severity,
                f.path,
                f.fingerprint,
                f.asset_id,
                json.dumps(f.evidence, sort_keys=True),
                f.resolved_at is None,
            )
            for f in session.scalars(select(Finding))
        }
        rows = []
        for a in session.scalars(select(Asset).order_by(Asset.id)):
            row = iar_row(a)
            row.pop("last_scanned")
            rows.append(json.dumps(row, default=str))
        return found, rows


def scanned(steward: Callable[..., Result], config: Path, caplog: pytest.LogCaptureFixture) -> str:
    """Scan; how the rules were evaluated, from the scan's log ("" when skipped)."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=EVALUATED):
        run(steward, "scan", "--config", str(config))
    said = [r.getMessage() for r in caplog.records if r.name == EVALUATED]
    return said[-1] if said else ""


def test_a_rescan_evaluates_only_what_changed_and_ends_as_a_full_evaluation(
    aged_share: Path,
    rules_dir: Path,
    write_config: Callable[..., Path],
    steward: Callable[..., Result],
    caplog: pytest.LogCaptureFixture,
    store_url: str,
) -> None:
    (aged_share / "Team/minutes").mkdir()
    for i in range(40):  # enough files that a few changed ones are a small part of the source
        text.write_text(aged_share / f"Team/minutes/minutes {i:02d}.txt", f"Minutes of meeting {i}. Nothing personal.")
    config = write_config(aged_share, database=store_url, rules={"dir": str(rules_dir)})
    assert "48 files" in scanned(steward, config, caplog)
    run(steward, "rules", "apply", "--all", "--config", str(config))
    first = everything(config)

    def same_as_full() -> None:
        incremental = everything(config)
        run(steward, "rules", "apply", "--all", "--config", str(config))
        assert everything(config) == incremental

    # a file changed, one added, one deleted, one renamed, one made other-readable, and a third copy of the people
    # list made
    text.write_text(aged_share / "Team/minutes/minutes 00.txt", "Minutes rewritten. Contact jo.bloggs@example.co.uk.")
    text.write_text(aged_share / "Team/new notes.txt", "New notes.")
    (aged_share / "Team/minutes/minutes 01.txt").unlink()
    (aged_share / "Team/Copy of rota.txt").rename(aged_share / "Team/rota.txt")
    os.chmod(aged_share / "Exports/old/people copy.csv", 0o644)
    shutil.copy2(aged_share / "Exports/people.csv", aged_share / "Team/people again.csv")
    said = scanned(steward, config, caplog)
    assert said == "share: rules evaluated over 6 files in scope"  # 5 present, and the list whose copies changed
    assert ("names", "Team/Copy of rota.txt") in findings(steward, config, "--status", "resolved")
    found = findings(steward, config)
    assert found[("dupes", "Exports/people.csv")]["evidence"]["copy_count"] == 2
    assert ("open-personal", "Exports/old/people copy.csv") in found
    assert everything(config) != first
    same_as_full()

    # the copy removed, and the list's other copy rewritten: the list itself has no copy left
    (aged_share / "Team/people again.csv").unlink()
    text.write_csv(aged_share / "Exports/old/people copy.csv", [*PEOPLE, ["Ann Other", "ann@example.co.uk", ""]])
    said = scanned(steward, config, caplog)
    assert said == "share: rules evaluated over 2 files in scope"  # the rewritten copy and the list
    resolved = findings(steward, config, "--status", "resolved")
    assert {("dupes", "Exports/people.csv"), ("dupes", "Team/people again.csv")} <= set(resolved)
    same_as_full()

    # nothing changed: skipped
    assert scanned(steward, config, caplog) == ""


def test_a_retention_period_ending_between_two_runs_evaluates_that_file_alone(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    (rules_dir / "retention.yaml").write_text(RETENTION.replace("holds:", EXPORTS + "holds:"))
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))  # the exports are 30 days old: past retention in 10 days
    settings, _ = load_config(config)
    book = load_rulebook(settings.rules.dir)
    later = utcnow() + timedelta(days=11)
    with open_store(settings.database)() as session:
        ran = evaluate_source(session, settings, book, "share", later)
        assert (ran.full, ran.files) == (False, 2)
    found = findings(steward, config)
    assert {("exports", "Exports/people.csv"), ("exports", "Exports/old/people copy.csv")} <= set(found)
    register = {
        r["name"]: r for r in json.loads(run(steward, "assets", "--config", str(config), "--format", "json").output)
    }
    assert register["Exports"]["past_retention_files"] == 2
    incremental = everything(config)
    with open_store(settings.database)() as session:
        assert evaluate_source(session, settings, book, "share", later + timedelta(seconds=1)).skipped
        assert evaluate_source(session, settings, book, "share", later + timedelta(seconds=2), full=True).full
    assert everything(config) == incremental


def test_a_hold_ending_evaluates_the_whole_source_again(
    aged_share: Path, rules_dir: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    until = (utcnow() + timedelta(days=5)).date().isoformat()
    (rules_dir / "retention.yaml").write_text(
        RETENTION.replace("since: 2020-01-01", f"since: 2020-01-01, until: {until}")
    )
    config = write_config(aged_share, rules={"dir": str(rules_dir)})
    run(steward, "scan", "--config", str(config))
    assert ("sar-7", "HR/Staff/old appraisal.txt") in findings(steward, config)
    settings, _ = load_config(config)
    book = load_rulebook(settings.rules.dir)
    with open_store(settings.database)() as session:
        assert evaluate_source(session, settings, book, "share", utcnow() + timedelta(days=4)).skipped
        assert evaluate_source(session, settings, book, "share", utcnow() + timedelta(days=7)).full
    found = findings(steward, config)
    assert ("hr", "HR/Staff/old appraisal.txt") in found and ("sar-7", "HR/Staff/old appraisal.txt") not in found
