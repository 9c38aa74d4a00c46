"""The directory as last read: faults in the directory never rewrite the register.

Every successful read is remembered in the store (``directory_memory``); a person known before and missing from
a later read is kept as a leaver (account deleted after being disabled is normal practice), so their assets keep
``owner_left``. When the directory cannot be read, scans use the remembered state and say so; when no state was
ever read, ownership is left as it stands rather than recomputed from nothing.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, fields, replace
from datetime import datetime

from sqlalchemy.orm import Session

from inventory.owners.directory import Directory, Person
from inventory.owners.models import DirectoryMemory
from inventory.owners.refresh import DirectoryState

log = logging.getLogger(__name__)
PERSON_FIELDS = {f.name for f in fields(Person)}


def _people(row: DirectoryMemory) -> list[Person]:
    return [Person(**{k: v for k, v in item.items() if k in PERSON_FIELDS}) for item in row.people or []]


def settle(session: Session, state: DirectoryState, now: datetime) -> DirectoryState:
    """The directory state a scan should use: what was just read (remembered, with earlier people kept as
    leavers), or, when a configured directory could not be read, the last state read successfully."""
    if not state.configured:
        return state
    row = session.get(DirectoryMemory, 1)
    if not state.degraded and not len(state.directory) and row is not None and row.people:
        # A read that finds nobody where people were known is a fault (a wrong base, an emptied export),
        # not everyone leaving at once.
        state = replace(
            state, problem=f"the directory returned no people ({len(row.people)} were known)", degraded=True
        )
    if not state.degraded:
        if row is None:
            row = DirectoryMemory(id=1, people=[])
            session.add(row)
        current = state.directory.people
        departed = [replace(p, enabled=False) for p in _people(row) if p.key not in current]
        people = [*current.values(), *departed]
        row.people = [asdict(p) for p in people]
        row.read_at, row.failed_at, row.failure = now, None, None
        session.commit()
        if departed:
            log.info("%d people known before are no longer in the directory: kept as leavers", len(departed))
        groups = state.directory.membership.groups.values()  # groups are read afresh, not remembered
        return replace(state, directory=Directory(people, state.directory.author_key, groups))
    if row is None:
        row = DirectoryMemory(id=1, people=[])
        session.add(row)
    row.failed_at, row.failure = now, state.problem
    session.commit()
    if row.read_at is None:
        return replace(state, problem=f"{state.problem}; no directory state was ever read, so owners are unchanged")
    return DirectoryState(
        Directory(_people(row), state.directory.author_key),
        f"{state.problem}; using the directory as read at {row.read_at:%Y-%m-%d %H:%M} UTC",
        degraded=True,
        remembered_at=row.read_at,
    )


def remembered(session: Session) -> DirectoryMemory | None:
    """The stored directory state, for ``steward status``."""
    return session.get(DirectoryMemory, 1)
