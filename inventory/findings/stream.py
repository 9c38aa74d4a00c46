"""The facts the rule kinds read, from the store: a source's assets, the copies of each content hash, and its files
as frozen ``FileFacts`` in batches (two queries per batch, no per-file queries), each with what the last
evaluation kept on its row (``Kept``)."""

from __future__ import annotations

import grp
import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, literal_column, or_, select
from sqlalchemy.orm import Session

from inventory.owners.models import AssetOwnership
from inventory.rules.facts import AssetFacts, FileFacts, local_access
from inventory.store.bulk import from_json, read_rows
from inventory.store.models import Asset, DetectionRow, FileRecord
from scanner.types import AccessFact

BATCH = 2000
FILE_COLUMNS = (
    "id",
    "path",
    "size",
    "mtime",
    "ctime",
    "mime",
    "status",
    "reason",
    "asset_key",
    "special_category",
    "marking",
    "keywords",
    "content_hash",
    "mode",
    "gid",
    "acl",
)
KEPT_COLUMNS = ("retention_class", "disposal_date", "rules_due", "copies_digest")


class Kept(NamedTuple):
    """What the last evaluation kept on a file's row (``FileRecord``): compared with this evaluation's, so only
    rows whose values moved are written."""

    retention_class: str | None = None
    disposal_date: datetime | None = None
    rules_due: datetime | None = None
    copies_digest: str | None = None


class Batch(NamedTuple):
    files: tuple[FileFacts, ...]
    kept: dict[int, Kept]


@dataclass
class Copies:
    """Every present "source:path" holding a content hash found more than once (in any source), and the files of
    the source being evaluated among them (file id -> hash and path)."""

    places: dict[str, list[str]] = field(default_factory=dict)
    mine: dict[int, tuple[str, str]] = field(default_factory=dict)

    def others(self, source: str, path: str, digest: str | None) -> tuple[str, ...]:
        if not digest or digest not in self.places:
            return ()
        here = f"{source}:{path}"
        return tuple(c for c in self.places[digest] if c != here)


def copies_digest(others: tuple[str, ...]) -> str | None:
    """A short digest of the other places holding a file's content (None: no other place)."""
    if not others:
        return None
    return hashlib.blake2b("\n".join(sorted(others)).encode(), digest_size=8).hexdigest()


@cache
def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except (KeyError, OverflowError):
        return f"gid:{gid}"


def load_assets(session: Session, source: str) -> dict[str, AssetFacts]:
    folders: dict[str, list[str]] = defaultdict(list)
    for key, folder in session.execute(
        select(FileRecord.asset_key, FileRecord.dir)
        .where(FileRecord.source == source, FileRecord.deleted_at.is_(None))
        .distinct()
    ):
        folders[key].append(folder)
    left = set(
        session.scalars(
            select(AssetOwnership.asset_id)
            .join(Asset, Asset.id == AssetOwnership.asset_id)
            .where(Asset.source == source, AssetOwnership.owner_enabled.is_(False))
        )
    )
    out = {}
    for a in session.scalars(select(Asset).where(Asset.source == source, Asset.deleted_at.is_(None))):
        out[a.key] = AssetFacts(
            a.id,
            a.source,
            a.key,
            a.name,
            a.owner,
            a.file_count,
            a.bytes,
            a.personal_files,
            tuple(sorted(f for f in folders.get(a.key, ()) if f)),
            a.id in left,
        )
    return out


def load_copies(session: Session, source: str) -> Copies:
    """One grouped query over the content hashes of every source."""
    present = FileRecord.deleted_at.is_(None) & FileRecord.content_hash.is_not(None)
    repeated = (
        select(FileRecord.content_hash)
        .where(present)
        .group_by(FileRecord.content_hash)
        .having(func.count() > 1)
        .subquery()
    )
    out = Copies(defaultdict(list))
    for digest, where, path, fid in session.execute(  # the content hash is never None here
        select(FileRecord.content_hash, FileRecord.source, FileRecord.path, FileRecord.id).where(
            present, FileRecord.content_hash.in_(select(repeated.c.content_hash))
        )
    ):
        out.places[str(digest)].append(f"{where}:{path}")
        if where == source:
            out.mine[fid] = (str(digest), path)
    return out


