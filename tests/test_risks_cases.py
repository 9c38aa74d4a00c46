"""Risk kinds and scoring, one scenario per case file (tests/cases/risks/*.yaml): an asset's facts and open
findings, the clock, optionally a council's own scoring rules, and the risks expected with their likelihood,
impact and band. Risk kinds are pure, so no store is involved."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from inventory.risks.kinds import KINDS, AssetRiskFacts, FindingFact, derive
from inventory.risks.scoring import SHIPPED, RiskFile, check

CASES = sorted((Path(__file__).parent / "cases" / "risks").glob("*.yaml"))


def _book(case: dict[str, Any]) -> RiskFile:
    if "scoring" in case:
        return RiskFile.model_validate({"version": 1, **case["scoring"]})
    book, problems = check(SHIPPED)
    assert book is not None, problems
    return book


def _asset(case: dict[str, Any]) -> AssetRiskFacts:
    a = case["asset"]
    findings = tuple(
        FindingFact(
            f["kind"],
            f["rule"],
            f.get("evidence", {}),
            f.get("size", 0),
            f.get("entities", {}),
            tuple(f.get("special_category", ())),
            f.get("file"),
        )
        for f in case.get("findings", ())
    )
    return AssetRiskFacts(
        1,
        "share",
        a["key"],
        a["key"],
        a.get("owner"),
        a.get("owner_status", "none"),
        a.get("file_count", 10),
        a.get("personal_files", 0),
        a.get("special_files", 0),
        a.get("entities", {}),
        findings,
    )


@pytest.mark.parametrize("path", CASES, ids=[c.stem for c in CASES])
def test_risk_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    now = case["now"]
    now = datetime(now.year, now.month, now.day) if isinstance(now, date) else datetime.fromisoformat(now)
    book = _book(case)
    drafts = {d.type: d for d in derive(_asset(case), book, now)}
    assert set(drafts) == {e["type"] for e in case["expected"]}, f"{path.name}: {case['description']}"
    for e in case["expected"]:
        d = drafts[e["type"]]
        assert (d.likelihood, d.impact) == (e["likelihood"], e["impact"]), (path.name, d)
        assert book.band(d.score) == e["band"], (path.name, d.score)
        assert d.key == f"asset:1:{e['type']}"
        for key, value in e.get("evidence", {}).items():
            assert d.evidence[key] == value, (path.name, key, d.evidence)


def test_every_risk_type_has_a_case() -> None:
    seen = {e["type"] for c in CASES for e in yaml.safe_load(c.read_text())["expected"]}
    assert seen == set(KINDS)


def test_a_bad_risk_file_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text(
        "version: 1\nbands:\n  - {name: Low, min: 1, max: 4}\nrisks:\n  no_owner:\n    title: x\n"
        "    likelihood: 7\n    impact: 1\n    steps:\n      - {factor: owner, at_least: 3, impact: 1}\n"
    )
    _, problems = check(path)
    text = [str(p) for p in problems]
    assert f"{path}:2: bands: bands must cover every score from 1 to 25 exactly once" in text or any(
        "bands must cover" in t for t in text
    )
    assert f"{path}:7: risks.no_owner.likelihood: Input should be less than or equal to 5" in text
    assert f"{path}:10: risks.no_owner.steps[0]: an owner step needs 'in' (and no at_least)" in text
