"""Rule kinds, one scenario per case file (tests/cases/rules/*.yaml): facts, a rule, the clock, the findings
expected. Adding a case is adding a file. Rule kinds are pure, so no store and no scan are involved."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from inventory.rules import retention as retention_kind
from inventory.rules import run_policy
from inventory.rules.facts import AssetFacts, Context, Facts, FileFacts, FindingDraft, local_access
from inventory.rules.schema import PoliciesFile, RetentionFile
from scanner.types import AccessFact

CASES = sorted((Path(__file__).parent / "cases" / "rules").glob("*.yaml"))


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def file_facts(i: int, spec: dict[str, Any]) -> FileFacts:
    path = spec["path"]
    folder = path.split("/")[0] if "/" in path else ""
    mode = int(str(spec["mode"]), 8) if "mode" in spec else None  # written as octal text: "644"
    access = local_access(mode, spec.get("group"))
    access += tuple(AccessFact(p, r, allow) for p, r, allow in (spec.get("acl") or ()))
    return FileFacts(
        id=i,
        source="share",
        path=path,
        size=spec.get("size", 1000),
        mtime=_when(spec.get("mtime")),
        ctime=_when(spec.get("ctime")),
        mime=spec.get("mime"),
        status=spec.get("status", "ok"),
        asset_id=1,
        asset=f"share:{folder}",
        entities=spec.get("entities", {}),
        special_category=tuple(spec.get("special_category", ())),
        marking=spec.get("marking"),
        keywords=tuple(spec.get("keywords", ())),
        content_hash=spec.get("content_hash"),
        access=access,
        copies=tuple(spec.get("copies", ())),
        in_name=spec.get("in_name", {}),
    )


def evaluate_case(case: dict[str, Any]) -> list[FindingDraft]:
    ctx = Context(_when(case["now"]) or datetime.now(), frozenset(g.casefold() for g in case.get("broad_groups", ())))
    files = tuple(file_facts(i + 1, spec) for i, spec in enumerate(case.get("files", ())))
    assets = tuple(
        AssetFacts(
            id=i + 1,
            source="share",
            key=a["key"],
            name=a["key"],
            owner=a.get("owner"),
            file_count=a.get("file_count", 1),
            folders=tuple(a.get("folders", ())),
            owner_left=a.get("owner_left", False),
        )
        for i, a in enumerate(case.get("assets", ()))
    )
    if "retention" in case:
        schedule = RetentionFile.model_validate({"version": 1, **case["retention"]})
        return [d for _, _, d in retention_kind.evaluate(schedule, files, ctx) if d is not None]
    policy = PoliciesFile.model_validate({"version": 1, "policies": [case["rule"]]}).policies[0]
    return list(run_policy(policy, Facts(files=files), ctx)) + list(run_policy(policy, Facts(assets=assets), ctx))


@pytest.mark.parametrize("path", CASES, ids=[c.stem for c in CASES])
def test_rule_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    drafts = evaluate_case(case)
    got = {(d.path or f"asset:{d.asset_id}", d.rule, d.kind) for d in drafts}
    want = {
        (e["subject"], e["rule"], e.get("kind", case.get("rule", {}).get("kind", "retention")))
        for e in case["expected"]
    }
    assert got == want, f"{path.name}: {case.get('description', '')}"
    by_subject = {(d.path or f"asset:{d.asset_id}", d.rule): d for d in drafts}
    for e in case["expected"]:
        d = by_subject[(e["subject"], e["rule"])]
        for text in [e["message"]] if "message" in e else []:
            assert text in d.message, (path.name, d.message)
        for key, value in e.get("evidence", {}).items():
            assert d.evidence[key] == value, (path.name, key, d.evidence)
        if "severity" in e:
            assert d.severity == e["severity"]


def test_there_are_cases_for_every_kind() -> None:
    from inventory.rules import KINDS

    covered = set()
    for path in CASES:
        case = yaml.safe_load(path.read_text())
        covered.add(case["rule"]["kind"] if "rule" in case else "retention")
    assert set(KINDS) | {"retention"} <= covered
