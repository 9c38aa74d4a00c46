"""The SIRO's maturity read-out: the level an assessor gave, by whom and when, beside the level the measures
support by the rules in risk.yaml."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from inventory.risks.maturity import Readout, assessed, measured
from inventory.risks.scoring import SHIPPED, Dimension, check

MEASURES = {
    "owned_share": 0.0,
    "classified_share": 1.0,
    "overdue_share": 0.9,
    "broad_share": 1.0,
    "writable_share": 0.0,
    "special_open_files": 6.0,
    "high_risks": 4.0,
}


def test_shipped_levels_say_what_the_measures_support() -> None:
    book, problems = check(SHIPPED)
    assert book is not None, problems
    dims = book.maturity
    # nothing owned: asset management cannot reach level 2, whatever the assessment said
    assert dims.asset_management.supported(MEASURES) == 1
    assert dims.asset_management.supported({**MEASURES, "owned_share": 0.6, "overdue_share": 0.5}) == 3
    assert dims.access_security.supported(MEASURES) == 1  # every asset open to all staff
    assert dims.access_security.supported({**MEASURES, "broad_share": 0.1, "special_open_files": 0}) == 4


def test_a_level_counts_only_when_every_lower_level_holds() -> None:
    dim = Dimension.model_validate(
        {
            "levels": {
                2: [{"measure": "owned_share", "at_least": 0.5}],
                3: [{"measure": "high_risks", "at_most": 0}],
            }
        }
    )
    assert dim.supported({**MEASURES, "high_risks": 0.0}) == 1  # level 3's bound holds, level 2's does not


def test_the_readout_says_who_assessed_and_when_or_that_it_is_not_recorded() -> None:
    told = Readout("Asset Management", 3, 4, "lifecycle", (), "Internal Audit", date(2025, 3, 4), 1)
    assert assessed(told) == "Assessed at level 3 (Developing) by Internal Audit on 04 March 2025"
    assert "support level 1 (Ad hoc)" in measured(told)
    untold = Readout("Asset Management", 3, 4, "lifecycle", ())
    assert "who assessed it and when is not recorded" in assessed(untold)


def test_a_bad_level_is_named_with_file_line_and_key(tmp_path: Path) -> None:
    text = SHIPPED.read_text().replace(
        "      2: [{measure: broad_share, at_most: 0.75}]", "      1: [{measure: broad_share}]"
    )
    path = tmp_path / "risk.yaml"
    path.write_text(text)
    book, problems = check(path)
    assert book is None and any("maturity.access_security.levels" in str(p) for p in problems), problems
