"""The governance board's evidence pack: one ZIP that opens offline, with the registers, the SIRO's report, the
decision logs and monthly trends, and an index mapping each audit action and ICO expectation (``rules/evidence.yaml``)
to that evidence and to a status computed from measured data.

Deterministic: the same store and the same date give a byte-identical pack (entries in a fixed order, every
timestamp in it — ZIP entries, workbook properties, the report's "as at" — taken from the pack's date).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.findings.models import Finding, FindingEvent
from inventory.owners.models import OwnerDecision
from inventory.register.export import write_iar_xlsx
from inventory.register.names import asset_label
from inventory.register.queries import iar_row, present_assets
from inventory.reports.evidence_rules import EvidenceFile, Expectation
from inventory.risks import figures, html, register
from inventory.risks.export import write_risks_xlsx
from inventory.risks.models import Risk
from inventory.risks.scoring import load as load_risk_rules
from inventory.store.models import Asset
from inventory.web.models import DisposalApproval

FRESH = timedelta(days=7)  # an asset scanned this recently counts as current in the register


@dataclass(frozen=True)
class Judged:
    expectation: Expectation
    value: float
    figure: str  # the value in words, with what it counts
    status: str


def _share(n: int, of: int) -> tuple[float, str]:
    return (n / of if of else 0.0), (f"{n / of:.0%} ({n:,} of {of:,})" if of else "no assets yet")


def measures(session: Session, now: datetime) -> dict[str, tuple[float, str]]:
    """Each measure the expectations may rest on, as a value and in words."""
    assets = present_assets(session)
    n = len(assets)
    owned = sum(a.owner_status in ("confirmed", "declared") for a in assets)
    confirmed = sum(a.owner_status == "confirmed" for a in assets)
    fresh = sum(bool(a.last_scanned and a.last_scanned >= now - FRESH) for a in assets)
    classified = sum(bool(a.retention_classes) for a in assets)
    overdue = sum((a.past_retention_files or 0) > 0 for a in assets)
    broad = sum(bool((a.access or {}).get("broad_read") or (a.access or {}).get("broad_write")) for a in assets)
    current = list(session.scalars(select(Risk).where(Risk.status != "closed")))
    decided = sum(bool(r.treatment and r.review_date) for r in current)
    late = sum(bool(r.review_date and r.review_date < now.date()) for r in current)
    past = session.scalar(
        select(func.count()).where(Finding.kind == "retention", Finding.status == "open", Finding.subject == "file")
    )
    approved = {int(row["finding"]) for a in session.scalars(select(DisposalApproval)) for row in a.rows or ()}
    exposure = figures.special_exposure(session)
    special_open = exposure.get("writable by all staff", 0) + exposure.get("readable by all staff", 0)
    share_of = {
        "owned_share": _share(owned, n),
        "confirmed_share": _share(confirmed, n),
        "register_fresh_share": _share(fresh, n),
        "risks_decided_share": _share(decided, len(current)),
        "classified_share": _share(classified, n),
        "overdue_share": _share(overdue, n),
        "disposal_approved_share": _share(len(approved), int(past or 0)),
        "broad_share": _share(broad, n),
    }
    return {
        **share_of,
        "risks_overdue": (float(late), f"{late:,} risk(s) past their review date"),
        "special_open_files": (float(special_open), f"{special_open:,} special-category file(s) open to all staff"),
    }


def judge(rules: EvidenceFile, measured: dict[str, tuple[float, str]]) -> list[Judged]:
    out = []
    for e in rules.expectations:
        value, words = measured[e.measure]
        out.append(Judged(e, value, f"{e.measure.replace('_', ' ')}: {words}", e.status(value)))
    return out


def _csv(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _day(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def decision_logs(session: Session, until: datetime) -> dict[str, bytes]:
    labels = {a.id: asset_label(a.source, a.key) for a in session.scalars(select(Asset))}
    owners = session.scalars(select(OwnerDecision).where(OwnerDecision.at <= until).order_by(OwnerDecision.id))
    findings = session.execute(
        select(FindingEvent, Finding)
        .join(Finding, Finding.id == FindingEvent.finding_id)
        .where(FindingEvent.by.is_not(None), FindingEvent.at <= until)
        .order_by(FindingEvent.id)
    )
    approvals = session.scalars(
        select(DisposalApproval).where(DisposalApproval.at <= until).order_by(DisposalApproval.id)
    )
    return {
        "ownership-decisions.csv": _csv(
            ["when", "asset", "decision", "person", "by", "reason", "reverted"],
            (
                [
                    _day(d.at),
                    labels.get(d.asset_id, ""),
                    d.action,
                    d.person_name or "",
                    d.by,
                    d.reason,
                    _day(d.reverted_at),
                ]
                for d in owners
            ),
        ),
        "finding-decisions.csv": _csv(
            ["when", "finding", "rule", "asset", "decision", "by", "reason"],
            (
                [_day(e.at), f.id, f.rule, labels.get(f.asset_id or 0, ""), e.event, e.by, e.reason or ""]
                for e, f in findings
            ),
        ),
        "disposal-approvals.csv": _csv(
            ["when", "asset", "files", "bytes", "by", "reason"],
            ([_day(p.at), labels.get(p.asset_id, ""), p.files, p.bytes, p.by, p.reason] for p in approvals),
        ),
    }


def trends(session: Session, since: date, until: datetime) -> bytes:
    """Per month: findings opened and resolved, people's decisions on owners and findings, disposal approvals."""

    def months(values: Iterable[datetime | None]) -> Counter[str]:
        return Counter(f"{v:%Y-%m}" for v in values if v is not None and since <= v.date() and v <= until)

    opened = months(session.scalars(select(Finding.first_seen)))
    resolved = months(session.scalars(select(Finding.resolved_at)))
    owner_decisions = months(session.scalars(select(OwnerDecision.at)))
    finding_decisions = months(session.scalars(select(FindingEvent.at).where(FindingEvent.by.is_not(None))))
    approvals = months(session.scalars(select(DisposalApproval.at)))
    keys = sorted(set(opened) | set(resolved) | set(owner_decisions) | set(finding_decisions) | set(approvals))
    return _csv(
        ["month", "findings opened", "findings resolved", "owner decisions", "finding decisions", "disposal approvals"],
        ([k, opened[k], resolved[k], owner_decisions[k], finding_decisions[k], approvals[k]] for k in keys),
    )


