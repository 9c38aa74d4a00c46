"""Incremental rule evaluation: a re-scan that changed nothing keeps the findings without evaluating; a changed
file, a changed permission, an edited rule file or a date coming due is taken up; and the incremental path ends
with exactly the findings a full evaluation (`steward rules apply --all`) gives."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from click.testing import Result
from sqlalchemy import select

from inventory.config import load_config
from inventory.findings.evaluate import evaluate_source
from inventory.findings.models import Finding
from inventory.rules import load_rulebook
from inventory.runs.record import utcnow
from inventory.store.engine import open_store
from tests import test_rules_scan
from tests.test_rules_scan import DAY, POLICIES, RETENTION, findings, run

aged_share = test_rules_scan.aged_share  # the same fixtures: a share with aged files, and its rule files
rules_dir = test_rules_scan.rules_dir


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
