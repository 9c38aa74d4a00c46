"""unscannable: encrypted or password-protected files, and files Steward could not read."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, file_draft
from inventory.rules.match import matches
from inventory.rules.schema import UnscannablePolicy

WHY = {
    "encrypted": "encrypted or password-protected, so its content cannot be checked",
    "denied": "Steward is denied access to it",
    "unreadable": "could not be read",
}


def evaluate(rule: UnscannablePolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for f in facts.files:
        if f.status in rule.statuses and matches(rule.where, f):
            yield file_draft(
                rule,
                f,
                WHY.get(f.status, f"not fully read ({f.status})"),
                {"status": f.status, "reason": f.reason, "mime": f.mime},
            )
