"""Folders' own facts (owner, ACL, mode), kept per source and path from the last scan that saw them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from inventory.owners.models import FolderRecord
from scanner.names import to_store
from scanner.types import AccessFact, FileEntry


def acl_json(acl: tuple[AccessFact, ...]) -> list[dict[str, Any]]:
    """A folder's ACL as stored, inheritance included."""
    return [{"principal": f.principal, "rights": f.rights, "allow": f.allow, "inherited": f.inherited} for f in acl]


def folder_path(entry: FileEntry) -> str:
    return "" if entry.path == "." else to_store(entry.path)


class FolderRecorder:
    """Upserts one row per folder entry; after a complete walk, forgets the folders it did not see."""

    def __init__(self, session: Session, source: str, run_id: int) -> None:
        self.s, self.source, self.run_id = session, source, run_id
        self.seen = 0

    def record(self, entry: FileEntry) -> None:
        path = folder_path(entry)
        values = {
            "identity": entry.identity,
            "owner": entry.owner,
            "uid": entry.uid,
            "gid": entry.gid,
            "mode": entry.mode,
            "acl": acl_json(entry.acl),
            "status": entry.status.value,
            "reason": entry.reason,
            "last_seen_run": self.run_id,
        }
        found = self.s.scalar(
            select(FolderRecord.id).where(FolderRecord.source == self.source, FolderRecord.path == path)
        )
        if found is None:
            self.s.execute(insert(FolderRecord).values(source=self.source, path=path, **values))
        else:
            self.s.execute(update(FolderRecord).where(FolderRecord.id == found).values(**values))
        self.seen += 1

    def finish(self) -> None:
        self.s.execute(
            delete(FolderRecord).where(
                FolderRecord.source == self.source,
                or_(FolderRecord.last_seen_run.is_(None), FolderRecord.last_seen_run != self.run_id),
            )
        )
        self.s.commit()
