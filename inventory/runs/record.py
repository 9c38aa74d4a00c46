"""The write side of a scan: decide what needs reading, record observations, checkpoint, finish.

Incremental by design: an entry whose identity, size and mtime match the store costs a lookup (one
query per folder) and is only marked as seen; a new path with a known identity is a move; what was not
seen by a completed walk is marked deleted. Work is committed every ``checkpoint_every`` files, so a killed
scan resumes where it stopped: on the next run the same run continues and finds its work already done.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from inventory.runs import rows
from inventory.runs.rows import acl_rows, micros
from inventory.store.models import DetectionRow, FileEvent, FileRecord, ScanRun
from scanner import __version__
from scanner.errors import StewardError
from scanner.names import readable, to_store
from scanner.types import FileEntry, FileObservation, Status

log = logging.getLogger(__name__)

# Outcomes decided by a file's content are kept until the file changes; these are tried again every scan.
RETRY = {Status.DENIED.value, Status.VANISHED.value, Status.UNREADABLE.value}
MAX_ERROR_SAMPLES = 10
SEEN_BATCH = 5000  # unchanged files marked as seen per statement batch


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def asset_key(path: str, depth: int) -> str:
    """The folder that makes a file's asset: its first ``depth`` folders ("" for loose files at the root)."""
    folders = path.split("/")[:-1]
    return "/".join(folders[:depth])


class _Known(NamedTuple):
    """What the store holds for one path (the same fields as the rows the folder lookup returns)."""

    id: int
    path: str
    identity: str
    size: int | None
    mtime_us: int | None
    status: str
    deleted_at: datetime | None
    version: str | None = None
    mode: int | None = None
    gid: int | None = None
    acl: list[Any] | None = None


COUNTERS = ("seen", "read", "unchanged", "moved", "bytes_read")


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


OnRecord = Callable[[Session, int, FileObservation], None]


