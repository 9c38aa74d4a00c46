"""Pydantic models of the rule files: ``retention.yaml`` (classes and disposal holds) and ``policies.yaml``
(one model per policy ``kind``). Field validators check what can be checked alone (regexes, globs, periods);
``cross_checks`` what needs the whole file (unique ids and priorities, the default class)."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ByteSize, ConfigDict, Field, PositiveInt, field_validator, model_validator

from inventory.rules.periods import parse_period
from scanner.globs import compile_glob

Severity = Literal["info", "low", "medium", "high", "critical"]
Category = Literal["Minor", "Normal", "Major", "Permanent", "Exceptions"]
Action = Literal["destroy", "review", "transfer_to_archive", "retain_permanently"]
DateKind = Literal["financial_year", "closed", "left", "iso_date", "year"]
Status = Literal[
    "ok",
    "encrypted",
    "too_large",
    "timeout",
    "deferred",
    "corrupt",
    "unsupported",
    "unreadable",
    "denied",
    "vanished",
    "special",
    "link",
]
ID = r"^[a-z0-9][a-z0-9_-]*$"
GENERIC_ENTITIES = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "DATE_OF_BIRTH",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "URL",
        "LOCATION",
        "DATE_TIME",
        "NRP",
        "MEDICAL_LICENSE",
        "CRYPTO",
    }
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@cache
def compile_name(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def check_globs(value: tuple[str, ...]) -> tuple[str, ...]:
    for glob in value:
        if not glob or glob.startswith("/"):
            raise ValueError(f"glob {glob!r} must be relative to the source root (no leading '/')")
        compile_glob(glob)
    return value


def check_regexes(value: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in value:
        try:
            compile_name(pattern)
        except re.error as exc:
            raise ValueError(f"regular expression {pattern!r} is invalid ({exc})") from None
    return value


class Match(Strict):
    """Conditions on a file. Every condition given must hold; within one list, any item may match."""

    sources: tuple[str, ...] = Field(default=(), description="Source ids from config.yaml.")
    paths: tuple[str, ...] = Field(default=(), description="Globs over the path under the source root.")
    exclude: tuple[str, ...] = Field(default=(), description="Globs of paths that never match.")
    names: tuple[str, ...] = Field(default=(), description="Regular expressions searched in the file name.")
    extensions: tuple[str, ...] = Field(default=(), description="File extensions, without the dot.")
    mime: tuple[str, ...] = Field(default=(), description="MIME types found by content; a final '*' matches any end.")
    entities: tuple[str, ...] = Field(default=(), description="Entity types found; 'any' = any personal data.")
    special_category: tuple[str, ...] = Field(default=(), description="Special categories found; 'any'.")
    keywords: tuple[str, ...] = Field(default=(), description="Words or phrases found in the text.")
    marking: tuple[str, ...] = Field(default=(), description="Protective markings found.")
    min_size: ByteSize | None = Field(default=None, description="Only files at least this large.")
    any_of: tuple[Match, ...] = Field(default=(), description="At least one of these sets of conditions.")

    @field_validator("paths", "exclude")
    @classmethod
    def _globs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_globs(value)

    @field_validator("names")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_regexes(value)

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.lower().lstrip(".") for v in value)

    @field_validator("mime")
    @classmethod
    def _mime(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not re.fullmatch(r"[a-z0-9.+-]+/(?:\*|[a-zA-Z0-9.+_-]+\*?)", item):
                raise ValueError(
                    f"{item!r} is not a MIME type (like 'application/pdf', 'image/*' or 'application/vnd.ms-*')"
                )
        return value

    @field_validator("entities")
    @classmethod
    def _entities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item != "any" and item not in GENERIC_ENTITIES and not re.fullmatch(r"UK_[A-Z0-9_]+", item):
                raise ValueError(
                    f"unknown entity type {item!r} (use 'any', a UK_... type or one of "
                    f"{', '.join(sorted(GENERIC_ENTITIES))})"
                )
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(len(k.strip()) < 3 for k in value):
            raise ValueError("keywords must be at least 3 characters")
        return tuple(k.strip() for k in value)

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not any(getattr(self, f) for f in type(self).model_fields if f != "exclude"):
            raise ValueError("gives no condition, so it would match every file; say what to match")
        return self


def _period(value: str | None) -> str | None:
    if value is not None:
        parse_period(value)
    return value


class Trigger(Strict):
    """When the retention period starts."""

    event: Literal["modified", "created", "path_date"] = Field(description="The start of the period.")
    patterns: tuple[DateKind, ...] = Field(
        default=("financial_year", "closed", "left", "iso_date"),
        description="For path_date: which kinds of date to look for in the folder and file names.",
    )
    otherwise: Literal["modified", "created", "none"] = Field(
        default="none", description="For path_date: what starts the period when no date is in the path."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"event": value} if isinstance(value, str) else value


class RetentionClass(Strict):
    id: str = Field(pattern=ID, description="Short stable identifier (lower case, digits, - and _).")
    name: str = Field(description="What the class covers, as the schedule says it.")
    category: Category = Field(description="The simplified schedule's category.")
    priority: int = Field(default=0, description="Higher wins when several classes match a file.")
    match: Match | None = Field(default=None, description="Which files belong to the class.")
    period: str | None = Field(default=None, description="How long to keep, e.g. '3y', '18 months', '90d'.")
    trigger: Trigger = Field(default=Trigger(event="modified"), description="When the period starts.")
    action: Action = Field(default="destroy", description="What happens when the period has passed.")
    mandate: str = Field(description="The legal or guidance source for the period.")
    severity: Severity = Field(default="medium", description="Severity of a past-retention finding.")

    @field_validator("period")
    @classmethod
    def _check_period(cls, value: str | None) -> str | None:
        return _period(value)

    @model_validator(mode="after")
    def _consistent(self) -> RetentionClass:
        if self.category == "Permanent" or self.action == "retain_permanently":
            if self.period is not None:
                raise ValueError("a permanent class has no period")
            if (self.category, self.action) != ("Permanent", "retain_permanently"):
                raise ValueError("category Permanent goes with action retain_permanently, and only with it")
        elif self.period is None:
            raise ValueError("needs a period (only Permanent classes have none)")
        return self


class Hold(Strict):
    """Suspends disposal of the files it covers, and is reported with them."""

    id: str = Field(pattern=ID, description="Short stable identifier.")
    reason: Literal["legal_hold", "foi", "subject_access", "inquiry", "audit", "other"] = Field(
        description="Why disposal is suspended."
    )
    reference: str | None = Field(default=None, description="Case, request or inquiry reference.")
    paths: tuple[str, ...] = Field(default=(), description="Globs of held paths (any source).")
    assets: tuple[str, ...] = Field(default=(), description="Held assets, as 'source:folder'.")
    since: date = Field(description="When the hold was placed.")
    until: date | None = Field(default=None, description="When it ends (none = until removed).")
    note: str | None = Field(default=None, description="Anything the owner should know.")

    @field_validator("paths")
    @classmethod
    def _check_globs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_globs(value)

    @field_validator("assets")
    @classmethod
    def _asset_refs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for ref in value:
            if ":" not in ref:
                raise ValueError(f"asset {ref!r} must be written 'source:folder'")
        return value

    @model_validator(mode="after")
    def _covers(self) -> Hold:
        if not self.paths and not self.assets:
            raise ValueError("must name paths or assets")
        return self


class RetentionFile(Strict):
    version: Literal[1] = Field(description="Format version.")
    default: str = Field(description="Id of the class for files no other class matches.")
    classes: tuple[RetentionClass, ...] = Field(min_length=1, description="The retention classes.")
    holds: tuple[Hold, ...] = Field(default=(), description="Disposal holds.")


class PolicyBase(Strict):
    id: str = Field(pattern=ID, description="Short stable identifier, shown with each finding.")
    severity: Severity = Field(description="How serious a breach is.")
    description: str | None = Field(default=None, description="What the policy is for.")
    enabled: bool = Field(default=True, description="False keeps the policy but does not evaluate it.")
    where: Match | None = Field(default=None, description="Only files matching these conditions.")


class ExposurePolicy(PolicyBase):
    kind: Literal["exposure"] = Field(description="Personal data open to broad groups.")
    data: Literal["personal", "special_category"] = Field(default="personal", description="What must be held.")
    rights: tuple[Literal["read", "write"], ...] = Field(
        default=("read", "write"), min_length=1, description="Which broad rights count."
    )


class ThirdPartyPolicy(PolicyBase):
    kind: Literal["third_party_licensed"] = Field(description="Licensed data writable by broad groups.")
    where: Match = Field(description="Where the licensed data is (paths, extensions, formats).")
    licence: str = Field(description="The licence, e.g. 'Ordnance Survey PSGA member licence'.")
    rights: tuple[Literal["read", "write"], ...] = Field(
        default=("write",), min_length=1, description="Which broad rights count."
    )


class StalePolicy(PolicyBase):
    kind: Literal["stale"] = Field(description="Not modified for a period.")
    period: str = Field(default="3y", description="How long without a change, e.g. '3y'.")

    @field_validator("period")
    @classmethod
    def _check_period(cls, value: str) -> str:
        parse_period(value)
        return value


class DuplicatePolicy(PolicyBase):
    kind: Literal["duplicate"] = Field(description="The same content in more than one place.")
    min_size: ByteSize = Field(default=ByteSize(10 * 1024**2), description="Files at least this large are hashed.")
    personal_data: bool = Field(default=True, description="Files holding personal data are hashed at any size.")


class NamePattern(Strict):
    id: str = Field(pattern=ID, description="Short identifier of the convention broken.")
    regex: str = Field(description="Regular expression searched (case-insensitive) in the name.")
    message: str = Field(description="What is wrong and what the convention says instead.")

    @field_validator("regex")
    @classmethod
    def _check_regex(cls, value: str) -> str:
        return check_regexes((value,))[0]


class NamingPolicy(PolicyBase):
    kind: Literal["naming"] = Field(description="Names breaking the naming convention.")
    patterns: tuple[NamePattern, ...] = Field(min_length=1, description="Patterns a name must not contain.")
    folders: bool = Field(default=True, description="Check folder names too (one finding per asset).")


class IdentifierInNamePolicy(PolicyBase):
    kind: Literal["identifier_in_name"] = Field(description="Identifiers or people's names in file or folder names.")
    severities: dict[str, Severity] = Field(
        default_factory=dict, description="Severity by entity type (others take the policy's severity)."
    )
    broad_raise: bool = Field(
        default=True, description="One level higher where broad groups can read the file (anyone can list it)."
    )


class UnscannablePolicy(PolicyBase):
    kind: Literal["unscannable"] = Field(description="Files whose content Steward could not read.")
    statuses: tuple[Status, ...] = Field(
        default=("encrypted", "unreadable", "denied"), min_length=1, description="Outcomes reported."
    )


class BulkExportPolicy(PolicyBase):
    kind: Literal["bulk_export"] = Field(description="Old exports holding personal data about many people.")
    where: Match = Field(description="The export folders.")
    min_people: PositiveInt = Field(default=100, description="More people than this (estimated).")
    older_than: str = Field(default="30d", description="Older than this since last modified.")
    identifiers: tuple[str, ...] = Field(
        default=("PERSON", "UK_NHS", "UK_NINO", "EMAIL_ADDRESS", "UK_UPN", "DATE_OF_BIRTH", "PHONE_NUMBER"),
        description="Entity types whose largest count estimates the number of people.",
    )

    @field_validator("older_than")
    @classmethod
    def _check_period(cls, value: str) -> str:
        parse_period(value)
        return value


class UnownedPolicy(PolicyBase):
    kind: Literal["unowned"] = Field(description="An asset with no owner.")
    min_files: PositiveInt = Field(default=1, description="Only assets with at least this many files.")


class OwnerLeftPolicy(PolicyBase):
    kind: Literal["owner_left"] = Field(description="An asset whose owner has left (disabled in the directory).")


Policy = Annotated[
    ExposurePolicy
    | ThirdPartyPolicy
    | StalePolicy
    | DuplicatePolicy
    | NamingPolicy
    | IdentifierInNamePolicy
    | UnscannablePolicy
    | BulkExportPolicy
    | UnownedPolicy
    | OwnerLeftPolicy,
    Field(discriminator="kind"),
]


class PoliciesFile(Strict):
    version: Literal[1] = Field(description="Format version.")
    policies: tuple[Policy, ...] = Field(description="The policies.")


def cross_checks(doc: BaseModel) -> list[tuple[tuple[int | str, ...], str]]:
    """Problems that need the whole file: duplicate ids and priorities, the default class."""
    out: list[tuple[tuple[int | str, ...], str]] = []
    if isinstance(doc, RetentionFile):
        _unique(out, "classes", [c.id for c in doc.classes], "id")
        ids = {c.id: i for i, c in enumerate(doc.classes)}
        if doc.default not in ids:
            out.append((("default",), f"names no class (have: {', '.join(ids)})"))
        for i, cls in enumerate(doc.classes):
            if cls.id == doc.default and cls.match is not None:
                out.append((("classes", i, "match"), "the default class covers every file; it takes no match"))
            if cls.id != doc.default and cls.match is None:
                out.append((("classes", i), "needs a match (only the default class has none)"))
        matched = [c for c in doc.classes if c.match is not None]
        seen: dict[int, str] = {}
        for cls in matched:
            if cls.priority in seen:
                out.append(
                    (
                        ("classes", ids[cls.id], "priority"),
                        f"{cls.priority} is also the priority of {seen[cls.priority]!r}; priorities decide "
                        "between matching classes, so they must differ",
                    )
                )
            seen[cls.priority] = cls.id
        _unique(out, "holds", [h.id for h in doc.holds], "id")
    if isinstance(doc, PoliciesFile):
        _unique(out, "policies", [p.id for p in doc.policies], "id")
    return out


def _unique(out: list[tuple[tuple[int | str, ...], str]], where: str, ids: list[str], key: str) -> None:
    for i, value in enumerate(ids):
        if value in ids[:i]:
            out.append(((where, i, key), f"{value!r} is used more than once"))
