"""What the register needs to know about each source kind, declared once per kind rather than probed.

A file share (local or SMB) keys its files' assets by their first folders and is located by its root; a database
keys them by table (or schema), records each table's columns beside the file row, and names and owns its assets
from the config. Adding a source kind: one profile function and its branch in ``profile_for``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.register import databases
from inventory.runs.record import OnRecord
from scanner.config import DatabaseSource, LocalSource, SmbSource


@dataclass(frozen=True)
class SourceProfile:
    """``depth``: asset depth for file paths; ``key_for``: path -> asset key when it is not the first folders;
    ``on_record``: called with each recorded file row; ``location``: where the source is, for people (no secret);
    ``describe``: run after the roll-up to name, locate and own the source's assets where the kind knows more."""

    depth: int
    location: str
    key_for: Callable[[str], str] | None = None
    on_record: OnRecord | None = None
    describe: Callable[[Session], None] | None = None


def _share(config: StewardConfig, source: LocalSource | SmbSource) -> SourceProfile:
    depth = source.asset_depth or config.assets.depth
    if isinstance(source, SmbSource) and source.several:
        depth += 1  # each share is the first folder of its paths and its own asset root
    return SourceProfile(depth=depth, location=str(source.root))


def _database(config: StewardConfig, source: DatabaseSource) -> SourceProfile:
    return SourceProfile(
        depth=config.assets.depth,
        location=databases.location(source),
        key_for=databases.key_function(source),
        on_record=databases.record_table,
        describe=lambda session: databases.describe_assets(session, source),
    )


def profile_for(config: StewardConfig, source: LocalSource | SmbSource | DatabaseSource) -> SourceProfile:
    """The profile of a validated source."""
    if source.kind == "database":
        return _database(config, source)
    return _share(config, source)
