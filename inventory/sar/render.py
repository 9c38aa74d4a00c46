"""Subject-access results as a terminal table, CSV or JSON, and the audit entry of a search. Every output holds
where and what kind of identifier matched; none holds a value searched or found."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from inventory.register.export import safe_cell
from inventory.sar.search import Hit, Outcome

COLUMNS = ("rank", "strength", "matched", "source", "path", "table", "columns", "asset", "owner", "locators")
ERASURE_COLUMNS = ("retention", "holds")


def _row(rank: int, hit: Hit, erasure: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "rank": rank,
        "strength": hit.strength,
        "matched": "; ".join(hit.matched),
        "source": hit.source,
        "path": hit.path,
        "table": hit.table or "",
        "columns": "; ".join(f"{c} ({n} rows)" for c, n in hit.columns.items()),
        "asset": hit.asset or "",
        "owner": hit.owner or "",
        "locators": "; ".join(hit.locators),
    }
    if erasure:
        row["retention"] = "; ".join(hit.retention)
        row["holds"] = "; ".join(hit.holds)
    return row


def rows(outcome: Outcome, erasure: bool) -> list[dict[str, Any]]:
    return [_row(i, h, erasure) for i, h in enumerate(outcome.hits, 1)]


def coverage(outcome: Outcome) -> list[str]:
    """What the search could see: only files Steward has read, as of each source's last scan."""
    lines = ["Only files Steward has read are covered; a file changed since its source's last scan may differ."]
    for source, at in sorted(outcome.last_scanned.items()):
        lines.append(f"  {source}: last scanned {at:%Y-%m-%d %H:%M} UTC" if at else f"  {source}: never fully scanned")
    if outcome.unindexed:
        lines.append(
            f"The hash key changed: {outcome.unindexed} file(s) read before then are not covered until a full scan "
            "(steward scan --full) reads them again."
        )
    if outcome.ignored:
        lines.append(f"Not searched (the value given is not a valid {', '.join(outcome.ignored)}).")
    return lines


def to_csv(outcome: Outcome, erasure: bool) -> str:
    buf = io.StringIO()
    columns = COLUMNS + (ERASURE_COLUMNS if erasure else ())
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows(outcome, erasure):
        writer.writerow({k: safe_cell(v) if isinstance(v, str) else v for k, v in row.items()})
    return buf.getvalue()


def to_json(outcome: Outcome, erasure: bool, reference: str) -> str:
    doc = {
        "reference": reference,
        "searched": outcome.searched,
        "results": rows(outcome, erasure),
        "last_scanned": {s: at.isoformat() if at else None for s, at in outcome.last_scanned.items()},
        "not_covered_since_key_change": outcome.unindexed,
    }
    return json.dumps(doc, indent=2)


def to_table(outcome: Outcome, erasure: bool) -> str:
    lines = []
    for row in rows(outcome, erasure):
        where = f"{row['source']}:{row['table'] or row['path']}"
        extra = (
            f" columns {row['columns']}" if row["columns"] else (f" at {row['locators']}" if row["locators"] else "")
        )
        lines.append(f"{row['rank']:>3}. [{row['strength']}] {where} — {row['matched']}{extra}")
        lines.append(f"     asset {row['asset'] or '-'}, owner {row['owner'] or 'unknown'}")
        if erasure:
            lines.append(f"     retention {row['retention'] or '-'}; holds {row['holds'] or 'none'}")
    lines.append(f"{len(outcome.hits)} file(s) found searching by {', '.join(outcome.searched) or 'nothing'}.")
    return "\n".join(lines + coverage(outcome))


def audit_detail(reference: str, purpose: str, outcome: Outcome) -> dict[str, Any]:
    """What the audit log keeps of a search: reference, purpose, kinds searched and result count; never a value."""
    return {"reference": reference, "purpose": purpose, "searched": outcome.searched, "results": len(outcome.hits)}
