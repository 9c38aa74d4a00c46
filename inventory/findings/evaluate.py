"""Evaluates the rule files over one source after its scan: streams file facts from the store in batches
(``inventory.findings.stream``), runs the retention schedule and every enabled policy, syncs the findings and
fills the register's retention columns. When nothing the findings depend on has changed or come due the
evaluation is skipped; when only some files changed or came due, only those files (and every asset) are
evaluated; a changed rule file or setting, asset or owner evaluates every file (``inventory.findings.due``,
``inventory.findings.scope``). Either way the findings and the register are those of a full evaluation."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.findings import due
from inventory.findings.models import Finding
from inventory.findings.register import KeptWriter, write_register
from inventory.findings.scope import in_scope
from inventory.findings.stream import Copies, Kept, copies_digest, group_name, load_assets, load_copies, stream_facts
from inventory.findings.sync import FindingSync, SyncCounts
from inventory.rules import ASSET_KINDS, FILE_KINDS, Rulebook, retention, run_policy
from inventory.rules.facts import AssetFacts, Context, Facts, FileFacts
from inventory.rules.schema import DuplicatePolicy

log = logging.getLogger(__name__)
FULL_SHARE = 4  # a scope holding more than a quarter of the files is evaluated in full: the same, in fewer queries


@dataclass(frozen=True)
class EvalSummary:
    files: int
    findings: SyncCounts
    open_by_kind: dict[str, int]
    skipped: bool = False  # nothing had changed or come due: the stored findings stand
    full: bool = True  # every file was evaluated (else only those in scope: ``inventory.findings.scope``)


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
    """Evaluate the rules over ``source``: skipped (``EvalSummary.skipped``) when nothing they depend on has
    changed or come due since the last evaluation, over the files in scope when only files did (``full`` False
    in the summary), over every file when ``full`` is asked or anything else changed."""
    ctx = Context(now, broad_set(config))
    assets = load_assets(session, source)
    inputs = due.inputs_digest(book, config, assets)
    current = due.EvalState(inputs, 0, None, due.last_decision(session, source), now, due.assets_digest(assets))
    previous = due.last_state(session, source)
    if not full and due.up_to_date(session, source, book, previous, current, now):
        if previous is not None:  # carried onto this run, however many quiet runs follow; the findings stand now
            due.save_state(session, source, run_id, replace(previous, checked=now))
        session.commit()
        return EvalSummary(0, SyncCounts(), _open_by_kind(session, source), skipped=True)
    event = due.last_event(session)
    duplicates = any(isinstance(p, DuplicatePolicy) for p in book.enabled)
    copies = load_copies(session, source) if duplicates else Copies()
    scope = None
    if not full and previous is not None and not due.needs_full(previous, inputs, now):
        scope = in_scope(session, source, previous.last_event, now, copies if duplicates else None)
        present = sum(a.file_count for a in assets.values())
        if len(scope) * FULL_SHARE > present:
            scope = None
    checked = previous.checked if previous else None
    sync = FindingSync(session, source, now, run_id, config.rules.decisions_lapse_on, files=scope, checked=checked)
    n = _evaluate_files(session, book, ctx, source, assets, copies, scope, sync)
    asset_facts = Facts(assets=tuple(assets.values()))
    for policy in book.enabled:
        if policy.kind in ASSET_KINDS:
            sync.add(run_policy(policy, asset_facts, ctx))
    counts = sync.finish()
    if book.retention is not None:
        write_register(session, source)
    state = replace(current, last_event=event, next_due=due.next_hold_date(book, now), checked=now)
    due.save_state(session, source, run_id, state)
    session.commit()
    log.info("%s: rules evaluated over %s", source, f"{n:,} files" if scope is None else f"{n:,} files in scope")
    return EvalSummary(n, counts, _open_by_kind(session, source), full=scope is None)


def _evaluate_files(
    session: Session,
    book: Rulebook,
    ctx: Context,
    source: str,
    assets: dict[str, AssetFacts],
    copies: Copies,
    scope: Collection[int] | None,
    sync: FindingSync,
) -> int:
    """The retention schedule and every file policy over the present files of ``scope`` (None: every file), and
    what each file keeps for the next evaluation; the number of files."""
    file_policies = [p for p in book.enabled if p.kind in FILE_KINDS]
    order = retention.ordered(book.retention) if book.retention else None
    dates = due.FileDue(book, ctx.now)
    n, writer = 0, KeptWriter(session)
    for batch in stream_facts(session, source, assets, copies, scope):
        n += len(batch.files)
        facts = Facts(files=batch.files)
        kept: dict[int, Kept] = {}
        if book.retention is not None:
            sync.add(_retention(book, facts, ctx, order, dates, kept))
        else:
            kept = {f.id: Kept(None, None, dates.of(f, None), copies_digest(f.copies)) for f in batch.files}
        for policy in file_policies:
            sync.add(run_policy(policy, facts, ctx))
        writer.add(batch.kept, kept)
    writer.flush()
    return n


def _open_by_kind(session: Session, source: str) -> dict[str, int]:
    rows = session.execute(
        select(Finding.kind, func.count())
        .where(Finding.source == source, Finding.status == "open")
        .group_by(Finding.kind)
    ).all()
    return {str(k): int(v) for k, v in rows}


def _retention(
    book: Rulebook, facts: Facts, ctx: Context, order: Any, dates: due.FileDue, kept: dict[int, Kept]
) -> Iterator[Any]:
    assert book.retention is not None
    for f, disposition, draft in retention.evaluate(book.retention, facts.files, ctx, order):
        kept[f.id] = _kept(f, disposition, dates)
        if draft is not None:
            yield draft


def _kept(f: FileFacts, d: retention.Disposition, dates: due.FileDue) -> Kept:
    disposal = d.due if d.hold is None else None
    return Kept(d.cls.id, disposal, dates.of(f, d), copies_digest(f.copies))


__all__ = ["EvalSummary", "broad_set", "evaluate_source"]
