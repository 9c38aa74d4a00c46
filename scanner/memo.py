"""What a process remembers of the answers it has worked out: the answers for the last ``size`` keys, the oldest
forgotten first.

Texts recur across a share (copies of a file, templates, signatures, the same column in each export), and a
scan asks the same question of each: detection remembers its answers for short texts, the risk sync the evidence
it has decoded. Every memory is bounded, so a long scan's memory stays flat. What is remembered stays in the
process's memory and is never written anywhere.

Where texts do not recur (letters and reports each written for one person), a full memory is memory spent for
nothing: a worker's memories held about 20 MB after 3,000 such documents, 13 MB of it in four (confirmed texts,
table cells, the digests of values) that answered fewer than one lookup in ten. So a memory looked up through
``recall`` keeps count: when, over as many lookups as it may hold answers, fewer than one in ``FEW`` was answered,
it keeps only a ``SPARE``-th of them (enough for a text repeated close by: a column's cells, a file's own lines)
until one lookup in ``FEW`` is answered again, when it may fill up again. Which answers are kept never changes an
answer, only how often it is worked out again.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Final, TypeVar, cast

K = TypeVar("K")
V = TypeVar("V")

FEW = 10  # a memory answering fewer than one lookup in this many keeps a SPARE-th of its answers
SPARE = 8
SHED = 8  # a full memory forgets the oldest SHED-th of its answers at once


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()  # what ``recall`` gives for a key it does not hold (None can be an answer)


class Recent(dict[K, V]):
    """A dict of at most ``size`` entries; ``keep`` adds one, forgetting the oldest when it is full. ``recall``
    looks a key up, counting how often the memory answers (module docstring).

    A full memory forgets its oldest ``SHED``-th at once rather than one answer per ``keep``: a dict finds its
    first live entry by stepping over every one deleted before it (until it next resizes), so forgetting one at
    a time cost 9 µs a ``keep`` in a full memory of 16,384 answers, against 0.3 µs. (An ``OrderedDict`` forgets
    in constant time too, but its links cost memory: 2,304 KB against 1,280 KB for 16,384 answers, about 3 MB more
    in each worker.)"""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size  # the most it may hold
        self.limit = size  # what it holds now: ``size``, or a SPARE-th of it while it seldom answers
        self._asked = 0
        self._answered = 0

    def recall(self, key: K) -> V:
        """The answer kept for ``key``, or ``MISSING``."""
        found = self.get(key, MISSING)
        self._asked += 1
        if found is not MISSING:
            self._answered += 1
        if self._asked >= self.size:
            self._judge()
        return cast(V, found)

    def keep(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` and return it."""
        if key not in self and len(self) >= self.limit:
            self._forget(max(1, self.limit // SHED))
        self[key] = value
        return value

    def clear(self) -> None:
        """Forget every answer, and how often the memory answered: it starts again as new."""
        super().clear()
        self.limit = self.size
        self._asked = self._answered = 0

    def _judge(self) -> None:
        earning = self._answered * FEW >= self._asked
        self.limit = self.size if earning else max(1, self.size // SPARE)
        self._asked = self._answered = 0
        self._forget(len(self) - self.limit)

    def _forget(self, count: int) -> None:
        """Forget the ``count`` oldest answers."""
        for key in list(islice(self, max(0, count))):
            del self[key]
