"""third_party_licensed: data held under a third party's licence (GIS layers) that broad groups can change."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, broad_grants, file_draft
from inventory.rules.match import matches
from inventory.rules.schema import ThirdPartyPolicy


def evaluate(rule: ThirdPartyPolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for f in facts.files:
        if not matches(rule.where, f):
            continue
        grants = broad_grants(f, rule.rights, ctx)
        if grants:
            yield file_draft(
                rule,
                f,
                f"licensed data ({rule.licence}) open to {'; '.join(grants)}",
                {"licence": rule.licence, "grants": grants, "mime": f.mime},
            )
