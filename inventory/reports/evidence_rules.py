"""``rules/evidence.yaml``: the audit actions and ICO expectations the evidence pack maps to measured data.
Validated strictly (``file:line: key: reason``) through the line-keeping loader of ``inventory.rules.source``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inventory.rules.source import Problem, read, validate
from scanner.errors import ConfigError

FILE_NAME = "evidence.yaml"
SHIPPED = Path(__file__).resolve().parents[2] / "rules" / FILE_NAME
Measure = Literal[
    "owned_share",
    "confirmed_share",
    "register_fresh_share",
    "risks_decided_share",
    "risks_overdue",
    "classified_share",
    "overdue_share",
    "disposal_approved_share",
    "broad_share",
    "special_open_files",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expectation(_Strict):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = Field(min_length=1)
    says: str = Field(min_length=1)
    measure: Measure
    better: Literal["higher", "lower"] = "higher"
    met: float
    partly: float
    evidence: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> Expectation:
        if self.better == "higher" and self.partly > self.met:
            raise ValueError("partly must not be above met when higher is better")
        if self.better == "lower" and self.partly < self.met:
            raise ValueError("partly must not be below met when lower is better")
        return self

    def status(self, value: float) -> str:
        """met, partly met or not met for the measured value."""
        higher = self.better == "higher"
        if value >= self.met if higher else value <= self.met:
            return "met"
        if value >= self.partly if higher else value <= self.partly:
            return "partly met"
        return "not met"


class EvidenceFile(_Strict):
    version: Literal[1]
    expectations: tuple[Expectation, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> EvidenceFile:
        ids = [e.id for e in self.expectations]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"expectation id {dupes[0]!r} is used more than once")
        return self


def check(path: Path) -> tuple[EvidenceFile | None, list[Problem]]:
    located = read(path)
    doc = validate(located, EvidenceFile) if located.data is not None and not located.problems else None
    return (doc if isinstance(doc, EvidenceFile) else None), located.problems


def load(rules_dir: Path) -> EvidenceFile:
    """The rules directory's evidence.yaml, else the shipped one; ConfigError naming the first problem."""
    path = rules_dir / FILE_NAME if (rules_dir / FILE_NAME).exists() else SHIPPED
    doc, problems = check(path)
    if doc is None:
        raise ConfigError(str(problems[0]) if problems else f"{path}: (file): cannot be read")
    return doc
