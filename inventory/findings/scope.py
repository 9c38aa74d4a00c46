"""Which files of a source an evaluation that is not full looks at again (the assets are always all looked at):

- the files with an event since the last evaluation: added, changed, moved, restored, deleted (their findings
  resolve) or with their permissions changed (``inventory.runs.record``);
- the files whose own due date has come (``files.rules_due``, ``inventory.findings.due.FileDue``);
- while a duplicate policy is on, the files whose copies changed: a file of any source gaining, losing or moving
  a content hash one of the source's files holds. Each file keeps a digest of its copies as last evaluated
  (``files.copies_digest``), compared with the copies found now.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.findings.due import due_files
from inventory.findings.stream import Copies, copies_digest
from inventory.store.models import FileEvent, FileRecord


def changed_files(session: Session, source: str, since: int) -> set[int]:
    """Files of ``source`` (present or not) with an event newer than ``since``."""
    return set(
        session.scalars(
            select(FileEvent.file_id)
            .join(FileRecord, FileRecord.id == FileEvent.file_id)
            .where(FileEvent.id > since, FileRecord.source == source)
            .distinct()
        )
    )


def files_due(session: Session, source: str, now: datetime) -> set[int]:
    return set(session.scalars(select(FileRecord.id).where(*due_files(source, now))))


def copies_changed(session: Session, source: str, copies: Copies) -> set[int]:
    """Present files of ``source`` whose copies are not those they were last evaluated with."""
    present = (FileRecord.source == source) & FileRecord.deleted_at.is_(None)
    kept: dict[int, str | None] = {
        fid: digest
        for fid, digest in session.execute(
            select(FileRecord.id, FileRecord.copies_digest).where(present, FileRecord.copies_digest.is_not(None))
        )
    }
    now = {fid: copies_digest(copies.others(source, path, digest)) for fid, (digest, path) in copies.mine.items()}
    return {fid for fid in kept.keys() | now.keys() if kept.get(fid) != now.get(fid)}


def in_scope(session: Session, source: str, since: int, now: datetime, copies: Copies | None) -> set[int]:
    """Every file of ``source`` an evaluation must look at again (``copies`` is None without a duplicate policy)."""
    found = changed_files(session, source, since) | files_due(session, source, now)
    if copies is not None:
        found |= copies_changed(session, source, copies)
    return found
