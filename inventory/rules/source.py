"""Reads a rule file into plain data plus the line of every key, so each problem can be reported as
``file:line: key: reason``. Built on PyYAML's composed nodes (safe tags only); duplicate keys are errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from scanner import yamltext

Loc = tuple[int | str, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a rule file."""

    file: str
    line: int
    key: str
    reason: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key}: {self.reason}"


@dataclass
class Located:
    """A parsed YAML document and the line (1-based) where each key path starts."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        """The line of the longest known prefix of ``loc``; parts that are not keys (union tags) are skipped."""
        best, i = self.lines.get((), 1), 0
        node: Loc = ()
        while i < len(loc):
            candidate = (*node, loc[i])
            if candidate in self.lines:
                node, best = candidate, self.lines[candidate]
            i += 1
        return best

    def problem(self, loc: Loc, reason: str, warning: bool = False) -> Problem:
        return Problem(str(self.path), self.line_of(loc), key_name(self.keys_only(loc)), reason, warning)

    def keys_only(self, loc: Loc) -> Loc:
        """``loc`` without the tags pydantic adds for a member of a discriminated union ("policies.0.stale")."""
        kept: list[int | str] = []
        for i, part in enumerate(loc):
            is_tag = (
                i > 0
                and isinstance(loc[i - 1], int)
                and isinstance(part, str)
                and i < len(loc) - 1
                and (*kept, part) not in self.lines
            )
            if not is_tag:
                kept.append(part)
        return tuple(kept)


def key_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read(path: Path) -> Located:
    """Parse ``path``; YAML syntax errors and duplicate keys become problems (data is then None)."""
    located = Located(path, None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        located.problems.append(Problem(str(path), 1, "(file)", f"cannot be read ({type(exc).__name__})"))
        return located
    try:
        node = yamltext.compose(text)
        if node is None:
            located.problems.append(Problem(str(path), 1, "(file)", "is empty"))
            return located
        located.data = _build(node, (), located)
    except yaml.YAMLError as exc:  # bad syntax; or a tag no safe loader builds (``!!python/...``, a ``<<`` merge)
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or "syntax error"
        located.data = None
        located.problems.append(Problem(str(path), line, "(file)", f"not valid YAML ({problem})"))
    return located


def _build(node: yaml.Node, loc: Loc, located: Located) -> Any:
    located.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            child = (*loc, str(key))
            if str(key) in out:
                located.problems.append(
                    Problem(str(located.path), key_node.start_mark.line + 1, key_name(child), "duplicate key")
                )
            located.lines[child] = key_node.start_mark.line + 1
            out[str(key)] = _build(value_node, child, located)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), located) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yamltext.construct(node)


def validate(located: Located, model: type[BaseModel]) -> BaseModel | None:
    """Validate the document against ``model``; every error becomes a problem with its line."""
    try:
        return model.model_validate(located.data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"]) + (("kind",) if err["type"] == "union_tag_invalid" else ())
            located.problems.append(located.problem(loc, _reason(err)))
        return None


def _reason(err: Any) -> str:
    kind, msg = err["type"], str(err["msg"])
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "is required"
    if kind == "union_tag_invalid":
        return f"unknown kind {err.get('input', {}).get('kind')!r}; expected one of {err['ctx']['expected_tags']}"
    if kind == "union_tag_not_found":
        return "needs a kind"
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
