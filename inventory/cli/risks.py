"""`steward risks`, `risk ID|show|add|treat|accept`, `export risks` and `report`: the information risk register."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from inventory.cli.group import cli, config_option, export, handle_errors, output
from inventory.config import load_config
from inventory.register.queries import find_asset
from inventory.reports.evidence import build_pack
from inventory.reports.evidence_rules import load as load_evidence_rules
from inventory.reports.migration import triage
from inventory.reports.migration_render import render_html, write_xlsx
from inventory.risks import figures, html, register
from inventory.risks.export import write_risks_csv, write_risks_xlsx
from inventory.risks.scoring import RiskFile, load
from inventory.risks.sync import review_due
from inventory.runs.record import utcnow
from inventory.store.engine import open_store

FORMATS = ["table", "json", "csv"]


def _now() -> datetime:
    return utcnow()


def _rows(config_file: Path | None, status: str) -> tuple[list[dict[str, Any]], RiskFile]:
    config, _ = load_config(config_file)
    book = load(config.rules.dir)
    with open_store(config.database)() as session:
        if review_due(session, _now()):  # an acceptance past its review date is open again, scan or no scan
            session.commit()
        refs = register.asset_refs(session)
        return [register.row(session, r, book, refs) for r in register.listing(session, status)], book


@cli.command()
@config_option
@click.option(
    "--status",
    default="current",
    show_default=True,
    help="current (all but closed), open, treated, tolerated, closed, or all.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@handle_errors
def risks(config_file: Path | None, status: str, fmt: str) -> None:
    """The information risk register, highest score first: derived risks and risks added by hand."""

    rows, book = _rows(config_file, status)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "csv":
        write_risks_csv(rows, sys.stdout)
    elif not rows:
        click.echo("no risks")
    else:
        click.echo(f"{'ID':>4}  {'L':>1} {'I':>1} {'Score':>5} {'Band':<7}{'Status':<10}{'Trend':<6}{'Owner':<24}Title")
        for r in rows:
            click.echo(
                f"{r['id']:>4}  {r['likelihood']:>1} {r['impact']:>1} {r['score']:>5} {r['band']:<7}"
                f"{r['status']:<10}{r['trend']:<6}{(r['owner'] or '-')[:23]:<24}{r['title']}"
            )
        bands = Counter(str(r["band"]) for r in rows)
        click.echo(f"\n{len(rows):,} risk(s) ({status}): {book.describe_bands(bands)}")


class _RiskGroup(click.Group):
    """`steward risk 12` is `steward risk show 12`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].isdigit():
            args = ["show", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_RiskGroup)
def risk() -> None:
    """One risk (`steward risk ID`), and adding and treating risks; each decision records who, when and why."""


