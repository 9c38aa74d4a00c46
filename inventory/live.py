"""Records files of a live folder as the watcher reports them: read, recorded, rolled up, within seconds.

Each batch is a scan run of its own (trigger ``watch``) so every change it records has a run, as in a full scan.
It never marks anything deleted (only a complete walk can know that) and never touches a scan run in progress.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory.assets import roll_up
from inventory.config import StewardConfig
from inventory.evaluate import evaluate_source
from inventory.keys import hash_key
from inventory.models import ScanRun
from inventory.record import Recorder, ScanBusy, status_counts, utcnow
from inventory.rules import load_rulebook
from inventory.scan import provenance, reading_for
from scanner import __version__
from scanner.crawlers import crawler_for
from scanner.pipeline import Job, observe_stream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveOutcome:
    run_id: int
    seen: int
    read: int


def busy_elsewhere(session: Session, source: str) -> int | None:
    """The pid of another live process on this host scanning ``source``, if any."""
    pid = session.scalar(
        select(ScanRun.pid).where(
            ScanRun.source == source, ScanRun.status == "running", ScanRun.host == socket.gethostname()
        )
    )
    if pid and pid != os.getpid():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid
    return None


def record_paths(
    factory: sessionmaker[Session], config: StewardConfig, config_hash: str, source_id: str, paths: list[str]
) -> LiveOutcome | None:
    """Read and record the given files (relative paths) of one source; None when none of them is there."""
    source = config.source(source_id)
    crawler = crawler_for(source)
    entry_at = getattr(crawler, "entry_at", None)
    if entry_at is None:
        raise ScanBusy(f"source {source_id!r} cannot be watched (kind {source.kind})")
    entries = [e for e in map(entry_at, paths) if e is not None]
    if not entries:
        return None
    depth = source.asset_depth or config.assets.depth
    book = load_rulebook(config.rules.dir)
    with factory() as session:
        other = busy_elsewhere(session, source_id)
        if other:
            raise ScanBusy(f"source {source_id!r} is being scanned by process {other}")
        run = ScanRun(
            source=source_id,
            started_at=utcnow(),
            status="watching",
            trigger="watch",
            host=socket.gethostname(),
            pid=os.getpid(),
            steward_version=__version__,
            config_hash=config_hash,
            provenance=provenance(config),
        )
        session.add(run)
        session.commit()
        recorder = Recorder(session, run, depth, checkpoint_every=config.scan.checkpoint_every)
        todo = [e for e in entries if recorder.needs_content(e)]
        job = Job(source, config.limits.to_limits(), config.detection, hash_key(config), reading_for(book))
        for obs in observe_stream(todo, job, workers=1):
            recorder.record(obs)
        recorder.checkpoint()
        run.counts = status_counts(session, run)
        run.status, run.finished_at = "completed", utcnow()
        session.commit()
        if recorder.read:
            roll_up(session, source_id, str(source.root))
            evaluate_source(session, config, book, source_id, utcnow(), run.id)  # the new file's findings now
        return LiveOutcome(run.id, recorder.seen, recorder.read)
