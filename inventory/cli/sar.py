"""`steward sar`: where does the council hold data about this person? A subject-access (or erasure) search of
the identifier index; the values typed are digested in memory and never stored, logged or printed."""

from __future__ import annotations

from pathlib import Path

import click

from inventory.cli.group import cli, config_option, handle_errors, output
from inventory.config import load_config
from inventory.rules import load_rulebook
from inventory.runs.record import utcnow
from inventory.sar import render
from inventory.sar.index import state
from inventory.sar.search import search
from inventory.store.engine import open_store
from inventory.store.keys import hash_key
from inventory.web.audit import record
from scanner.identifiers import key_fingerprint


@cli.command()
@click.option("--reference", required=True, help="The request's reference (kept in the audit log).")
@click.option("--by", "by", required=True, help="Who runs the search (kept in the audit log).")
@click.option("--nhs", help="NHS number.")
@click.option("--nino", help="National Insurance number.")
@click.option("--email", help="E-mail address.")
@click.option("--phone", help="Telephone number.")
@click.option("--passport", help="UK passport number.")
@click.option("--licence", help="UK driving licence number.")
@click.option("--name", help='Full name, "Forename Surname" (weak evidence on its own).')
@click.option("--dob", help="Date of birth (day first, or ISO).")
@click.option("--postcode", help="Postcode (weak evidence on its own).")
@click.option("--purpose", type=click.Choice(["access", "erasure"]), default="access", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the results to this file.")
@config_option
@handle_errors
def sar(
    reference: str,
    by: str,
    nhs: str | None,
    nino: str | None,
    email: str | None,
    phone: str | None,
    passport: str | None,
    licence: str | None,
    name: str | None,
    dob: str | None,
    postcode: str | None,
    purpose: str,
    fmt: str,
    out: Path | None,
    config_file: Path | None,
) -> None:
    """Find the files holding a person's identifiers, strongest evidence first (subject access or erasure)."""
    given = {
        "nhs": nhs,
        "nino": nino,
        "email": email,
        "phone": phone,
        "passport": passport,
        "licence": licence,
        "name": name,
        "dob": dob,
        "postcode": postcode,
    }
    if not any(given.values()):
        raise click.UsageError("give at least one identifier: " + ", ".join(f"--{k}" for k in given))
    config, _ = load_config(config_file)
    key = hash_key(config)
    erasure = purpose == "erasure"
    with open_store(config.database)() as session:
        schedule = load_rulebook(config.rules.dir).retention if erasure else None
        outcome = search(session, key, given, erasure=erasure, schedule=schedule)
        given.clear()  # the values are not needed past the digests
        detail = render.audit_detail(reference, purpose, outcome)
        record(session, utcnow(), by, None, "sar.search", subject="sar", reason=reference, detail=detail)
        built = state(session)
        session.commit()
    if built is not None and built.key_fingerprint != key_fingerprint(key):
        click.echo("warning: the index was built under another hash key; run a full scan to rebuild it", err=True)
    with output(out) as fh:
        if fmt == "csv":
            fh.write(render.to_csv(outcome, erasure))
        elif fmt == "json":
            fh.write(render.to_json(outcome, erasure, reference) + "\n")
        else:
            fh.write(render.to_table(outcome, erasure) + "\n")
    if out is not None:
        click.echo(f"{len(outcome.hits)} file(s) written to {out}", err=True)
