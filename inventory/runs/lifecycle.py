"""A scan run's life in the store: opened (or a killed or paused one resumed), paused, failed, finished.

A run that fails or is killed keeps what its checkpoints committed; the next run of the source finds those files
unchanged (a lookup each) and reads only the rest.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.store.models import FileRecord, ScanRun
from scanner import __version__
from scanner.errors import StewardError

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ScanBusy(StewardError):
    """Another live process is scanning the same source."""


def start_run(session: Session, source: str, config_hash: str, provenance: dict[str, Any]) -> ScanRun:
    """Open a run for ``source``, or resume the one a killed scan left open."""
    host, pid = socket.gethostname(), os.getpid()
    open_run = session.scalars(
        select(ScanRun)
        .where(ScanRun.source == source, ScanRun.status.in_(("running", "paused")))
        .order_by(ScanRun.id.desc())
    ).first()
    if open_run is not None:
        other = open_run.pid if open_run.status == "running" and open_run.host == host else None
        if other and other != pid and _alive(other):
            raise ScanBusy(f"source {source!r} is already being scanned by process {open_run.pid}")
        open_run.host, open_run.pid, open_run.resumed = host, pid, open_run.resumed + 1
        open_run.status, open_run.stop_reason, open_run.finished_at = "running", None, None
        open_run.provenance = provenance
        # The walk starts again: its counters describe this attempt (what the killed one recorded is now
        # found unchanged, at the cost of a lookup).
        open_run.seen = open_run.read = open_run.unchanged = open_run.moved = open_run.bytes_read = 0
        session.commit()
        log.info("resuming scan run %d of source %s", open_run.id, source)
        return open_run
    run = ScanRun(
        source=source,
        started_at=utcnow(),
        status="running",
        host=host,
        pid=pid,
        steward_version=__version__,
        config_hash=config_hash,
        provenance=provenance,
    )
    session.add(run)
    session.commit()
    return run


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status_counts(session: Session, run: ScanRun, whole: bool = False) -> dict[str, int]:
    """Files by status: those the run recorded, or with ``whole`` (after a complete walk, when what is present
    is what the walk saw) every present file of the source."""
    seen = FileRecord.deleted_at.is_(None) if whole else FileRecord.last_seen_run == run.id
    rows = session.execute(
        select(FileRecord.status, func.count())
        .where(FileRecord.source == run.source, seen, FileRecord.deleted_at.is_(None))
        .group_by(FileRecord.status)
    )
    return {status: n for status, n in rows}


def pause_run(session: Session, run: ScanRun, reason: str) -> None:
    """Leave a run resumable after a checkpoint: the next scan of its source carries it on."""
    run.status, run.stop_reason, run.finished_at = "paused", reason, utcnow()
    session.commit()


def fail_run(session: Session, run: ScanRun, error: str) -> None:
    session.rollback()
    run.status, run.finished_at, run.error = "failed", utcnow(), error
    session.add(run)
    session.commit()


def busy_elsewhere(session: Session, source: str) -> int | None:
    """The pid of another live process on this host scanning ``source``, if any."""
    pid = session.scalar(
        select(ScanRun.pid).where(
            ScanRun.source == source, ScanRun.status == "running", ScanRun.host == socket.gethostname()
        )
    )
    if pid and pid != os.getpid() and _alive(pid):
        return pid
    return None


def start_watch_run(session: Session, source: str, config_hash: str, provenance: dict[str, Any]) -> ScanRun:
    """A run of its own for files a watcher reported (status ``watching`` until finished); refused with
    ScanBusy while another process on this host walks the source."""
    other = busy_elsewhere(session, source)
    if other:
        raise ScanBusy(f"source {source!r} is being scanned by process {other}")
    run = ScanRun(
        source=source,
        started_at=utcnow(),
        status="watching",
        trigger="watch",
        host=socket.gethostname(),
        pid=os.getpid(),
        steward_version=__version__,
        config_hash=config_hash,
        provenance=provenance,
    )
    session.add(run)
    session.commit()
    return run


def finish_run(session: Session, run: ScanRun) -> None:
    """Close a watch run: its counts by status, completed now."""
    run.counts = status_counts(session, run)
    run.status, run.finished_at = "completed", utcnow()
    session.commit()
