"""Keeping the identifier index in step with the store: a recorded file's rows replace its old ones, a deleted
file's rows go, and a new hash key clears the index so that the next full scan rebuilds it under that key."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from inventory.sar.models import DIGEST_BYTES, IdentifierRow, IndexState
from inventory.store.bulk import insert_many
from scanner.identifiers import NAME_INITIAL, IdentifierDigest, key_fingerprint

log = logging.getLogger(__name__)

MAX_ROWS_PER_FILE = 2000  # a register of thousands of people is found by its first 2000 identifiers
_WEAK = frozenset({"PERSON", NAME_INITIAL, "DATE_OF_BIRTH", "UK_POSTCODE"})  # kept last when a file is cut


def digest_bytes(hex_digest: str) -> bytes:
    return bytes.fromhex(hex_digest)[:DIGEST_BYTES]


def index_rows(file_id: int, found: Sequence[IdentifierDigest]) -> list[dict[str, Any]]:
    """A file's identifier digests as index rows: one per digest, at most MAX_ROWS_PER_FILE, strong ones first."""
    rows: dict[bytes, dict[str, Any]] = {}
    for item in sorted(found, key=lambda i: i.entity in _WEAK):
        if len(rows) >= MAX_ROWS_PER_FILE:
            break
        digest = digest_bytes(item.digest)
        rows.setdefault(
            digest, {"digest": digest, "file_id": file_id, "entity": item.entity, "locator": item.where[:200]}
        )
    return list(rows.values())


def insert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert index rows in the order of the index's key: keyed digests fall all over the index, and taking its
    pages in order, each once, costs less than in the order the files came (500,000 rows into SQLite in batches of
    10,000: 4.0 CPU-seconds sorted, 5.1 not)."""
    rows.sort(key=_KEY)
    insert_many(conn, cast(Table, IdentifierRow.__table__), rows)


_KEY = itemgetter("digest", "file_id")


def remove_files(conn: Connection | Session, file_ids: Iterable[int]) -> None:
    """Changed or deleted files leave the index (a changed file's new rows are then inserted)."""
    ids = list(file_ids)
    for i in range(0, len(ids), 500):
        conn.execute(delete(IdentifierRow).where(IdentifierRow.file_id.in_(ids[i : i + 500])))


def check_key(factory: sessionmaker[Session], key: bytes | None) -> bool:
    """Compare the key with the one the index was built under. On a new key the index is emptied (its digests
    can no longer match a search) and a warning says the next full scan rebuilds it. True when it was emptied."""
    if key is None:  # no key, no digests: nothing to compare
        return False
    fingerprint = key_fingerprint(key)
    with factory() as session:
        state = session.scalar(select(IndexState).limit(1))
        if state is None:
            session.add(IndexState(key_fingerprint=fingerprint))
            session.commit()
            return False
        if state.key_fingerprint == fingerprint:
            return False
        session.execute(delete(IdentifierRow))
        state.key_fingerprint, state.rebuilt_at = fingerprint, datetime.now(UTC).replace(tzinfo=None)
        session.commit()
    log.warning(
        "the hash key has changed: the identifier index was emptied and is rebuilt as files are read; "
        "run a full scan (steward scan --full) of every source so that subject-access searches cover them again"
    )
    return True


def state(session: Session) -> IndexState | None:
    return session.scalar(select(IndexState).limit(1))
