"""The `steward` subcommands. Each is a thin shell over the inventory and scanner packages."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO, Any

import click

from inventory.cli.group import cli, config_option, export, handle_errors, output
from inventory.cli.logs import configure
from inventory.config import load_config
from inventory.owners.refresh import open_directory
from inventory.register import export as ex
from inventory.register.databases import table_detail
from inventory.register.export import write_jsonl
from inventory.register.queries import asset_files, file_lines, find_asset, iar_row, present_assets
from inventory.register.render import asset_detail, register_table
from inventory.rules import class_names
from inventory.runs.orchestrator import ScanRequest, reading_all, run_scan
from inventory.runs.progress import Progress
from inventory.store.engine import open_store
from scanner import loader


@cli.command()
@config_option
@click.option("--source", "sources", multiple=True, help="Scan only this source id (repeatable).")
@click.option("--full", is_flag=True, help="Re-read every file, not only what changed.")
@handle_errors
def scan(config_file: Path | None, sources: tuple[str, ...], full: bool) -> None:
    """Scan the configured sources into the store and update the register."""
    if loader.running():  # the loader, and the workers it forks, log as this command does
        logs = click.get_current_context().find_root().params
        loader.configure(partial(configure, logs["log_level"], logs["log_format"], logs["log_file"]))
    config, digest = load_config(config_file)
    for sid in sources:
        config.source(sid)
    if full:
        reading_all(config)
    factory = open_store(config.database, on_new=partial(reading_all, config))  # a new store: first scans
    directory = open_directory(config)  # read once for every source; a problem is logged, the scan goes on
    failed: list[str] = []
    degraded = False
    for sid in sources or tuple(config.source_ids):
        request = ScanRequest(sid, full=full, progress=Progress(sid), directory=directory)
        out = run_scan(factory, config, digest, request)
        if out.status != "completed":
            failed.append(sid)
            click.echo(f"{sid}: FAILED — {out.error}", err=True)
            continue
        problems = {k: v for k, v in sorted(out.counts.items()) if k != "ok"}
        click.echo(
            f"{sid}: {out.seen:,} entries, {out.read:,} read, {out.unchanged:,} unchanged, {out.moved:,} moved, "
            f"{out.deleted:,} deleted; {out.assets} assets"
            + (f"; not fully read: {', '.join(f'{k} {v}' for k, v in problems.items())}" if problems else "")
            + (f"; open findings: {sum(out.findings.values()):,}" if out.findings is not None else "")
            + (f"; open risks: {sum(out.risks.values()):,}" if out.risks is not None else "")
        )
        if out.directory_problem:
            degraded = True
            click.echo(f"{sid}: DEGRADED — {out.directory_problem}", err=True)
    if failed:
        raise SystemExit(1)
    if degraded:  # every scan completed, but the directory was not read: owners, findings, risks left standing
        raise SystemExit(3)


@cli.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_errors
def assets(config_file: Path | None, fmt: str) -> None:
    """Show the information asset register."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        rows = [iar_row(a) for a in present_assets(session)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(register_table(rows))


@cli.command()
@click.argument("ref")
@config_option
@handle_errors
def asset(ref: str, config_file: Path | None) -> None:
    """Show one asset (by id, source:folder or name): its files with personal data and their detections."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        found = find_asset(session, ref)
        click.echo(asset_detail(found, asset_files(session, found), class_names(config.rules.dir)))
        tables = table_detail(session, found)
        if tables:
            click.echo(tables)


@export.command("iar")
@config_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@handle_errors
def export_iar(config_file: Path | None, fmt: str, out: Path | None) -> None:
    """Export the information asset register as CSV, XLSX or JSON."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        rows = [iar_row(a) for a in present_assets(session)]
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give --out FILE")
    writers: dict[str, Callable[[list[dict[str, Any]], IO[Any]], None]] = {
        "csv": ex.write_iar_csv,
        "json": ex.write_iar_json,
        "xlsx": ex.write_iar_xlsx,
    }
    with output(out, binary=fmt == "xlsx") as fh:
        writers[fmt](rows, fh)


@export.command("files")
@config_option
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@handle_errors
def export_files(config_file: Path | None, fmt: str, out: Path | None) -> None:
    """Export one JSON object per file present in the store (types, counts, masked examples; no values)."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session, output(out) as fh:
        write_jsonl(file_lines(session), fh)


@cli.group()
def db() -> None:
    """Manage Steward's store."""


@db.command("upgrade")
@config_option
@handle_errors
def db_upgrade(config_file: Path | None) -> None:
    """Create the store or migrate it to this version's schema."""
    config, _ = load_config(config_file)
    open_store(config.database)
    click.echo("store is at the current schema")


@cli.group("config")
def config_group() -> None:
    """Check or show the configuration."""


@config_group.command("check")
@config_option
@handle_errors
def config_check(config_file: Path | None) -> None:
    """Validate the config file; exit 2 with the file, key and reason if it is wrong."""
    config, _ = load_config(config_file)
    click.echo(f"config is valid: {len(config.sources)} source(s): {', '.join(config.source_ids)}")


@config_group.command("show")
@config_option
@handle_errors
def config_show(config_file: Path | None) -> None:
    """Print the effective configuration with defaults filled in and secrets redacted."""
    import yaml

    config, _ = load_config(config_file)
    data = config.model_dump(mode="json")
    if data.get("hash_key"):
        data["hash_key"] = "***"
    data["database"] = _redact_url(data["database"])
    for source, shown in zip(config.sources, data["sources"], strict=True):
        if hasattr(source, "url"):  # a database source: its URL without the password
            shown["url"] = _redact_url(source.url.get_secret_value())
    click.echo(yaml.safe_dump(data, sort_keys=False))


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@cli.command("sample-share")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--files", "count", default=300, show_default=True, help="About how many files to write.")
@click.option("--seed", default=2016, show_default=True, help="Seed: the same seed gives the same share.")
@click.option(
    "--staff-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the sample council's HR export (a CSV directory) here; run as root, files are owned by staff.",
)
@handle_errors
def sample_share(directory: Path, count: int, seed: int, staff_csv: Path | None) -> None:
    """Write the bundled sample council share (synthetic data, every supported format) into DIRECTORY."""
    from scanner.samples.share import SERVICES, build_share  # deferred: Faker loads for `sample-share` only
    from scanner.samples.staff import build_staff

    staff = build_staff(list(SERVICES), seed) if staff_csv else None
    written = build_share(directory, files=count, seed=seed, staff=staff)
    click.echo(f"wrote {written} files under {directory}")
    if staff is not None and staff_csv is not None:
        staff.write_csv(staff_csv)
        click.echo(f"wrote the HR export of {len(staff.people)} staff to {staff_csv}")