@risk.command("show")
@click.argument("risk_id", type=int)
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def risk_show(risk_id: int, config_file: Path | None, fmt: str) -> None:
    """One risk: its scores, evidence, treatment, history and score trend."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        r = register.get(session, risk_id)
        out = register.row(session, r, load(config.rules.dir), register.asset_refs(session))
        events, scores = register.history(session, r)
        out.update(evidence=r.evidence, reason=r.reason, decided_by=r.decided_by, events=events, scores=scores)
    if fmt == "json":
        click.echo(json.dumps(out, indent=2, default=str))
        return
    click.echo(f"Risk {out['id']}: {out['title']}")
    for key in ("description", "asset", "owner", "status", "origin", "type"):
        click.echo(f"  {key.replace('_', ' ')}: {out[key] or '-'}")
    click.echo(f"  inherent: likelihood {out['likelihood']} x impact {out['impact']} = {out['score']} ({out['band']})")
    click.echo(
        f"  residual: likelihood {out['residual_likelihood']} x impact {out['residual_impact']} = "
        f"{out['residual_score']} ({out['residual_band']}); target {out['target_score'] or '-'}"
    )
    for key in ("controls", "treatment", "actions", "reason", "review_date", "decided_by"):
        click.echo(f"  {key.replace('_', ' ')}: {out[key] or '-'}")
    if out["evidence"]:
        click.echo("  evidence: " + ", ".join(f"{k} {v}" for k, v in out["evidence"].items()))
    click.echo("  history:")
    for e in events:
        click.echo(f"    {e['at']}  {e['event']:<10} {e['by'] or 'steward'}: {e['reason'] or ''}")
    click.echo("  scores: " + ", ".join(f"{s['at'][:10]} {s['score']}" for s in scores))


def _level(name: str) -> click.IntRange:
    return click.IntRange(1, 5)


@risk.command("add")
@config_option
@click.option("--title", required=True, help="What could go wrong, in a line.")
@click.option("--description", help="More detail: the incident, the DPIA, the cause.")
@click.option("--likelihood", type=_level("likelihood"), required=True, help="1 (rare) to 5 (almost certain).")
@click.option("--impact", type=_level("impact"), required=True, help="1 (negligible) to 5 (severe).")
@click.option("--owner", required=True, help="The risk owner.")
@click.option("--asset", "asset_ref", help="The asset it concerns (id, source:folder or name), if any.")
@click.option("--by", required=True, help="Who is recording it.")
@handle_errors
def risk_add(
    config_file: Path | None,
    title: str,
    description: str | None,
    likelihood: int,
    impact: int,
    owner: str,
    asset_ref: str | None,
    by: str,
) -> None:
    """Add a risk from outside the scan (a security incident, a privacy impact assessment)."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        asset_id = find_asset(session, asset_ref).id if asset_ref else None
        r = register.add(session, title, likelihood, impact, owner, by, _now(), description, asset_id)
        click.echo(f"risk {r.id} added: {title} (score {r.score})")


def _treat_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--reason", required=True, help="Why this treatment."),
            click.option("--by", required=True, help="Who decided."),
            click.option("--review", type=click.DateTime(["%Y-%m-%d"]), help="Review date (YYYY-MM-DD)."),
            click.option("--control", "controls", multiple=True, help="A control in place (repeatable)."),
            click.option("--action", "actions", multiple=True, help="An action to take (repeatable)."),
            click.option("--residual-likelihood", type=click.IntRange(1, 5), help="Likelihood with the controls."),
            click.option("--residual-impact", type=click.IntRange(1, 5), help="Impact with the controls."),
            click.option("--target", type=click.IntRange(1, 25), help="Target score."),
            click.option("--owner", help="Change the risk owner."),
        ]
    ):
        func = option(func)
    return config_option(func)


def _decide(config_file: Path | None, risk_id: int, treatment: str, opts: dict[str, Any]) -> None:
    review: date | None = opts["review"].date() if opts["review"] else None
    rl, ri = opts["residual_likelihood"], opts["residual_impact"]
    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        r = register.get(session, risk_id)
        residual = (rl or r.likelihood, ri or r.impact) if (rl or ri) else None
        register.treat(
            session,
            r,
            treatment,
            opts["by"],
            opts["reason"],
            _now(),
            review,
            tuple(opts["controls"]),
            tuple(opts["actions"]),
            residual,
            opts["target"],
            opts["owner"],
        )
        click.echo(
            f"risk {r.id}: {r.status} ({treatment}), residual score {r.residual_score}"
            + (f", review {review}" if review else "")
        )


@risk.command("treat")
@click.argument("risk_id", type=int)
@click.option(
    "--treatment",
    type=click.Choice(["treat", "tolerate", "transfer", "terminate"]),
    required=True,
    help="treat (reduce), tolerate (accept), transfer, or terminate (stop the activity).",
)
@_treat_options
@handle_errors
def risk_treat(risk_id: int, treatment: str, config_file: Path | None, **opts: Any) -> None:
    """Record a treatment with its controls, actions, residual score, target and review date."""
    _decide(config_file, risk_id, treatment, opts)


@risk.command("accept")
@click.argument("risk_id", type=int)
@_treat_options
@handle_errors
def risk_accept(risk_id: int, config_file: Path | None, **opts: Any) -> None:
    """Accept (tolerate) a risk: needs a reason and a review date; it reopens then, or if it worsens."""
    _decide(config_file, risk_id, "tolerate", opts)


