"""What each person's digest says: for an IAO, their assets that need them (counts, names, links); for the SIRO,
the headline figures and what changed. Never a value, a masked example or a file name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.findings.models import Finding
from inventory.risks import figures
from inventory.risks.scoring import RiskFile
from inventory.web import scope, views
from inventory.web.actions import approved_findings, disposal_list
from inventory.web.models import User

Kind = Literal["iao", "siro"]
SERIOUS = ("critical", "high")


@dataclass(frozen=True)
class Digest:
    kind: Kind
    user: str  # the account's name
    to: str  # its e-mail address
    name: str  # how to greet them
    period: str  # the period it covers: "2026-W49" (weekly) or "2026-12" (monthly)
    context: dict[str, Any] = field(default_factory=dict)  # what the templates render

    @property
    def key(self) -> str:
        """What makes a digest the same digest: nobody is sent one twice."""
        return f"{self.kind}:{self.period}"

    @property
    def worth_sending(self) -> bool:
        return self.kind == "siro" or bool(self.context.get("assets"))


def period_of(every: str, day: date) -> str:
    """The period a digest sent on ``day`` covers: an ISO week or a month."""
    if every == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day:%Y-%m}"


def _since(every: str, now: datetime) -> datetime:
    return now - (timedelta(days=7) if every == "weekly" else timedelta(days=31))


def iao_digest(db: Session, user: User, every: str, now: datetime, base_url: str) -> Digest:
    viewer = scope.Viewer.of(user)
    rows = views.queue(db, viewer, now.date())
    ids = [r["id"] for r in rows]
    new_serious = dict(
        db.execute(
            select(Finding.asset_id, func.count())
            .where(
                Finding.asset_id.in_(ids),
                Finding.status == "open",
                Finding.severity.in_(SERIOUS),
                Finding.first_seen >= _since(every, now),
            )
            .group_by(Finding.asset_id)
        ).all()
    )
    assets = []
    for r in rows:
        # The asset page's disposal list, less what an earlier approval covers: the count the IAO will see.
        waiting = {row["finding"] for row in disposal_list(db, r["id"])}
        awaiting = len(waiting - approved_findings(db, r["id"])) if waiting else 0
        item = {
            "name": r["name"],
            "link": f"{base_url}/assets/{r['id']}",
            "ownership_to_review": r["ownership_to_review"],
            "new_serious": new_serious.get(r["id"], 0),
            "risks_due": r["risks_due"],
            "risks_to_decide": r["risks_to_decide"],
            "disposal_awaiting": awaiting,
        }
        if any(
            item[k] for k in ("ownership_to_review", "new_serious", "risks_due", "risks_to_decide", "disposal_awaiting")
        ):
            assets.append(item)
    context = {"assets": assets, "base_url": base_url}
    return Digest("iao", user.name, user.email, user.name, period_of(every, now.date()), context)


def siro_digest(db: Session, user: User, every: str, now: datetime, base_url: str, book: RiskFile) -> Digest:
    h = figures.headline(db)
    summary = figures.summarise(db, book, now, _since(every, now))
    c = summary.change
    change = (
        f"{c['opened']:,} risk(s) opened, {c['closed']:,} closed; {c['up']:,} worse and {c['down']:,} better"
        if c["opened"] or c["closed"] or c["up"] or c["down"]
        else ""
    )
    headline = {
        **{k: f"{v:,}" if isinstance(v, int) else v for k, v in h.items()},
        "owned_share_text": f"{h['owned_share']:.0%}",
    }
    context = {"h": headline, "bands": book.describe_bands(summary.bands), "change": change, "base_url": base_url}
    return Digest("siro", user.name, user.email, user.name, period_of(every, now.date()), context)
