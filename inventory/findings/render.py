"""Terminal renderings of findings: the list and one finding with its evidence and history."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from inventory.register.render import _table


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def findings_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No findings match."
    header = ["ID", "Severity", "Kind", "Rule", "Asset", "Subject", "Status", "Message"]
    body = [
        [
            str(r["id"]),
            r["severity"],
            r["kind"],
            r["rule"],
            r["asset_name"] or "-",
            _cut(r["path"] or "(the asset)", 50),
            r["status"],
            _cut(r["message"], 70),
        ]
        for r in rows
    ]
    by_severity = Counter(r["severity"] for r in rows)
    summary = ", ".join(f"{by_severity[s]} {s}" for s in SEVERITIES if by_severity[s])
    return _table(header, body) + f"\n\n{len(rows)} finding(s): {summary}"


SEVERITIES = ("critical", "high", "medium", "low", "info")


def findings_summary(rows: list[dict[str, Any]]) -> str:
    """Findings grouped by rule and asset, most severe first, with the number of files each covers: the view of a
    few thousand findings a person can read (``--all`` lists every one)."""
    if not rows:
        return "No findings match."
    groups: dict[tuple[str, str, str, str], int] = Counter(
        (r["severity"], r["rule"], r["kind"], r["asset"] or "-") for r in rows
    )
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    ordered = sorted(groups.items(), key=lambda g: (rank.get(g[0][0], 9), -g[1], g[0][1], g[0][3]))
    header = ["Severity", "Rule", "Kind", "Asset", "Findings"]
    body = [[sev, rule, kind, _cut(asset, 50), f"{n:,}"] for (sev, rule, kind, asset), n in ordered]
    by_severity = Counter(r["severity"] for r in rows)
    summary = ", ".join(f"{by_severity[s]:,} {s}" for s in SEVERITIES if by_severity[s])
    return (
        _table(header, body)
        + f"\n\n{len(rows):,} finding(s) in {len(ordered):,} group(s): {summary}."
        + " `steward findings --all` lists each one; `--rule R --asset A` narrows the list."
    )


def finding_detail(row: dict[str, Any], events: list[dict[str, Any]]) -> str:
    out = [
        f"Finding {row['id']}: {row['message']}",
        f"  Rule:        {row['rule']} ({row['kind']})",
        f"  Severity:    {row['severity']}",
        f"  Status:      {row['status']}",
        f"  Asset:       {row['asset_name'] or '-'} ({row['asset'] or '-'})",
        f"  Subject:     {row['path'] or 'the asset as a whole'}",
        f"  First seen:  {row['first_seen']}",
        f"  Last seen:   {row['last_seen']}",
    ]
    if row["resolved_at"] and row["status"] == "resolved":
        out.append(f"  Resolved:    {row['resolved_at']}")
    if row["decided_by"]:
        out.append(f"  Decision:    by {row['decided_by']} at {row['decided_at']}: {row['decision_reason']}")
    out.append("\nEvidence:")
    for key, value in row["evidence"].items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
        out.append(f"  {key + ':':<16} {shown}")
    out.append("\nHistory:")
    for e in events:
        who = f" by {e['by']}" if e["by"] else ""
        out.append(f"  {e['at']}  {e['event']}{who}" + (f": {e['reason']}" if e["reason"] else ""))
    return "\n".join(out)