def _xlsx(write: Any, rows: list[dict[str, Any]], stamp: datetime) -> bytes:
    """A workbook whose bytes depend on its rows and the stamp only (openpyxl stamps the time of saving)."""
    raw = io.BytesIO()
    write(rows, raw)
    return _restamp(raw.getvalue(), stamp)


def _restamp(data: bytes, stamp: datetime) -> bytes:
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "docProps/core.xml":
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rf"\g<1>{iso}", body.decode("utf-8"))
                body = text.encode("utf-8")
            dst.writestr(_entry(name, stamp), body)
    return out.getvalue()


def _entry(name: str, stamp: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def index_page(judged: list[Judged], as_at: date, since: date, names: list[str]) -> bytes:
    rows = "".join(
        f"<tr><td>{escape(j.expectation.id)}</td><td><b>{escape(j.expectation.title)}</b><br>"
        f"{escape(j.expectation.says)}</td><td class='{escape(j.status.replace(' ', '-'))}'>{escape(j.status)}</td>"
        f"<td>{escape(j.figure)}</td><td>"
        + ", ".join(f"<a href='{escape(n)}'>{escape(n)}</a>" for n in j.expectation.evidence if n in names)
        + "</td></tr>"
        for j in judged
    )
    files = "".join(f"<li><a href='{escape(n)}'>{escape(n)}</a></li>" for n in names if n != "index.html")
    page = (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Information governance: evidence</title>"
        f"<style>{html.CSS}.met{{color:#070;font-weight:bold}}.partly-met{{color:#a60;font-weight:bold}}"
        ".not-met{color:#a00;font-weight:bold}</style></head><body>"
        f"<h1>Information governance: evidence</h1><p class='sub'>As at {as_at:%d %B %Y}; trends since "
        f"{since:%d %B %Y}. Each status follows from the figure beside it, measured by Steward from its store "
        "(thresholds in rules/evidence.yaml).</p>"
        "<table><tr><th>Action</th><th>Expectation</th><th>Status</th><th>Measured</th><th>Evidence</th></tr>"
        f"{rows}</table><h2>In this pack</h2><ul>{files}</ul></body></html>\n"
    )
    return page.encode("utf-8")


def build_pack(session: Session, config: StewardConfig, rules: EvidenceFile, as_at: date, since: date) -> bytes:
    """The whole pack as ZIP bytes."""
    now = datetime.combine(as_at, time(23, 59, 59))
    book = load_risk_rules(config.rules.dir)
    refs = register.asset_refs(session)
    risk_rows = [register.row(session, r, book, refs) for r in register.listing(session, "current")]
    summary = figures.summarise(session, book, now, datetime.combine(since, time()))
    files: dict[str, bytes] = {
        "register.xlsx": _xlsx(write_iar_xlsx, [iar_row(a) for a in present_assets(session)], now),
        "risk-register.xlsx": _xlsx(write_risks_xlsx, risk_rows, now),
        "siro-report.html": html.render(summary, book).encode("utf-8"),
        "trends.csv": trends(session, since, now),
        **decision_logs(session, now),
    }
    judged = judge(rules, measures(session, now))
    names = sorted([*files, "index.html"])
    files["index.html"] = index_page(judged, as_at, since, names)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as pack:
        for name in names:
            pack.writestr(_entry(name, now), files[name])
    return out.getvalue()
