"""exposure: personal (or special-category) data that broad groups can read or write."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, broad_grants, file_draft
from inventory.rules.match import matches
from inventory.rules.schema import ExposurePolicy


def evaluate(rule: ExposurePolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for f in facts.files:
        held = f.special_category if rule.data == "special_category" else tuple(f.entities)
        if not held or not matches(rule.where, f):
            continue
        grants = broad_grants(f, rule.rights, ctx)
        if grants:
            what = "special-category data" if rule.data == "special_category" else "personal data"
            yield file_draft(
                rule,
                f,
                f"{what} ({', '.join(sorted(held))}) open to {'; '.join(grants)}",
                {
                    "grants": grants,
                    "entities": dict(sorted(f.entities.items())),
                    "special_category": list(f.special_category),
                },
            )