@export.command("risks")
@config_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--status", default="current", show_default=True, help="current, open, ..., or all.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@handle_errors
def export_risks(config_file: Path | None, fmt: str, status: str, out: Path | None) -> None:
    """The risk register in the shape a committee paper uses, as CSV or XLSX."""

    rows, _ = _rows(config_file, status)
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give --out FILE")
    with output(out, binary=fmt == "xlsx") as fh:
        (write_risks_xlsx if fmt == "xlsx" else write_risks_csv)(rows, fh)


@cli.group(invoke_without_command=True)
@config_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="HTML file to write.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Compare with this date (default: three months ago, the previous quarter).",
)
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also print it to this PDF file (needs the system's Chromium).",
)
@click.pass_context
@handle_errors
def report(
    ctx: click.Context, config_file: Path | None, out: Path | None, since: datetime | None, pdf: Path | None
) -> None:
    """Write the SIRO's summary: one self-contained HTML file (headline figures, heat map, top risks, change).

    `steward report migration` writes the migration triage instead."""
    from datetime import timedelta

    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("give --out FILE for the SIRO's summary (or name a report: steward report migration)")
    config, _ = load_config(config_file)
    book = load(config.rules.dir)
    now = _now()
    with open_store(config.database)() as session:
        if review_due(session, now):
            session.commit()
        summary = figures.summarise(session, book, now, since or now - timedelta(days=91))
    page = html.render(summary, book)
    with output(out) as fh:
        fh.write(page)
    if pdf is not None:
        from inventory.risks.pdf import print_pdf  # deferred: only when a PDF is asked for

        print_pdf(page, pdf)
        click.echo(f"wrote {pdf}")
    click.echo(f"wrote {out}: {summary.headline['assets']:,} assets, {sum(summary.heat.values()):,} open risks")


@report.command("migration")
@config_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write: .html (one self-contained page) or .xlsx.",
)
@handle_errors
def report_migration(config_file: Path | None, out: Path) -> None:
    """The migration triage: per asset and service, files and volume to dispose of, review, move with protection
    and move, with their storage cost a month (reports.storage_price_per_tb_month)."""
    config, _ = load_config(config_file)
    if out.suffix.lower() not in (".html", ".htm", ".xlsx"):
        raise click.UsageError("--out must end in .html or .xlsx")
    with open_store(config.database)() as session:
        rows = triage(session)
    price, currency = config.reports.storage_price_per_tb_month, config.reports.currency
    if out.suffix.lower() == ".xlsx":
        with output(out, binary=True) as fh:
            write_xlsx(rows, price, currency, fh)
    else:
        with output(out) as fh:
            fh.write(render_html(rows, price, currency, _now()))
    files = sum(r.total_files for r in rows)
    click.echo(f"wrote {out}: {len(rows):,} assets, {files:,} files")


@cli.command("evidence")
@config_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="ZIP file to write.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Trends and report changes from this date (default: a year before --date).",
)
@click.option(
    "--date",
    "as_at",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date the pack is as at (default: today); the same store and date give the same bytes.",
)
@handle_errors
def evidence(config_file: Path | None, out: Path, since: datetime | None, as_at: datetime | None) -> None:
    """The governance board's evidence pack: registers, the SIRO's report, decision logs, monthly trends and an
    index mapping each audit action and ICO expectation (rules/evidence.yaml) to its evidence and status."""
    from datetime import timedelta

    config, _ = load_config(config_file)
    rules = load_evidence_rules(config.rules.dir)
    day = (as_at or _now()).date()
    start = since.date() if since else day - timedelta(days=365)
    with open_store(config.database)() as session:
        data = build_pack(session, config, rules, day, start)
    with output(out, binary=True) as fh:
        fh.write(data)
    click.echo(f"wrote {out}: evidence for {len(rules.expectations)} expectations as at {day:%d %B %Y}")
