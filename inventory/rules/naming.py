"""naming: file and folder names breaking the naming convention. Files are reported one by one; folders
once per asset, listing the folders."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.rules.facts import Context, Facts, FindingDraft, asset_draft, file_draft
from inventory.rules.match import matches
from inventory.rules.schema import NamePattern, NamingPolicy, compile_name

MAX_LISTED = 50


def broken(rule: NamingPolicy, name: str) -> list[NamePattern]:
    return [p for p in rule.patterns if compile_name(p.regex).search(name)]


def evaluate(rule: NamingPolicy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    for f in facts.files:
        stem = f.name.rpartition(".")[0] if "." in f.name.lstrip(".") else f.name
        found = broken(rule, stem)
        if found and matches(rule.where, f):
            yield file_draft(
                rule, f, "; ".join(p.message for p in found), {"name": f.name, "conventions": [p.id for p in found]}
            )
    if not rule.folders:
        return
    for a in facts.assets:
        bad: dict[str, list[str]] = {}
        for folder in a.folders:
            for name in folder.split("/"):
                hits = broken(rule, name)
                if hits:
                    bad.setdefault(folder, [p.id for p in hits])
        if bad:
            listed = sorted(bad)[:MAX_LISTED]
            yield asset_draft(
                rule,
                a,
                f"{len(bad)} folder name(s) break the naming convention, e.g. {', '.join(repr(x) for x in listed[:3])}",
                {"folders": {k: bad[k] for k in listed}, "folder_count": len(bad)},
            )
