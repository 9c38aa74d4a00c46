"""The per-installation key for keyed hashes (HMAC) of values that must be matched across files."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from inventory.config import StewardConfig


def key_path(config: StewardConfig) -> Path:
    url = make_url(config.database)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_suffix(".key")
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "steward" / "hash.key"


def hash_key(config: StewardConfig) -> bytes:
    """The configured key, else a random key kept in a private file (created on first use)."""
    if config.hash_key:
        return config.hash_key.encode()
    path = key_path(config)
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
