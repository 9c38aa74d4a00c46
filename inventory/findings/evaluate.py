"""Evaluates the rule files over one source after its scan: streams file facts from the store in batches
(no per-file queries), runs the retention schedule and every enabled policy, syncs the findings and fills the
register's retention columns. A changed rule file therefore takes effect on the next scan; when nothing the
findings depend on has changed or come due, the evaluation is skipped (``inventory.findings.due``)."""

from __future__ import annotations

import grp
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.findings import due
from inventory.findings.models import Finding
from inventory.findings.sync import FindingSync, SyncCounts
from inventory.owners.models import AssetOwnership
from inventory.rules import ASSET_KINDS, FILE_KINDS, Rulebook, retention, run_policy
from inventory.rules.facts import AssetFacts, Context, Facts, FileFacts, local_access
from inventory.rules.schema import DuplicatePolicy
from inventory.store.models import Asset, DetectionRow, FileRecord
from scanner.types import AccessFact

log = logging.getLogger(__name__)
BATCH = 2000
FILE_COLUMNS = (
    "id",
    "path",
    "size",
    "mtime",
    "ctime",
    "mime",
    "status",
    "reason",
    "asset_key",
    "special_category",
    "marking",
    "keywords",
    "content_hash",
    "mode",
    "gid",
    "acl",
)


@dataclass
class _Register:
    """Per-asset retention figures gathered while the files stream past."""

    classes: Counter[str] = field(default_factory=Counter)
    next_due: datetime | None = None


@dataclass(frozen=True)
class EvalSummary:
    files: int
    findings: SyncCounts
    open_by_kind: dict[str, int]
    skipped: bool = False  # nothing had changed or come due: the stored findings stand


@cache
def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except (KeyError, OverflowError):
        return f"gid:{gid}"


def broad_set(config: StewardConfig) -> frozenset[str]:
    out = set()
    for item in config.rules.broad_groups:
        out.add((group_name(item) if isinstance(item, int) else item).casefold())
        if isinstance(item, int):
            out.add(f"gid:{item}")
    return frozenset(out)


def evaluate_source(
    session: Session,
    config: StewardConfig,
    book: Rulebook,
    source: str,
    now: datetime,
    run_id: int | None = None,
    full: bool = False,
) -> EvalSummary:
    """Evaluate the rules over ``source``; skipped (``EvalSummary.skipped``) when nothing they depend on has
    changed since the last evaluation and nothing has come due (``inventory.findings.due``), unless ``full``."""
    ctx = Context(now, broad_set(config))
    assets = _assets(session, source)
    inputs = due.inputs_digest(book, config, assets, due.last_decision(session, source))
    previous = due.last_state(session, source)
    if not full and previous is not None and due.up_to_date(session, source, book, previous, inputs, now):
        session.execute(
            update(Finding).where(Finding.source == source, Finding.status != "resolved").values(last_seen=now)
        )
        if run_id is not None:  # carried onto this run, so that it is found however many quiet runs follow
            due.save_state(session, source, run_id, previous)
        session.commit()
        return EvalSummary(0, SyncCounts(), _open_by_kind(session, source), skipped=True)
    event = due.last_event(session)
    dates = due.DueDates(book, ctx)
    copies = _copies(session) if any(isinstance(p, DuplicatePolicy) for p in book.enabled) else {}
    sync = FindingSync(session, source, now, run_id, config.rules.decisions_lapse_on)
    file_policies = [p for p in book.enabled if p.kind in FILE_KINDS]
    order = retention.ordered(book.retention) if book.retention else None
    register: dict[str, _Register] = defaultdict(_Register)
    n = 0
    for batch in stream_facts(session, source, assets, copies):
        n += len(batch)
        facts = Facts(files=batch)
        dates.files(batch)
        if book.retention is not None:
            sync.add(_retention(book, facts, ctx, order, register, dates))
        for policy in file_policies:
            sync.add(run_policy(policy, facts, ctx))
    asset_facts = Facts(assets=tuple(assets.values()))
    for policy in book.enabled:
        if policy.kind in ASSET_KINDS:
            sync.add(run_policy(policy, asset_facts, ctx))
    counts = sync.finish()
    if book.retention is not None:
        _write_register(session, source, register)
    due.save_state(session, source, run_id, dates.state(inputs, event))
    session.commit()
    return EvalSummary(n, counts, _open_by_kind(session, source))


def _open_by_kind(session: Session, source: str) -> dict[str, int]:
    rows = session.execute(
        select(Finding.kind, func.count())
        .where(Finding.source == source, Finding.status == "open")
        .group_by(Finding.kind)
    ).all()
    return {str(k): int(v) for k, v in rows}


def _retention(
    book: Rulebook, facts: Facts, ctx: Context, order: Any, register: dict[str, _Register], dates: due.DueDates
) -> Iterator[Any]:
    assert book.retention is not None
    for f, disposition, draft in retention.evaluate(book.retention, facts.files, ctx, order):
        dates.disposition(disposition)
        reg = register[f.asset]
        reg.classes[disposition.cls.id] += 1
        if disposition.due is not None and disposition.hold is None:
            reg.next_due = min(reg.next_due or disposition.due, disposition.due)
        if draft is not None:
            yield draft


