"""One display name per asset, used wherever a line of text must say which asset it means."""

from __future__ import annotations

from scanner.names import shown


def asset_label(source: str, key: str) -> str:
    """``share:Finance`` for a folder asset, ``share (root files)`` for the files at a source's root."""
    return f"{source}:{shown(key)}" if key else f"{source} (root files)"  # readable (scanner.names)
