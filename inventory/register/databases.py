"""The register side of database sources: asset keys, table and column facts, names, rows and declared owners.

A table is stored as a file whose path is ``schema/table`` (see ``scanner.crawlers.database``). With
``asset_level: table`` (the default) each table is an asset keyed by that path; with ``asset_level: schema`` each
schema is one, keyed by the schema. After the usual roll-up, ``describe_assets`` gives database assets their
names ("public.clients"), locations (the URL without its password, and the table), row counts, on-disk size,
formats (tables and views) and the owner declared in the config.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from inventory.register.models import DatabaseTable, TableColumn
from inventory.register.queries import sampled_phrase
from inventory.store.models import Asset, FileRecord
from scanner.config import DatabaseSource
from scanner.crawlers.database import split_table_path
from scanner.types import ColumnRead, FileObservation

DECLARED = "declared"


def key_function(source: DatabaseSource) -> Callable[[str], str]:
    if source.asset_level == "schema":
        return lambda path: path.partition("/")[0]
    return lambda path: path


def location(source: DatabaseSource) -> str:
    """The database's URL without its password."""
    return make_url(source.url.get_secret_value()).render_as_string(hide_password=True)


def column_letters(position: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA": the locator prefix of a table's column."""
    out, n = "", position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def record_table(session: Session, file_id: int, obs: FileObservation) -> None:
    """Keep a table's facts and its columns (declared type, what detection found) beside its file row."""
    facts = obs.entry.table
    if facts is None:
        return
    session.execute(delete(TableColumn).where(TableColumn.file_id == file_id))
    session.execute(delete(DatabaseTable).where(DatabaseTable.file_id == file_id))
    session.execute(
        insert(DatabaseTable).values(
            file_id=file_id,
            schema_name=facts.schema,
            table_name=facts.name,
            kind=facts.kind,
            rows_estimated=facts.rows_estimated,
            storage_bytes=facts.storage_bytes,
            modified_from=facts.modified_from,
        )
    )
    read: dict[str, ColumnRead] = {c.where: c for c in obs.columns}
    rows = []
    for position, (name, data_type) in enumerate(facts.columns):
        col = read.get(column_letters(position))
        rows.append(
            {
                "file_id": file_id,
                "position": position,
                "name": name,
                "data_type": data_type[:200],
                "entity": col.entity if col else None,
                "entities": dict(col.found) if col else {},
                "rows_sampled": col.sampled if col else 0,
            }
        )
    if rows:
        session.execute(insert(TableColumn), rows)


def _name(key: str) -> str:
    schema, name = split_table_path(key)
    return f"{schema}.{name}" if name else schema


def describe_assets(session: Session, source: DatabaseSource) -> None:
    """Give the source's assets their database names, locations, rows, sizes, formats and declared owners."""
    present = (FileRecord.source == source.id) & FileRecord.deleted_at.is_(None)
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"rows": None, "bytes": 0, "formats": {}})
    for key, kind, n, rows, size in session.execute(
        select(
            FileRecord.asset_key,
            DatabaseTable.kind,
            func.count(),
            func.sum(FileRecord.size),
            func.coalesce(func.sum(DatabaseTable.storage_bytes), 0),
        )
        .join(DatabaseTable, DatabaseTable.file_id == FileRecord.id)
        .where(present)
        .group_by(FileRecord.asset_key, DatabaseTable.kind)
    ):
        facts = per[key]
        facts["formats"][f"database {kind}"] = n
        if rows is not None:
            facts["rows"] = (facts["rows"] or 0) + int(rows)
        facts["bytes"] += int(size or 0)
    where = location(source)
    for asset in session.scalars(select(Asset).where(Asset.source == source.id, Asset.deleted_at.is_(None))):
        facts = per.get(asset.key, {"rows": None, "bytes": 0, "formats": {}})
        schema = split_table_path(asset.key)[0]
        asset.name = _name(asset.key)
        kind = "schema" if source.asset_level == "schema" else "table"
        asset.location = f"{where} ({kind} {asset.name})"
        asset.rows, asset.bytes, asset.formats = facts["rows"], facts["bytes"], facts["formats"]
        declared = source.schema_owners.get(schema) or source.owner
        if asset.owner_status in (None, DECLARED):  # a decision by a person is never overwritten
            asset.owner, asset.owner_status = declared, DECLARED if declared else None
    session.commit()


WIDE = 30  # tables with more columns show only the columns where something was found


def table_detail(session: Session, asset: Asset) -> str | None:
    """The tables of a database asset with their columns, declared types and what was found in each."""
    tables = session.execute(
        select(FileRecord, DatabaseTable)
        .join(DatabaseTable, DatabaseTable.file_id == FileRecord.id)
        .where(FileRecord.source == asset.source, FileRecord.asset_key == asset.key, FileRecord.deleted_at.is_(None))
        .order_by(DatabaseTable.schema_name, DatabaseTable.table_name)
    ).all()
    if not tables:
        return None
    columns: dict[int, list[TableColumn]] = defaultdict(list)
    for col in session.scalars(
        select(TableColumn)
        .where(TableColumn.file_id.in_([f.id for f, _ in tables]))
        .order_by(TableColumn.file_id, TableColumn.position)
    ):
        columns[col.file_id].append(col)
    rows = f"{asset.rows:,}" if asset.rows is not None else "unknown"
    out = [f"\nTables ({len(tables)}; {rows} rows):"]
    for f, t in tables:
        cols = columns[f.id]
        count = (
            "rows not counted" if f.size is None else f"{f.size:,} rows" + (" (estimate)" if t.rows_estimated else "")
        )
        status = "" if f.status == "ok" else f"  [{f.status}: {f.reason}]"
        out.append(f"  {t.schema_name}.{t.table_name}  ({t.kind}, {count}, {len(cols)} columns){status}")
        shown = [c for c in cols if c.entities] if len(cols) > WIDE else cols
        for c in shown:
            found = ", ".join(
                f"{e} {sampled_phrase(n, c.rows_sampled, f.size)}"
                for e, n in sorted(c.entities.items(), key=lambda en: (-en[1], en[0]))
            )
            typed = f"is {c.entity}; " if c.entity else ""
            what = f"{typed}rows holding: {found}" if found else "-"
            out.append(f"    {column_letters(c.position):>3} {c.name:<28} {c.data_type or '?':<18} {what}")
        if len(shown) < len(cols):
            out.append(f"    ... and {len(cols) - len(shown)} more columns where nothing was found")
    return "\n".join(out)
