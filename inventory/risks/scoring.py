"""``rules/risk.yaml``: the documented, configurable scoring of derived risks. Validated strictly (every problem
as ``file:line: key: reason``, through the line-keeping loader of ``inventory.rules.source``); a pure scorer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from inventory.rules.source import Problem, read, validate
from scanner.errors import ConfigError

FILE_NAME = "risk.yaml"
SHIPPED = Path(__file__).resolve().parents[2] / "rules" / FILE_NAME
RiskTypeName = Literal[
    "special_open",
    "past_retention",
    "no_owner",
    "licensed_writable",
    "encrypted_unknown",
    "duplicate_personal",
    "bulk_export",
]
RISK_TYPES: tuple[str, ...] = get_args(RiskTypeName)
Factor = Literal["files", "people", "special", "children", "criminal", "breadth", "days_past", "bytes", "owner"]
OWNER_STATES = ("none", "proposed", "declared", "confirmed", "left")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    name: str = Field(min_length=1)
    min: int = Field(ge=1, le=25)
    max: int = Field(ge=1, le=25)


class Step(_Strict):
    factor: Factor
    at_least: float | None = Field(default=None, ge=0)
    in_: tuple[Literal["none", "proposed", "declared", "confirmed", "left"], ...] | None = Field(
        default=None, alias="in"
    )
    likelihood: int = Field(default=0, ge=-4, le=4)
    impact: int = Field(default=0, ge=-4, le=4)

    @model_validator(mode="after")
    def _condition(self) -> Step:
        if self.factor == "owner":
            assert self.in_ is not None and self.at_least is None, "an owner step needs 'in' (and no at_least)"
        else:
            assert self.at_least is not None and self.in_ is None, f"a {self.factor} step needs 'at_least'"
        assert self.likelihood or self.impact, "a step must raise likelihood or impact"
        return self

    def holds(self, evidence: Evidence) -> bool:
        if self.factor == "owner":
            return evidence.owner in (self.in_ or ())
        return float(getattr(evidence, self.factor)) >= (self.at_least or 0)


class RiskType(_Strict):
    title: str = Field(min_length=1)
    enabled: bool = True
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    steps: tuple[Step, ...] = ()


class Sensitivity(_Strict):
    children: tuple[str, ...] = ("safeguarding",)
    criminal: tuple[str, ...] = ("criminal_offence",)


MEASURES = (
    "owned_share",  # assets with a confirmed or declared owner
    "classified_share",  # assets whose files fall under the retention schedule
    "overdue_share",  # assets holding files past retention
    "broad_share",  # assets open to all staff
    "writable_share",  # assets writable by all staff
    "special_open_files",  # special-category files open to all staff
    "high_risks",  # high risks open
)


class Condition(_Strict):
    """One measure's bound for a level: at least or at most a value (shares are 0-1, the others counts)."""

    measure: Literal[
        "owned_share",
        "classified_share",
        "overdue_share",
        "broad_share",
        "writable_share",
        "special_open_files",
        "high_risks",
    ]
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Condition:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least or at_most")
        return self

    def holds(self, measures: Mapping[str, float]) -> bool:
        value = measures[self.measure]
        return value >= self.at_least if self.at_least is not None else value <= (self.at_most or 0)


class Dimension(_Strict):
    """A maturity dimension of the council's information-management assessment (levels 1-5): the level an
    assessor gave (who and when), the target, and per level the measures that would support it."""

    baseline: int = Field(default=3, ge=1, le=5)
    target: int = Field(default=4, ge=1, le=5)
    assessed_by: str | None = Field(default=None, min_length=1)
    assessed_on: date | None = None
    levels: dict[int, tuple[Condition, ...]] = Field(default_factory=dict)

    @field_validator("levels")
    @classmethod
    def _levels_2_to_5(cls, levels: dict[int, tuple[Condition, ...]]) -> dict[int, tuple[Condition, ...]]:
        bad = sorted(set(levels) - {2, 3, 4, 5})
        if bad:
            raise ValueError(f"level {bad[0]} has no conditions to meet (levels 2 to 5 do; 1 needs none)")
        return dict(sorted(levels.items()))

    def supported(self, measures: Mapping[str, float]) -> int | None:
        """The highest level whose conditions, and every lower level's, the measures meet (1 when none); None when
        no level has conditions."""
        if not self.levels:
            return None
        reached = 1
        for lvl in range(2, 6):
            conditions = self.levels.get(lvl)
            if conditions is None or not all(c.holds(measures) for c in conditions):
                break
            reached = lvl
        return reached


class Maturity(_Strict):
    asset_management: Dimension = Dimension()
    access_security: Dimension = Dimension()


class RiskFile(_Strict):
    version: Literal[1]
    bands: tuple[Band, ...] = (
        Band(name="Low", min=1, max=4),
        Band(name="Medium", min=5, max=11),
        Band(name="High", min=12, max=25),
    )
    sensitivity: Sensitivity = Sensitivity()
    maturity: Maturity = Maturity()
    risks: dict[RiskTypeName, RiskType]

    @field_validator("bands")
    @classmethod
    def _bands_cover(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        covered = sorted(n for b in bands for n in range(b.min, b.max + 1))
        assert covered == list(range(1, 26)), "bands must cover every score from 1 to 25 exactly once"
        return bands

    def band(self, score: int) -> str:
        return next(b.name for b in self.bands if b.min <= score <= b.max)

    def by_severity(self, counts: Mapping[str, int]) -> list[tuple[str, int]]:
        """Counts per band, most severe band first (the order every figure lists them in)."""
        order = [b.name for b in sorted(self.bands, key=lambda b: -b.min)]
        return [(name, counts[name]) for name in order if counts.get(name)]

    def describe_bands(self, counts: Mapping[str, int]) -> str:
        """ "7 High, 17 Medium, 8 Low", or "none"."""
        return ", ".join(f"{n} {name}" for name, n in self.by_severity(counts)) or "none"


class Evidence(BaseModel):
    """What a risk's score is computed from (counts and dates only, never a value)."""

    model_config = ConfigDict(frozen=True)

    files: int = 0
    people: int = 0
    special: int = 0
    children: int = 0
    criminal: int = 0
    breadth: int = 0
    days_past: int = 0
    bytes: int = 0
    owner: str = "none"


def score(rule: RiskType, evidence: Evidence) -> tuple[int, int]:
    """(likelihood, impact) on 1-5: the base plus every step that holds, capped."""
    likelihood, impact = rule.likelihood, rule.impact
    for step in rule.steps:
        if step.holds(evidence):
            likelihood, impact = likelihood + step.likelihood, impact + step.impact
    return max(1, min(5, likelihood)), max(1, min(5, impact))


def check(path: Path) -> tuple[RiskFile | None, list[Problem]]:
    located = read(path)
    doc = validate(located, RiskFile) if located.data is not None and not located.problems else None
    return (doc if isinstance(doc, RiskFile) and not located.problems else None), located.problems


@cache
def _load(path: Path, mtime: float) -> RiskFile:
    doc, problems = check(path)
    if doc is None:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ConfigError(f"{problems[0]}{more}")
    return doc


def load(rules_dir: Path) -> RiskFile:
    """The rules directory's risk.yaml, else the shipped one; ConfigError naming the first problem."""
    path = rules_dir / FILE_NAME if (rules_dir / FILE_NAME).exists() else SHIPPED
    return _load(path, path.stat().st_mtime)
