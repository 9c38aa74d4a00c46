"""Rule files and rule kinds.

    book, problems = check_dir(rules_dir)       # every problem, with file and line (``steward rules check``)
    book = load_rulebook(rules_dir)             # or ConfigError naming the first problem
    drafts = run_policy(policy, facts, ctx)     # KINDS[policy.kind]: a pure function of facts and the clock

Steward reads two files of the rules directory: ``retention.yaml`` (classes and disposal holds) and
``policies.yaml``; ``risk.yaml`` (risk scoring) is checked here and read by ``inventory.risks``. The detection
files beside them (recognizers, allow-list, special-category terms) are read and checked by ``scanner.detect``
when a scan starts; any other YAML file is reported as a warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from inventory.rules import (
    bulk_export,
    duplicate,
    exposure,
    identifier_in_name,
    naming,
    owner_left,
    stale,
    third_party_licensed,
    unowned,
    unscannable,
)
from inventory.rules.facts import Context, Facts, FindingDraft
from inventory.rules.schema import DuplicatePolicy, Match, PoliciesFile, Policy, RetentionFile, cross_checks
from inventory.rules.source import Problem, read, validate
from scanner import yamltext
from scanner.errors import ConfigError

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "rules"
RULE_FILES: dict[str, type[BaseModel]] = {"retention.yaml": RetentionFile, "policies.yaml": PoliciesFile}
OTHER_FILES = {
    "recognizers.yaml": "detection",
    "allowlist.yaml": "detection",
    "special_category.yaml": "detection",
    "name_cues.yaml": "detection",
    "owners.yaml": "ownership",
    "risk.yaml": "risk scoring",
    "evidence.yaml": "the evidence pack",
}
Kind = Callable[[Any, Facts, Context], Iterator[FindingDraft]]
KINDS: dict[str, Kind] = {
    "exposure": exposure.evaluate,
    "third_party_licensed": third_party_licensed.evaluate,
    "stale": stale.evaluate,
    "duplicate": duplicate.evaluate,
    "naming": naming.evaluate,
    "identifier_in_name": identifier_in_name.evaluate,
    "unscannable": unscannable.evaluate,
    "bulk_export": bulk_export.evaluate,
    "unowned": unowned.evaluate,
    "owner_left": owner_left.evaluate,
}
FILE_KINDS = frozenset(KINDS) - {"unowned", "owner_left"}
ASSET_KINDS = frozenset({"unowned", "owner_left", "naming"})


@dataclass(frozen=True)
class Rulebook:
    directory: Path
    retention: RetentionFile | None = None
    policies: tuple[Policy, ...] = ()
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def enabled(self) -> tuple[Policy, ...]:
        return tuple(p for p in self.policies if p.enabled)

    @property
    def keywords(self) -> tuple[str, ...]:
        """Every content keyword a rule asks about (the scan looks for these while it reads text)."""
        found = {k.lower() for _, m in _matches(self.retention, self.policies) for k in m.keywords}
        return tuple(sorted(found))

    @property
    def hashing(self) -> tuple[int | None, bool]:
        """(minimum size, personal data) of files the scan must hash for the duplicate policies."""
        dup = [p for p in self.enabled if isinstance(p, DuplicatePolicy)]
        if not dup:
            return None, False
        return min(int(p.min_size) for p in dup), any(p.personal_data for p in dup)


def run_policy(policy: Policy, facts: Facts, ctx: Context) -> Iterator[FindingDraft]:
    return KINDS[policy.kind](policy, facts, ctx)


FileCheck = Callable[[Path], list[Problem]]


def check_schema(model: type[BaseModel]) -> FileCheck:
    """A check of another package's YAML file against its schema (e.g. detection's name cues): every problem
    with its file, line, key and reason."""

    def check(path: Path) -> list[Problem]:
        located = read(path)
        if located.data is not None and not located.problems:
            validate(located, model)
        return located.problems

    return check


def check_dir(directory: Path, others: Mapping[str, FileCheck] | None = None) -> tuple[Rulebook | None, list[Problem]]:
    """Validate the rule files of ``directory``; the rulebook is None when any error was found. ``others`` checks
    the files other packages own (risk scoring, detection lists) by file name, when present."""
    problems: list[Problem] = []
    if not directory.is_dir():
        return None, [Problem(str(directory), 1, "(directory)", "is not a readable folder")]
    docs: dict[str, Any] = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")):
        if path.name not in RULE_FILES:
            if path.name not in OTHER_FILES:
                problems.append(
                    Problem(
                        str(path),
                        1,
                        "(file)",
                        f"not a file Steward reads (expected {' or '.join(RULE_FILES)}); ignored",
                        warning=True,
                    )
                )
            continue
        located = read(path)
        doc = validate(located, RULE_FILES[path.name]) if located.data is not None and not located.problems else None
        if doc is not None:
            for loc, reason in cross_checks(doc) + _categories(doc, directory):
                located.problems.append(located.problem(loc, reason))
            docs[path.name] = doc
        problems.extend(located.problems)
    if not any((directory / name).exists() for name in RULE_FILES):
        problems.append(Problem(str(directory), 1, "(directory)", f"holds neither {' nor '.join(RULE_FILES)}"))
    problems.extend(_shared_ids(directory, docs))
    for name, check in (others or {}).items():
        if (directory / name).exists():
            problems.extend(check(directory / name))
    if any(not p.warning for p in problems):
        return None, problems
    policies: PoliciesFile | None = docs.get("policies.yaml")
    digests = {name: hashlib.sha256((directory / name).read_bytes()).hexdigest()[:16] for name in docs}
    return Rulebook(directory, docs.get("retention.yaml"), policies.policies if policies else (), digests), problems


def class_names(directory: Path) -> dict[str, str]:
    """Retention class id -> the name the schedule gives it, for people (empty when the rules cannot be read)."""
    path = directory / "retention.yaml"
    try:
        return dict(_class_names(path, path.stat().st_mtime))
    except OSError:
        return {}


@cache
def _class_names(path: Path, mtime: float) -> tuple[tuple[str, str], ...]:
    located = read(path)
    doc = validate(located, RetentionFile) if located.data is not None and not located.problems else None
    return tuple((c.id, c.name) for c in doc.classes) if isinstance(doc, RetentionFile) else ()


def load_rulebook(directory: Path) -> Rulebook:
    book, problems = check_dir(directory)
    errors = [p for p in problems if not p.warning]
    if book is None:
        more = f" (and {len(errors) - 1} more problem(s): run `steward rules check`)" if len(errors) > 1 else ""
        raise ConfigError(f"{errors[0]}{more}")
    return book


def _matches(retention: RetentionFile | None, policies: tuple[Policy, ...]) -> Iterator[tuple[tuple[Any, ...], Match]]:
    if retention is not None:
        for i, cls in enumerate(retention.classes):
            if cls.match is not None:
                yield from _nested(("classes", i, "match"), cls.match)
    for i, policy in enumerate(policies):
        if policy.where is not None:
            yield from _nested(("policies", i, "where"), policy.where)


def _nested(loc: tuple[Any, ...], m: Match) -> Iterator[tuple[tuple[Any, ...], Match]]:
    yield loc, m
    for j, sub in enumerate(m.any_of):
        yield from _nested((*loc, "any_of", j), sub)


def _categories(doc: BaseModel, directory: Path) -> list[tuple[tuple[int | str, ...], str]]:
    """special_category names must be ones the detection term packs define (a typo would match nothing)."""
    known = _known_categories(directory)
    if known is None:
        return []
    pairs = _matches(
        doc if isinstance(doc, RetentionFile) else None, doc.policies if isinstance(doc, PoliciesFile) else ()
    )
    out = []
    for loc, m in pairs:
        for name in m.special_category:
            if name != "any" and name not in known:
                out.append(
                    (
                        (*loc, "special_category"),
                        f"unknown category {name!r} (special_category.yaml has: {', '.join(sorted(known))})",
                    )
                )
    return out


def _known_categories(directory: Path) -> set[str] | None:
    path = directory / "special_category.yaml"
    try:
        data = yamltext.safe_load(path.read_text(encoding="utf-8"))
        return set(data["categories"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return None


def _shared_ids(directory: Path, docs: dict[str, Any]) -> list[Problem]:
    """Finding rule ids come from class, hold and policy ids, so one id must not name two rules."""
    seen: dict[str, str] = {}
    out = []
    retention: RetentionFile | None = docs.get("retention.yaml")
    policies: PoliciesFile | None = docs.get("policies.yaml")
    named = [(c.id, "retention.yaml", "classes") for c in (retention.classes if retention else ())]
    named += [(h.id, "retention.yaml", "holds") for h in (retention.holds if retention else ())]
    named += [(p.id, "policies.yaml", "policies") for p in (policies.policies if policies else ())]
    for rid, name, where in named:
        if rid in seen and seen[rid] != where:
            out.append(
                Problem(
                    str(directory / name),
                    1,
                    f"{where}.id",
                    f"{rid!r} is also the id of one of the {seen[rid]}; rule ids must be unique",
                )
            )
        seen.setdefault(rid, where)
    return out
