"""What a run keeps when it fails part-way, and how it says so.

Observations are written in bulk at checkpoints (``inventory.runs.record``), so a failure between two checkpoints
would lose what was read since the last one. Every way a run can fail first commits what the recorder holds:

- the source fails (a share that goes away, a root that cannot be read): what was recorded is committed and the
  run is marked failed with the source's sentence; the next run finds those files unchanged and reads the rest;
- the store itself fails (connection lost, locked beyond its timeout, disk full, read-only): the transaction is
  rolled back and what was recorded is written once more (a lost connection is replaced, a lock may have
  cleared); the run is marked failed if the store allows it, and ``StoreFault`` names the store in one sentence.
  When even that cannot be written the run stays open, and the next run carries it on from its last checkpoint;
- anything else: what was recorded is committed where the store allows, the run is marked failed, and the error
  goes on to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from inventory.runs import rows
from inventory.runs.lifecycle import fail_run
from inventory.runs.record import Recorder
from inventory.store.models import ScanRun
from scanner.errors import StewardError

log = logging.getLogger(__name__)


class StoreFault(StewardError):
    """The store failed while a run was writing to it; the message names the store and says what was kept."""


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except SQLAlchemyError as exc:  # a connection already gone: the next use of the session starts afresh
        log.debug("rolling back after a store fault: %s", type(exc).__name__)


def keep(session: Session, recorder: Recorder) -> bool:
    """Commit what ``recorder`` holds; False (rolled back) when the store will not take it."""
    try:
        recorder.checkpoint()
        return True
    except SQLAlchemyError as exc:
        why = rows.fault_reason(exc)
        log.warning("%s: what was recorded since the last checkpoint could not be kept (%s)", recorder.run.source, why)
        _rollback(session)
        return False


def fail_source(session: Session, run: ScanRun, recorder: Recorder, message: str) -> None:
    """The source failed part-way: keep what was recorded, then mark the run failed with ``message``."""
    try:
        recorder.checkpoint()
    except SQLAlchemyError as exc:
        if not rows.store_fault(exc):
            raise
        raise store_failed(session, run, recorder, exc) from None
    fail_run(session, run, message)


def _store_name(session: Session) -> str:
    bind = session.get_bind()
    return bind.url.render_as_string(hide_password=True) if hasattr(bind, "url") else "the store"


@contextmanager
def opening(session: Session, source: str) -> Iterator[None]:
    """A run being opened (its row written, the source's assets re-keyed): a fault of the store here stops the
    scan before it read anything, in one sentence naming the store."""
    try:
        yield
    except DBAPIError as exc:
        if not rows.store_fault(exc):
            raise
        _rollback(session)
        raise StoreFault(
            f"the store {_store_name(session)} failed ({rows.fault_reason(exc)}): the scan of {source!r} could not "
            "start and read nothing; run it again once the store works again"
        ) from None


def store_failed(session: Session, run: ScanRun, recorder: Recorder, exc: BaseException) -> StoreFault:
    """The store failed mid-run: keep what it will take, mark the run failed if it can; the fault to raise."""
    store = _store_name(session)
    _rollback(session)  # a savepoint or a connection that failed leaves the transaction unusable
    kept = keep(session, recorder)
    kept_words = "what it had recorded is kept" if kept else "what it recorded up to its last checkpoint is kept"
    message = (
        f"the store {store} failed ({rows.fault_reason(exc)}): the scan of {run.source!r} stopped and "
        f"{kept_words}; run it again to carry on"
    )
    try:
        fail_run(session, run, message)
    except SQLAlchemyError as again:  # the run stays open and the next run carries it on
        log.debug("the failed run could not be marked: %s", type(again).__name__)
        _rollback(session)
    return StoreFault(message)


def fail_unexpected(session: Session, run: ScanRun, recorder: Recorder, exc: BaseException) -> None:
    """An error no one planned for: keep what was recorded and mark the run failed, where the store allows."""
    keep(session, recorder)
    try:
        fail_run(session, run, f"the scan of {run.source!r} stopped on an unexpected {type(exc).__name__}")
    except SQLAlchemyError:
        _rollback(session)


def fail_on(session: Session, run: ScanRun, recorder: Recorder, exc: Exception) -> Exception:
    """A run stopped by a fault of the store or an error no one planned for: keep what was recorded, mark the
    run failed where the store allows; the exception to raise (a StoreFault for the store's own)."""
    if isinstance(exc, DBAPIError) and rows.store_fault(exc):
        return store_failed(session, run, recorder, exc)
    fail_unexpected(session, run, recorder, exc)
    return exc
