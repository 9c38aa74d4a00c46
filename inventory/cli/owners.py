"""`steward owners` (proposals with their evidence) and `steward owner set|revert|show` (a person's decision)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.cli.group import cli, config_option, handle_errors
from inventory.config import load_config
from inventory.owners.decisions import decide_owner
from inventory.owners.directory import load_directory
from inventory.owners.models import AssetOwnership, OwnerDecision
from inventory.owners.refresh import open_directory
from inventory.register.queries import find_asset, present_assets
from inventory.runs.record import utcnow
from inventory.store.engine import open_store
from inventory.web.users import find_account
from scanner.errors import StewardError


def _ownership_rows(session: Session, status: str | None) -> list[dict[str, Any]]:
    out = []
    for asset in present_assets(session):
        if status and asset.owner_status != status:
            continue
        row = session.get(AssetOwnership, asset.id)
        out.append(
            {
                "id": asset.id,
                "source": asset.source,
                "asset": asset.name,
                "location": asset.location,
                "owner": asset.owner,
                "owner_key": row.owner_key if row else None,
                "owner_email": row.owner_email if row else None,
                "owner_status": asset.owner_status,
                "confidence": asset.owner_confidence,
                "service": asset.service,
                "evidence": list(row.evidence) if row else [],
                "candidates": list(row.candidates) if row else [],
                "notes": list(row.notes) if row else [],
                "access": asset.access,
            }
        )
    return out


def _owners_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No assets yet: run `steward scan` first."
    out = []
    for r in rows:
        status = r["owner_status"] or "none"
        if r["confidence"] is not None:
            status += f" {r['confidence']:.0%}"
        out.append(
            f"[{r['id']}] {r['source']}:{r['asset']}  owner: {r['owner'] or '-'} ({status})"
            f"  service: {r['service'] or '-'}"
        )
        out.extend(f"      because: {e}" for e in r["evidence"])
        for c in r["candidates"]:
            flag = "" if c["enabled"] else "  [left: never proposed]"
            out.append(
                f"      candidate {c['name']} ({c['key']}) {c['confidence']:.0%}: {'; '.join(c['evidence'])}{flag}"
            )
        out.extend(f"      note: {n}" for n in r["notes"])
        access = r["access"] or {}
        if access.get("broad_read") or access.get("broad_write"):
            out.append(
                f"      open to: read {', '.join(access.get('broad_read', [])) or '-'}; "
                f"write {', '.join(access.get('broad_write', [])) or '-'}"
            )
    return "\n".join(out)


@cli.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--status",
    type=click.Choice(["declared", "confirmed", "proposed", "none"]),
    help="Only assets whose owner has this status.",
)
@handle_errors
def owners(config_file: Path | None, fmt: str, status: str | None) -> None:
    """List each asset's owner and status, the ranked candidates and the evidence for each."""
    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        rows = _ownership_rows(session, status)
    click.echo(json.dumps(rows, indent=2) if fmt == "json" else _owners_table(rows))


@cli.group()
def owner() -> None:
    """Confirm, correct or revert an asset's owner (the decision survives re-scans)."""


def _decide(
    config_file: Path | None, ref: str, person_ref: str | None, by: str, reason: str, force: bool = False
) -> str:
    if not by.strip() or not reason.strip():
        raise StewardError("--by and --reason must say who decided and why")
    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        asset = find_asset(session, ref)
        action = "revert" if person_ref is None else "set"
        state = open_directory(config)
        known = find_account(session, person_ref) if person_ref and not len(state.directory) else None
        account = (known.email, known.name) if known else None
        return decide_owner(session, config, state, asset, action, person_ref, by, reason, utcnow(), account, force)


@owner.command("set")
@click.argument("asset")
@click.argument("person")
@click.option("--by", required=True, help="Who decides (name), recorded with the decision.")
@click.option("--reason", required=True, help="Why, recorded with the decision.")
@click.option(
    "--force",
    is_flag=True,
    help="Without a directory, record PERSON even when no Steward account has that name or e-mail (an "
    "administrator's decision).",
)
@config_option
@handle_errors
def owner_set(asset: str, person: str, by: str, reason: str, force: bool, config_file: Path | None) -> None:
    """Confirm or correct ASSET's owner as PERSON (account name or e-mail); it wins over inference."""
    click.echo(_decide(config_file, asset, person, by, reason, force))


@owner.command("revert")
@click.argument("asset")
@click.option("--by", required=True, help="Who reverts (name), recorded.")
@click.option("--reason", required=True, help="Why, recorded.")
@config_option
@handle_errors
def owner_revert(asset: str, by: str, reason: str, config_file: Path | None) -> None:
    """Withdraw the decision on ASSET's owner: the declared or inferred owner applies again."""
    click.echo(_decide(config_file, asset, None, by, reason))


@owner.command("history")
@click.argument("asset")
@config_option
@handle_errors
def owner_history(asset: str, config_file: Path | None) -> None:
    """Every decision about ASSET's owner: who, when, why."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as session:
        found = find_asset(session, asset)
        rows = session.scalars(
            select(OwnerDecision).where(OwnerDecision.asset_id == found.id).order_by(OwnerDecision.id)
        ).all()
        lines = [
            f"{d.at:%Y-%m-%d %H:%M} {d.action:<8} {d.person_name or '-'} by {d.by}: {d.reason}"
            + (" (reverted)" if d.reverted_at else "")
            for d in rows
        ]
    click.echo("\n".join(lines) or f"no decisions about {found.name}")


@cli.group()
def directory() -> None:
    """Check the directory of people (LDAP / Active Directory or HR CSV) and look principals up in it."""


def _load_directory(config_file: Path | None) -> Any:
    config, _ = load_config(config_file)
    if config.directory is None:
        raise StewardError("no directory is configured (key `directory` in the config)")
    return load_directory(config.directory)


@directory.command("check")
@config_option
@handle_errors
def directory_check(config_file: Path | None) -> None:
    """Read the directory once and say how many people, departments and leavers it holds."""
    found = _load_directory(config_file)
    people = list(found.people.values())
    left = sum(not p.enabled for p in people)
    with_sid = sum(bool(p.sid) for p in people)
    click.echo(
        f"directory is readable: {len(people)} people ({left} left), {len(found.departments())} departments, "
        f"{with_sid} with a Windows SID"
    )


@directory.command("lookup")
@click.argument("principal")
@config_option
@handle_errors
def directory_lookup(principal: str, config_file: Path | None) -> None:
    """Who PRINCIPAL (SID, uid, account, DOMAIN\\account, e-mail or full name) is, and their manager chain."""
    found = _load_directory(config_file)
    person = found.resolve(principal)
    if person is None:
        raise StewardError(f"{principal!r} is not in the directory")
    chain = " > ".join(boss.name for _, boss in found.managers(person, 5)) or "-"
    click.echo(
        f"{person.name} ({person.key}){'' if person.enabled else ' — has left (account disabled)'}\n"
        f"  e-mail: {person.email or '-'}\n  department: {person.department or '-'}\n"
        f"  title: {person.title or '-'}\n  SID: {person.sid or '-'}\n  managers: {chain}"
    )
