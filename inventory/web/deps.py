"""Request plumbing shared by the pages and the API: the store session, the signed-in account (session cookie
or API token), CSRF checks and the acting context. Every route that shows or changes data depends on these."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.runs.record import utcnow
from inventory.web import auth
from inventory.web.actions import Context
from inventory.web.scope import Viewer

SESSION_COOKIE = "steward_session"
SIGN_IN_COOKIE = "steward_sign_in"  # the CSRF token of the sign-in form, before there is a session
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class SignInNeeded(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign-in needed")
        self.expired = expired


class CsrfRefused(Exception):
    """A form or API call that changes something came without the session's CSRF token."""


def config_of(request: Request) -> StewardConfig:
    return request.app.state.config  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_db(request: Request) -> Iterator[Session]:
    db = request.app.state.factory()
    try:
        yield db
    finally:
        db.close()


def current(request: Request, db: Session = Depends(get_db)) -> auth.Current:
    """The session of the cookie, loaded once per request (expired ones are ended here)."""
    found = auth.load_session(db, config_of(request), request.cookies.get(SESSION_COOKIE), utcnow())
    request.state.current = found
    return found


def page_viewer(request: Request, cur: auth.Current = Depends(current)) -> Viewer:
    if cur.user is None:
        raise SignInNeeded(cur.expired)
    return Viewer.of(cur.user)


async def form_data(request: Request) -> dict[str, Any]:
    if request.method in SAFE_METHODS:
        return {}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def page_form(
    request: Request, form: dict[str, Any] = Depends(form_data), cur: auth.Current = Depends(current)
) -> dict[str, Any]:
    """A submitted form, only if it carries this session's CSRF token (kept on request.state.form)."""
    if cur.session is None:
        raise SignInNeeded(cur.expired)
    if not auth.same(form.get("csrf_token"), cur.session.csrf):
        raise CsrfRefused()
    request.state.form = form
    return form


def page_context(
    request: Request,
    form: dict[str, Any] = Depends(page_form),
    viewer: Viewer = Depends(page_viewer),
    db: Session = Depends(get_db),
) -> Context:
    return Context(db, config_of(request), viewer, utcnow(), client_ip(request), request.app.state.people)


def api_viewer(request: Request, db: Session = Depends(get_db)) -> Viewer:
    """An API caller: a bearer token (for other systems), or the browser's session with the CSRF header on
    anything that changes data."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = auth.user_for_api_token(db, header[7:].strip(), utcnow())
        if user is None:
            raise SignInNeeded()
        return Viewer.of(user)
    cur = auth.load_session(db, config_of(request), request.cookies.get(SESSION_COOKIE), utcnow())
    if cur.user is None or cur.session is None:
        raise SignInNeeded(cur.expired)
    if request.method not in SAFE_METHODS and not auth.same(request.headers.get("x-csrf-token"), cur.session.csrf):
        raise CsrfRefused()
    return Viewer.of(cur.user)


def api_context(request: Request, viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)) -> Context:
    return Context(db, config_of(request), viewer, utcnow(), client_ip(request), request.app.state.people)
