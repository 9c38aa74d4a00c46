"""The data protection officer's subject-access search: a form posted (values never travel in a URL), results
ranked by evidence, a CSV download, and each search written to the audit log with its reference, never the
values. Only the ``dpo`` role may search; a refused attempt is audited too. Searches per account are limited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.rules import load_rulebook
from inventory.runs.record import utcnow
from inventory.sar import render as sar_render
from inventory.sar.search import KINDS, last_scanned, search
from inventory.store.keys import hash_key
from inventory.web.actions import Context
from inventory.web.audit import record
from inventory.web.deps import client_ip, get_db, page_context, page_viewer
from inventory.web.models import AuditEntry
from inventory.web.render import render
from inventory.web.scope import Forbidden, Viewer

router = APIRouter(include_in_schema=False)
SEARCHES_PER_HOUR = 30  # per account: a handler's day of requests, not a harvest of the index


def _allow(db: Session, viewer: Viewer, ip: str | None) -> None:
    """Only the dpo role searches; anyone else is refused, and the refusal is audited."""
    if viewer.role == "dpo":
        return
    record(db, utcnow(), viewer.name, viewer.role, "sar.refused", subject="sar", ip=ip)
    db.commit()
    raise Forbidden("subject-access search needs the dpo role")


def _limited(db: Session, viewer: Viewer) -> bool:
    since = utcnow() - timedelta(hours=1)
    done = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.actor == viewer.name, AuditEntry.action == "sar.search", AuditEntry.at >= since)
    )
    return (done or 0) >= SEARCHES_PER_HOUR


@router.get("/sar")
def sar_page(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    _allow(db, viewer, client_ip(request))
    return render(request, "sar.html", kinds=KINDS, scanned=last_scanned(db), outcome=None, reference="")


@router.post("/sar")
def sar_search(request: Request, ctx: Context = Depends(page_context)) -> Response:
    _allow(ctx.db, ctx.viewer, ctx.ip)
    form: dict[str, Any] = request.state.form
    reference = str(form.get("reference", "")).strip()[:100]
    purpose = "erasure" if form.get("purpose") == "erasure" else "access"
    given = {k: (str(form.get(k) or "").strip() or None) for k in KINDS}
    download = form.get("download") == "csv"
    form.clear()  # the values are not kept past the digests
    if not reference or not any(given.values()):
        return render(
            request,
            "sar.html",
            400,
            kinds=KINDS,
            scanned=last_scanned(ctx.db),
            outcome=None,
            reference=reference,
            problem="Give the request's reference and at least one identifier.",
        )
    if _limited(ctx.db, ctx.viewer):
        record(
            ctx.db, ctx.now, ctx.viewer.name, ctx.viewer.role, "sar.limited", subject="sar", reason=reference, ip=ctx.ip
        )
        ctx.db.commit()
        return render(
            request,
            "sar.html",
            429,
            kinds=KINDS,
            scanned=last_scanned(ctx.db),
            outcome=None,
            reference=reference,
            problem=f"At most {SEARCHES_PER_HOUR} searches an hour; try again later.",
        )
    schedule = load_rulebook(ctx.config.rules.dir).retention if purpose == "erasure" else None
    outcome = search(ctx.db, hash_key(ctx.config), given, erasure=purpose == "erasure", schedule=schedule)
    given.clear()
    detail = sar_render.audit_detail(reference, purpose, outcome)
    record(
        ctx.db,
        ctx.now,
        ctx.viewer.name,
        ctx.viewer.role,
        "sar.search",
        subject="sar",
        reason=reference,
        detail=detail,
        ip=ctx.ip,
    )
    ctx.db.commit()
    if download:
        name = f"steward-sar-{''.join(c for c in reference if c.isalnum() or c in '-_')[:40]}.csv"
        return Response(
            sar_render.to_csv(outcome, purpose == "erasure"),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )
    rows = sar_render.rows(outcome, purpose == "erasure")
    return render(
        request,
        "sar.html",
        kinds=KINDS,
        scanned=outcome.last_scanned,
        outcome=outcome,
        rows=rows,
        reference=reference,
        purpose=purpose,
        coverage=sar_render.coverage(outcome),
    )
