"""A short read-out of progress against the council's maturity targets for two dimensions of its information
management assessment: Asset Management (level 4, Operational: records management implemented across the
enterprise) and Access & Security (level 4: a security and access-controls model deployed). Evidence only:
Steward does not grade the council, it shows the measures an assessor would look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.risks.scoring import Dimension, RiskFile
from inventory.store.models import Asset

LEVELS = {1: "Ad hoc", 2: "Formative", 3: "Developing", 4: "Operational", 5: "Optimised"}


@dataclass(frozen=True)
class Readout:
    dimension: str
    baseline: int
    target: int
    target_means: str
    measures: tuple[tuple[str, str], ...]  # (measure, value)
    assessed_by: str | None = None
    assessed_on: date | None = None
    supported: int | None = None  # the level the measures support, by the rules in risk.yaml


def _share(n: int, of: int) -> str:
    return f"{n / of:.0%} ({n:,} of {of:,})" if of else "-"


def readouts(session: Session, book: RiskFile, special_open_files: int, high_risks: int) -> list[Readout]:
    assets = session.scalars(select(Asset).where(Asset.deleted_at.is_(None))).all()
    n = len(assets)
    owned = sum(a.owner_status in ("confirmed", "declared") for a in assets)
    classified = sum(bool(a.retention_classes) for a in assets)
    overdue = sum((a.past_retention_files or 0) > 0 for a in assets)
    broad = sum(bool((a.access or {}).get("broad_read") or (a.access or {}).get("broad_write")) for a in assets)
    writable = sum(bool((a.access or {}).get("broad_write")) for a in assets)

    values = {
        "owned_share": owned / n if n else 0.0,
        "classified_share": classified / n if n else 0.0,
        "overdue_share": overdue / n if n else 0.0,
        "broad_share": broad / n if n else 0.0,
        "writable_share": writable / n if n else 0.0,
        "special_open_files": float(special_open_files),
        "high_risks": float(high_risks),
    }

    def readout(name: str, dim: Dimension, means: str, measures: list[tuple[str, str]]) -> Readout:
        return Readout(
            name,
            dim.baseline,
            dim.target,
            means,
            tuple(measures),
            dim.assessed_by,
            dim.assessed_on,
            dim.supported(values),
        )

    return [
        readout(
            "Asset Management",
            book.maturity.asset_management,
            "records management implemented across the enterprise; all information under a lifecycle",
            [
                ("Assets with an accountable owner", _share(owned, n)),
                ("Assets whose files fall under the retention schedule", _share(classified, n)),
                ("Assets holding files past retention", _share(overdue, n)),
            ],
        ),
        readout(
            "Access & Security",
            book.maturity.access_security,
            "a security and access-controls model deployed",
            [
                ("Assets open to all staff", _share(broad, n)),
                ("Assets writable by all staff", _share(writable, n)),
                ("Special-category files open to all staff", f"{special_open_files:,}"),
                ("High risks open", f"{high_risks:,}"),
            ],
        ),
    ]


def level(n: int) -> str:
    return f"{n} ({LEVELS[n]})"


def assessed(r: Readout) -> str:
    """ "Assessed at level 3 (Developing) by X on 4 March 2024", saying so when who or when is not recorded."""
    who = f" by {r.assessed_by}" if r.assessed_by else ""
    when = f" on {r.assessed_on:%d %B %Y}" if r.assessed_on else ""
    unknown = "" if who and when else " (who assessed it and when is not recorded in rules/risk.yaml)"
    return f"Assessed at level {level(r.baseline)}{who}{when}{unknown}"


def measured(r: Readout) -> str:
    """What the measures support, by the rules in risk.yaml."""
    if r.supported is None:
        return "no levels are defined for the measures in rules/risk.yaml"
    return f"the measures below support level {level(r.supported)} (rules in rules/risk.yaml)"
