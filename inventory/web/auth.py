"""Sign-in for the web review: argon2 passwords (or an LDAP bind), failed sign-ins rate-limited per account and
per address, server-side sessions with idle and absolute expiry, per-session CSRF tokens and API tokens.
Only hashes of passwords and tokens are stored."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.owners.config import LdapDirectory
from inventory.web.models import ApiToken, SignInFailure, User, WebSession
from scanner.errors import StewardError

log = logging.getLogger(__name__)
HASHER = PasswordHasher()


@cache
def _dummy() -> str:
    """A hash to verify against for unknown accounts (equal time), made on first use, not at every command's
    start: hashing costs about 0.2 s of CPU."""
    return HASHER.hash("steward: equal time for unknown accounts")


MIN_PASSWORD = 12


class SignInRefused(StewardError):
    """A sign-in that did not succeed; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise StewardError(f"a password needs at least {MIN_PASSWORD} characters")
    return HASHER.hash(password)


def _password_ok(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        with contextlib.suppress(VerificationError):  # the same work as a real check: no probing names by time
            HASHER.verify(_dummy(), password + "x")
        return False
    try:
        HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    return True


def _refuse_if_limited(db: Session, config: StewardConfig, name: str, ip: str, now: datetime) -> None:
    rules = config.web.sign_in
    since = now - timedelta(minutes=rules.window_minutes)
    by_name = (
        db.scalar(
            select(func.count())
            .select_from(SignInFailure)
            .where(SignInFailure.name == digest(name), SignInFailure.at >= since)
        )
        or 0
    )
    by_ip = (
        db.scalar(
            select(func.count()).select_from(SignInFailure).where(SignInFailure.ip == ip, SignInFailure.at >= since)
        )
        or 0
    )
    if by_name >= rules.max_failures or by_ip >= rules.max_failures_per_address:
        raise SignInRefused(f"Too many failed sign-ins: wait {rules.window_minutes} minutes and try again.", 429)


def sign_in(db: Session, config: StewardConfig, name: str, password: str, ip: str, now: datetime) -> User:
    """The account, if NAME and PASSWORD are right and neither the account nor the address is rate-limited."""
    name = name.strip().lower()
    _refuse_if_limited(db, config, name, ip, now)
    user = db.scalar(select(User).where(User.name == name)) if name else None
    if user is not None and user.auth == "ldap":
        ok = bool(password) and config.web.sign_in.ldap and _ldap_ok(config, user, password)
    else:
        ok = bool(password) and _password_ok(user, password)
    if not ok or user is None or not user.enabled:
        # The typed name is kept as a digest: people sometimes type their password into the name field.
        db.add(SignInFailure(at=now, name=digest(name), ip=ip))
        db.commit()
        raise SignInRefused("The name or password is not right.")
    db.execute(delete(SignInFailure).where(SignInFailure.name == digest(name)))
    user.last_sign_in = now
    return user


def purge(db: Session, config: StewardConfig, now: datetime) -> None:
    """Forget sessions past their lifetime and failures older than a day (nobody presents them any more)."""
    db.execute(delete(WebSession).where(WebSession.created_at < now - timedelta(hours=config.web.session_hours)))
    db.execute(delete(SignInFailure).where(SignInFailure.at < now - timedelta(days=1)))


def _ldap_ok(config: StewardConfig, user: User, password: str) -> bool:
    from inventory.web.ldapauth import ldap_authenticate  # deferred: ldap3 loads only for directory accounts

    if not isinstance(config.directory, LdapDirectory):
        raise SignInRefused("Directory sign-in is not available: no LDAP directory is configured.", 503)
    try:
        key = ldap_authenticate(config.directory, user.person_key or user.name, password)
    except StewardError as exc:
        log.warning("directory sign-in of %s failed: %s", user.name, exc)
        raise SignInRefused("The directory cannot be reached to check your password: try again shortly.", 503) from None
    return key is not None and key == (user.person_key or user.name).lower()


def start_session(db: Session, user: User, ip: str, now: datetime) -> tuple[str, WebSession]:
    """A new session (a fresh token each sign-in); returns the cookie value and the row."""
    token = new_token()
    row = WebSession(digest=digest(token), user_id=user.id, csrf=new_token(), created_at=now, last_seen=now, ip=ip)
    db.add(row)
    db.commit()
    return token, row


@dataclass
class Current:
    session: WebSession | None
    user: User | None
    expired: bool = False


def load_session(db: Session, config: StewardConfig, token: str | None, now: datetime) -> Current:
    """The session a cookie stands for; expired sessions are deleted and reported as such."""
    if not token:
        return Current(None, None)
    row = db.get(WebSession, digest(token))
    if row is None:
        return Current(None, None)
    web = config.web
    user = db.get(User, row.user_id)
    if (
        user is None
        or not user.enabled
        or now - row.last_seen > timedelta(minutes=web.session_idle_minutes)
        or now - row.created_at > timedelta(hours=web.session_hours)
    ):
        db.delete(row)
        db.commit()
        return Current(None, None, expired=True)
    if now - row.last_seen > timedelta(seconds=30):
        row.last_seen = now
        db.commit()
    return Current(row, user)


def end_session(db: Session, row: WebSession) -> None:
    db.delete(row)
    db.commit()


def user_for_api_token(db: Session, token: str, now: datetime) -> User | None:
    row = db.scalar(select(ApiToken).where(ApiToken.digest == digest(token), ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.enabled:
        return None
    if row.last_used is None or now - row.last_used > timedelta(minutes=1):
        row.last_used = now
        db.commit()
    return user
