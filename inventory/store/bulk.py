"""Many rows into one table at once: PostgreSQL's ``COPY`` when the store is PostgreSQL (psycopg), one
``executemany`` elsewhere.

A scan's recorder writes thousands of rows per checkpoint (files, detections, events, identifier digests). With
``executemany`` psycopg sends one ``INSERT`` per row, and the Python cost per row (parameters bound, the statement
queued and its result read) made the recording the largest CPU cost of a coordinator. ``COPY`` streams the rows
in one statement, each row formatted by psycopg's C code. Values are first passed through each column's own bind
processing (Python-side defaults filled in; JSON columns serialised to the text ``INSERT`` would store, and bytes
left as they are, rather than wrapped for the driver to unwrap row by row), so what is stored is what ``INSERT``
would store; an error is raised as SQLAlchemy raises one for ``INSERT`` (``DBAPIError`` with the driver's error as
``orig``, ``connection_invalidated`` set when the connection is lost), so callers treat both the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, Table, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the keys of the first) into ``table`` in this connection's transaction."""
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
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
    statement = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                out = list(values(row))
                if fill:
                    out += [make() for make in fill]  # type: ignore[misc]
                for i, process in processors:
                    out[i] = process(out[i])
                copy.write_row(out)
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, raw, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            statement, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=dialect
        ) from exc


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What a value of ``column`` goes through before ``COPY``: the column's bind processing, except for JSON (the
    JSON text itself, serialised as ``INSERT`` would, rather than a driver wrapper serialised later: COPY reads
    text) and binary columns (bytes go to psycopg's own bytea formatting as they are, not wrapped first)."""
    kind = column.type
    if isinstance(kind, LargeBinary):
        return None
    if isinstance(kind, JSON):
        dumps: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps
        null = None if kind.none_as_null else "null"

        def text(value: Any) -> str | None:
            return null if value is None else dumps(value)

        return text
    found: Callable[[Any], Any] | None = kind.dialect_impl(dialect).bind_processor(dialect)
    return found


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
