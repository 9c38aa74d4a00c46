"""`steward serve` (the web review), `steward user ...` (its accounts) and `steward audit` (the audit log)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from inventory.cli.group import cli, config_option, handle_errors, output
from inventory.config import config_path, load_config
from inventory.notify.mail import notify
from inventory.runs.record import utcnow
from inventory.store.engine import open_store
from inventory.web import audit as audit_log
from inventory.web import users
from scanner.errors import StewardError


@cli.command()
@config_option
@click.option("--host", help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: web.port, 8080).")
@handle_errors
def serve(config_file: Path | None, host: str | None, port: int | None) -> None:
    """Run the web review for Information Asset Owners, the SIRO and administrators (put HTTPS in front)."""
    import uvicorn

    from inventory.web.app import create_app  # deferred: FastAPI and uvicorn load for `serve` only

    config, _ = load_config(config_file)
    app = create_app(config)
    app.state.config_path = config_path(config_file).resolve()
    web = config.web
    click.echo(f"Steward's web review on http://{host or web.host}:{port or web.port}/ (Ctrl-C stops it)")
    uvicorn.run(
        app,
        host=host or web.host,
        port=port or web.port,
        log_level="warning",
        server_header=False,
        proxy_headers=web.forwarded_allow_ips is not None,
        forwarded_allow_ips=web.forwarded_allow_ips,
    )


@cli.group()
def user() -> None:
    """Accounts of the web review: add, list, password, enable/disable, role, API token."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user.command("add")
@click.argument("name")
@click.option("--email", required=True, help="The person's e-mail address (matches them to their assets).")
@click.option(
    "--role",
    type=click.Choice(["iao", "siro", "admin", "dpo"]),
    required=True,
    help="iao: their own assets; siro: everything; admin: accounts and scans.",
)
@click.option("--ldap", is_flag=True, help="Sign in by LDAP bind against the directory (no password here).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (else prompted).")
@config_option
@handle_errors
def user_add(name: str, email: str, role: str, ldap: bool, password_stdin: bool, config_file: Path | None) -> None:
    """Add an account NAME; the password is prompted for, or read from stdin, and stored as an argon2 hash."""

    config, _ = load_config(config_file)
    password = None if ldap else _password(password_stdin)
    with open_store(config.database)() as db:
        made = users.add_user(db, config, name, email, role, password, ldap, utcnow())
        audit_log.record(
            db,
            utcnow(),
            "steward-cli",
            None,
            "user.add",
            subject="user",
            subject_id=made.id,
            detail={"name": made.name, "role": made.role, "auth": made.auth},
        )
        db.commit()
        where = "not found in the directory" if config.directory is not None else "no directory is configured"
        click.echo(
            f"added {made.name} ({made.role}, {made.auth} sign-in)"
            + (
                f"; directory person {made.person_key}"
                if made.person_key
                else f"; {where}, so matched to assets by e-mail address"
            )
        )


@user.command("list")
@config_option
@handle_errors
def user_list(config_file: Path | None) -> None:
    """List the accounts."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as db:
        rows = users.users(db)
        for u in rows:
            last = u.last_sign_in.isoformat(timespec="minutes") if u.last_sign_in else "never"
            click.echo(
                f"{u.name:<20} {u.role:<6} {u.auth:<6} {'enabled' if u.enabled else 'DISABLED':<9} "
                f"{u.email}  person: {u.person_key or '-'}  last sign-in: {last}"
            )
    if not rows:
        click.echo("no accounts yet: `steward user add NAME --email E --role iao|siro|admin`")


def _change(config_file: Path | None, name: str, what: str, value: str | None = None) -> str:
    config, _ = load_config(config_file)
    with open_store(config.database)() as db:
        u = users.get_user(db, name)
        if what == "password":
            users.set_password(db, u, value or "")
        elif what in ("enable", "disable"):
            users.set_enabled(db, u, what == "enable")
        elif what == "role":
            users.set_role(db, u, value or "")
        audit_log.record(
            db,
            utcnow(),
            "steward-cli",
            None,
            f"user.{what}",
            subject="user",
            subject_id=u.id,
            detail={"name": u.name, "role": u.role},
        )
        db.commit()
        return u.name


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (else prompted).")
@config_option
@handle_errors
def user_passwd(name: str, password_stdin: bool, config_file: Path | None) -> None:
    """Set NAME's password (their open sessions and API tokens end)."""
    click.echo(f"password of {_change(config_file, name, 'password', _password(password_stdin))} changed")


@user.command("disable")
@click.argument("name")
@config_option
@handle_errors
def user_disable(name: str, config_file: Path | None) -> None:
    """Stop NAME signing in; their sessions and API tokens end at once."""
    click.echo(f"{_change(config_file, name, 'disable')} disabled")


@user.command("enable")
@click.argument("name")
@config_option
@handle_errors
def user_enable(name: str, config_file: Path | None) -> None:
    """Let NAME sign in again."""
    click.echo(f"{_change(config_file, name, 'enable')} enabled")


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["iao", "siro", "admin", "dpo"]))
@config_option
@handle_errors
def user_role(name: str, role: str, config_file: Path | None) -> None:
    """Give NAME another ROLE (their sessions end)."""
    click.echo(f"{_change(config_file, name, 'role', role)} is now {role}")


@user.command("token")
@click.argument("name")
@click.option("--label", default="api", show_default=True, help="What the token is for.")
@config_option
@handle_errors
def user_token(name: str, label: str, config_file: Path | None) -> None:
    """Print a new API token for NAME (shown once; only its hash is kept). Send it as `Authorization: Bearer`."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as db:
        u = users.get_user(db, name)
        if not u.enabled:
            raise StewardError(f"{u.name} is disabled")
        token = users.issue_token(db, u, label, utcnow())
        audit_log.record(
            db,
            utcnow(),
            "steward-cli",
            None,
            "token.issue",
            subject="user",
            subject_id=u.id,
            detail={"name": u.name, "label": label},
        )
        db.commit()
    click.echo(token)


@cli.command()
@config_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="CSV file to write (default stdout).")
@handle_errors
def audit(config_file: Path | None, out: Path | None) -> None:
    """Export the audit log (who, when, what, why) as CSV, oldest first."""

    config, _ = load_config(config_file)
    with open_store(config.database)() as db:
        text = audit_log.to_csv(reversed(audit_log.entries(db)))
    with output(out) as fh:
        fh.write(text)
    if out is not None:
        click.echo(f"wrote {out}")


@cli.command("notify")
@config_option
@click.option("--dry-run", is_flag=True, help="Print what would be sent, and send nothing.")
@click.option("--send", "send_now", is_flag=True, help="Send the digests that are due now.")
@click.option("--to", "to", help="Only the digest for this e-mail address.")
@handle_errors
def notify_command(config_file: Path | None, dry_run: bool, send_now: bool, to: str | None) -> None:
    """E-mail digests: IAOs hear of assets proposed to them, new high and critical findings, risks to review or
    decide and disposal lists to approve (weekly by default); the SIRO the headline figures, with the report
    attached (monthly). Nobody is sent the same digest twice; `steward schedule` sends them as they fall due."""
    if dry_run == send_now:
        raise click.UsageError("say --dry-run (print what would be sent) or --send (send it now)")
    config, _ = load_config(config_file)
    with open_store(config.database)() as db:
        lines = notify(db, config, utcnow(), dry_run=dry_run, to=to)
    click.echo("\n".join(lines) if lines else "no digest is due")
    if any(line.startswith("NOT sent") for line in lines):
        raise SystemExit(1)
