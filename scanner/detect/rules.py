"""Strictly validated YAML rule files that tune detection without code.

* ``recognizers.yaml`` — council reference formats (social-care case IDs, council-tax references, ...);
* ``allowlist.yaml`` — values that are not personal data (switchboard, public addresses) and deny entries
  (values or patterns that always count as a given entity);
* ``special_category.yaml`` — term packs for special-category and criminal-offence data.

Every file carries ``version: 1``; an unknown key or bad value raises ConfigError naming the file and key.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from pathlib import Path
from typing import Literal

import regex
import yaml
from presidio_analyzer import Pattern, PatternRecognizer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scanner import yamltext
from scanner.detect.protocol import StewardRecognizer
from scanner.errors import ConfigError

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
ENTITY = r"^[A-Z][A-Z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_regex(value: str) -> str:
    try:
        regex.compile(value)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


class PatternSpec(_Strict):
    name: str = Field(description="Pattern name, shown in explanations.")
    regex: str = Field(description="Regular expression (Python 'regex' syntax; RE2 syntax keeps triage fast).")
    score: float = Field(ge=0.0, le=1.0, description="Score of a match before context and validation.")

    _valid = field_validator("regex")(_check_regex)


class RecognizerSpec(_Strict):
    name: str = Field(description="Recognizer name, shown in explanations and provenance.")
    entity: str = Field(pattern=ENTITY, description="Entity type reported, e.g. COUNCIL_TAX_REF.")
    patterns: tuple[PatternSpec, ...] = Field(min_length=1, description="Patterns that find candidates.")
    context: tuple[str, ...] = Field(default=(), description="Words near a match that raise its score.")
    requires_context: bool = Field(default=False, description="Only report matches with a context word.")
    case_sensitive: bool = Field(default=True, description="Match letters case-sensitively.")
    validator: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_.]*$",
        description="python-stdnum module whose is_valid() must accept the match, e.g. 'luhn' or 'gb.vat'.",
    )


class RecognizersFile(_Strict):
    version: Literal[1] = Field(description="Format version.")
    recognizers: tuple[RecognizerSpec, ...] = Field(default=(), description="Custom recognizers.")


class ListEntry(_Strict):
    entity: str | None = Field(default=None, pattern=ENTITY, description="Entity type; none means any type.")
    values: tuple[str, ...] = Field(default=(), description="Exact values (compared without spaces/case).")
    patterns: tuple[str, ...] = Field(default=(), description="Regular expressions matched against the value.")
    reason: str = Field(default="", description="Why the entry exists (shown to reviewers).")

    _valid = field_validator("patterns")(lambda v: tuple(_check_regex(p) for p in v))


class AllowListFile(_Strict):
    version: Literal[1] = Field(description="Format version.")
    allow: tuple[ListEntry, ...] = Field(default=(), description="Matches that are never reported.")
    deny: tuple[ListEntry, ...] = Field(default=(), description="Values always reported (entity required).")


class TermPack(_Strict):
    label: str = Field(description="Human-readable category name.")
    terms: tuple[str, ...] = Field(min_length=1, description="Words and phrases (case-insensitive).")
    also_names: tuple[str, ...] = Field(
        default=(),
        description="Terms that are also people's names ('Christian', 'Faith'): they do not count capitalised "
        "next to another name word or after a title, nor in a column of names.",
    )


class SpecialCategoryFile(_Strict):
    version: Literal[1] = Field(description="Format version.")
    categories: dict[str, TermPack] = Field(description="Category key (e.g. health) to its term pack.")


class NameCuesFile(_Strict):
    version: Literal[1] = Field(description="Format version.")
    forenames: tuple[str, ...] = Field(description="Forenames that make a capitalised pair a name cue.")


def _load(path: Path, model: type[_Strict]) -> _Strict:
    try:
        data = yamltext.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ConfigError(f"{path}: key '{key}': {err['msg']}") from None


@functools.cache
def load_recognizers(path: Path) -> RecognizersFile:
    return _load(path, RecognizersFile)  # type: ignore[return-value]


@functools.cache
def load_allowlist(path: Path) -> AllowListFile:
    return _load(path, AllowListFile)  # type: ignore[return-value]


@functools.cache
def load_name_cues(path: Path) -> NameCuesFile:
    return _load(path, NameCuesFile)  # type: ignore[return-value]


@functools.cache
def load_special(path: Path) -> SpecialCategoryFile:
    return _load(path, SpecialCategoryFile)  # type: ignore[return-value]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class YamlPatternRecognizer(StewardRecognizer, PatternRecognizer):
    """A recognizer defined in recognizers.yaml (or a deny entry)."""

    def __init__(self, spec: RecognizerSpec):
        flags = "" if spec.case_sensitive else "(?i)"
        patterns = [Pattern(p.name, f"(?-i:{p.regex})" if not flags else p.regex, p.score) for p in spec.patterns]
        super().__init__(
            supported_entity=spec.entity,
            patterns=patterns,
            context=list(spec.context),
            name=spec.name,
        )
        self.requires_context = spec.requires_context
        self.steward_validator = f"stdnum.{spec.validator}" if spec.validator else None
        self._module = spec.validator
        if spec.validator:
            try:
                module = importlib.import_module(f"stdnum.{spec.validator}")
            except ImportError:
                module = None
            if not hasattr(module, "is_valid"):
                raise ConfigError(
                    f"recognizer {spec.name}: key 'validator': no python-stdnum module "
                    f"'{spec.validator}' with is_valid()"
                )

    def validate_result(self, pattern_text: str) -> bool | None:
        if not self._module:
            return None
        module = importlib.import_module(f"stdnum.{self._module}")
        return bool(module.is_valid(pattern_text))


def deny_recognizers(allowlist: AllowListFile, path: Path) -> list[PatternRecognizer]:
    out: list[PatternRecognizer] = []
    for i, entry in enumerate(allowlist.deny):
        if not entry.entity:
            raise ConfigError(f"{path}: key 'deny.{i}.entity': a deny entry needs an entity")
        regexes = [*entry.patterns, *(r"\b" + regex.escape(v) + r"\b" for v in entry.values)]
        spec = RecognizerSpec(
            name=f"DenyList{i}",
            entity=entry.entity,
            case_sensitive=False,
            patterns=tuple(PatternSpec(name=f"deny {i}.{j}", regex=r, score=1.0) for j, r in enumerate(regexes)),
        )
        recognizer = YamlPatternRecognizer(spec)
        recognizer.steward_deny = True
        out.append(recognizer)
    return out
