"""duplicate: the same content in more than one place, by keyed content hash. The scan hashes only the files
the policy asks for (those holding personal data, or at least ``min_size``); the evaluator joins the copies."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, file_draft
from inventory.rules.match import matches
from inventory.rules.schema import DuplicatePolicy

MAX_LISTED = 20


def wanted(rule: DuplicatePolicy, size: int | None, personal: bool) -> bool:
    return (rule.personal_data and personal) or (size or 0) >= rule.min_size


def evaluate(rule: DuplicatePolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for f in facts.files:
        if not f.copies or not matches(rule.where, f) or not wanted(rule, f.size, bool(f.entities)):
            continue
        copies = sorted(f.copies)
        what = "personal data, " if f.entities else ""
        yield file_draft(
            rule,
            f,
            f"same content ({what}{f.size or 0:,} bytes) in {len(copies)} other place(s): "
            f"{', '.join(copies[:3])}{' ...' if len(copies) > 3 else ''}",
            {
                "copies": copies[:MAX_LISTED],
                "copy_count": len(copies),
                "size": f.size,
                "personal_data": bool(f.entities),
            },
        )
