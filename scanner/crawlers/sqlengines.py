"""What the database crawler asks of each engine: read-only sessions, timeouts, catalogue facts, error kinds.

Every statement here is fixed text with bound parameters; identifiers never go into SQL text (table reads are
built with SQLAlchemy constructs in ``scanner.crawlers.database``, which the dialect quotes).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Integer, Row, Table, func, literal, select, tablesample, text
from sqlalchemy.engine import URL

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TableStats:
    """One table or view as the engine's catalogue describes it (no table is read to get these)."""

    name: str
    kind: str  # "table" | "view"
    rows_estimate: int | None = None  # the planner's estimate; None when it has none
    storage_bytes: int | None = None
    readable: bool | None = None  # None: the catalogue does not say; reading will tell
    modified: datetime | None = None
    token: str | None = None  # changes whenever the table's rows change (as far as the engine tells)
    owner: str | None = None
    modified_from: str | None = None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SPREAD_PARTS = 10  # key ranges read for a spread sample where the engine has no TABLESAMPLE


def first_rows(conn: Connection, tbl: Table, key: list[str], limit: int) -> list[Row[Any]]:
    """The first ``limit`` rows in key order (all of a table no larger than that)."""
    query = select(*tbl.c).select_from(tbl).limit(limit)
    if key:
        query = query.order_by(*(tbl.c[k] for k in key))
    return list(conn.execute(query).all())


