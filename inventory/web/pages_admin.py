"""The administrator's pages: accounts (add, disable, role) and scans (the state of each source, and a scan
started now). Administrators read no asset: they manage the service, not the data."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from inventory.runs.status import source_status, status_report
from inventory.web import scope, users
from inventory.web.actions import Context
from inventory.web.deps import get_db, page_context, page_viewer
from inventory.web.models import ROLES, User
from inventory.web.render import done, render
from inventory.web.scope import NotVisible, Viewer
from scanner.errors import StewardError

router = APIRouter(include_in_schema=False)


@router.get("/admin/users")
def users_page(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("admin")
    return render(request, "admin_users.html", users=users.users(db), roles=ROLES)


def _admin_act(request: Request, ctx: Context, work: Any) -> Response:
    ctx.viewer.require("admin")
    try:
        message = work()
    except StewardError as exc:
        return done(request, "/admin/users", str(exc), ok=False)
    return done(request, "/admin/users", message)


@router.post("/admin/users")
def add_user(request: Request, ctx: Context = Depends(page_context)) -> Response:
    form = request.state.form

    def work() -> str:
        user = users.add_user(
            ctx.db,
            ctx.config,
            str(form.get("name", "")),
            str(form.get("email", "")),
            str(form.get("role", "")),
            str(form.get("password", "")) or None,
            form.get("auth") == "ldap",
            ctx.now,
        )
        ctx.log(
            "user.add",
            subject="user",
            subject_id=user.id,
            detail={"name": user.name, "role": user.role, "auth": user.auth},
        )
        ctx.db.commit()
        return f"account {user.name} added ({user.role})"

    return _admin_act(request, ctx, work)


@router.post("/admin/users/{user_id}")
def change_user(request: Request, user_id: int, ctx: Context = Depends(page_context)) -> Response:
    form = request.state.form

    def work() -> str:
        user = ctx.db.get(User, scope.row_id(user_id, "user"))
        if user is None:
            raise NotVisible(f"user {user_id}")
        if user.id == ctx.viewer.id:
            raise StewardError("change your own account from another administrator's")
        change = str(form.get("change", ""))
        if change in ("enable", "disable"):
            users.set_enabled(ctx.db, user, change == "enable")
        elif change == "role":
            users.set_role(ctx.db, user, str(form.get("role", "")))
        else:
            raise StewardError(f"no change {change!r}")
        ctx.log(f"user.{change}", subject="user", subject_id=user.id, detail={"name": user.name, "role": user.role})
        ctx.db.commit()
        return f"account {user.name}: {change}d" if change != "role" else f"account {user.name} is now {user.role}"

    return _admin_act(request, ctx, work)


@router.get("/admin/scans")
def scans_page(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("admin")
    return render(
        request,
        "admin_scans.html",
        report=status_report(db, request.app.state.config),
        can_start=request.app.state.config_path is not None,
    )


@router.post("/admin/scans")
def start_scan(request: Request, ctx: Context = Depends(page_context)) -> Response:
    ctx.viewer.require("admin")
    source = str(request.state.form.get("source", ""))
    config_path = request.app.state.config_path
    try:
        ctx.config.source(source)
        if config_path is None:
            raise StewardError("this server was started without a config file, so it cannot start scans")
        if source_status(ctx.db, source, None)["in_progress"]:
            raise StewardError(f"{source} is being scanned already")
    except StewardError as exc:
        return done(request, "/admin/scans", str(exc), ok=False)
    subprocess.Popen(
        [sys.executable, "-m", "inventory", "scan", "--config", str(config_path), "--source", source],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    ctx.log("scan.start", subject="scan", detail={"source": source})
    ctx.db.commit()
    return done(request, "/admin/scans", f"scan of {source} started; this page shows its progress")
