"""Engine and sessions for Steward's store; the schema is kept by Alembic migrations."""

from __future__ import annotations

import logging
import os
import pickle
import re
import shutil
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from inventory.store import schema  # noqa: F401  (every feature's tables on the metadata before a session opens)
from scanner.errors import ConfigError, StewardError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
FULL_BYTES = 1 << 20  # an SQLite store that cannot be opened with less room than this beside it: its disk is full


class StoreFull(StewardError):
    """The store is configured right but its disk is full: not a configuration error (exit code 1, not 2)."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # The write-ahead log is copied into the database once it holds 16,384 pages (64 MB), not SQLite's 1,000: each
    # commit of a first scan dirties thousands of the identifier index's pages (its keys, keyed digests, fall all
    # over it), and with the default every commit's pages were written twice, to the log and then to the database;
    # a page rewritten by several commits is now copied once (docs/performance.md, "The store's writes").
    cur.execute("PRAGMA wal_autocheckpoint=16384")
    cur.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                folder = Path(parsed.database).parent
                raise ConfigError(f"database: cannot create the folder {folder} ({exc.strerror})") from None
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration (a no-op when it is current). Where the platform forks, in a
    process forked for it: Alembic, and the Mako and Pygments it loads, take 13 MB that a scan would otherwise
    hold to its end. Its failure is raised here, as the same sentence. Migrated here instead: an SQLite store in
    memory (this process's alone), and any store of a process already running other threads (one of them could
    hold a lock the forked child would wait on for ever)."""
    url = engine.url
    in_memory = url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    )
    if in_memory or not hasattr(os, "fork") or threading.active_count() > 1:
        _upgrade(engine)
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own connections, never the parent's
        os.close(read)
        code = 0
        try:
            engine.dispose(close=False)
            _upgrade(engine)
        except StewardError as exc:
            os.write(write, pickle.dumps((type(exc), str(exc))))
            code = 1
        except BaseException:
            os.write(write, pickle.dumps((None, traceback.format_exc())))
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        told = fh.read()
    _, status = os.waitpid(pid, 0)
    if told:
        kind, words = pickle.loads(told)
        if kind is None:
            raise RuntimeError(f"the store's migration failed:\n{words}")
        raise kind(words)
    if status != 0:  # killed (the OOM killer, an operator): one sentence, not a trace
        code = os.waitstatus_to_exitcode(status)
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        raise StewardError(f"the store's migration was stopped ({how}) before it finished: run the command again")


def _upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = None
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise _cannot_open(engine, exc) from None


def _cannot_open(engine: Engine, exc: OperationalError) -> StewardError:
    """Why the store cannot be opened: its disk is full (an SQLite store in WAL mode needs room for its shared
    memory file even to be read, and says only "disk I/O error"), else the configuration's error."""
    path = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and path and path != ":memory:":
        try:
            full = shutil.disk_usage(Path(path).parent).free < FULL_BYTES
        except OSError:
            full = False
        if full:
            store = engine.url.render_as_string(hide_password=True)
            return StoreFull(
                f"the store {store} cannot be opened: the disk holding it is full ({exc.orig}); nothing was "
                "read or changed: run the command again once there is room"
            )
    return ConfigError(f"database: cannot be opened ({exc.orig})")


def head_revision() -> str | None:
    """The newest migration's revision, read from its file (migrations are numbered in the order they apply)."""
    files = sorted((MIGRATIONS / "versions").glob("[0-9]*.py"))
    found = re.search(r"^revision\s*=\s*[\"']([^\"']+)", files[-1].read_text(), re.MULTILINE) if files else None
    return found.group(1) if found else None


def is_current(engine: Engine) -> bool:
    """True when the store is at the newest migration."""
    return _stamped(engine) == [head_revision()]


def _stamped(engine: Engine) -> list[str] | None:
    """The store's migration revisions, asked without loading the migrations (Alembic's upgrade, a no-op when the
    store is current, costs a command a fifth of a second or more); None when there is no store yet, or one that
    cannot be read (the upgrade says why)."""
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except DBAPIError:
        return None


def open_store(url: str, on_new: Callable[[], None] | None = None) -> sessionmaker[Session]:
    """Sessions of the store at ``url``, brought to the newest migration first; ``on_new`` is called before a
    store with no schema at all is created (a scan then reads every file of every source)."""
    engine = make_engine(url)
    stamped = _stamped(engine)
    if stamped != [head_revision()]:
        if stamped is None and on_new is not None:
            on_new()
        upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
