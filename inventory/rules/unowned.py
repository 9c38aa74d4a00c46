"""unowned: an information asset with no owner (fed by the ownership capability)."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, asset_draft
from inventory.rules.schema import UnownedPolicy


def evaluate(rule: UnownedPolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for a in facts.assets:
        if not a.owner and a.file_count >= rule.min_files:
            yield asset_draft(
                rule,
                a,
                f"no information asset owner ({a.file_count:,} files, {a.personal_files:,} with personal data)",
                {"file_count": a.file_count, "personal_files": a.personal_files},
            )
