"""The frozen facts rule kinds read, and the finding drafts they return. Built from the store by
``inventory/evaluate.py``; rule kinds never touch a session, and take the clock from ``Context.now``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from inventory.register.names import asset_label
from scanner.principals import broad_sid
from scanner.types import AccessFact

EVERYONE = "Everyone"  # local "other" permission bits, and the Windows well-known group


@dataclass(frozen=True, slots=True)
class FileFacts:
    id: int
    source: str
    path: str
    size: int | None = None
    mtime: datetime | None = None
    ctime: datetime | None = None
    mime: str | None = None
    status: str = "ok"
    reason: str | None = None
    asset_id: int | None = None
    asset: str = ""  # "source:folder"
    entities: dict[str, int] = field(default_factory=dict)  # entity type -> occurrences
    special_category: tuple[str, ...] = ()
    marking: str | None = None
    keywords: tuple[str, ...] = ()  # rule keywords found in the text (lower case)
    content_hash: str | None = None  # keyed (HMAC) hash of the bytes, where computed
    access: tuple[AccessFact, ...] = ()  # who can read or write, from mode bits and ACLs
    copies: tuple[str, ...] = ()  # other "source:path" locations with the same content hash
    in_name: dict[str, str] = field(default_factory=dict)  # entity found in the file's "name" or a "folder" name

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def dir(self) -> str:
        return self.path.rpartition("/")[0]

    @property
    def ext(self) -> str:
        name = self.name
        return name.rpartition(".")[2].lower() if "." in name.lstrip(".") else ""

    @property
    def fingerprint(self) -> str:
        """Changes when the file's content changes: what lapses a human decision about it."""
        return self.content_hash or f"{self.size}:{self.mtime.isoformat() if self.mtime else ''}"


@dataclass(frozen=True, slots=True)
class AssetFacts:
    id: int
    source: str
    key: str
    name: str
    owner: str | None = None
    file_count: int = 0
    bytes: int = 0
    personal_files: int = 0
    folders: tuple[str, ...] = ()  # every folder holding a present file
    owner_left: bool = False  # the declared or confirmed owner is disabled in the directory (ownership)

    @property
    def ref(self) -> str:
        return asset_label(self.source, self.key)


@dataclass(frozen=True, slots=True)
class Facts:
    """What one call of a rule kind sees: a batch of files, or the assets (never both)."""

    files: tuple[FileFacts, ...] = ()
    assets: tuple[AssetFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    broad_groups: frozenset[str] = frozenset()  # case-folded principal names treated as broad


@dataclass(frozen=True, slots=True)
class FindingDraft:
    rule: str
    kind: str
    severity: str
    subject: Literal["file", "asset"]
    message: str
    evidence: dict[str, Any]
    file_id: int | None = None
    asset_id: int | None = None
    source: str = ""
    path: str | None = None
    fingerprint: str | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.rule, self.subject, (self.file_id if self.subject == "file" else self.asset_id) or 0)


def file_draft(
    rule: Any,
    f: FileFacts,
    message: str,
    evidence: dict[str, Any],
    kind: str | None = None,
    severity: str | None = None,
) -> FindingDraft:
    return FindingDraft(
        rule.id,
        kind or rule.kind,
        severity or rule.severity,
        "file",
        message,
        evidence,
        file_id=f.id,
        asset_id=f.asset_id,
        source=f.source,
        path=f.path,
        fingerprint=f.fingerprint,
    )


def asset_draft(rule: Any, a: AssetFacts, message: str, evidence: dict[str, Any]) -> FindingDraft:
    return FindingDraft(
        rule.id, rule.kind, rule.severity, "asset", message, evidence, asset_id=a.id, source=a.source, fingerprint=None
    )


def broad_grants(f: FileFacts, rights: tuple[str, ...], ctx: Context) -> list[str]:
    """'principal: right' for each right in ``rights`` a broad group holds on the file (deny entries win)."""
    denied = {(a.principal.casefold(), r) for a in f.access if not a.allow for r in _rights(a.rights)}
    out = []
    for fact in f.access:
        key = fact.principal.casefold()
        sid_name = broad_sid(fact.principal)  # Everyone, Domain Users, ... as an SMB share's DACL names them
        if not fact.allow or not (fact.principal == EVERYONE or key in ctx.broad_groups or sid_name):
            continue
        name = sid_name or fact.principal
        for right in _rights(fact.rights):
            if right in rights and (key, right) not in denied and f"{name}: {right}" not in out:
                out.append(f"{name}: {right}")
    return out


def _rights(rights: str) -> tuple[str, ...]:
    return ("read", "write") if rights == "full" else (rights,)


def local_access(mode: int | None, group: str | None) -> tuple[AccessFact, ...]:
    """Access facts from POSIX permission bits: "other" bits are Everyone; group bits are the file's group."""
    if mode is None:
        return ()
    return _local_access(mode & 0o066, group)


@lru_cache(maxsize=4096)
def _local_access(mode: int, group: str | None) -> tuple[AccessFact, ...]:  # few (bits, group) pairs in a source
    out = []
    if mode & 0o004:
        out.append(AccessFact(EVERYONE, "read"))
    if mode & 0o002:
        out.append(AccessFact(EVERYONE, "write"))
    if group is not None:
        if mode & 0o040:
            out.append(AccessFact(group, "read"))
        if mode & 0o020:
            out.append(AccessFact(group, "write"))
    return tuple(out)


def people_estimate(f: FileFacts, identifiers: tuple[str, ...]) -> int:
    """A rough number of people a file is about: the largest count among identifying entity types."""
    return max((f.entities.get(e, 0) for e in identifiers), default=0)
