"""Owner inference for one asset, from evidence a person can check: pure functions, no store, no clock.

Evidence, per person the directory knows (service and IT accounts excluded by pattern or department):

- **bytes** — the share of the asset's bytes in files the person owns, changes in the last ``recent_days``
  counting double;
- **documents** — the share of the asset's documents naming the person as author or last editor;
- **write access** — the person may change the asset's folder (explicitly, not through a group), or owns it;
- **department** — the person's department matches the folder name;
- **manager** — up to ``manager_levels`` up the chain, a manager inherits their reports' bytes and documents
  evidence (in full one level up, discounted by ``MANAGER_DISCOUNT`` per further level) and a small bonus for
  heading the people who hold the evidence: an Information Asset Owner is usually a head of service, so on
  equal evidence the manager ranks above the report.

Each signal has a weight (``WEIGHTS``); a candidate's confidence is their weighted sum, capped at 1. Leavers
(disabled accounts) are listed and flagged, never proposed.
"""

from __future__ import annotations

import pwd
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatch

from inventory.owners.config import OwnersConfig
from inventory.owners.directory import Directory, Person

WEIGHTS = {"bytes": 0.4, "documents": 0.25, "write": 0.1, "folder_owner": 0.05, "department": 0.2, "heads": 0.1}
MANAGER_DISCOUNT = 0.8  # per level beyond the first up the chain


@dataclass(frozen=True)
class FileFacts:
    owner: str | None
    size: int
    mtime: datetime | None
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    key: str
    name: str
    email: str | None
    department: str | None
    confidence: float
    evidence: tuple[str, ...]
    enabled: bool = True
    manages: bool = False  # heads people who hold evidence: ranks first on equal confidence

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "email": self.email,
            "department": self.department,
            "confidence": round(self.confidence, 2),
            "evidence": list(self.evidence),
            "enabled": self.enabled,
        }


@dataclass
class _Tally:
    bytes_share: float = 0.0
    recent_share: float = 0.0
    docs: int = 0
    write: bool = False
    folder_owner: bool = False
    department: str | None = None
    managed: float = 0.0
    reports: list[str] = field(default_factory=list)
    reports_bytes: float = 0.0  # the share of the bytes owned by the people they manage


@dataclass(frozen=True)
class Inference:
    candidates: tuple[Candidate, ...]
    notes: tuple[str, ...]  # principals the directory could not resolve, accounts left out, ...
    matched_department: str | None = None


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def department_match(folder: str, departments: Iterable[str]) -> str | None:
    """The directory department the folder name names ("Highways" ~ "highways team"), if any."""
    name = normalise(folder)
    if len(name) < 3:
        return None
    for dept in sorted(departments, key=len, reverse=True):
        d = normalise(dept)
        if len(d) >= 3 and (d == name or d in name or name in d):
            return dept
    return None


def excluded(person: Person, config: OwnersConfig) -> bool:
    """IT and service accounts are never owners."""
    if person.department and person.department.lower() in {d.lower() for d in config.exclude_departments}:
        return True
    return any(fnmatch(person.key.lower(), pattern.lower()) for pattern in config.exclude_accounts)


