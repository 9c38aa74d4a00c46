"""bulk_export: files in export folders holding personal data about many people, kept too long."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, file_draft, people_estimate
from inventory.rules.match import matches
from inventory.rules.periods import parse_period
from inventory.rules.schema import BulkExportPolicy


def evaluate(rule: BulkExportPolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    cutoff = parse_period(rule.older_than).before(ctx.now)
    for f in facts.files:
        if f.mtime is None or f.mtime > cutoff or not matches(rule.where, f):
            continue
        people = people_estimate(f, rule.identifiers)
        if people > rule.min_people:
            age = (ctx.now - f.mtime).days
            yield file_draft(
                rule,
                f,
                f"export about ~{people:,} people, last changed {f.mtime:%Y-%m-%d} (limit: "
                f"{rule.min_people} people, {rule.older_than})",
                {"people_estimate": people, "age_days": age, "entities": dict(sorted(f.entities.items()))},
            )