def key_range_sample(conn: Connection, tbl: Table, key: list[str], limit: int) -> list[Row[Any]]:
    """About ``limit`` rows from SPREAD_PARTS evenly spaced ranges of a single integer key, so that the sample
    holds old and new records alike; the first rows when the key is not one integer column."""
    if len(key) != 1 or not isinstance(tbl.c[key[0]].type, Integer):
        return first_rows(conn, tbl, key, limit)
    col = tbl.c[key[0]]
    low, high = conn.execute(select(func.min(col), func.max(col)).select_from(tbl)).one()
    if low is None:
        return []
    per = -(-limit // SPREAD_PARTS)
    seen: dict[Any, Row[Any]] = {}
    for part in range(SPREAD_PARTS):
        start = low + (high - low) * part // SPREAD_PARTS
        for row in conn.execute(select(*tbl.c).where(col >= start).order_by(col).limit(per)):
            seen.setdefault(row._mapping[key[0]], row)
    return list(seen.values())[:limit]


class PostgresEngine:
    """PostgreSQL: sessions read-only and time-limited from the server's side (libpq ``options``)."""

    name = "postgresql"

    def spread_sample(self, conn: Connection, tbl: Table, key: list[str], rows: int, limit: int) -> list[Row[Any]]:
        """About ``limit`` rows spread over the whole table: ``TABLESAMPLE BERNOULLI`` (every row equally
        likely; ``SYSTEM``, whole pages, above ten million rows), repeatable so a re-read gives the same rows."""
        percent = min(100.0, 100.0 * limit / max(rows, 1))
        method = func.system if rows > 10_000_000 else func.bernoulli
        sampled = tablesample(tbl, method(percent), seed=literal(7))
        return list(conn.execute(select(*sampled.c).limit(limit)).all())

    def connect_args(self, timeout: float) -> dict[str, Any]:
        ms = max(1, round(timeout * 1000))
        return {
            "options": f"-c default_transaction_read_only=on -c statement_timeout={ms}",
            "connect_timeout": max(1, round(min(timeout, 15))),
        }

    def on_connect(self, dbapi_conn: Any, timeout: float) -> None:
        """Nothing to do: the server applies the options above to the session."""

    def schemas_for(self, url: URL) -> tuple[str, ...] | None:
        return None

    STATS = text("""
        SELECT c.relname AS name, c.relkind AS relkind, c.reltuples AS estimate,
               pg_total_relation_size(c.oid) AS storage, has_table_privilege(c.oid, 'SELECT') AS readable,
               pg_get_userbyid(c.relowner) AS owner, s.n_tup_ins AS ins, s.n_tup_upd AS upd, s.n_tup_del AS dels,
               GREATEST(s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze) AS stamp
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
        WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
        ORDER BY c.relname
    """)

    def tables(self, conn: Connection, schema: str) -> list[TableStats]:
        found = []
        for r in conn.execute(self.STATS, {"schema": schema}):
            view = r.relkind in ("v", "m")
            token = None if r.ins is None else f"pg:{r.ins}:{r.upd}:{r.dels}"
            estimate = None if view or r.estimate is None or r.estimate < 0 else int(r.estimate)
            found.append(
                TableStats(
                    name=r.name,
                    kind="view" if view else "table",
                    rows_estimate=estimate,
                    storage_bytes=None if r.relkind == "v" else int(r.storage),
                    readable=bool(r.readable),
                    modified=_utc(r.stamp),
                    token=token,
                    owner=r.owner,
                    modified_from="pg_stat_all_tables (last vacuum/analyze; row change counters)" if token else None,
                )
            )
        return found

    def columns(self, conn: Connection, schema: str) -> dict[str, list[tuple[str, str]]] | None:
        """None: the inspector's reflection (one catalogue query per schema here) serves."""
        return None

    def classify(self, exc: BaseException) -> str | None:
        state = getattr(getattr(exc, "orig", exc), "sqlstate", None) or ""
        if state == "42501":
            return "denied"
        if state == "57014":
            return "timeout"
        return None


class MariaEngine:
    """MariaDB and MySQL: sessions set read-only, time-limited and in UTC as each connection opens."""

    name = "mariadb"

    def spread_sample(self, conn: Connection, tbl: Table, key: list[str], rows: int, limit: int) -> list[Row[Any]]:
        """No TABLESAMPLE here: evenly spaced ranges of the primary key (see ``key_range_sample``)."""
        return key_range_sample(conn, tbl, key, limit)

    def connect_args(self, timeout: float) -> dict[str, Any]:
        return {"connect_timeout": max(1, round(min(timeout, 15)))}

    def on_connect(self, dbapi_conn: Any, timeout: float) -> None:
        info = str(getattr(dbapi_conn, "get_server_info", lambda: "")())
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            cur.execute("SET SESSION time_zone = '+00:00'")
            if "mariadb" in info.lower():
                cur.execute("SET SESSION max_statement_time = %s", (float(timeout),))
            else:  # MySQL: SELECT statements only, in milliseconds
                cur.execute("SET SESSION max_execution_time = %s", (max(1, round(timeout * 1000)),))
        finally:
            cur.close()

    def schemas_for(self, url: URL) -> tuple[str, ...] | None:
        return (url.database,) if url.database else None

    STATS = text("""
        SELECT TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS estimate,
               DATA_LENGTH AS data, INDEX_LENGTH AS idx, UPDATE_TIME AS updated
        FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = :schema AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')
        ORDER BY TABLE_NAME
    """)

    def tables(self, conn: Connection, schema: str) -> list[TableStats]:
        found = []
        for r in conn.execute(self.STATS, {"schema": schema}):
            view = r.type == "VIEW"
            updated = _utc(r.updated)
            storage = None if view or r.data is None else int(r.data) + int(r.idx or 0)
            found.append(
                TableStats(
                    name=r.name,
                    kind="view" if view else "table",
                    rows_estimate=None if view or r.estimate is None else int(r.estimate),
                    storage_bytes=storage,
                    modified=updated,
                    token=f"updated:{updated.isoformat()}" if updated else None,
                    modified_from="information_schema.TABLES.UPDATE_TIME" if updated else None,
                )
            )
        return found

    COLUMNS = text("""
        SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, COLUMN_TYPE AS type
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :schema
        ORDER BY TABLE_NAME, ORDINAL_POSITION
    """)

    def columns(self, conn: Connection, schema: str) -> dict[str, list[tuple[str, str]]] | None:
        """Every column of the schema the account may see, in one query (the inspector would run SHOW CREATE
        TABLE per table, which also needs SHOW VIEW for views)."""
        found: dict[str, list[tuple[str, str]]] = {}
        for r in conn.execute(self.COLUMNS, {"schema": schema}):
            found.setdefault(r.tbl, []).append((r.name, str(r.type).upper()))
        return found

    def classify(self, exc: BaseException) -> str | None:
        args = getattr(getattr(exc, "orig", exc), "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        if code in (1142, 1143, 1044, 1045, 1227):  # table/column/database access denied
            return "denied"
        if code in (1969, 3024):  # max_statement_time (MariaDB), max_execution_time (MySQL) exceeded
            return "timeout"
        return None


ENGINES: dict[str, type[PostgresEngine] | type[MariaEngine]] = {
    "postgresql": PostgresEngine,
    "mysql": MariaEngine,
    "mariadb": MariaEngine,
}
