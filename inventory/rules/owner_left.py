"""owner_left: an information asset whose declared or confirmed owner has left (fed by the ownership capability:
the directory marks the account disabled)."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, asset_draft
from inventory.rules.schema import OwnerLeftPolicy


def evaluate(rule: OwnerLeftPolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for a in facts.assets:
        if a.owner_left:
            yield asset_draft(
                rule,
                a,
                f"the owner, {a.owner}, has left (account disabled in the directory); "
                "confirm a new owner with `steward owner set`",
                {"owner": a.owner},
            )
