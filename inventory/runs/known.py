"""What the store holds of each file's permissions, folder by folder, for a crawler that can tell unchanged
permissions apart without reading them (an SMB entry whose ChangeTime has not moved)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.store.models import FileRecord
from scanner.types import AccessFact, KnownAccess, KnownLookup


def stored_access(session: Session, source: str) -> KnownLookup:
    """A lookup from a folder's path to what the store holds of the files in it (owner and ACL as last read,
    with the ChangeTime of that reading). Files whose permissions could not be read are left out."""
    exact = session.get_bind().dialect.name not in ("mysql", "mariadb")  # DATETIME there keeps whole seconds

    def lookup(folder: str) -> Mapping[str, KnownAccess]:
        rows = session.connection().execute(
            select(FileRecord.path, FileRecord.ctime, FileRecord.owner, FileRecord.acl).where(
                FileRecord.source == source,
                FileRecord.dir == folder,
                FileRecord.deleted_at.is_(None),
                FileRecord.owner.is_not(None),
                FileRecord.ctime.is_not(None),
            )
        )
        return {
            r.path: KnownAccess(
                r.ctime.replace(tzinfo=UTC),
                r.owner,
                tuple(AccessFact(who, rights, allow) for who, rights, allow in r.acl or ()),
                exact,
            )
            for r in rows
        }

    return lookup
