"""The directory as the web review sees it: read once and kept for a few minutes, so an owner's decision does not
wait for a whole LDAP read. A directory that is configured but cannot be read refuses the decision rather than
accepting a name nobody can check."""

from __future__ import annotations

import threading
import time

from inventory.config import StewardConfig
from inventory.owners.refresh import DirectoryState, open_directory
from scanner.errors import StewardError

TTL_SECONDS = 300.0


class DirectoryCache:
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._state: DirectoryState | None = None
        self._read_at = 0.0

    def get(self, config: StewardConfig) -> DirectoryState:
        with self._lock:
            if self._state is not None and time.monotonic() - self._read_at < self.ttl:
                return self._state
            state = open_directory(config)
            if config.directory is not None and state.problem:
                raise StewardError(f"the directory cannot be read just now ({state.problem}); try again shortly")
            self._state, self._read_at = state, time.monotonic()
            return state