def _assets(session: Session, source: str) -> dict[str, AssetFacts]:
    folders: dict[str, list[str]] = defaultdict(list)
    for key, folder in session.execute(
        select(FileRecord.asset_key, FileRecord.dir)
        .where(FileRecord.source == source, FileRecord.deleted_at.is_(None))
        .distinct()
    ):
        folders[key].append(folder)
    left = set(
        session.scalars(
            select(AssetOwnership.asset_id)
            .join(Asset, Asset.id == AssetOwnership.asset_id)
            .where(Asset.source == source, AssetOwnership.owner_enabled.is_(False))
        )
    )
    out = {}
    for a in session.scalars(select(Asset).where(Asset.source == source, Asset.deleted_at.is_(None))):
        out[a.key] = AssetFacts(
            a.id,
            a.source,
            a.key,
            a.name,
            a.owner,
            a.file_count,
            a.bytes,
            a.personal_files,
            tuple(sorted(f for f in folders.get(a.key, ()) if f)),
            a.id in left,
        )
    return out


def _copies(session: Session) -> dict[str, list[str]]:
    """Content hash -> every present "source:path" holding it, for hashes found more than once."""
    present = FileRecord.deleted_at.is_(None) & FileRecord.content_hash.is_not(None)
    repeated = (
        select(FileRecord.content_hash)
        .where(present)
        .group_by(FileRecord.content_hash)
        .having(func.count() > 1)
        .subquery()
    )
    out: dict[str, list[str]] = defaultdict(list)
    for digest, source, path in session.execute(  # the content hash is never None here
        select(FileRecord.content_hash, FileRecord.source, FileRecord.path).where(
            present, FileRecord.content_hash.in_(select(repeated.c.content_hash))
        )
    ):
        out[str(digest)].append(f"{source}:{path}")
    return out


def stream_facts(
    session: Session, source: str, assets: dict[str, AssetFacts], copies: dict[str, list[str]], batch: int = BATCH
) -> Iterator[tuple[FileFacts, ...]]:
    """Present files of ``source`` as facts, ``batch`` at a time: two queries per batch."""
    columns = [getattr(FileRecord, c) for c in FILE_COLUMNS]
    last = 0
    conn = session.connection()
    while True:
        rows = conn.execute(
            select(*columns)
            .where(
                FileRecord.source == source,
                FileRecord.deleted_at.is_(None),
                FileRecord.id > last,
            )
            .order_by(FileRecord.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        lo, hi = rows[0].id, rows[-1].id
        entities: dict[int, dict[str, int]] = defaultdict(dict)
        in_name: dict[int, dict[str, str]] = defaultdict(dict)
        for fid, entity, count, locators in conn.execute(
            select(DetectionRow.file_id, DetectionRow.entity, DetectionRow.count, DetectionRow.locators).where(
                DetectionRow.file_id.between(lo, hi)
            )
        ):
            entities[fid][entity] = count
            where = next((w for w in (locators or ()) if w in ("name", "folder")), None)
            if where:
                in_name[fid][entity] = where
        yield tuple(
            replace(_facts(source, r, entities.get(r.id, {}), assets, copies), in_name=in_name.get(r.id, {}))
            if r.id in in_name
            else _facts(source, r, entities.get(r.id, {}), assets, copies)
            for r in rows
        )
        last = hi


def _facts(
    source: str, r: Any, entities: dict[str, int], assets: dict[str, AssetFacts], copies: dict[str, list[str]]
) -> FileFacts:
    (
        fid,
        path,
        size,
        mtime,
        ctime,
        mime,
        status,
        reason,
        asset_key,
        special,
        marking,
        keywords,
        digest,
        mode,
        gid,
        acl,
    ) = r  # positional: the FILE_COLUMNS order, cheaper than attribute access on 100,000 rows
    asset = assets.get(asset_key)
    access = local_access(mode, group_name(gid) if gid is not None else None)
    if acl:
        access += tuple(AccessFact(p, rights, bool(allow)) for p, rights, allow in acl)
    others: tuple[str, ...] = ()
    if digest and digest in copies:
        here = f"{source}:{path}"
        others = tuple(c for c in copies[digest] if c != here)
    return FileFacts(
        fid,
        source,
        path,
        size,
        mtime,
        ctime,
        mime,
        status,
        reason,
        asset.id if asset else None,
        f"{source}:{asset_key}",
        entities,
        tuple(special or ()),
        marking,
        tuple(keywords or ()),
        digest,
        access,
        others,
    )


def _write_register(session: Session, source: str, register: dict[str, _Register]) -> None:
    past = past_retention(session, source)
    for a in session.scalars(select(Asset).where(Asset.source == source, Asset.deleted_at.is_(None))):
        reg = register.get(f"{source}:{a.key}", _Register())
        a.retention_classes = dict(reg.classes.most_common()) or None
        a.retention_class = reg.classes.most_common(1)[0][0] if reg.classes else None
        a.disposal_date = reg.next_due
        a.past_retention_files, a.past_retention_bytes = past.get(a.id, (0, 0))


def past_retention(session: Session, source: str) -> dict[int, tuple[int, int]]:
    """Per asset, the files (and their bytes) past retention that still need a decision: open retention findings,
    so a file whose finding was dismissed or accepted, or that is on hold, is counted nowhere — the register, the
    report and the disposal list agree."""
    rows = session.execute(
        select(Finding.asset_id, func.count(), func.coalesce(func.sum(FileRecord.size), 0))
        .join(FileRecord, FileRecord.id == Finding.subject_id)
        .where(
            Finding.source == source,
            Finding.kind == "retention",
            Finding.status == "open",
            Finding.subject == "file",
            FileRecord.deleted_at.is_(None),
        )
        .group_by(Finding.asset_id)
    )
    return {a: (n, int(b or 0)) for a, n, b in rows if a is not None}