def infer(
    folder_name: str,
    files: Iterable[FileFacts],
    writers: Iterable[str],
    folder_owner: str | None,
    directory: Directory,
    config: OwnersConfig,
    now: datetime,
) -> Inference:
    """Ranked owner candidates for one asset, each with a confidence and the evidence in words. ``files`` is
    read once, so it can stream from the store."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    notes: list[str] = []
    docs_total = _bytes_and_documents(files, directory, config, now, tallies, notes)
    for principal in writers:
        person = directory.resolve(principal)
        if person is not None and not excluded(person, config):
            tallies[person.key].write = True
    owner = directory.resolve(folder_owner)
    if owner is not None and not excluded(owner, config):
        tallies[owner.key].folder_owner = True
    matched = department_match(folder_name, directory.departments())
    if matched:
        for person in directory.people.values():
            boss = directory.get(person.manager)
            heads_it = boss is None or boss.department != matched
            if person.department == matched and (person.key in tallies or heads_it):
                tallies[person.key].department = matched
    _managers(tallies, directory, config, docs_total)
    candidates = [
        _candidate(directory.people[k], t, docs_total, config)
        for k, t in tallies.items()
        if k in directory.people and not excluded(directory.people[k], config)
    ]
    ranked = sorted(candidates, key=lambda c: (-round(c.confidence, 2), not c.manages, c.name))[: config.candidates]
    return Inference(tuple(ranked), tuple(notes), matched)


def _bytes_and_documents(
    files: Iterable[FileFacts],
    directory: Directory,
    config: OwnersConfig,
    now: datetime,
    tallies: dict[str, _Tally],
    notes: list[str],
) -> int:
    """Byte shares and document counts per person, in one pass; returns the number of documents with authors."""
    recent_since = now - timedelta(days=config.recent_days)
    weights: dict[str, float] = defaultdict(float)
    recent: dict[str, float] = defaultdict(float)
    unresolved: dict[str, int] = defaultdict(int)
    left_out: set[str] = set()
    total = recent_total = 0.0
    docs_total = 0
    for f in files:
        docs_total += bool(f.authors)
        is_recent = f.mtime is not None and f.mtime >= recent_since
        weight = f.size * (2 if is_recent else 1)
        total += weight
        recent_total += f.size if is_recent else 0
        person = directory.resolve(f.owner)
        if person is None:
            if f.owner:
                unresolved[f.owner] += 1
        elif excluded(person, config):
            left_out.add(person.key)
        else:
            weights[person.key] += weight
            recent[person.key] += f.size if is_recent else 0
        for author in f.authors:  # keyed digests, never names (scanner.principals.principal_digest)
            writer = directory.author(author)
            if writer is not None and not excluded(writer, config):
                tallies[writer.key].docs += 1
    for key, owned in weights.items():
        tallies[key].bytes_share = owned / total if total else 0.0
        tallies[key].recent_share = recent[key] / recent_total if recent_total else 0.0
    for principal, n in sorted(unresolved.items()):
        notes.append(f"{principal_words(principal)} owns {n} file(s) but is not in the directory")
    for key in sorted(left_out):
        notes.append(f"{key} is an IT or service account: not considered")
    return docs_total


def _direct(t: _Tally, docs_total: int) -> float:
    return WEIGHTS["bytes"] * t.bytes_share + WEIGHTS["documents"] * (t.docs / docs_total if docs_total else 0.0)


def _managers(tallies: dict[str, _Tally], directory: Directory, config: OwnersConfig, docs_total: int) -> None:
    for key, tally in list(tallies.items()):
        person = directory.get(key)
        direct = _direct(tally, docs_total)
        if person is None or direct <= 0:
            continue
        for level, boss in directory.managers(person, config.manager_levels):
            boss_tally = tallies[boss.key]
            boss_tally.managed += direct * MANAGER_DISCOUNT ** (level - 1)
            boss_tally.reports.append(person.name)
            boss_tally.reports_bytes += tally.bytes_share


def _candidate(person: Person, t: _Tally, docs_total: int, config: OwnersConfig) -> Candidate:
    evidence: list[str] = []
    if t.managed:  # first: for a head of service this is the reason
        people = sorted(set(t.reports))
        names = ", ".join(people[:-1]) + f" and {people[-1]}" if len(people) > 1 else people[0]
        owns = "owns" if len(people) == 1 else "own"
        evidence.append(
            f"manages {names}, who {owns} {min(t.reports_bytes, 1.0):.0%} of the bytes"
            if t.reports_bytes
            else f"manages {names}, who wrote documents here"
        )
    if t.bytes_share:
        text = f"owns {t.bytes_share:.0%} of the bytes"
        if t.recent_share:
            text += f" ({t.recent_share:.0%} of those changed in the last {_period(config.recent_days)})"
        evidence.append(text)
    if t.docs:
        evidence.append(f"author or last editor of {t.docs} of {docs_total} documents")
    if t.write:
        evidence.append("may change the folder")
    if t.folder_owner:
        evidence.append("owns the folder")
    if t.department:
        evidence.append(f"department {t.department} matches the folder name")
    if not person.enabled:
        evidence.append("has left (account disabled): never proposed")
    score = (
        _direct(t, docs_total)
        + WEIGHTS["write"] * t.write
        + WEIGHTS["folder_owner"] * t.folder_owner
        + WEIGHTS["department"] * bool(t.department)
        + t.managed
        + WEIGHTS["heads"] * bool(t.managed)
    )
    return Candidate(
        person.key,
        person.name,
        person.email,
        person.department,
        min(1.0, score),
        tuple(evidence),
        person.enabled,
        bool(t.managed),
    )


def _period(days: int) -> str:
    return "year" if days == 365 else f"{days} days"


def proposal(inference: Inference, threshold: float) -> Candidate | None:
    """The top enabled candidate at or above the threshold."""
    for candidate in inference.candidates:
        if candidate.enabled and candidate.confidence >= threshold:
            return candidate
    return None


def principal_words(principal: str) -> str:
    """A principal as a person reads it: a local uid by its account name on this machine ("root (uid 0)"),
    anything else (a SID, an account) as recorded."""
    if not principal.isdigit():
        return principal
    try:
        return f"{pwd.getpwuid(int(principal)).pw_name} (uid {principal})"
    except (KeyError, OverflowError):
        return f"uid {principal}"
