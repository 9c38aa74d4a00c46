"""Accounts for the web review, shared by `steward user ...` and the administrator's page."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.owners.directory import load_directory
from inventory.web.auth import digest, hash_password, new_token
from inventory.web.models import ROLES, ApiToken, User, WebSession
from scanner.errors import StewardError

log = logging.getLogger(__name__)
NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _person_key(config: StewardConfig, name: str, email: str) -> str | None:
    """The directory key of the person (by e-mail, then account name), when a directory is configured."""
    if config.directory is None:
        return None

    directory = load_directory(config.directory)
    person = directory.resolve(email) or directory.resolve(name)
    return person.key if person else None


def find_account(db: Session, ref: str) -> User | None:
    """The account an owner decision names by account name or e-mail address, if any."""
    ref = ref.strip().lower()
    return db.scalar(select(User).where((User.name == ref) | (func.lower(User.email) == ref)))


def get_user(db: Session, name: str) -> User:
    user = db.scalar(select(User).where(User.name == name.strip().lower()))
    if user is None:
        raise StewardError(f"no account {name!r}; `steward user list` shows them")
    return user


def add_user(
    db: Session,
    config: StewardConfig,
    name: str,
    email: str,
    role: str,
    password: str | None,
    ldap: bool,
    now: datetime,
) -> User:
    name, email = name.strip().lower(), email.strip().lower()
    if not NAME.match(name):
        raise StewardError(f"{name!r} is not a usable account name (letters, digits, . _ @ -)")
    if not EMAIL.match(email):
        raise StewardError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise StewardError(f"role must be one of {', '.join(ROLES)}")
    if db.scalar(select(User.id).where(User.name == name)) is not None:
        raise StewardError(f"there is already an account {name!r}")
    if ldap and config.directory is None:
        raise StewardError("--ldap needs a directory (key `directory`, kind ldap) in the config")
    if not ldap and not password:
        raise StewardError("a local account needs a password")
    try:
        key = _person_key(config, name, email)
    except StewardError as exc:
        if ldap:
            raise
        log.warning("the directory could not be read (%s); %s is matched to assets by e-mail address", exc, name)
        key = None
    if ldap and key is None:
        raise StewardError(f"{name!r} / {email} is not in the directory, so it cannot sign in by LDAP bind")
    user = User(
        name=name,
        email=email,
        role=role,
        person_key=key,
        auth="ldap" if ldap else "local",
        password_hash=None if ldap else hash_password(password or ""),
        enabled=True,
        created_at=now,
    )
    db.add(user)
    db.commit()
    return user


def set_password(db: Session, user: User, password: str) -> None:
    if user.auth != "local":
        raise StewardError(f"{user.name} signs in through the directory; change the password there")
    user.password_hash = hash_password(password)
    # Whoever held the old password may hold a session or a token made with it: both end.
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.commit()


def set_enabled(db: Session, user: User, enabled: bool) -> None:
    user.enabled = enabled
    if not enabled:
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))
        db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.commit()


def set_role(db: Session, user: User, role: str) -> None:
    if role not in ROLES:
        raise StewardError(f"role must be one of {', '.join(ROLES)}")
    user.role = role
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    db.commit()


def issue_token(db: Session, user: User, label: str, now: datetime) -> str:
    """A new API token for USER; only its hash is kept, so it is shown once."""
    token = new_token()
    db.add(ApiToken(user_id=user.id, digest=digest(token), label=label, created_at=now))
    db.commit()
    return token


def users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.name)))
