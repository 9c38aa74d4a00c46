"""The write side of a scan: decide what needs reading, record observations, checkpoint, finish.

Incremental by design: an entry whose identity, size and mtime match the store costs a lookup (the stored rows
are read ``READ_AHEAD`` at a time) and nothing is written for it: a folder whose every stored file is seen in one
visit is complete, and only a folder seen in part has its unchanged files marked as seen (in batches of
``SEEN_BATCH``); a new path with a known identity is a move; what was not seen by a completed walk (outside the
complete folders) is marked deleted. Observations are written in bulk, one
multi-row statement per table per batch, and each batch is one transaction committed every ``checkpoint_every``
files (or five seconds), so a killed scan resumes where it stopped: on the next run the same run continues and
finds its work already done.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import ARRAY, Table, TextClause, and_, any_, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session

from inventory.runs import rows
from inventory.runs.lifecycle import (
    ScanBusy,
    busy_elsewhere,
    fail_run,
    finish_run,
    pause_run,
    start_run,
    start_watch_run,
    status_counts,
    utcnow,
)
from inventory.runs.rows import acl_rows, micros
from inventory.sar.index import index_rows, insert_rows, remove_files
from inventory.store.bulk import from_json, insert_many, read_rows
from inventory.store.models import DetectionRow, FileEvent, FileRecord, ScanRun
from scanner.names import readable, to_store
from scanner.types import FileEntry, FileObservation, Status

log = logging.getLogger(__name__)

# Outcomes decided by a file's content are kept until the file changes; these are tried again every scan
# (``deferred``: pages were left for OCR when the run's OCR budget was spent).
RETRY = {Status.DENIED.value, Status.VANISHED.value, Status.UNREADABLE.value, Status.DEFERRED.value}
MAX_ERROR_SAMPLES = 10
SEEN_BATCH = 5000  # unchanged files marked as seen per statement batch
IDLE_WRITE_SECONDS = 0.25  # the least time between two writes made while the workers are all busy
FILES, DETECTIONS, EVENTS = (cast(Table, m.__table__) for m in (FileRecord, DetectionRow, FileEvent))
READ_AHEAD = 5000  # stored files read per query while walking


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
    deleted: bool  # found deleted by an earlier walk
    version: str | None = None
    mode: int | None = None
    gid: int | None = None
    acl: list[Any] | str | None = None  # as the driver gives it: JSON text on SQLite and MariaDB (``from_json``)
    dir: str = ""


COUNTERS = ("seen", "read", "unchanged", "moved", "bytes_read")


OnRecord = Callable[[Session, int, FileObservation], None]
Row = tuple[FileObservation, datetime, dict[str, Any]]  # an observation, when it was taken, its files row
Stored = tuple[int, datetime | None]  # a stored row's id and when it was found deleted


def _folder_sql(session: Session) -> tuple[TextClause, TextClause]:
    """The stored files of the folders from ``:dir`` on in the store's order (``:n`` at most), and of ``:dir``
    alone: plain columns with no conversion (a deletion flag, not its time; the ACL as the driver gives it), for
    rows read by the hundred thousand."""
    quote = session.get_bind().dialect.identifier_preparer.quote
    table = quote(cast(Table, FileRecord.__table__).name)
    names = [f"{quote('deleted_at')} IS NOT NULL" if f == "deleted" else quote(f) for f in _Known._fields]
    head = f"SELECT {', '.join(names)} FROM {table} WHERE {quote('source')} = :source"
    folder = quote("dir")
    ahead = text(f"{head} AND {folder} >= :dir ORDER BY {folder} LIMIT :n")
    return ahead, text(f"{head} AND {folder} = :dir")


class Recorder:
    """``key_for`` maps a path to its asset key (default: its first ``depth`` folders); ``on_record`` is called
    with the file's id after each observation is recorded, for facts a source kind keeps beside the file row."""

    def __init__(
        self,
        session: Session,
        run: ScanRun,
        depth: int,
        full: bool = False,
        checkpoint_every: int = 2000,
        key_for: Callable[[str], str] | None = None,
        on_record: OnRecord | None = None,
    ) -> None:
        self.s, self.run, self.depth, self.full = session, run, depth, full
        self.key_for = key_for or (lambda path: asset_key(path, depth))
        self.on_record = on_record
        self.checkpoint_every = checkpoint_every
        self._dir: str | None = None
        self._known: dict[str, _Known] = {}
        self._seen_ids: list[int] = []  # files seen this run whose mark is still to be written
        # Seen marks without a write per file: a folder whose every present stored file is seen in one visit is
        # "complete" and its unchanged files are never marked; ``finish`` spares complete folders. Only the files
        # of a folder seen in part (a file gone, a walk that comes back to it) are marked one by one.
        self._visit: list[int] = []  # unchanged files of the folder in hand, not marked
        self._visit_paths: set[str] = set()  # its present stored files seen in this visit
        self._present = 0  # its present stored files
        self._complete: set[str] = set()
        self._buffer: list[tuple[FileObservation, datetime]] = []  # observations not yet written
        self._pending = 0
        self._last_commit = self._last_write = time.monotonic()
        self._handed_out = False  # every entry is with the workers: write what is here while they read the rest
        self._all_out = False  # and stays so: from then on, write whenever the workers are all busy (``idle``)
        self._folder_sql = _folder_sql(session)
        self._ahead: dict[str, list[_Known]] = {}  # folders read ahead, not visited yet
        self._has_rows = session.scalar(select(FileRecord.id).where(FileRecord.source == run.source).limit(1))
        # Only a live row this run has not seen can have moved; a first scan has none, so asks no question per file.
        self._may_move = self._has_rows is not None and self._unseen_row()
        self.reads_all = full or self._has_rows is None  # a full or first scan: every file is read
        self.errors: dict[str, list[dict[str, str]]] = defaultdict(list, run.errors or {})
        # Plain counters, copied onto the run at each checkpoint (ORM attribute sets are costly per file).
        self.seen, self.read, self.unchanged, self.moved, self.bytes_read = (getattr(run, c) for c in COUNTERS)

    # -- deciding -------------------------------------------------------------------------------------
    def needs_content(self, entry: FileEntry) -> bool:
        """True when the entry must be read; otherwise it is recorded here (unchanged, moved, or a problem)."""
        self.seen += 1
        known = self._lookup(entry.path)
        if known and not known.deleted:
            self._visit_paths.add(known.path)
        if known and not known.deleted and self._same(known, entry):
            if known.status not in RETRY and not self.full:
                if (
                    known.mode != entry.mode
                    or known.gid != entry.gid
                    or ((known.acl is not None or entry.acl) and from_json(known.acl) != acl_rows(entry))
                ):  # permissions change without touching mtime (no access list on either side: nothing to decode)
                    self._access_changed(known, entry)
                self._kept(known)
                return False
        elif known is None and self._may_move and entry.status is Status.OK and self._moved(entry):
            return False
        if entry.status is not Status.OK:
            self.record(FileObservation(entry, None, entry.status, entry.reason))
            return False
        return True

    def as_stored(self, path: str, identity: str, size: int, mtime_us: int, mode: int, gid: int) -> bool:
        """A regular file the walk saw with no access list and no change token (``Crawler.stat_facts``): recorded
        as unchanged, without an entry made for it, when the store holds it so (True); otherwise nothing is
        counted and its entry goes to ``needs_content`` (False)."""
        if self.full:
            return False
        known = self._lookup(path)
        if (
            known is None
            or known.deleted
            or known.status in RETRY
            or known.version is not None
            or known.acl is not None
            or (known.identity, known.size, known.mtime_us, known.mode, known.gid)
            != (identity, size, mtime_us, mode, gid)
        ):
            return False
        self.seen += 1
        self._visit_paths.add(known.path)
        self._kept(known)
        return True

    def _kept(self, known: _Known) -> None:
        self.unchanged += 1
        self._visit.append(known.id)
        if len(self._visit) >= SEEN_BATCH:  # a huge folder: its marks are written as it goes
            self._seen_ids.extend(self._visit)
            self._visit.clear()
            self._tick(force=True)

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
        # An event, so the rules know this file changed (exposure depends on access, not on content).
        self.s.execute(insert(FileEvent).values(file_id=known.id, run_id=self.run.id, kind="access", at=utcnow()))
        self._known[to_store(entry.path)] = known._replace(mode=entry.mode, gid=entry.gid, acl=acl_rows(entry))

    def _lookup(self, path: str) -> _Known | None:
        path = to_store(path)
        folder = path.rpartition("/")[0]
        if folder != self._dir:
            self._leave()
            self._dir = folder
            self._known = {k.path: k for k in self._folder_rows(folder)} if self._has_rows else {}
            self._present = sum(not k.deleted for k in self._known.values())
        return self._known.get(path)

    def _driver_rows(self, query: TextClause, values: dict[str, Any]) -> list[_Known]:
        return [_Known._make(row) for row in read_rows(self.s.connection(), query, values)]

    def _folder_rows(self, folder: str) -> list[_Known]:
        """The stored files of ``folder``. Read with the folders that follow it in the store's order, READ_AHEAD
        files at a time, so a walk costs a query per few thousand files rather than one per folder."""
        if folder in self._ahead:
            return self._ahead.pop(folder)
        ahead, exact = self._folder_sql
        params = {"source": self.run.source, "dir": folder, "n": READ_AHEAD}
        rows = self._driver_rows(ahead, params)
        groups: dict[str, list[_Known]] = defaultdict(list)
        for known in rows:
            groups[known.dir].append(known)
        if len(rows) >= READ_AHEAD:  # the last folder may be cut short: it is read again when visited
            groups.pop(rows[-1].dir)
            if rows[-1].dir == folder:  # one folder larger than the read-ahead: read on its own
                groups[folder] = self._driver_rows(exact, params)
        self._ahead = dict(groups)
        return self._ahead.pop(folder, [])

    def _leave(self) -> None:
        """The walk is done with the folder in hand (or may be): complete when this visit saw every present
        stored file of it, else the unchanged files it saw are marked seen at the next checkpoint."""
        if self._dir is not None and self._present and len(self._visit_paths) >= self._present:
            self._complete.add(self._dir)
        else:
            self._seen_ids.extend(self._visit)
        self._visit = []
        self._visit_paths = set()
        self._present = 0

    def _seen_before(self, file_id: int, folder: str, path: str, last_run: int | None) -> bool:
        """True when the stored file was already seen by this run (a hard link's other name, say)."""
        return (
            last_run == self.run.id
            or folder in self._complete
            or (folder == self._dir and path in self._visit_paths)
            or file_id in self._seen_ids
        )

    def _unseen_row(self) -> bool:
        """True when the store holds a live row of this source that this run has not seen (yet)."""
        unseen = or_(FileRecord.last_seen_run.is_(None), FileRecord.last_seen_run != self.run.id)
        live = and_(FileRecord.source == self.run.source, FileRecord.deleted_at.is_(None), unseen)
        return self.s.scalar(select(FileRecord.id).where(live).limit(1)) is not None

    def _moved(self, entry: FileEntry) -> bool:
        """A new path whose identity, size and mtime match a file not yet seen in this run: a rename."""
        row = self.s.execute(
            select(FileRecord.id, FileRecord.path, FileRecord.dir, FileRecord.last_seen_run).where(
                FileRecord.source == self.run.source,
                FileRecord.identity == entry.identity,
                FileRecord.size == entry.size,
                FileRecord.mtime_us == micros(entry.mtime),
                FileRecord.deleted_at.is_(None),
            )
        ).first()
        if row is None or self._seen_before(row.id, row.dir, row.path, row.last_seen_run):
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
    def record(self, obs: FileObservation) -> None:
        """Take one observation; it is written with the others of its batch at the next checkpoint."""
        entry = obs.entry
        self._buffer.append((obs, utcnow()))
        if entry.status is Status.OK:
            self.read += 1
            self.bytes_read += entry.size or 0
        if obs.status is not Status.OK or obs.reason:
            samples = self.errors[obs.status.value]
            if len(samples) < MAX_ERROR_SAMPLES:
                samples.append(rows.sample(entry, obs.reason))
        self._tick()

    def _values(self, obs: FileObservation, now: datetime) -> dict[str, Any]:
        return rows.file_values(obs, self._path_fields(obs.entry.path), self.run.id, now)

    def _stored(self, paths: list[str]) -> dict[str, tuple[int, datetime | None]]:
        """Path -> (id, deleted_at) of the stored rows among ``paths``: on PostgreSQL one query with the paths as
        one array (the same statement every time, prepared once), elsewhere one query per 500 paths."""
        conn, found = self.s.connection(), {}
        columns = select(FileRecord.id, FileRecord.path, FileRecord.deleted_at)
        if conn.dialect.name == "postgresql":
            among = FileRecord.path == any_(bindparam("paths", paths, type_=ARRAY(FileRecord.path.type)))
            queries = [columns.where(FileRecord.source == self.run.source, among)] if paths else []
        else:
            queries = [
                columns.where(FileRecord.source == self.run.source, FileRecord.path.in_(paths[i : i + 500]))
                for i in range(0, len(paths), 500)
            ]
        for query in queries:
            for fid, path, deleted in conn.execute(query):
                found[path] = (int(fid), deleted)
        return found

    def _flush(self) -> None:
        """Write the buffered observations in bulk, a statement per table per batch rather than per file. When
        the store refuses the batch (one row it will not take: a value too long for a column, say), the batch is
        written row by row instead, so that one entry's trouble is recorded against that entry only. A fault of
        the store itself is raised with the batch kept, so a checkpoint after it can still write it."""
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        try:
            self._write(batch)
        except BaseException:
            self._buffer = batch + self._buffer
            raise
        self._last_write = time.monotonic()

    def _write(self, batch: list[tuple[FileObservation, datetime]]) -> None:
        # The batch's reads come before its savepoint: on SQLite, a savepoint that reads before it writes holds a
        # snapshot it cannot turn into a write lock once another writer (the scheduler's job store) has committed.
        prepared = self._prepare(batch)
        try:
            with self.s.begin_nested():
                self._bulk(*prepared)
        except rows.REFUSED as exc:
            if rows.store_fault(exc):
                raise
            self._leave()
            self._known.clear()
            self._ahead.clear()
            self._dir = None
            for obs, _ in batch:
                self._one(obs)

    def _prepare(self, batch: list[tuple[FileObservation, datetime]]) -> tuple[list[Row], dict[str, Stored]]:
        """Each observation's row values, and the stored rows among their paths."""
        values = [(obs, now, self._values(obs, now)) for obs, now in batch]
        return values, (self._stored([v["path"] for _, _, v in values]) if self._has_rows else {})

    def _bulk(self, values: list[Row], stored: dict[str, Stored]) -> None:
        conn = self.s.connection()
        new = [{"first_seen": now, **v} for _, now, v in values if v["path"] not in stored]
        added: dict[str, tuple[int, datetime | None]] = {}
        insert_many(conn, FILES, new)
        if new:
            self._has_rows = True
            added = self._stored([row["path"] for row in new])
        changed = [{"fid": stored[v["path"]][0], **v} for _, _, v in values if v["path"] in stored]
        if changed:
            table = cast(Table, FileRecord.__table__)
            setters: dict[str, Any] = {k: bindparam(k) for k in changed[0] if k != "fid"}
            conn.execute(table.update().where(table.c.id == bindparam("fid")).values(setters), changed)
            ids = [row["fid"] for row in changed]
            for i in range(0, len(ids), 500):
                conn.execute(delete(DetectionRow).where(DetectionRow.file_id.in_(ids[i : i + 500])))
            remove_files(conn, ids)  # a changed file's identifier digests are replaced
        detections: list[dict[str, Any]] = []
        identifiers: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for obs, now, v in values:
            path = v["path"]
            if path in stored:
                file_id, deleted = stored[path]
                kind = "restored" if deleted is not None else "changed"
            else:
                file_id, kind = added[path][0], "added"
            events.append({"file_id": file_id, "run_id": self.run.id, "kind": kind, "at": now})
            detections.extend(rows.detection_rows(obs, file_id))
            identifiers.extend(index_rows(file_id, obs.identifiers))
            if self.on_record is not None:
                self.on_record(self.s, file_id, obs)
        insert_many(conn, DETECTIONS, detections)
        insert_rows(conn, identifiers)  # the subject-access index (inventory.sar)
        insert_many(conn, EVENTS, events)

    def _one(self, obs: FileObservation) -> None:
        """Write one observation in a savepoint; when the store refuses it, its plain form as ``unreadable``
        with the reason; when even that is refused, the entry is only counted in the run's error samples."""
        refusal = self._try_one(obs)
        if refusal is None:
            return
        log.warning("%s: the store refused its row (%s)", readable(obs.entry.path), type(refusal).__name__)
        if self._try_one(rows.refused(obs, refusal)) is None:
            return
        samples = self.errors["unrecorded"]
        if len(samples) < MAX_ERROR_SAMPLES:
            samples.append(rows.sample(obs.entry, obs.reason))

    def _try_one(self, obs: FileObservation) -> Exception | None:
        """Write one observation in a savepoint: None when written, else the store's refusal of that row (a
        fault of the store itself is raised: it is no row's fault)."""
        try:
            prepared = self._prepare([(obs, utcnow())])
            with self.s.begin_nested():
                self._bulk(*prepared)
        except rows.REFUSED as exc:
            if rows.store_fault(exc):
                raise
            return exc
        return None

    def _tick(self, force: bool = False) -> None:
        self._pending += 1
        due = self._pending >= self.checkpoint_every or time.monotonic() - self._last_commit > 5
        if force or due or self._handed_out:
            self._handed_out = False
            self.checkpoint()

    def handed_out(self) -> None:
        """The walk's last entry to read is with the workers: the next observation brings a checkpoint, so what
        is recorded by then is written while they read what they hold, not after (on a walk shorter than a
        checkpoint, the whole of its writing)."""
        self._handed_out = self._all_out = True

    def idle(self) -> None:
        """The workers hold their files and none has answered. Once the walk's last entry is with them, write
        what is recorded, as a checkpoint does (the run's counts wait for the next one), at most every
        ``IDLE_WRITE_SECONDS``, so little is left to write once the last file is back. (Before that, writing
        sooner only moves the same work: the workers have files to read meanwhile.)"""
        if self._all_out and self._buffer and time.monotonic() - self._last_write >= IDLE_WRITE_SECONDS:
            self._flush()

    def checkpoint(self) -> None:
        """Commit what is recorded so far; a killed scan loses at most the files since the last call."""
        self._flush()
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

    def _unseen(self) -> list[int]:
        """The present stored files this walk did not see: unmarked files outside the complete folders."""
        run = self.run
        present = and_(FileRecord.source == run.source, FileRecord.deleted_at.is_(None))
        unmarked = or_(FileRecord.last_seen_run.is_(None), FileRecord.last_seen_run != run.id)
        stored = self.s.scalars(select(FileRecord.dir).where(present).distinct())
        folders = [d for d in stored if d not in self._complete]
        gone: list[int] = []
        for i in range(0, len(folders), 500):
            within = FileRecord.dir.in_(folders[i : i + 500])
            gone += self.s.scalars(select(FileRecord.id).where(present, unmarked, within))
        return gone

    def finish(self) -> None:
        """After a complete walk: mark what was not seen as deleted, count outcomes, close the run."""
        self._leave()
        self._dir = None
        self.checkpoint()
        now, run = utcnow(), self.run
        gone_ids = self._unseen()
        for i in range(0, len(gone_ids), 500):
            ids = gone_ids[i : i + 500]
            self.s.execute(update(FileRecord).where(FileRecord.id.in_(ids)).values(deleted_at=now))
            remove_files(self.s, ids)
            self.s.execute(
                insert(FileEvent), [{"file_id": f, "run_id": run.id, "kind": "deleted", "at": now} for f in ids]
            )
        run.deleted = len(gone_ids)
        run.counts = status_counts(self.s, run, whole=True)
        run.status, run.finished_at = "completed", now
        self.s.commit()


__all__ = [
    "Recorder",
    "ScanBusy",
    "busy_elsewhere",
    "fail_run",
    "finish_run",
    "pause_run",
    "start_run",
    "start_watch_run",
    "status_counts",
    "utcnow",
]
