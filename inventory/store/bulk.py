"""Many rows into one table at once: PostgreSQL's ``COPY`` when the store is PostgreSQL (psycopg), sqlite3's own
``executemany`` on SQLite, SQLAlchemy's ``executemany`` elsewhere; and many rows out of a query as the driver gives
them (``read_rows``).

A scan's recorder writes thousands of rows per checkpoint (files, detections, events, identifier digests). With
``executemany`` psycopg sends one ``INSERT`` per row, and the Python cost per row (parameters bound, the statement
queued and its result read) made the recording the largest CPU cost of a coordinator. ``COPY`` streams the rows
in one statement, each row formatted by psycopg's C code. Values are first passed through each column's own bind
processing (Python-side defaults filled in; JSON columns serialised to the text ``INSERT`` would store, and bytes
left as they are, rather than wrapped for the driver to unwrap row by row), so what is stored is what ``INSERT``
would store. On SQLite the same prepared values go straight to sqlite3's ``executemany`` (its C loop binds them),
which skips SQLAlchemy's per-row parameter compilation. An error is raised as SQLAlchemy raises one for ``INSERT``
(``DBAPIError`` with the driver's error as ``orig``, ``connection_invalidated`` set when the connection is lost),
so callers treat both the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Column, LargeBinary, Table, bindparam, insert
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


def read_rows(conn: Connection, query: ClauseElement, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """``query``'s rows straight from the database driver, in the connection's transaction. Reading a hundred
    thousand rows this way costs a fraction of result rows built and converted one by one, but nothing is
    converted either way: JSON is text on SQLite and MariaDB (``from_json``), times are text on SQLite, and
    ``params`` go to the driver as they are. Without ``params`` the query's own values are used (a list in
    ``IN`` is rendered as one parameter per value)."""
    if params is None:
        compiled = cast(SQLCompiler, query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True}))
        params = compiled.params
    else:
        compiled = cast(SQLCompiler, query.compile(dialect=conn.dialect))
    values = tuple(params[k] for k in compiled.positiontup or ()) if compiled.positional else params
    cursor = conn.connection.cursor()
    try:
        with _as_sqlalchemy(conn, compiled.string):
            cursor.execute(compiled.string, values)
            return list(cursor.fetchall())
    finally:
        cursor.close()


@contextmanager
def _as_sqlalchemy(conn: Connection, statement: str) -> Iterator[None]:
    """A driver error raised as SQLAlchemy raises one (``DBAPIError`` with the driver's error as ``orig``,
    ``connection_invalidated`` set when the connection is lost), so callers treat both the same."""
    dialect = conn.dialect
    try:
        yield
    except dialect.loaded_dbapi.Error as exc:
        driver = conn.connection.driver_connection
        lost = dialect.is_disconnect(exc, driver, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            statement, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
        ) from exc


def from_json(stored: Any) -> Any:
    """A JSON column's value as ``read_rows`` gives it (text on SQLite and MariaDB, decoded on PostgreSQL)."""
    return json.loads(stored) if isinstance(stored, str) else stored


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the keys of the first) into ``table`` in this connection's transaction."""
    if not rows:
        return
    dialect = conn.dialect
    copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
    if not copy and not (dialect.name == "sqlite" and dialect.driver == "pysqlite"):
        conn.execute(insert(table), list(rows))
        return
    given = list(rows[0])
    defaults = [c for c in table.columns if c.name not in rows[0] and _python_default(c) is not None]
    columns = [table.c[name] for name in given] + defaults
    processors = [(i, p) for i, c in enumerate(columns) if (p := _processor(c, dialect)) is not None]
    fill = [_python_default(c) for c in defaults]
    values = itemgetter(*given) if len(given) > 1 else lambda row: (row[given[0]],)
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(c.name) for c in columns)

    def prepared() -> Iterator[list[Any]]:
        for row in rows:
            out = list(values(row))
            if fill:
                out += [make() for make in fill]  # type: ignore[misc]
            for i, process in processors:
                out[i] = process(out[i])
            yield out

    driver = conn.connection.driver_connection
    assert driver is not None
    if copy:
        statement = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    else:
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})"
    with _as_sqlalchemy(conn, statement):
        if copy:
            with driver.cursor() as cursor, cursor.copy(statement) as stream:
                for row in prepared():
                    stream.write_row(row)
        else:
            driver.executemany(statement, prepared())


