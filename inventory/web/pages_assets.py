"""The IAO's pages: "My assets" (most urgent first) and an asset's review, with its actions."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from inventory.findings.queries import DISPOSAL_COLUMNS
from inventory.register.export import safe_cell
from inventory.rules import class_names
from inventory.runs.record import utcnow
from inventory.web import actions, scope, views
from inventory.web.actions import Context
from inventory.web.deps import get_db, page_context, page_viewer
from inventory.web.render import done, render
from inventory.web.scope import Viewer
from scanner.errors import StewardError

router = APIRouter(include_in_schema=False)


def _review_date(text: str | None) -> date | None:
    """A date as typed in the UK, day first (31/03/2027), or as ISO (2027-03-31)."""
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date() if "/" in text else date.fromisoformat(text.strip())
    except ValueError:
        raise StewardError(f"{text!r} is not a date (day/month/year, e.g. 31/03/2027)") from None


@router.get("/my-assets")
def my_assets(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("iao", "siro")
    rows = views.queue(db, viewer, utcnow().date())
    return render(request, "my_assets.html", rows=rows, title="My assets" if viewer.role == "iao" else "All assets")


@router.get("/assets/{asset_id}")
def asset_page(
    request: Request,
    asset_id: int,
    viewer: Viewer = Depends(page_viewer),
    db: Session = Depends(get_db),
    files: int = 1,
    findings: int = 1,
    disposal: int = 1,
) -> Response:
    viewer.require("iao", "siro")
    a = scope.asset(db, viewer, asset_id)
    today = utcnow().date()
    at = {"files": files, "findings": findings, "disposal": disposal}
    return render(
        request,
        "asset.html",
        view=views.asset_view(db, a, viewer, today, at),
        at=at,
        class_names=class_names(request.app.state.config.rules.dir),
        today=today,
        verdicts=actions.VERDICTS,
        treatments=actions.RISK_DECISIONS,
    )


def _act(request: Request, target: str, work: Any) -> Response:
    try:
        message = work()
    except StewardError as exc:  # a refused decision; out-of-scope ids are not StewardErrors and stay 404
        return done(request, target, str(exc), ok=False)
    return done(request, target, str(message))


@router.post("/assets/{asset_id}/ownership")
def ownership(request: Request, asset_id: int, ctx: Context = Depends(page_context)) -> Response:
    form = request.state.form
    response = _act(
        request,
        f"/assets/{asset_id}",
        lambda: actions.ownership(
            ctx, asset_id, str(form.get("action", "")), str(form.get("reason", "")), form.get("person")
        ),
    )
    if asset_id not in scope.visible_asset_ids(ctx.db, ctx.viewer):
        # Declined or reassigned by its proposed owner, the asset is no longer theirs: back to their list (with the
        # notice), not to a "Not found" page.
        response.headers["location"] = "/my-assets"
    return response


@router.post("/findings/{finding_id}/decision")
def finding_decision(request: Request, finding_id: int, ctx: Context = Depends(page_context)) -> Response:
    form = request.state.form
    f, a = scope.finding(ctx.db, ctx.viewer, finding_id)
    return _act(
        request,
        f"/assets/{a.id}#finding-{f.id}",
        lambda: actions.finding(ctx, finding_id, str(form.get("verdict", "")), str(form.get("reason", ""))),
    )


@router.post("/risks/{risk_id}/decision")
def risk_decision(request: Request, risk_id: int, ctx: Context = Depends(page_context)) -> Response:
    form = request.state.form
    r = scope.risk(ctx.db, ctx.viewer, risk_id)
    target = f"/assets/{r.asset_id}#risk-{r.id}" if r.asset_id else "/siro"
    return _act(
        request,
        target,
        lambda: actions.risk(
            ctx,
            risk_id,
            str(form.get("treatment", "")),
            str(form.get("reason", "")),
            _review_date(form.get("review_date")),
        ),
    )


@router.post("/assets/{asset_id}/disposal-approvals")
def approve_disposal(request: Request, asset_id: int, ctx: Context = Depends(page_context)) -> Response:
    form = request.state.form

    def work() -> str:
        approval = actions.approve_disposal(ctx, asset_id, str(form.get("reason", "")))
        return f"disposal of {approval.files} files approved; the list is ready to download"

    return _act(request, f"/assets/{asset_id}#disposal", work)


@router.get("/assets/{asset_id}/disposal-approvals/{approval_id}.csv")
def approval_csv(
    asset_id: int, approval_id: int, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)
) -> Response:
    viewer.require("iao", "siro")
    approval, _ = scope.approval(db, viewer, asset_id, approval_id)
    out = io.StringIO()
    columns = (*DISPOSAL_COLUMNS, "approved_by", "approved_at", "approval_reason")
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    for row in approval.rows:
        writer.writerow(
            {
                k: safe_cell(v)
                for k, v in (
                    row
                    | {
                        "approved_by": approval.by,
                        "approved_at": approval.at.isoformat(timespec="seconds") + "Z",
                        "approval_reason": approval.reason,
                    }
                ).items()
            }
        )
    name = f"disposal-approval-{approval.id}.csv"
    return Response(
        out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/assets/{asset_id}/comments")
def comment(request: Request, asset_id: int, ctx: Context = Depends(page_context)) -> Response:
    form = request.state.form
    return _act(
        request,
        f"/assets/{asset_id}#comments",
        lambda: (actions.comment(ctx, asset_id, str(form.get("text", ""))), "comment added")[1],
    )
