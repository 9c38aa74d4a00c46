"""`steward rules check` and `rules apply`, `findings`, `finding`, `dismiss`, `accept` and `export disposal`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from inventory.cli.group import ConfigProblem, cli, config_option, export, handle_errors, output
from inventory.config import config_path, load_config
from inventory.findings import due
from inventory.findings.queries import (
    DISPOSAL_COLUMNS,
    FINDING_COLUMNS,
    disposal_rows,
    find_findings,
    finding_row,
    get_finding,
    history,
)
from inventory.findings.render import finding_detail, findings_summary, findings_table
from inventory.findings.sync import decide
from inventory.register.export import write_table_xlsx
from inventory.register.queries import find_asset
from inventory.reports.evidence_rules import check as check_evidence
from inventory.risks.scoring import check as check_risk
from inventory.rules import DEFAULT_DIR, check_dir, check_schema
from inventory.runs.record import utcnow
from inventory.store.engine import open_store
from inventory.store.models import Asset
from scanner.errors import StewardError


@cli.group()
def rules() -> None:
    """Check the rule files (retention schedule, policies) and apply them to the store."""


@rules.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@config_option
@handle_errors
def rules_check(directory: Path | None, config_file: Path | None) -> None:
    """Validate the rule files in DIRECTORY (default: the config's rules.dir, else the shipped rules/).

    Prints every problem as file:line: key: reason and exits 2 if there is any."""
    if directory is None:
        directory = load_config(config_file)[0].rules.dir if config_path(config_file).exists() else DEFAULT_DIR
    # Deferred: scanner.detect.rules imports presidio, which only this command and scans need.
    from scanner.detect.rules import AllowListFile, NameCuesFile, RecognizersFile, SpecialCategoryFile

    others = {
        "risk.yaml": lambda path: check_risk(path)[1],
        "evidence.yaml": lambda path: check_evidence(path)[1],
        "name_cues.yaml": check_schema(NameCuesFile),
        "allowlist.yaml": check_schema(AllowListFile),
        "recognizers.yaml": check_schema(RecognizersFile),
        "special_category.yaml": check_schema(SpecialCategoryFile),
    }
    book, problems = check_dir(directory, others)
    for problem in problems:
        click.echo(f"{problem}" + (" (warning)" if problem.warning else ""), err=not problem.warning)
    if book is None:
        errors = sum(not p.warning for p in problems)
        raise ConfigProblem(f"{directory}: {errors} problem(s) in the rule files")
    retention = book.retention
    click.echo(
        f"rules are valid: {len(retention.classes) if retention else 0} retention classes, "
        f"{len(retention.holds) if retention else 0} holds, {len(book.policies)} policies "
        f"({len(book.enabled)} enabled) in {directory}"
    )


@rules.command("apply")
@click.option("--all", "everything", is_flag=True, help="Evaluate every file again, even when nothing changed.")
@click.option("--source", "source_id", help="Only this source (default: every source).")
@config_option
@handle_errors
def rules_apply(everything: bool, source_id: str | None, config_file: Path | None) -> None:
    """Evaluate the rules against the store now, without a scan, and bring findings and risks up to date.

    Without --all, as a re-scan does: only the files that changed or came due since the last evaluation are
    evaluated again (every file when a rule file or setting changed), and a source where nothing changed or came
    due keeps its findings as they are."""

    from inventory.findings.evaluate import evaluate_source
    from inventory.risks.scoring import load as load_risk_rules
    from inventory.risks.sync import sync_source
    from inventory.rules import load_rulebook

    config, _ = load_config(config_file)
    book = load_rulebook(config.rules.dir)
    risk_rules = load_risk_rules(config.rules.dir)
    sources = [config.source(source_id)] if source_id else list(config.sources)
    with open_store(config.database)() as session:
        for source in sources:
            now = utcnow()
            result = evaluate_source(session, config, book, source.id, now, full=everything)
            sync_source(session, risk_rules, source.id, now)
            done = f"{result.files:,} files evaluated" + ("" if result.full else " (changed or due)")
            done = "nothing changed or came due" if result.skipped else done
            click.echo(f"{source.id}: {done}; open findings: {sum(result.open_by_kind.values()):,}")


@cli.command()
@config_option
@click.option("--rule", help="Only this rule id (a retention class, hold or policy).")
@click.option("--asset", "asset_ref", help="Only this asset (id, source:folder or name).")
@click.option("--status", default="open", show_default=True, help="open, resolved, dismissed, accepted, or all.")
@click.option("--kind", help="Only this kind (retention, hold, exposure, stale, duplicate, naming, ...).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--all", "every", is_flag=True, help="In the table, list every finding rather than groups.")
@handle_errors
def findings(
    config_file: Path | None,
    rule: str | None,
    asset_ref: str | None,
    status: str,
    kind: str | None,
    fmt: str,
    every: bool,
) -> None:
    """List findings: rules breached by files or assets, most severe first; the table groups them by rule and
    asset with counts (--all for every finding; json and csv always hold every finding)."""
    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        asset_id = find_asset(session, asset_ref).id if asset_ref else None
        rows = find_findings(session, rule, asset_id, status, kind)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FINDING_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    elif every or rule or asset_ref:
        click.echo(findings_table(rows))
    else:
        click.echo(findings_summary(rows))


@cli.command()
@click.argument("finding_id")
@config_option
@handle_errors
def finding(finding_id: str, config_file: Path | None) -> None:
    """Show one finding: its evidence, status, decision and history."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        found = get_finding(session, finding_id)

        asset = session.get(Asset, found.asset_id) if found.asset_id else None
        checked = due.checked_at(session, found.source)
        click.echo(finding_detail(finding_row(found, asset, checked), history(session, found)))


def _decide(finding_id: str, config_file: Path | None, decision: str, reason: str, by: str) -> None:
    if not reason.strip() or not by.strip():
        raise StewardError("--reason and --by must not be empty: a decision records who decided and why")
    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        found = get_finding(session, finding_id)
        if found.status == "resolved":
            raise StewardError(f"finding {found.id} is resolved (its condition no longer holds); nothing to decide")
        decide(session, found, decision, by.strip(), reason.strip(), utcnow())
        click.echo(
            f"finding {found.id} {decision} by {by.strip()}: it stays {decision} on later scans "
            "until its subject changes"
        )


_reason = click.option("--reason", required=True, help="Why (kept with the decision).")
_by = click.option("--by", required=True, help="Who decided (name or account).")


@cli.command()
@click.argument("finding_id")
@_reason
@_by
@config_option
@handle_errors
def dismiss(finding_id: str, reason: str, by: str, config_file: Path | None) -> None:
    """Dismiss a finding as not a real problem (e.g. a false positive), with who and why."""
    _decide(finding_id, config_file, "dismissed", reason, by)


@cli.command()
@click.argument("finding_id")
@_reason
@_by
@config_option
@handle_errors
def accept(finding_id: str, reason: str, by: str, config_file: Path | None) -> None:
    """Accept the risk a finding describes, with who and why."""
    _decide(finding_id, config_file, "accepted", reason, by)


@export.command("disposal")
@config_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@handle_errors
def export_disposal(config_file: Path | None, fmt: str, out: Path | None) -> None:
    """Export files past retention and not on hold, for their owners to approve. Steward never deletes."""
    import sys

    config, _ = load_config(config_file)
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give --out FILE")
    with open_store(config.database)() as session:
        rows = list(disposal_rows(session))
    with output(out, binary=fmt == "xlsx") as fh:
        if fmt == "csv":
            writer = csv.DictWriter(fh, fieldnames=DISPOSAL_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        else:
            write_table_xlsx(rows, DISPOSAL_COLUMNS, "Past retention", fh)