class Recorder:
    """``key_for`` maps a path to its asset key (default: its first ``depth`` folders); ``on_record`` is called
    with the file's id after each observation is recorded, for facts a source kind keeps beside the file row."""

    def __init__(
        self,
        session: Session,
        run: ScanRun,
        depth: int,
        full: bool = False,
        checkpoint_every: int = 500,
        key_for: Callable[[str], str] | None = None,
        on_record: OnRecord | None = None,
    ) -> None:
        self.s, self.run, self.depth, self.full = session, run, depth, full
        self.key_for = key_for or (lambda path: asset_key(path, depth))
        self.on_record = on_record
        self.checkpoint_every = checkpoint_every
        self._dir: str | None = None
        self._known: dict[str, _Known] = {}
        self._seen_ids: list[int] = []
        self._pending = 0
        self._last_commit = time.monotonic()
        self._has_rows = session.scalar(select(FileRecord.id).where(FileRecord.source == run.source).limit(1))
        self.errors: dict[str, list[dict[str, str]]] = defaultdict(list, run.errors or {})
        # Plain counters, copied onto the run at each checkpoint (ORM attribute sets are costly per file).
        self.seen, self.read, self.unchanged, self.moved, self.bytes_read = (getattr(run, c) for c in COUNTERS)

    # -- deciding -------------------------------------------------------------------------------------
    def needs_content(self, entry: FileEntry) -> bool:
        """True when the entry must be read; otherwise it is recorded here (unchanged, moved, or a problem)."""
        self.seen += 1
        known = self._lookup(entry.path)
        if known and known.deleted_at is None and self._same(known, entry):
            if known.status not in RETRY and not self.full:
                if (known.mode, known.gid, known.acl) != (entry.mode, entry.gid, acl_rows(entry)):
                    self._access_changed(known, entry)  # permissions change without touching mtime
                self.unchanged += 1
                self._seen_ids.append(known.id)
                if len(self._seen_ids) >= SEEN_BATCH:
                    self._tick(force=True)
                return False
        elif known is None and self._has_rows and entry.status is Status.OK and self._moved(entry):
            return False
        if entry.status is not Status.OK:
            self.record(FileObservation(entry, None, entry.status, entry.reason))
            return False
        return True

    @staticmethod
    def _same(known: _Known, entry: FileEntry) -> bool:
        return (known.identity, known.size, known.mtime_us, known.version) == (
            entry.identity,
            entry.size,
            micros(entry.mtime),
            entry.version,
        )

    def _access_changed(self, known: _Known, entry: FileEntry) -> None:
        self.s.execute(
            update(FileRecord)
            .where(FileRecord.id == known.id)
            .values(uid=entry.uid, gid=entry.gid, mode=entry.mode, owner=entry.owner, acl=acl_rows(entry))
        )
        self._known[to_store(entry.path)] = known._replace(mode=entry.mode, gid=entry.gid, acl=acl_rows(entry))

    def _lookup(self, path: str) -> _Known | None:
        path = to_store(path)
        folder = path.rpartition("/")[0]
        if folder != self._dir:
            self._dir = folder
            rows = (
                self.s.connection()
                .execute(
                    select(*(getattr(FileRecord, f) for f in _Known._fields)).where(
                        FileRecord.source == self.run.source, FileRecord.dir == folder
                    )
                )
                .all()
                if self._has_rows
                else []
            )
            self._known = {r.path: _Known(*r) for r in rows}
        return self._known.get(path)

    def _moved(self, entry: FileEntry) -> bool:
        """A new path whose identity, size and mtime match a file not yet seen in this run: a rename."""
        row = self.s.execute(
            select(FileRecord.id, FileRecord.path, FileRecord.last_seen_run).where(
                FileRecord.source == self.run.source,
                FileRecord.identity == entry.identity,
                FileRecord.size == entry.size,
                FileRecord.mtime_us == micros(entry.mtime),
                FileRecord.deleted_at.is_(None),
            )
        ).first()
        if row is None or row.last_seen_run == self.run.id:
            return False  # unknown, or a hard link to a file already seen
        self.s.execute(
            update(FileRecord)
            .where(FileRecord.id == row.id)
            .values(**self._path_fields(entry.path), last_seen_run=self.run.id)
        )
        self.s.execute(
            insert(FileEvent).values(file_id=row.id, run_id=self.run.id, kind="moved", at=utcnow(), old_path=row.path)
        )
        self.moved += 1
        self._tick()
        return True

    def _path_fields(self, real: str) -> dict[str, Any]:
        path = to_store(real)  # lossless and storable whatever the name holds (scanner.names)
        folder, _, name = path.rpartition("/")
        ext = name.rpartition(".")[2].lower() if "." in name.lstrip(".") else ""
        return {"path": path, "dir": folder, "name": name, "ext": ext[:40], "asset_key": self.key_for(path)}

    # -- recording ------------------------------------------------------------------------------------
    def record(self, obs: FileObservation) -> int | None:
        """Store one observation; returns the file's id. A row the store refuses (a value too long for a
        column, say) is recorded in its plain form as ``unreadable`` with the reason, and the scan goes on; None
        when even that is refused (the entry is then only counted in the run's error samples)."""
        file_id: int | None = None
        try:
            file_id = self._attempt(obs)
        except rows.REFUSED as exc:
            obs = rows.refused(obs, exc)
            try:
                file_id = self._attempt(obs)
            except rows.REFUSED:
                file_id = None
        entry = obs.entry
        if entry.status is Status.OK:
            self.read += 1
            self.bytes_read += entry.size or 0
        if obs.status is not Status.OK or obs.reason:
            samples = self.errors[obs.status.value if file_id is not None else "unrecorded"]
            if len(samples) < MAX_ERROR_SAMPLES:
                samples.append(rows.sample(entry, obs.reason))
        self._tick()
        return file_id

    def _attempt(self, obs: FileObservation) -> int:
        """Write one observation inside a savepoint, so a refused row undoes only itself."""
        try:
            with self.s.begin_nested():
                return self._write(obs)
        except rows.REFUSED as exc:
            if rows.store_is_down(exc):
                raise
            self._known.pop(to_store(obs.entry.path), None)
            log.warning("%s: the store refused its row (%s)", readable(obs.entry.path), type(exc).__name__)
            raise

    def _write(self, obs: FileObservation) -> int:
        entry, now = obs.entry, utcnow()
        values = rows.file_values(obs, self._path_fields(entry.path), self.run.id, now)
        known = self._lookup(entry.path)
        if known is None:
            inserted = self.s.connection().execute(insert(FileRecord).values(first_seen=now, **values))
            file_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
            kind = "added"
        else:
            file_id = known.id
            self.s.execute(update(FileRecord).where(FileRecord.id == file_id).values(**values))
            self.s.execute(delete(DetectionRow).where(DetectionRow.file_id == file_id))
            kind = "restored" if known.deleted_at is not None else "changed"
        if obs.detections:
            self.s.execute(insert(DetectionRow), rows.detection_rows(obs, file_id))
        self.s.execute(insert(FileEvent).values(file_id=file_id, run_id=self.run.id, kind=kind, at=now))
        if self.on_record is not None:
            self.on_record(self.s, file_id, obs)
        stored = values["path"]
        self._known[stored] = _Known(
            file_id,
            stored,
            entry.identity,
            entry.size,
            micros(entry.mtime),
            obs.status.value,
            None,
            entry.version,
            entry.mode,
            entry.gid,
            acl_rows(entry),
        )
        return file_id

    def _tick(self, force: bool = False) -> None:
        self._pending += 1
        if force or self._pending >= self.checkpoint_every or time.monotonic() - self._last_commit > 5:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Commit what is recorded so far; a killed scan loses at most the files since the last call."""
        for i in range(0, len(self._seen_ids), SEEN_BATCH):
            batch = self._seen_ids[i : i + SEEN_BATCH]
            self.s.connection().execute(
                update(FileRecord).where(FileRecord.id.in_(batch)).values(last_seen_run=self.run.id)
            )
        self._seen_ids.clear()
        for counter in COUNTERS:
            setattr(self.run, counter, getattr(self, counter))
        self.run.errors = {k: list(v) for k, v in self.errors.items()}
        self.s.commit()
        self._pending = 0
        self._last_commit = time.monotonic()

    def finish(self) -> None:
        """After a complete walk: mark what was not seen as deleted, count outcomes, close the run."""
        self.checkpoint()
        now, run = utcnow(), self.run
        gone = and_(
            FileRecord.source == run.source,
            FileRecord.deleted_at.is_(None),
            or_(FileRecord.last_seen_run.is_(None), FileRecord.last_seen_run != run.id),
        )
        gone_ids = list(self.s.scalars(select(FileRecord.id).where(gone)))
        for i in range(0, len(gone_ids), 500):
            ids = gone_ids[i : i + 500]
            self.s.execute(update(FileRecord).where(FileRecord.id.in_(ids)).values(deleted_at=now))
            self.s.execute(
                insert(FileEvent), [{"file_id": f, "run_id": run.id, "kind": "deleted", "at": now} for f in ids]
            )
        run.deleted = len(gone_ids)
        run.counts = status_counts(self.s, run)
        run.status, run.finished_at = "completed", now
        self.s.commit()


def status_counts(session: Session, run: ScanRun) -> dict[str, int]:
    rows = session.execute(
        select(FileRecord.status, func.count())
        .where(FileRecord.source == run.source, FileRecord.last_seen_run == run.id, FileRecord.deleted_at.is_(None))
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
