"""What a process remembers of the answers it has worked out: the answers for the last ``size`` keys, the oldest
forgotten first.

Texts recur across a share (copies of a file, templates, signatures, the same column in each export), and a
scan asks the same question of each: detection remembers its answers for short texts, the risk sync the evidence
it has decoded. Every memory is bounded, so a long scan's memory stays flat. What is remembered stays in the
process's memory and is never written anywhere.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(dict[K, V]):
    """A dict of at most ``size`` entries; ``keep`` adds one, forgetting the oldest when it is full."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def keep(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` and return it."""
        if key not in self and len(self) >= self.size:
            del self[next(iter(self))]
        self[key] = value
        return value
