"""Who can read and write a file or folder, from its facts alone, with broad groups recognised.

``summarise`` is pure: a Windows DACL (AccessFacts, or their stored dicts) and/or POSIX mode bits in, the
principals that can read and write out, plus the *broad* ones among them — Everyone, Authenticated Users,
Domain Users (RID 513 of any domain), BUILTIN\\Users, the groups named in config, and locally "others" (the
world bits) and configured gids. Rule kinds (exposure, third-party licensing) and the register use it.

A DACL is read the way Windows reads a canonical one: a deny entry for a principal (or for Everyone) takes the
right away from that principal; rights are "read", "write" and "full" (both).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from scanner.principals import broad_sid
from scanner.types import AccessFact

BROAD_NAMES = ("everyone", "authenticated users", "domain users", "builtin\\users", "users")
OTHERS = "others"  # POSIX world bits
MAX_LISTED = 50  # principals listed per asset


@dataclass(frozen=True)
class AccessPolicy:
    """What counts as broad here: groups by name or SID (config access.broad_groups) and local gids."""

    broad_groups: tuple[str, ...] = ()
    broad_gids: tuple[int, ...] = ()


@dataclass(frozen=True)
class AccessSummary:
    readers: tuple[str, ...]
    writers: tuple[str, ...]
    broad_read: tuple[str, ...]  # labels of broad principals that can read ("Everyone", "others", ...)
    broad_write: tuple[str, ...]


@cache
def _names(groups: tuple[str, ...]) -> frozenset[str]:
    return frozenset(g.lower() for g in groups)


def broad_label(principal: str, policy: AccessPolicy) -> str | None:
    """A readable name when ``principal`` stands for (nearly) everybody, else None."""
    sid_name = broad_sid(principal)
    if sid_name:
        return sid_name
    if principal == OTHERS:
        return "others (every local account)"
    lowered = principal.lower()
    short = lowered.rpartition("\\")[2]
    if lowered in _names(policy.broad_groups) or lowered in BROAD_NAMES or short in ("domain users",):
        return principal
    if principal.startswith("gid:") and principal[4:].isdigit() and int(principal[4:]) in policy.broad_gids:
        return f"group {principal[4:]}"
    return None


def _fact(raw: AccessFact | Mapping[str, Any] | Sequence[Any]) -> AccessFact:
    """An AccessFact from itself, a stored folder entry (mapping) or a stored file entry [principal, rights, allow]."""
    if isinstance(raw, AccessFact):
        return raw
    if isinstance(raw, Mapping):
        return AccessFact(
            str(raw["principal"]), raw["rights"], bool(raw.get("allow", True)), bool(raw.get("inherited", False))
        )
    principal, rights, allow, *rest = raw
    return AccessFact(str(principal), rights, bool(allow), bool(rest[0]) if rest else False)


def _acl_rights(acl: Iterable[AccessFact | Mapping[str, Any] | Sequence[Any]]) -> dict[str, set[str]]:
    allowed: dict[str, set[str]] = {}
    denied: dict[str, set[str]] = {}
    for fact in map(_fact, acl):
        rights = {"read", "write"} if fact.rights == "full" else {fact.rights}
        (allowed if fact.allow else denied).setdefault(fact.principal, set()).update(rights)
    everyone_denied = denied.get("S-1-1-0", set())
    return {p: r - denied.get(p, set()) - everyone_denied for p, r in allowed.items()}


def _mode_rights(mode: int, uid: int | None, gid: int | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for principal, read_bit, write_bit in (
        (f"uid:{uid}", 0o400, 0o200),
        (f"gid:{gid}", 0o040, 0o020),
        (OTHERS, 0o004, 0o002),
    ):
        if principal.endswith(":None"):
            continue
        rights = ({"read"} if mode & read_bit else set()) | ({"write"} if mode & write_bit else set())
        if rights:
            out[principal] = rights
    return out


def summarise(
    acl: Iterable[AccessFact | Mapping[str, Any] | Sequence[Any]] | None = None,
    mode: int | None = None,
    uid: int | None = None,
    gid: int | None = None,
    policy: AccessPolicy | None = None,
) -> AccessSummary:
    """Readers, writers and the broad ones among them, from a DACL when there is one, else from mode bits."""
    policy = policy or AccessPolicy()
    acl = list(acl or ())
    rights = _acl_rights(acl) if acl else _mode_rights(mode, uid, gid) if mode is not None else {}
    readers = tuple(sorted(p for p, r in rights.items() if "read" in r))
    writers = tuple(sorted(p for p, r in rights.items() if "write" in r))
    return AccessSummary(
        readers,
        writers,
        tuple(sorted({lb for p in readers if (lb := broad_label(p, policy))})),
        tuple(sorted({lb for p in writers if (lb := broad_label(p, policy))})),
    )


class AccessTally:
    """Adds up one asset's files' summaries in one pass (memory bounded by the principals, not the files)."""

    def __init__(self) -> None:
        self.broad_read: set[str] = set()
        self.broad_write: set[str] = set()
        self.readers: set[str] = set()
        self.writers: set[str] = set()
        self.files_read = self.files_write = 0

    def add(self, summary: AccessSummary) -> None:
        self.files_read += bool(summary.broad_read)
        self.files_write += bool(summary.broad_write)
        self.broad_read.update(summary.broad_read)
        self.broad_write.update(summary.broad_write)
        if len(self.readers) < MAX_LISTED:
            self.readers.update(summary.readers)
        if len(self.writers) < MAX_LISTED:
            self.writers.update(summary.writers)

    def result(self, folder: AccessSummary | None) -> dict[str, Any]:
        """The register's access summary: who can read and write the asset's folder (else its files), the broad
        groups that can read or write the folder or any file, and how many files are open to one (a file can be
        more open than its folder)."""
        readers = folder.readers if folder else sorted(self.readers)
        writers = folder.writers if folder else sorted(self.writers)
        return {
            "readers": list(readers)[:MAX_LISTED],
            "writers": list(writers)[:MAX_LISTED],
            "broad_read": sorted(self.broad_read | set(folder.broad_read if folder else ())),
            "broad_write": sorted(self.broad_write | set(folder.broad_write if folder else ())),
            "files_broad_read": self.files_read,
            "files_broad_write": self.files_write,
        }


def asset_access(folder: AccessSummary | None, files: Iterable[AccessSummary]) -> dict[str, Any]:
    """The register's access summary of one asset from its folder's and files' summaries."""
    tally = AccessTally()
    for summary in files:
        tally.add(summary)
    return tally.result(folder)
