"""The SIRO's pages: the risk summary in the browser with the report download, the risk register, and the audit
log (readable and exportable by the SIRO and administrators)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from inventory.risks import figures, html
from inventory.risks.scoring import RiskFile, load
from inventory.risks.sync import review_due
from inventory.runs.record import utcnow
from inventory.web import audit, views
from inventory.web.deps import config_of, get_db, page_viewer
from inventory.web.render import render
from inventory.web.scope import Viewer

router = APIRouter(include_in_schema=False)


def summary(request: Request, db: Session) -> tuple[figures.Summary, RiskFile]:
    """The SIRO's figures now, with the risk rules they were scored by."""
    book = load(config_of(request).rules.dir)
    now = utcnow()
    if review_due(db, now):
        db.commit()
    return figures.summarise(db, book, now, now - timedelta(days=91)), book


@router.get("/siro")
def siro(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("siro")
    s, book = summary(request, db)
    return render(request, "siro.html", report=html.body(s, book), report_css=html.CSS)


@router.get("/siro/report.html")
def report_html(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("siro")
    s, book = summary(request, db)
    name = f"steward-risk-summary-{utcnow():%Y-%m-%d}.html"
    return Response(
        html.render(s, book),
        media_type="text/html",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/siro/report.pdf")
def report_pdf(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    import tempfile
    from pathlib import Path

    from inventory.risks.pdf import print_pdf  # deferred: only when a PDF is asked for

    viewer.require("siro")
    s, book = summary(request, db)
    with tempfile.TemporaryDirectory(prefix="steward-web-") as tmp:
        out = Path(tmp) / "report.pdf"
        print_pdf(html.render(s, book), out)
        data = out.read_bytes()
    name = f"steward-risk-summary-{utcnow():%Y-%m-%d}.pdf"
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/risks")
def risks(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("iao", "siro")
    return render(request, "risks.html", rows=views.risks_for(db, viewer, utcnow().date()))


@router.get("/audit")
def audit_page(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("siro", "admin")
    q = request.query_params
    rows = [
        audit.row(e) for e in audit.entries(db, actor=q.get("actor") or None, action=q.get("action") or None, limit=500)
    ]
    return render(request, "audit.html", rows=rows, actor=q.get("actor", ""), action=q.get("action", ""))


@router.get("/audit.csv")
def audit_csv(request: Request, viewer: Viewer = Depends(page_viewer), db: Session = Depends(get_db)) -> Response:
    viewer.require("siro", "admin")
    name = f"steward-audit-{utcnow():%Y-%m-%d}.csv"
    return Response(
        audit.to_csv(reversed(audit.entries(db))),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
