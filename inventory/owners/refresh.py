"""The store side of ownership and access: after each scan, every asset of the source gets its access summary,
its owner candidates with evidence, and its owner — a person's decision first, then the declared mapping, then
the proposal above the threshold. Decisions are rows in owner_decisions; a re-scan never undoes one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.owners.access import AccessPolicy, AccessSummary, AccessTally, summarise
from inventory.owners.config import DeclaredOwner, access_policy
from inventory.owners.directory import Directory, DirectoryError, Person, load_directory
from inventory.owners.inference import FileFacts, infer, proposal
from inventory.owners.models import AssetOwnership, FolderRecord, OwnerDecision
from inventory.runs.record import utcnow
from inventory.store.keys import hash_key
from inventory.store.models import Asset, FileRecord
from scanner.config import DatabaseSource
from scanner.crawlers.database import split_table_path

log = logging.getLogger(__name__)
DECIDING = ("confirm", "correct")  # decisions that name the owner; "decline" and "revert" do not


@dataclass(frozen=True)
class DirectoryState:
    directory: Directory
    problem: str | None = None  # why the directory could not be read (ownership then works on what it has)
    # A configured directory could not be read: ``directory`` is then the last state read successfully
    # (``remembered_at``), or empty when none was ever read, and nothing is resolved or closed for want of it.
    degraded: bool = False
    remembered_at: datetime | None = None
    configured: bool = True  # False: no directory in the config (nothing to remember or fall back on)


def open_directory(config: StewardConfig) -> DirectoryState:
    if config.directory is None:
        return DirectoryState(
            Directory(()), "no directory is configured: principals cannot be resolved to people", configured=False
        )
    try:
        return DirectoryState(load_directory(config.directory, hash_key(config)))
    except DirectoryError as exc:
        log.error("%s; the last directory state read successfully is used", exc)
        return DirectoryState(Directory((), hash_key(config)), str(exc), degraded=True)


def declared_for(asset: Asset, declared: tuple[DeclaredOwner, ...]) -> DeclaredOwner | None:
    """The longest declared path prefix (source:folder) covering the asset."""
    best: DeclaredOwner | None = None
    for entry in declared:
        source, _, prefix = entry.path.partition(":")
        prefix = prefix.strip("/")
        covers = source == asset.source and (not prefix or asset.key == prefix or asset.key.startswith(prefix + "/"))
        if covers and (best is None or len(prefix) > len(best.path.partition(":")[2].strip("/"))):
            best = entry
    return best


def source_declared(config: StewardConfig, asset: Asset) -> tuple[DeclaredOwner, ...]:
    """Owners declared on the source itself (a database source's owner and schema_owners)."""
    source = next((s for s in config.sources if s.id == asset.source), None)
    if not isinstance(source, DatabaseSource):
        return ()
    owner = source.schema_owners.get(split_table_path(asset.key)[0]) or source.owner
    return (DeclaredOwner(path=f"{asset.source}:{asset.key}", owner=owner),) if owner else ()


def active_decision(session: Session, asset_id: int) -> OwnerDecision | None:
    """The confirmation or correction in force for the asset, if any."""
    return session.scalars(
        select(OwnerDecision)
        .where(
            OwnerDecision.asset_id == asset_id, OwnerDecision.action.in_(DECIDING), OwnerDecision.reverted_at.is_(None)
        )
        .order_by(OwnerDecision.id.desc())
    ).first()


def declined(session: Session, asset_ids: list[int]) -> dict[int, dict[str, OwnerDecision]]:
    """Per asset, the people who said they do not own it (by directory key): never proposed for it again."""
    out: dict[int, dict[str, OwnerDecision]] = {}
    rows = session.scalars(
        select(OwnerDecision).where(OwnerDecision.action == "decline", OwnerDecision.reverted_at.is_(None))
    )
    wanted = set(asset_ids)
    for d in rows:
        if d.asset_id in wanted:
            out.setdefault(d.asset_id, {})[(d.person_key or "").lower()] = d
    return out


def refresh_ownership(
    session: Session, config: StewardConfig, source: str, state: DirectoryState, asset_ids: set[int] | None = None
) -> int:
    """Recompute access and ownership for the present assets of one source (or only ASSET_IDS of it)."""
    policy = access_policy(config.rules.broad_groups)
    query = select(Asset).where(Asset.source == source, Asset.deleted_at.is_(None))
    if asset_ids is not None:
        query = query.where(Asset.id.in_(asset_ids))
    assets = list(session.scalars(query))
    now = utcnow()
    summaries = _Summaries(policy)
    declines = declined(session, [a.id for a in assets])
    for asset in assets:
        folder = session.scalars(
            select(FolderRecord).where(FolderRecord.source == source, FolderRecord.path == asset.key)
        ).first()
        folder_summary = summaries.of(folder.acl, folder.mode, folder.uid, folder.gid) if folder else None
        tally = AccessTally()
        writers = folder_summary.writers if folder_summary else ()
        inference = infer(
            asset.name,
            _file_facts(session, asset, summaries, tally),
            writers,
            folder.owner if folder else None,
            state.directory,
            config.owners,
            now,
        )
        refused = declines.get(asset.id, {})
        if refused:
            inference = replace(
                inference,
                candidates=tuple(c for c in inference.candidates if c.key.lower() not in refused),
                notes=(
                    *inference.notes,
                    *(
                        f"{d.person_name or d.person_key} declined ownership on {d.at:%Y-%m-%d}: {d.reason}"
                        for d in refused.values()
                    ),
                ),
            )
        asset.access = _named(tally.result(folder_summary), state.directory)
        notes = list(inference.notes) + ([state.problem] if state.problem else [])
        existing = session.get(AssetOwnership, asset.id)
        row = existing or AssetOwnership(asset_id=asset.id)
        row.notes, row.computed_at = notes, now
        session.add(row)
        if existing is not None and state.degraded and state.remembered_at is None:
            continue  # the directory was never read and cannot be now: the owner stands as it was
        row.candidates = [c.as_dict() for c in inference.candidates]
        _decide(session, asset, row, config, state.directory, inference, refused)
    session.commit()
    return len(assets)


def _named(access: dict[str, Any], directory: Directory) -> dict[str, Any]:
    """Readers and writers by name (people "Alice Smith (asmith)", groups "Highways Staff (group)", well-known SIDs
    "NT AUTHORITY\\SYSTEM"), and with a directory, how many people can read and change the asset: members of
    nested groups counted, groups of everybody counted as every enabled person."""
    for field, count in (("readers", "people_read"), ("writers", "people_write")):
        principals = access[field]
        access[count] = len(directory.people_behind(principals)) if len(directory) else None
        access[field] = [directory.label(principal) for principal in principals]
    return access


class _Summaries:
    """Access summaries, computed once per distinct (ACL, mode, uid, gid): most files inherit their folder's."""

    def __init__(self, policy: AccessPolicy) -> None:
        self.policy = policy
        self.known: dict[tuple[Any, ...], AccessSummary] = {}

    def of(self, acl: Any, mode: int | None, uid: int | None, gid: int | None) -> AccessSummary:
        key = (json.dumps(acl, sort_keys=True) if acl else None, mode, uid, gid)
        found = self.known.get(key)
        if found is None:
            if len(self.known) > 10_000:
                self.known.clear()
            found = self.known[key] = summarise(acl or None, mode, uid, gid, self.policy)
        return found


def _file_facts(session: Session, asset: Asset, summaries: _Summaries, tally: AccessTally) -> Iterator[FileFacts]:
    """The asset's present files as ownership facts, streamed; each file's access is added to ``tally``."""
    rows = session.execute(
        select(
            FileRecord.owner,
            FileRecord.size,
            FileRecord.mtime,
            FileRecord.authors,
            FileRecord.acl,
            FileRecord.mode,
            FileRecord.uid,
            FileRecord.gid,
        )
        .where(FileRecord.source == asset.source, FileRecord.asset_key == asset.key, FileRecord.deleted_at.is_(None))
        .execution_options(yield_per=2000)
    )
    for owner, size, mtime, authors, acl, mode, uid, gid in rows:
        tally.add(summaries.of(acl, mode, uid, gid))
        yield FileFacts(owner, size or 0, mtime, tuple(authors or ()))


def _decide(
    session: Session,
    asset: Asset,
    row: AssetOwnership,
    config: StewardConfig,
    directory: Directory,
    inference: Any,
    refused: dict[str, OwnerDecision],
) -> None:
    decision = active_decision(session, asset.id)
    declared = declared_for(asset, config.owners.declared + source_declared(config, asset))
    if declared is not None:
        named = directory.resolve(declared.owner)
        if (named.key if named else declared.owner).lower() in refused:
            declared = None
    top = proposal(inference, config.owners.threshold)
    if decision is not None:
        person = directory.get(decision.person_key)
        _set(
            asset,
            row,
            decision.person_key,
            person,
            decision.person_name,
            "confirmed",
            None,
            [f"{decision.action}ed by {decision.by} on {decision.at:%Y-%m-%d}: {decision.reason}"],
            unresolved=person is None and len(directory) > 0,
        )
    elif declared is not None:
        person = directory.resolve(declared.owner)
        _set(
            asset,
            row,
            person.key if person else declared.owner,
            person,
            declared.owner,
            "declared",
            None,
            [f"declared in config for {declared.path}"],
            unresolved=person is None and len(directory) > 0,
        )
        if declared.service:
            asset.service = declared.service
    elif top is not None:
        _set(asset, row, top.key, directory.get(top.key), top.name, "proposed", top.confidence, list(top.evidence))
    else:
        _set(asset, row, None, None, None, "none", None, [])
    if not (declared and declared.service):
        owner = directory.get(row.owner_key)
        asset.service = (
            config.assets.service_for(asset.source, asset.key)
            or (owner.department if owner else None)
            or inference.matched_department
        )


def _set(
    asset: Asset,
    row: AssetOwnership,
    key: str | None,
    person: Person | None,
    fallback: str | None,
    status: str,
    confidence: float | None,
    evidence: list[str],
    unresolved: bool = False,
) -> None:
    """``unresolved``: the directory knows no such person, so the owner is shown as unresolved, never as valid."""
    if unresolved:
        fallback = f"{fallback or key} (unresolved: not in the directory)"
        evidence = [*evidence, "the owner is not found in the directory: unresolved"]
    asset.owner = person.name if person else fallback
    asset.owner_status, asset.owner_confidence = status, round(confidence, 2) if confidence is not None else None
    row.owner_key, row.owner_email = key, person.email if person else None
    row.owner_enabled = person.enabled if person else None
    if person is not None and not person.enabled:
        evidence = [*evidence, "the owner has left (account disabled in the directory)"]
    row.evidence = evidence
