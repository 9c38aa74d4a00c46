"""Writing and sending the digests: Jinja2 templates (plain text and HTML parts; a council may override them in
``notify.templates``), smtplib with STARTTLS or SMTPS, and the audit log as the record of what was sent."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.notify.config import NotifyConfig
from inventory.notify.digests import Digest, iao_digest, siro_digest
from inventory.risks import figures, html
from inventory.risks.scoring import load as load_risk_rules
from inventory.web import audit
from inventory.web.models import AuditEntry, User
from scanner.errors import ConfigError

log = logging.getLogger(__name__)
SHIPPED = Path(__file__).parent / "templates"
SENT = "notify.sent"


def _env(folder: Path | None) -> Environment:
    loaders = [FileSystemLoader(str(folder))] if folder else []
    return Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(str(SHIPPED))]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        keep_trailing_newline=True,
    )


def base_url(config: StewardConfig) -> str:
    return (config.web.base_url or f"http://{config.web.host}:{config.web.port}").rstrip("/")


def digests(db: Session, config: StewardConfig, now: datetime) -> Iterator[Digest]:
    """Every digest due now: one per enabled account of a role that hears at this time, not already sent."""
    notify = _notify(config)
    url = base_url(config)
    book = load_risk_rules(config.rules.dir)
    for user in db.scalars(select(User).where(User.enabled.is_(True)).order_by(User.name)):
        every = {"iao": notify.iao, "siro": notify.siro}.get(user.role, "never")
        if every == "never" or not user.email:
            continue
        digest = (
            iao_digest(db, user, every, now, url)
            if user.role == "iao"
            else siro_digest(db, user, every, now, url, book)
        )
        if digest.worth_sending and not already_sent(db, user, digest):
            yield digest


def already_sent(db: Session, user: User, digest: Digest) -> bool:
    sent = db.scalars(select(AuditEntry.detail).where(AuditEntry.action == SENT, AuditEntry.subject_id == user.id))
    return any(d.get("digest") == digest.key for d in sent)


def message(config: StewardConfig, digest: Digest, now: datetime, db: Session) -> EmailMessage:
    notify = _notify(config)
    env = _env(notify.templates)
    period = (
        f"week {digest.period.split('-W')[1]} of {digest.period[:4]}"
        if "-W" in digest.period
        else (f"{datetime.strptime(digest.period, '%Y-%m'):%B %Y}")
    )
    attachment = "siro-report.html"
    context = {**digest.context, "name": digest.name, "period": period, "attachment": attachment}
    msg = EmailMessage()
    msg["Subject"] = (
        f"Steward: your information assets, {period}"
        if digest.kind == "iao"
        else f"Steward: information risk, {period}"
    )
    msg["From"] = notify.sender
    msg["To"] = digest.to
    msg["Date"] = format_datetime(now.astimezone() if now.tzinfo else now)
    msg["Message-ID"] = make_msgid(domain=notify.sender.rpartition("@")[2])
    msg.set_content(env.get_template(f"{digest.kind}.txt").render(context))
    msg.add_alternative(env.get_template(f"{digest.kind}.html").render(context), subtype="html")
    if digest.kind == "siro":
        book = load_risk_rules(config.rules.dir)
        report = html.render(figures.summarise(db, book, now, now - timedelta(days=365)), book)
        msg.add_attachment(report.encode("utf-8"), maintype="text", subtype="html", filename=attachment)
    return msg


def send(config: StewardConfig, msg: EmailMessage) -> None:
    """Hand one message to the SMTP server (STARTTLS or SMTPS, verified; credentials from the config's ${ENV})."""
    smtp = _notify(config).smtp
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password.get_secret_value() if smtp.password else "")
        client.send_message(msg)


def notify(
    db: Session, config: StewardConfig, now: datetime, dry_run: bool = False, to: str | None = None
) -> list[str]:
    """Send (or, dry, describe) every digest due; returns one line per digest. A failure is logged and the digest
    stays unsent, to be tried again next run; it never stops the others."""
    lines = []
    for digest in digests(db, config, now):
        if to and digest.to.lower() != to.lower():
            continue
        msg = message(config, digest, now, db)
        if dry_run:
            lines.append(f"would send {digest.kind} digest {digest.period} to {digest.to}")
            lines.append(msg.get_body(("plain",)).get_content().rstrip())  # type: ignore[union-attr]
            continue
        try:
            send(config, msg)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("digest for %s not sent (%s); it is tried again next run", digest.to, type(exc).__name__)
            lines.append(f"NOT sent {digest.kind} digest {digest.period} to {digest.to}: {type(exc).__name__}")
            continue
        user = db.scalar(select(User).where(User.name == digest.user))
        audit.record(
            db,
            now,
            "steward",
            None,
            SENT,
            subject="user",
            subject_id=user.id if user else None,
            detail={"digest": digest.key, "to": digest.to, "message_id": str(msg["Message-ID"])},
        )
        db.commit()
        lines.append(f"sent {digest.kind} digest {digest.period} to {digest.to}")
    return lines


def _notify(config: StewardConfig) -> NotifyConfig:
    if config.notify is None:
        raise ConfigError("notify: is not configured (sender and smtp server); see config.example.yaml")
    return config.notify
