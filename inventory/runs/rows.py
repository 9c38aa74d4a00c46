"""What one observation writes to the store: the ``files`` row's values and its detections' rows, and the
plain row an entry gets instead when the store refuses the full one (a value too long for a column, say), so
that one entry's trouble is recorded against that entry and the scan goes on."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, NotSupportedError, ProgrammingError, StatementError

from scanner.names import to_store
from scanner.types import FileEntry, FileObservation, Status

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
# What the store raises for one row it will not take (a fault of the store itself is told apart by
# ``store_fault``): a value it refuses, text it cannot encode.
REFUSED = (StatementError, UnicodeError, ValueError)
# Faults of one row's values: data exception, integrity constraint, program limit (a row too large for an index).
ROW_SQLSTATES = frozenset({"22", "23", "54"})
ROW_ERRORS = (DataError, IntegrityError, ProgrammingError, NotSupportedError)


def naive(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None


def micros(value: datetime | None) -> int | None:
    """Microseconds since the epoch: an exact, cheap key for comparing modification times."""
    return (value - EPOCH) // ONE_MICROSECOND if value is not None else None


def acl_rows(entry: FileEntry) -> list[list[Any]] | None:
    """An entry's access entries as stored: [principal, rights, allow] (None when the crawler gives none)."""
    return [[a.principal, a.rights, a.allow] for a in entry.acl] or None


def store_fault(exc: BaseException) -> bool:
    """True when the error is the store's own (connection lost, locked beyond its timeout, disk full, read-only),
    not a refusal of one row's values: every other row would meet it too, so the run must stop, not go on."""
    if getattr(exc, "connection_invalidated", False):
        return True
    if not isinstance(exc, DBAPIError):
        return False  # raised before the row reached the store: a value the driver cannot convert
    state = getattr(exc.orig, "sqlstate", None)
    if isinstance(state, str) and len(state) == 5:
        return state[:2] not in ROW_SQLSTATES
    return not isinstance(exc, ROW_ERRORS)


def fault_reason(exc: BaseException) -> str:
    """The store's own words for a fault of the store (its first line), which name no row's values."""
    words = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (words[0][:200] if words else "") or type(exc).__name__


def file_values(obs: FileObservation, path_fields: dict[str, Any], run_id: int, now: datetime) -> dict[str, Any]:
    """The ``files`` row of one observation (the path already in its stored form, ``path_fields``)."""
    entry = obs.entry
    return {
        "source": entry.source,
        **path_fields,
        "identity": entry.identity,
        "size": entry.size,
        "mtime": naive(entry.mtime),
        "mtime_us": micros(entry.mtime),
        "version": entry.version,
        "ctime": naive(entry.ctime),
        "atime": naive(entry.atime),
        "uid": entry.uid,
        "gid": entry.gid,
        "mode": entry.mode,
        "owner": entry.owner,
        "authors": list(obs.authors) or None,
        "mime": obs.mime,
        "extension_mismatch": obs.extension_mismatch,
        "status": obs.status.value,
        "reason": obs.reason,
        "special_category": list(obs.special_category) or None,
        "marking": obs.marking,
        "chunks": obs.chunks,
        "chars": obs.chars,
        "content_hash": obs.content_hash,
        "acl": acl_rows(entry),
        "keywords": list(obs.keywords) or None,
        # pages, read, mean_confidence, low_confidence (the note is in reason)
        "ocr": {k: v for k, v in asdict(obs.ocr).items() if k != "note"} if obs.ocr else None,
        "content_read_at": now if entry.status is Status.OK else None,
        "last_seen_run": run_id,
        "deleted_at": None,
    }


def detection_rows(obs: FileObservation, file_id: int) -> list[dict[str, Any]]:
    return [
        {
            "file_id": file_id,
            "entity": d.entity,
            "count": d.count,
            "best_score": d.best_score,
            "example": d.example,
            "locators": list(d.where),
            "recognizer": d.recognizer,
            "validated": d.validated,
            "context_words": list(d.context_words),
        }
        for d in obs.detections
    ]


def refused(obs: FileObservation, exc: BaseException) -> FileObservation:
    """The plain observation recorded when the store refused the full one: the path, size and times only,
    status ``unreadable``, and the error class as the reason (its message can quote the refused values)."""
    entry = obs.entry
    plain = FileEntry(
        entry.source,
        entry.path,
        identity=entry.identity[:200],
        size=entry.size,
        mtime=entry.mtime,
        ctime=entry.ctime,
        atime=entry.atime,
        status=Status.UNREADABLE,
        kind=entry.kind,
    )
    cause = type(getattr(exc, "orig", None) or exc).__name__
    return FileObservation(plain, None, Status.UNREADABLE, f"the store refused this entry's row ({cause})")


def sample(entry: FileEntry, reason: str | None) -> dict[str, str]:
    """One error sample kept on the run (the path in its stored form)."""
    return {"path": to_store(entry.path), "reason": reason or ""}
