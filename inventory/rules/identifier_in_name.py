"""identifier_in_name: an identifier or a person's name in a file's name or in a folder's name on its path.

Anyone who can list the folder sees the name, even where the file itself is locked down. Detection records what
names hold with the locators ``name`` and ``folder`` (``scanner.detect.filenames``); the severity is the highest
of the types found (``severities``), one level higher where broad groups can read the file.
"""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, broad_grants, file_draft
from inventory.rules.match import matches
from inventory.rules.schema import IdentifierInNamePolicy

LEVELS = ("info", "low", "medium", "high", "critical")


def evaluate(rule: IdentifierInNamePolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for f in facts.files:
        if not f.in_name or not matches(rule.where, f):
            continue
        level = max(LEVELS.index(rule.severities.get(e, rule.severity)) for e in f.in_name)
        grants = broad_grants(f, ("read",), ctx) if rule.broad_raise else []
        if grants:
            level = min(level + 1, len(LEVELS) - 1)
        places = sorted(set(f.in_name.values()))
        what = ", ".join(sorted(f.in_name))
        where = " and ".join("the file's name" if p == "name" else "a folder's name" for p in places)
        seen = f"; listable by {'; '.join(grants)}" if grants else ""
        yield file_draft(
            rule,
            f,
            f"{what} in {where}{seen}",
            {"entities": dict(sorted(f.in_name.items())), "grants": grants},
            severity=LEVELS[level],
        )
