"""Signing in and out, and the front door that sends each role to its own page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.runs.record import utcnow
from inventory.web import audit, auth
from inventory.web.deps import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    client_ip,
    config_of,
    current,
    form_data,
    get_db,
    page_form,
    page_viewer,
)
from inventory.web.models import User
from inventory.web.render import render
from inventory.web.scope import Viewer

router = APIRouter(include_in_schema=False)
HOME = {"iao": "/my-assets", "siro": "/siro", "admin": "/admin/users", "dpo": "/sar"}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no //): never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
def home(viewer: Viewer = Depends(page_viewer)) -> Response:
    return RedirectResponse(HOME.get(viewer.role, "/sign-in"), status_code=303)


def _sign_in_page(request: Request, message: str | None = None, status_code: int = 200, name: str = "") -> Response:
    token = auth.new_token()
    response = render(
        request,
        "sign_in.html",
        status_code,
        sign_in_token=token,
        message=message,
        name=name,
        next=_safe_next(request.query_params.get("next")) or "",
        expired=request.query_params.get("expired") == "1",
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/sign-in",
        secure=config_of(request).web.secure_cookies,
    )
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, cur: auth.Current = Depends(current)) -> Response:
    if cur.user is not None:
        return RedirectResponse(HOME.get(cur.user.role, "/"), status_code=303)
    return _sign_in_page(request)


@router.post("/sign-in")
def sign_in(request: Request, form: dict[str, Any] = Depends(form_data), db: Session = Depends(get_db)) -> Response:
    if not auth.same(form.get("csrf_token"), request.cookies.get(SIGN_IN_COOKIE)):
        return _sign_in_page(request, "The form had expired: please sign in again.", 403)
    config, now, ip = config_of(request), utcnow(), client_ip(request)
    name = str(form.get("name", ""))[:100]
    auth.purge(db, config, now)
    try:
        user = auth.sign_in(db, config, name, str(form.get("password", "")), ip, now)
    except auth.SignInRefused as exc:
        known = db.scalar(select(User.name).where(User.name == name.strip().lower()))
        audit.record(db, now, known or "(unknown account)", None, "sign-in.refused", reason=str(exc), ip=ip)
        db.commit()
        return _sign_in_page(request, str(exc), exc.status, name=name)
    token, _ = auth.start_session(db, user, ip, now)
    audit.record(db, now, user.name, user.role, "sign-in", subject="user", subject_id=user.id, ip=ip)
    db.commit()
    response = RedirectResponse(_safe_next(form.get("next")) or HOME.get(user.role, "/"), status_code=303)
    web = config.web
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=web.secure_cookies,
        max_age=web.session_hours * 3600,
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    form: dict[str, Any] = Depends(page_form),
    cur: auth.Current = Depends(current),
    db: Session = Depends(get_db),
) -> Response:
    if cur.session is not None and cur.user is not None:
        audit.record(
            db,
            utcnow(),
            cur.user.name,
            cur.user.role,
            "sign-out",
            subject="user",
            subject_id=cur.user.id,
            ip=client_ip(request),
        )
        auth.end_session(db, cur.session)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
