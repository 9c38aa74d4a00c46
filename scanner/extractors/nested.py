"""Files inside files: mail attachments and archive members go through identification and EXTRACTORS
like any file, with their locators prefixed ("att:cv.docx/p1", "zip:hr/staff.csv/C7").

A container keeps going past a member it cannot read. ``Members`` runs the members one by one: a member
that is encrypted, corrupt, unsupported or fails in any other way is logged and skipped, and ``finish()``
then raises the first such error, naming the member, so the container is recorded with that status after
every readable member has been scanned. ``TooLarge`` and ``Timeout`` are defences against bombs: they stop
the whole container at once.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

from scanner.errors import ItemError, Timeout, TooLarge
from scanner.extractors import for_mime
from scanner.identify import identify
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)


def check_depth(limits: Limits) -> None:
    """Containers call this first: a container nested deeper than the limit is a bomb, or close to one."""
    if limits.depth > limits.max_archive_depth:
        raise TooLarge(f"containers nested more than {limits.max_archive_depth} deep")


def extract_member(data: bytes | BinaryIO, name: str, limits: Limits, prefix: str) -> Iterator[Chunk]:
    """Identify ``data`` by content, extract it with its format's extractor and prefix every locator.

    ``limits`` are the member's own (the container passes ``limits.nested()`` or a narrower copy); a
    stream must be seekable. A member of a type Steward cannot read yields nothing. The member's errors
    propagate: use ``Members`` to keep going past them.
    """
    fh = io.BytesIO(data) if isinstance(data, bytes) else data
    mime = identify(fh, name).mime
    fh.seek(0)
    extract = for_mime(mime)
    if extract is None:
        log.debug("member skipped: no extractor for %s", mime)
        return
    for chunk in extract(fh, limits):
        yield replace(chunk, where=prefix + chunk.where)


class Members:
    """Extracts a container's members, remembering the ones that fail; see the module docstring."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, Exception]] = []

    def extract(self, data: bytes | BinaryIO, name: str, limits: Limits, prefix: str) -> Iterator[Chunk]:
        try:
            yield from extract_member(data, name, limits, prefix)
        except (TooLarge, Timeout):
            raise
        except Exception as exc:  # one bad member never hides the others
            self.fail(name, exc)

    def fail(self, name: str, exc: Exception) -> None:
        log.info("member %r not read: %s", name, type(exc).__name__)
        self.failures.append((name, exc))

    def finish(self) -> None:
        """Raise the first member failure, if any, as an ``ItemError`` of the same kind."""
        if not self.failures:
            return
        name, exc = self.failures[0]
        more = f" (and {len(self.failures) - 1} more members)" if len(self.failures) > 1 else ""
        kind = type(exc) if isinstance(exc, ItemError) else ItemError
        detail = str(exc) if isinstance(exc, ItemError) else type(exc).__name__
        raise kind(f"member {name!r}: {detail}{more}") from exc
