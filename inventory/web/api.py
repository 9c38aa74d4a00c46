"""The JSON API (OpenAPI at /api/openapi.json): the same data and actions as the pages, under the same scope
rules. Callers authenticate with a bearer token (`steward user token NAME`) or, from the browser, the session
cookie plus the X-CSRF-Token header on anything that changes data."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from inventory.risks.figures import headline
from inventory.runs.record import utcnow
from inventory.web import actions, audit, scope, views
from inventory.web.actions import Context
from inventory.web.deps import api_context, api_viewer, get_db
from inventory.web.scope import Viewer

router = APIRouter(prefix="/api/v1", tags=["Steward"])
Reason = Field(min_length=1, max_length=actions.MAX_TEXT, description="Why: kept in the audit log.")


class Me(BaseModel):
    name: str
    email: str
    role: Literal["iao", "siro", "admin", "dpo"]
    person_key: str | None


class QueueItem(BaseModel):
    id: int
    name: str
    source: str
    location: str
    owner: str | None
    owner_status: str | None
    ownership_to_review: bool
    findings: dict[str, int] = Field(description="Open findings by severity.")
    open_findings: int
    risks_due: int
    personal_files: int
    past_retention_files: int


class AssetReview(BaseModel):
    asset: dict[str, Any] = Field(description="The register entry.")
    ownership: dict[str, Any] = Field(description="Owner, status, evidence, candidates and decisions.")
    personal_files: list[dict[str, Any]] = Field(
        description="Files holding personal data: entity types, counts, masked examples and locators only."
    )
    findings: list[dict[str, Any]] = Field(description="Open findings first, most severe first (at most 300).")
    findings_total: int
    open_findings: int
    risks: list[dict[str, Any]]
    disposal: list[dict[str, Any]] = Field(description="Files past retention, awaiting approval (at most 500).")
    disposal_total: int
    disposal_bytes: int
    disposal_awaiting_approval: int = Field(description="Files on the list that no approval covers yet.")
    approvals: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    history: list[dict[str, Any]] = Field(description="The audit log of this asset, newest first.")


class Done(BaseModel):
    message: str


class OwnershipDecision(BaseModel):
    action: Literal["confirm", "decline", "reassign"]
    reason: str = Reason
    person: str | None = Field(default=None, description="For reassign: account name or e-mail address.")


class FindingDecision(BaseModel):
    verdict: Literal["confirmed", "false_positive", "test_data"]
    reason: str = Reason


class RiskDecision(BaseModel):
    treatment: Literal["treat", "tolerate", "transfer", "terminate"] = Field(description="tolerate = accept the risk.")
    reason: str = Reason
    review_date: date = Field(description="When the decision is reviewed (in the future).")


class DisposalApprovalIn(BaseModel):
    reason: str = Reason


class Approval(BaseModel):
    id: int
    files: int
    bytes: int
    message: str


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=actions.MAX_TEXT)


@router.get("/me", response_model=Me)
def me(viewer: Viewer = Depends(api_viewer)) -> Me:
    return Me(name=viewer.name, email=viewer.email, role=viewer.role, person_key=viewer.person_key)  # type: ignore[arg-type]


@router.get("/assets", response_model=list[QueueItem], summary="The caller's assets, most urgent first")
def assets(viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)) -> list[dict[str, Any]]:
    viewer.require("iao", "siro")
    return views.queue(db, viewer, utcnow().date())


@router.get("/assets/{asset_id}", response_model=AssetReview, summary="One asset's review")
def asset(asset_id: int, viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)) -> dict[str, Any]:
    viewer.require("iao", "siro")
    return views.asset_view(db, scope.asset(db, viewer, asset_id), viewer, utcnow().date())


@router.post("/assets/{asset_id}/ownership", response_model=Done, summary="Confirm, decline or reassign ownership")
def ownership(asset_id: int, body: OwnershipDecision, ctx: Context = Depends(api_context)) -> Done:
    return Done(message=actions.ownership(ctx, asset_id, body.action, body.reason, body.person))


@router.post(
    "/findings/{finding_id}/decision",
    response_model=Done,
    summary="Confirm a finding, or dismiss it as a false positive or test data",
)
def finding(finding_id: int, body: FindingDecision, ctx: Context = Depends(api_context)) -> Done:
    return Done(message=actions.finding(ctx, finding_id, body.verdict, body.reason))


@router.get("/risks", summary="Current risks the caller may see, highest score first")
def risks(viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)) -> list[dict[str, Any]]:
    viewer.require("iao", "siro")
    return views.risks_for(db, viewer, utcnow().date())


@router.get("/risks/{risk_id}", summary="One risk")
def risk(risk_id: int, viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)) -> dict[str, Any]:
    viewer.require("iao", "siro")
    return views.risk_row(scope.risk(db, viewer, risk_id), utcnow().date())


@router.post("/risks/{risk_id}/decision", response_model=Done, summary="Treat or accept (tolerate) a risk")
def risk_decision(risk_id: int, body: RiskDecision, ctx: Context = Depends(api_context)) -> Done:
    return Done(message=actions.risk(ctx, risk_id, body.treatment, body.reason, body.review_date))


@router.post(
    "/assets/{asset_id}/disposal-approvals",
    response_model=Approval,
    summary="Approve the asset's past-retention files for disposal (Steward never deletes)",
)
def approve(asset_id: int, body: DisposalApprovalIn, ctx: Context = Depends(api_context)) -> Approval:
    done = actions.approve_disposal(ctx, asset_id, body.reason)
    return Approval(id=done.id, files=done.files, bytes=done.bytes, message=f"disposal of {done.files} files approved")


@router.get("/assets/{asset_id}/disposal-approvals/{approval_id}", summary="One approved disposal list")
def approval(
    asset_id: int, approval_id: int, viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)
) -> dict[str, Any]:
    viewer.require("iao", "siro")
    found, a = scope.approval(db, viewer, asset_id, approval_id)
    return {
        "id": found.id,
        "asset_id": a.id,
        "by": found.by,
        "at": found.at.isoformat(timespec="seconds") + "Z",
        "reason": found.reason,
        "files": found.files,
        "bytes": found.bytes,
        "rows": found.rows,
    }


@router.post("/assets/{asset_id}/comments", response_model=Done, summary="Comment on an asset")
def comment(asset_id: int, body: CommentIn, ctx: Context = Depends(api_context)) -> Done:
    actions.comment(ctx, asset_id, body.text)
    return Done(message="comment added")


@router.get("/summary", summary="The SIRO's headline figures")
def summary(viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)) -> dict[str, Any]:
    viewer.require("siro")
    return headline(db)


@router.get("/audit", summary="The audit log, newest first (SIRO and administrators)")
def audit_log(
    limit: int = 500, viewer: Viewer = Depends(api_viewer), db: Session = Depends(get_db)
) -> list[dict[str, Any]]:
    viewer.require("siro", "admin")
    return [audit.row(e) for e in audit.entries(db, limit=max(1, min(limit, 10000)))]
