"""What a reviewer can do, shared by the pages and the JSON API. Every action checks the viewer's scope first
(out of scope is "not found"), records the decision where the CLI records it too, and writes the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.findings.queries import disposal_rows
from inventory.findings.sync import confirm, decide
from inventory.owners.decisions import decide_owner
from inventory.owners.models import AssetOwnership
from inventory.owners.refresh import open_directory
from inventory.risks import register
from inventory.web import audit, scope, users
from inventory.web.models import Comment, DisposalApproval
from inventory.web.people import DirectoryCache
from inventory.web.scope import Viewer
from scanner.errors import StewardError

OWNER_ACTIONS = ("confirm", "decline", "reassign")
VERDICTS = ("confirmed", "false_positive", "test_data")
RISK_DECISIONS = ("treat", "tolerate", "transfer", "terminate")
MAX_TEXT = 4000


@dataclass(frozen=True)
class Context:
    """Who acts, from where, and when."""

    db: Session
    config: StewardConfig
    viewer: Viewer
    now: datetime
    ip: str | None = None
    people: DirectoryCache | None = None  # the application's; None reads the directory afresh

    def log(self, action: str, **kw: Any) -> None:
        audit.record(self.db, self.now, self.viewer.name, self.viewer.role, action, ip=self.ip, **kw)


def _reason(text: str | None, what: str = "a reason") -> str:
    text = (text or "").strip()
    if not text:
        raise StewardError(f"say why: {what} is needed")
    if len(text) > MAX_TEXT:
        raise StewardError(f"keep it under {MAX_TEXT} characters")
    return text


def _acting(ctx: Context) -> None:
    ctx.viewer.require("iao", "siro")


def ownership(ctx: Context, asset_id: int, action: str, reason: str, person: str | None = None) -> str:
    _acting(ctx)
    a = scope.asset(ctx.db, ctx.viewer, asset_id)
    why = _reason(reason)
    me = ctx.viewer.person_key or ctx.viewer.email
    row = ctx.db.get(AssetOwnership, a.id)
    if action == "confirm":
        # An owner confirms themselves; the SIRO confirms the owner as it stands.
        target = me if ctx.viewer.role == "iao" else (row.owner_key if row and row.owner_key else a.owner)
        if not target:
            raise StewardError("there is no owner to confirm: reassign the asset to someone")
        verb = "set"
    elif action == "decline":
        target = me if ctx.viewer.role == "iao" else (row.owner_key if row else None)
        if not target:
            raise StewardError("there is no proposed owner to decline")
        verb = "decline"
    elif action == "reassign":
        target = (person or "").strip()
        if not target:
            raise StewardError("name the person to reassign to (account name or e-mail address)")
        verb = "set"
    else:
        raise StewardError(f"no ownership action {action!r}")
    state = ctx.people.get(ctx.config) if ctx.people is not None else open_directory(ctx.config)
    known = users.find_account(ctx.db, target) if verb == "set" and not len(state.directory) else None
    account = (known.email, known.name) if known else None
    message = decide_owner(ctx.db, ctx.config, state, a, verb, target, ctx.viewer.name, why, ctx.now, account)
    ctx.log(
        f"ownership.{action}",
        subject="asset",
        subject_id=a.id,
        asset_id=a.id,
        reason=why,
        detail={"person": target, "owner_now": a.owner, "status_now": a.owner_status},
    )
    ctx.db.commit()
    return message


def finding(ctx: Context, finding_id: int, verdict: str, reason: str) -> str:
    _acting(ctx)
    f, a = scope.finding(ctx.db, ctx.viewer, finding_id)
    why = _reason(reason)
    if verdict not in VERDICTS:
        raise StewardError(f"verdict must be one of {', '.join(VERDICTS)}")
    if f.status not in ("open", "dismissed", "accepted"):
        raise StewardError(f"finding {f.id} is {f.status}: there is nothing to decide")
    if verdict == "confirmed":
        if f.status != "open":
            raise StewardError(f"finding {f.id} is {f.status}; only an open finding can be confirmed")
        confirm(ctx.db, f, ctx.viewer.name, why, ctx.now)
    else:
        decide(ctx.db, f, "dismissed", ctx.viewer.name, why, ctx.now, verdict=verdict)
    ctx.log(
        f"finding.{verdict}",
        subject="finding",
        subject_id=f.id,
        asset_id=a.id,
        reason=why,
        detail={"rule": f.rule, "severity": f.severity},
    )
    ctx.db.commit()
    return f"finding {f.id} ({f.rule}): {verdict.replace('_', ' ')}"


def risk(ctx: Context, risk_id: int, treatment: str, reason: str, review: date | None) -> str:
    _acting(ctx)
    r = scope.risk(ctx.db, ctx.viewer, risk_id)
    why = _reason(reason)
    if treatment not in RISK_DECISIONS:
        raise StewardError(f"treatment must be one of {', '.join(RISK_DECISIONS)}")
    if review is None:
        raise StewardError("a risk decision needs a review date")
    if review <= ctx.now.date():
        raise StewardError("the review date must be in the future")
    register.treat(ctx.db, r, treatment, ctx.viewer.name, why, ctx.now, review=review)
    ctx.log(
        f"risk.{treatment}",
        subject="risk",
        subject_id=r.id,
        asset_id=r.asset_id,
        reason=why,
        detail={"review": review.isoformat(), "score": r.score},
    )
    ctx.db.commit()
    return f"risk {r.id}: {'accepted' if treatment == 'tolerate' else treatment}, review on {review:%d %b %Y}"


def disposal_list(db: Session, asset_id: int) -> list[dict[str, Any]]:
    return list(disposal_rows(db, asset_id))


def approved_findings(db: Session, asset_id: int) -> set[int]:
    """Findings on an earlier approved list of the asset: approved, awaiting disposal outside Steward."""
    from sqlalchemy import select

    return {
        row["finding"]
        for rows in db.scalars(select(DisposalApproval.rows).where(DisposalApproval.asset_id == asset_id))
        for row in rows
    }


def approve_disposal(ctx: Context, asset_id: int, reason: str) -> DisposalApproval:
    """Approve the files of the asset's disposal list that no earlier approval covers."""
    _acting(ctx)
    a = scope.asset(ctx.db, ctx.viewer, asset_id)
    why = _reason(reason)
    listed = disposal_list(ctx.db, a.id)
    if not listed:
        raise StewardError(f"{a.name} has no files past retention to approve")
    done = approved_findings(ctx.db, a.id)
    rows = [r for r in listed if r["finding"] not in done]
    if not rows:
        raise StewardError(
            f"every file on {a.name}'s disposal list is approved already; it leaves the list "
            "once it has been disposed of and the next scan no longer finds it"
        )
    approval = DisposalApproval(
        asset_id=a.id,
        by=ctx.viewer.name,
        at=ctx.now,
        reason=why,
        files=len(rows),
        bytes=sum(r["size"] or 0 for r in rows),
        rows=rows,
    )
    ctx.db.add(approval)
    ctx.db.flush()
    ctx.log(
        "disposal.approve",
        subject="disposal",
        subject_id=approval.id,
        asset_id=a.id,
        reason=why,
        detail={"files": len(rows), "bytes": approval.bytes},
    )
    ctx.db.commit()
    return approval


def comment(ctx: Context, asset_id: int, text: str) -> Comment:
    _acting(ctx)
    a = scope.asset(ctx.db, ctx.viewer, asset_id)
    body = _reason(text, "some text")
    note = Comment(asset_id=a.id, by=ctx.viewer.name, at=ctx.now, text=body)
    ctx.db.add(note)
    ctx.db.flush()
    ctx.log("comment", subject="asset", subject_id=a.id, asset_id=a.id, detail={"comment": note.id})
    ctx.db.commit()
    return note