def update_many(conn: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set, in each row of ``table`` whose ``key`` column is ``row[key]``, the other columns of ``row`` (all rows
    with the keys of the first): one ``executemany`` of a statement compiled once, each value passed through its
    column's own bind processing, so what is stored is what an ORM update would store without SQLAlchemy's cost
    per row (most of the cost of updating 100,000 rows)."""
    if not rows:
        return
    dialect = conn.dialect
    names = [name for name in rows[0] if name != key]
    if dialect.name == "postgresql":
        _update_unnest(conn, table, key, names, rows)
        return
    statement = (
        table.update()
        .where(table.c[key] == bindparam(f"k_{key}"))
        .values({name: bindparam(f"v_{name}") for name in names})
        .compile(dialect=dialect)
    )
    columns = {f"k_{key}": key, **{f"v_{name}": name for name in names}}
    processors = {bind: _processor(table.c[name], dialect) for bind, name in columns.items()}

    def value(bind: str, row: Mapping[str, Any]) -> Any:
        found, process = row[columns[bind]], processors[bind]
        return process(found) if process is not None else found

    if statement.positional:
        order = list(statement.positiontup or ())
        conn.exec_driver_sql(str(statement), [tuple(value(b, row) for b in order) for row in rows])
    else:
        conn.exec_driver_sql(str(statement), [{b: value(b, row) for b in columns} for row in rows])


def _update_unnest(
    conn: Connection, table: Table, key: str, names: list[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """PostgreSQL: one ``UPDATE ... FROM unnest(arrays)`` per 10,000 rows, one array per column, rather than a
    statement per row."""
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    every = [key, *names]
    arrays = ", ".join(f"%(c{i})s::{table.c[name].type.compile(dialect)}[]" for i, name in enumerate(every))
    aliases = ", ".join(f"c{i}" for i in range(len(every)))
    setters = ", ".join(f"{quote(name)} = v.c{i + 1}" for i, name in enumerate(names))
    sql = (
        f"UPDATE {dialect.identifier_preparer.format_table(table)} AS t SET {setters} "
        f"FROM unnest({arrays}) AS v({aliases}) WHERE t.{quote(key)} = v.c0"
    )
    processors = [_processor(table.c[name], dialect) for name in every]
    for start in range(0, len(rows), 10000):
        part = rows[start : start + 10000]
        values = {
            f"c{i}": [process(row[name]) if process else row[name] for row in part]
            for i, (name, process) in enumerate(zip(every, processors, strict=True))
        }
        conn.exec_driver_sql(sql, values)


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What a value of ``column`` goes through before it reaches the driver: the column's bind processing, except
    for JSON (the JSON text itself, serialised as ``INSERT`` would, rather than a driver wrapper serialised later:
    COPY reads text, and SQLite stores JSON as that text) and binary columns (bytes go to the driver as they are,
    not wrapped first)."""
    kind = column.type
    if isinstance(kind, LargeBinary):
        return None
    if isinstance(kind, JSON):
        dumps: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps
        null = None if kind.none_as_null else "null"

        def text(value: Any) -> str | None:
            return null if value is None else dumps(value)

        return text
    impl = kind.dialect_impl(dialect)
    found: Callable[[Any], Any] | None = impl.bind_processor(dialect)
    if found is not None and isinstance(impl, SQLITE_DATETIME) and impl._storage_format == _SQLITE_DATETIME_FORMAT:
        return _sqlite_datetime(found)
    return found


# SQLAlchemy's own text for a time on SQLite, "2026-12-06 15:28:02.123456", is what ``isoformat`` writes for a naive
# datetime, at a third of the cost (times are most of a files row).
_SQLITE_DATETIME_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


def _sqlite_datetime(usual: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def process(value: Any) -> Any:
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return usual(value)  # None, dates, aware times: as SQLAlchemy writes them

    return process


def _python_default(column: Column[Any]) -> Callable[[], Any] | None:
    """What ``INSERT`` would fill in for a column the rows leave out (a scalar or a callable default)."""
    default = column.default
    if default is None or column.primary_key:
        return None
    arg = getattr(default, "arg", None)
    if default.is_scalar:
        return lambda: arg
    if default.is_callable and callable(arg):
        return lambda: arg(None)  # SQLAlchemy's wrapper of a callable default takes the execution context
    return None
