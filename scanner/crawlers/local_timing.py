"""Whether a file system answers like a network mount: the fastest of its last few timed requests, judged by the
walk's looks (``local_lookers``) and by the reading ahead's opens (``local_prefetch``). The fastest, not the
average: a busy machine can hold up any one request to a local disk, but a network mount never answers faster
than its round trip."""

from __future__ import annotations

SLOW_NS = 50_000  # requests never faster than this (50 µs: a network round trip, a seek) are worth threads
KEPT = 8  # timed requests judged: a local disk's are never all this slow, a network's are


class Timings:
    """The last ``KEPT`` timings, in ns. Written from any thread: a ring, so a slot written is never in the way,
    and a count lost to a race only moves which slot is written."""

    def __init__(self) -> None:
        self._ns = [0] * KEPT
        self._count = 0

    def add(self, ns: int) -> None:
        self._ns[self._count % KEPT] = ns
        self._count += 1

    def slow(self) -> bool:
        return self._count >= KEPT and min(self._ns) >= SLOW_NS