def stream_facts(
    session: Session,
    source: str,
    assets: dict[str, AssetFacts],
    copies: Copies,
    files: Collection[int] | None = None,
    batch: int = BATCH,
) -> Iterator[Batch]:
    """Present files of ``source`` (or only those of ``files``) as facts, ``batch`` at a time, in id order."""
    present = (FileRecord.source == source) & FileRecord.deleted_at.is_(None)
    conn = session.connection()
    kept = conn.execute(select(FileRecord.id).where(present, _kept_any()).limit(1)).first() is not None
    if conn.dialect.name == "sqlite":
        # With no statistics SQLite takes the source's equality for the narrowest way in, reads every file of the
        # source through one of its indexes and sorts them all by id, batch after batch (quadratic in the files of
        # the source); "+" makes the source a plain filter, so each batch is a range of the primary key.
        present = (literal_column(f"+{FileRecord.__tablename__}.source") == source) & FileRecord.deleted_at.is_(None)
    columns = [getattr(FileRecord, c) for c in (*FILE_COLUMNS, *(KEPT_COLUMNS if kept else ()))]
    wanted = sorted(files) if files is not None else None
    last, start = 0, 0
    while True:
        query = select(*columns).where(present)
        if wanted is None:
            query = query.where(FileRecord.id > last).order_by(FileRecord.id).limit(batch)
        else:
            if start >= len(wanted):
                return
            chunk, start = wanted[start : start + batch], start + batch
            query = query.where(FileRecord.id.in_(chunk)).order_by(FileRecord.id)
        rows = [_converted(r, kept) for r in read_rows(conn, query)]
        if not rows:
            if wanted is None:
                return
            continue
        lo, hi = rows[0][0], rows[-1][0]
        ids = DetectionRow.file_id.between(lo, hi) if wanted is None else DetectionRow.file_id.in_([r[0] for r in rows])
        entities: dict[int, dict[str, int]] = defaultdict(dict)
        in_name: dict[int, dict[str, str]] = defaultdict(dict)
        located = select(DetectionRow.file_id, DetectionRow.entity, DetectionRow.count, DetectionRow.locators)
        for fid, entity, count, locators in read_rows(conn, located.where(ids)):
            entities[fid][entity] = count
            if locators and ('"name"' in locators or '"folder"' in locators or not isinstance(locators, str)):
                where = next((w for w in from_json(locators) if w in ("name", "folder")), None)
                if where:
                    in_name[fid][entity] = where
        facts = tuple(
            replace(_facts(source, r, entities.get(r[0], {}), assets, copies), in_name=in_name[r[0]])
            if r[0] in in_name
            else _facts(source, r, entities.get(r[0], {}), assets, copies)
            for r in rows
        )
        n = len(FILE_COLUMNS)
        yield Batch(facts, {r[0]: Kept(*r[n:]) for r in rows} if kept else {})  # none kept: a first evaluation
        last = hi


# Read as the driver gives them (``read_rows``: a first evaluation reads every file of the source): the positions in
# FILE_COLUMNS + KEPT_COLUMNS of times (text on SQLite) and of JSON (text on SQLite and MariaDB).
_TIMES = tuple(
    i for i, c in enumerate((*FILE_COLUMNS, *KEPT_COLUMNS)) if c in ("mtime", "ctime", "disposal_date", "rules_due")
)
_JSON = tuple(i for i, c in enumerate(FILE_COLUMNS) if c in ("special_category", "keywords", "acl"))


def _converted(row: tuple[Any, ...], kept: bool) -> tuple[Any, ...]:
    """A files row from ``read_rows`` with the values SQLAlchemy would have given: times and JSON decoded."""
    out = list(row)
    for i in _TIMES:
        if i < len(out) and isinstance(out[i], str):
            out[i] = datetime.fromisoformat(out[i])
    for i in _JSON:
        out[i] = from_json(out[i])
    return tuple(out)


def _kept_any() -> ColumnElement[bool]:
    return or_(*(getattr(FileRecord, c).is_not(None) for c in KEPT_COLUMNS))


def _facts(source: str, r: Any, entities: dict[str, int], assets: dict[str, AssetFacts], copies: Copies) -> FileFacts:
    (
        fid,
        path,
        size,
        mtime,
        ctime,
        mime,
        status,
        reason,
        asset_key,
        special,
        marking,
        keywords,
        digest,
        mode,
        gid,
        acl,
    ) = r[: len(FILE_COLUMNS)]  # positional: the FILE_COLUMNS order, cheaper than attribute access on 100,000 rows
    asset = assets.get(asset_key)
    access = local_access(mode, group_name(gid) if gid is not None else None)
    if acl:
        access += tuple(AccessFact(p, rights, bool(allow)) for p, rights, allow in acl)
    return FileFacts(
        fid,
        source,
        path,
        size,
        mtime,
        ctime,
        mime,
        status,
        reason,
        asset.id if asset else None,
        f"{source}:{asset_key}",
        entities,
        tuple(special or ()),
        marking,
        tuple(keywords or ()),
        digest,
        access,
        copies.others(source, path, digest),
    )
