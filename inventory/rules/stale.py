"""stale: files not modified for a period (default three years)."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, file_draft
from inventory.rules.match import matches
from inventory.rules.periods import parse_period
from inventory.rules.schema import StalePolicy


def evaluate(rule: StalePolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    cutoff = parse_period(rule.period).before(ctx.now)
    for f in facts.files:
        if f.mtime is None or f.mtime > cutoff or not matches(rule.where, f):
            continue
        age = (ctx.now - f.mtime).days
        yield file_draft(
            rule,
            f,
            f"not modified since {f.mtime:%Y-%m-%d} (limit {rule.period})",
            {"modified": f.mtime.date().isoformat(), "age_days": age, "limit": rule.period},
        )
