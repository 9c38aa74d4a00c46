"""Walks a database: one entry per table (and, when asked, per view), each opened as a bounded CSV sample.

- **Entries.** A table's path is ``schema/table`` (a "/" or "%" inside a name is written ``%2F``/``%25``), so
  the folder-shaped machinery of the store works unchanged: a schema is a folder, a table a file. Its identity is
  the schema-qualified name, its size the row count (exact below ``exact_count_below`` rows, else the planner's
  estimate), its mtime what the engine offers (PostgreSQL's last vacuum/analyze, MariaDB's UPDATE_TIME), and its
  ``version`` a change token: the engine's row-change counters or update time, else a hash of the sample, plus the
  column list (so a new column is a change).
- **Content.** ``open`` reads a table of up to ``sample_rows`` rows whole, and a larger one as a sample of about
  ``sample_rows`` rows spread over all of it (``TABLESAMPLE BERNOULLI`` on PostgreSQL, evenly spaced ranges of an
  integer primary key on MariaDB/MySQL), so old and new records are read alike; it renders them as CSV: a
  header of column names (``nhs_number`` -> ``nhs number``, so column names read as context), then one line per
  row, every one of which detection analyses. The entry's MIME type is ``text/csv``, so the pipeline's
  column-aware CSV extractor and table detection take it from there. Row 1 is the header: a cell locator "C2"
  is the third column of the first row read.
- **Read-only.** Sessions are read-only and time-limited on the server (``sqlengines``); table reads are SQLAlchemy
  constructs whose identifiers the dialect quotes; no SQL text is ever built from names.
- **Problems.** An unreachable server is a ``SourceError`` (the run fails, other sources go on); a table the account
  may not read is an entry with status ``denied``; a read cut off by the statement timeout is ``timeout``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from fnmatch import fnmatchcase
from typing import Any, BinaryIO

from sqlalchemy import BigInteger, Connection, Engine, column, create_engine, event, func, inspect, select, table
from sqlalchemy.engine import Inspector, make_url
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import SQLAlchemyError

from scanner.config import SYSTEM_SCHEMAS, DatabaseSource
from scanner.crawlers.base import CrawlerBase
from scanner.crawlers.sqlengines import ENGINES, TableStats, first_rows
from scanner.errors import ItemError, SourceError, Timeout
from scanner.types import FileEntry, Status, TableFacts

log = logging.getLogger(__name__)

CSV_MIME = "text/csv"
ROW_CHARS = 90_000  # one rendered row stays under the extractor's chunk size
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_INTEGER = BigInteger()


def table_path(schema: str, name: str) -> str:
    """``schema/table``, with "%" and "/" inside a name percent-encoded so the path splits back exactly."""
    return f"{_escape(schema)}/{_escape(name)}"


def _escape(name: str) -> str:
    return name.replace("%", "%25").replace("/", "%2F")


def _unescape(name: str) -> str:
    return name.replace("%2F", "/").replace("%25", "%")


def split_table_path(path: str) -> tuple[str, str]:
    schema, _, name = path.partition("/")
    return _unescape(schema), _unescape(name)


def header_text(name: str) -> str:
    """A column name as a reader would say it: ``nhs_number``/``NhsNumber`` -> ``nhs number``."""
    words = _CAMEL.sub(" ", name).replace("_", " ").replace("-", " ").split()
    said = " ".join(words).lower()
    return said if any(c.isalpha() for c in said) else f"column {name}"


def cell_text(value: Any, cap: int) -> str:
    if value is None or isinstance(value, bytes | bytearray | memoryview):
        return ""  # binary columns are not read as text
    if isinstance(value, datetime | date | time):
        out = value.isoformat()
    elif isinstance(value, dict | list):
        out = json.dumps(value, default=str, ensure_ascii=False)
    else:
        out = str(value)
    return " ".join(out[:cap].split()) if ("\n" in out or "\r" in out) else out[:cap]


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """A header of spoken column names and the rows, every field quoted (so the CSV sniffer cannot misread)."""
    cap = max(64, ROW_CHARS // max(1, len(columns)))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([header_text(c) for c in columns])
    for row in rows:
        writer.writerow([cell_text(v, cap) for v in row])
    return out.getvalue().encode("utf-8")


def _matches(patterns: Sequence[str], *names: str) -> bool:
    return any(fnmatchcase(n.lower(), p.lower()) for p in patterns for n in names)


class DatabaseCrawler(CrawlerBase):
    source_kind = "database"

    def __init__(self, source: DatabaseSource) -> None:
        self.source = source
        self.url = make_url(source.url.get_secret_value())
        self.kind = ENGINES[self.url.get_backend_name()]()
        self.display = self.url.render_as_string(hide_password=True)
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            timeout = self.source.statement_timeout
            engine = create_engine(
                self.url, pool_size=1, max_overflow=2, pool_pre_ping=True, connect_args=self.kind.connect_args(timeout)
            )
            event.listen(engine, "connect", lambda conn, _rec: self.kind.on_connect(conn, timeout))
            self._engine = engine
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- the walk -------------------------------------------------------------------------------------
    def iter_entries(self) -> Iterator[FileEntry]:
        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            raise SourceError(f"source {self.source.id!r}: cannot connect to {self.display} ({_why(exc)})") from None
        with conn:
            try:
                schemas = self._schemas(inspect(conn))
            except SQLAlchemyError as exc:
                raise SourceError(
                    f"source {self.source.id!r}: cannot list the schemas of {self.display} ({_why(exc)})"
                ) from None
            if not schemas:
                log.warning("source %s: no schema of %s matches the configured patterns", self.source.id, self.display)
            for schema in schemas:
                try:
                    entries = self._schema_entries(conn, schema)
                except SQLAlchemyError as exc:
                    raise SourceError(
                        f"source {self.source.id!r}: cannot list the tables of schema {schema!r} ({_why(exc)})"
                    ) from None
                finally:
                    conn.rollback()  # one short read-only transaction per schema
                yield from entries

    def _schemas(self, inspector: Inspector) -> list[str]:
        wanted = self.source.schemas or self.kind.schemas_for(self.url) or ("*",)
        return [
            s
            for s in inspector.get_schema_names()
            if s.lower() not in SYSTEM_SCHEMAS
            and not s.lower().startswith("pg_")
            and _matches(wanted, s)
            and not _matches(self.source.exclude_schemas, s)
        ]

    def _schema_entries(self, conn: Connection, schema: str) -> list[FileEntry]:
        src = self.source
        stats = [
            t
            for t in self.kind.tables(conn, schema)
            if (t.kind == "table" or src.views)
            and _matches(src.tables, t.name, f"{schema}.{t.name}")
            and not _matches(src.exclude_tables, t.name, f"{schema}.{t.name}")
        ]
        listed = self.kind.columns(conn, schema)
        columns: dict[str, list[tuple[str, str]] | None] = (
            self._columns(inspect(conn), schema, stats) if listed is None else dict(listed)
        )
        return [self._entry(conn, schema, t, columns.get(t.name)) for t in stats]

    def _columns(
        self, inspector: Inspector, schema: str, stats: list[TableStats]
    ) -> dict[str, list[tuple[str, str]] | None]:
        names = [t.name for t in stats]
        if not names:
            return {}
        kinds = ObjectKind.TABLE
        if self.source.views:
            kinds |= ObjectKind.VIEW | ObjectKind.MATERIALIZED_VIEW
        try:
            found = inspector.get_multi_columns(schema=schema, filter_names=names, kind=kinds)
            return {
                key[1]: [(c["name"], _type_name(c["type"], inspector)) for c in cols] for key, cols in found.items()
            }
        except SQLAlchemyError:
            log.debug("bulk column reflection failed in %s; reflecting table by table", schema)
        out: dict[str, list[tuple[str, str]] | None] = {}
        for name in names:
            try:
                out[name] = [
                    (c["name"], _type_name(c["type"], inspector)) for c in inspector.get_columns(name, schema=schema)
                ]
            except SQLAlchemyError as exc:
                log.debug("cannot reflect %s.%s: %s", schema, name, type(exc).__name__)
                out[name] = None
        return out

    def _entry(self, conn: Connection, schema: str, t: TableStats, columns: list[tuple[str, str]] | None) -> FileEntry:
        facts = TableFacts(
            schema,
            t.name,
            "view" if t.kind == "view" else "table",
            tuple(columns or ()),
            storage_bytes=t.storage_bytes,
            modified_from=t.modified_from,
        )
        entry = FileEntry(
            self.source.id,
            table_path(schema, t.name),
            identity=f"table:{schema}.{t.name}",
            size=None,
            mtime=t.modified,
            owner=t.owner,
            mime=CSV_MIME,
            table=facts,
        )
        if t.readable is False:
            return _problem(
                entry,
                Status.DENIED,
                f"the scan account may not read this {facts.kind} (no SELECT privilege); grant it SELECT to scan it",
            )
        if columns is None:
            return _problem(entry, Status.UNREADABLE, f"the {facts.kind}'s definition cannot be read")
        rows, estimated, token = t.rows_estimate, False, t.token
        try:
            with conn.begin_nested():
                if t.kind == "table" and (rows is None or rows < self.source.exact_count_below):
                    rows = conn.execute(select(func.count()).select_from(self._table(facts))).scalar_one()
                elif t.kind == "table":
                    estimated = True
                if token is None:  # nothing from the engine tells a change: the sample's content will
                    token = "sample:" + self._digest(self._sample_csv(conn, facts))
        except SQLAlchemyError as exc:
            why = self.kind.classify(exc)
            if why == "denied":
                return _problem(
                    entry,
                    Status.DENIED,
                    f"the scan account may not read this {facts.kind} (permission denied); grant it SELECT to scan it",
                )
            if why != "timeout":
                return _problem(entry, Status.UNREADABLE, f"the {facts.kind} cannot be read ({type(exc).__name__})")
            rows, estimated = t.rows_estimate, t.rows_estimate is not None  # the exact count took too long
        shape = hashlib.sha256(repr(facts.columns).encode()).hexdigest()[:12]
        modified_from = facts.modified_from or ("content hash of the sample" if token else None)
        return replace(
            entry,
            size=rows,
            version=f"{token}|cols:{shape}" if token else f"cols:{shape}",
            table=replace(facts, rows_estimated=estimated, modified_from=modified_from),
        )

    # -- reading --------------------------------------------------------------------------------------
    def _digest(self, data: bytes) -> str:
        """A keyed digest of a table sample: a change token that says nothing of the rows it was taken from."""
        key = self.hash_key or b"steward: no installation key configured"
        return hmac.new(key, data, hashlib.sha256).hexdigest()[:24]

    @staticmethod
    def _table(facts: TableFacts) -> Any:
        return table(facts.name, *(column(name) for name, _ in facts.columns), schema=facts.schema)

    def _table_for_sample(self, conn: Connection, facts: TableFacts) -> tuple[Any, list[str]]:
        """The table construct, with the primary key's columns typed (key-range sampling needs to know an
        integer key), and the key's column names."""
        if facts.kind != "table":
            return self._table(facts), []
        key = inspect(conn).get_pk_constraint(facts.name, schema=facts.schema).get("constrained_columns") or []
        key = [k for k in key if any(k == name for name, _ in facts.columns)]
        types = {
            name: _INTEGER if re.search(r"INT", declared, re.IGNORECASE) else None for name, declared in facts.columns
        }
        tbl = table(
            facts.name, *(column(n, types[n]) if n in key else column(n) for n, _ in facts.columns), schema=facts.schema
        )
        return tbl, key

    def _sample_csv(self, conn: Connection, facts: TableFacts, rows: int | None = None) -> bytes:
        """A table no larger than ``sample_rows`` is read whole; a larger one as a spread sample over all of it
        (the engine's TABLESAMPLE or key ranges), never just its first rows; a view by its first rows."""
        if not facts.columns:
            return render_csv([], [])
        tbl, key = self._table_for_sample(conn, facts)
        limit = self.source.sample_rows
        if facts.kind == "table" and rows is not None and rows > limit:
            read = self.kind.spread_sample(conn, tbl, key, rows, limit)
        else:
            read = first_rows(conn, tbl, key, limit)
        return render_csv([name for name, _ in facts.columns], read)

    def open(self, entry: FileEntry) -> BinaryIO:
        if entry.table is None:
            raise ItemError(f"{entry.path} is not a database table")
        try:
            with self.engine.connect() as conn:
                data = self._sample_csv(conn, entry.table, entry.size)
        except SQLAlchemyError as exc:
            why = self.kind.classify(exc)
            if why == "denied":
                raise PermissionError(f"{entry.path}: permission denied") from None
            if why == "timeout":
                raise Timeout(
                    f"reading the sample exceeded the statement timeout ({self.source.statement_timeout:g} s)"
                ) from None
            raise ItemError(f"database error ({type(exc).__name__})") from None
        return io.BytesIO(data)


def _problem(entry: FileEntry, status: Status, reason: str) -> FileEntry:
    return replace(entry, status=status, reason=reason)


def _type_name(type_: Any, inspector: Inspector) -> str:
    try:
        return str(type_.compile(dialect=inspector.dialect))
    except Exception:  # an engine-specific type SQLAlchemy cannot render: its class name says enough
        return type(type_).__name__


def _why(exc: SQLAlchemyError) -> str:
    """The first line of the driver's message (connection errors name hosts and ports, never data)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return f"{type(orig).__name__}: {first[:200]}"
