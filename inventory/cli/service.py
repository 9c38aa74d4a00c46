"""`steward schedule`, `steward watch` and `steward status`: running Steward as a service and monitoring it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from inventory.cli.group import cli, config_option, handle_errors
from inventory.config import load_config
from inventory.runs.status import render_status, status_report
from inventory.store.engine import open_store


def _serve(config_file: Path | None, schedule: bool, watch: bool) -> None:
    from inventory.runs.service import Service  # deferred: APScheduler and watchdog load for the service only

    config, digest = load_config(config_file)
    code = Service(config, digest, open_store(config.database), schedule=schedule, watch=watch).run()
    raise SystemExit(code)


@cli.command()
@config_option
@click.option("--watch", "with_watch", is_flag=True, help="Also watch live folders, in the same process.")
@handle_errors
def schedule(config_file: Path | None, with_watch: bool) -> None:
    """Run as a service: scan each source on its schedule (`schedule:` in the config; default nightly).

    Jobs are kept in Steward's database, so a run missed while the service was down starts when it comes
    back (within schedule.misfire_grace). A source is never scanned twice at once. SIGTERM or SIGINT stops
    after the file in hand, checkpoints (the run carries on next time) and exits 0.
    """
    _serve(config_file, schedule=True, watch=with_watch)


@cli.command()
@config_option
@handle_errors
def watch(config_file: Path | None) -> None:
    """Run as a service: read each new or changed file in live folders (sources with `live: true`) within
    seconds, once it has stopped changing (watch.settle_seconds), and record it.

    On start, live sources are scanned once for files dropped while the watcher was down (watch.catch_up).
    SIGTERM or SIGINT stops cleanly and exits 0.
    """
    _serve(config_file, schedule=False, watch=True)


@cli.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def status(config_file: Path | None, fmt: str) -> None:
    """Show each source's last and next run, its duration, files by status, errors and whether a run is in
    progress. Exits 1 if the last finished run of any source failed (for monitoring)."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        report = status_report(session, config)
    click.echo(json.dumps(report, indent=2) if fmt == "json" else render_status(report))
    if not report["ok"]:
        raise SystemExit(1)
