"""ZIP archives: every member identified by content and extracted, located as "zip:<member path>/...".

Office documents are ZIP files too, but identification names them as documents, so they never come here.

Defences against zip bombs, all raising ``TooLarge`` (status too_large) for the whole archive, at once:

- archives (or mails) nested more than ``limits.max_archive_depth`` deep (a 42.zip stops at the fourth);
- more than ``limits.max_archive_members`` files in one archive, or in an archive and those nested in it
  (an end record listing more than twice that is refused before the directory is read: see
  ``guards.check_zip_directory``);
- a member that claims to expand past ``limits.max_file_bytes`` or the archive's remaining expansion
  budget, or past ``MAX_RATIO`` times its compressed size (a gigabyte of zeros in a megabyte);
- and, not trusting those claims, the bytes actually decompressed are counted as they are read, in
  blocks, against the same bounds; nothing is held in memory beyond ``SPOOL_BYTES`` per member.

Nested archives get what is left of the expansion, member and time budgets of the archive holding them.
Running past ``limits.max_seconds`` raises ``Timeout``. Encrypted members (general purpose bit 0) are
skipped and the archive ends with ``Encrypted``; damaged members end it with ``Corrupt``, after the
readable members have been scanned (see ``nested.Members``). An archive that cannot be opened is Corrupt.
"""

from __future__ import annotations

import logging
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import IO, BinaryIO, cast

from scanner.errors import Corrupt, Encrypted, Timeout, TooLarge, Unsupported
from scanner.extractors.chunking import bounded
from scanner.extractors.guards import check_zip_directory
from scanner.extractors.nested import Members, check_depth
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

MAX_RATIO = 200  # plain text rarely passes 20:1; a run of zeros deflates at about 1000:1
RATIO_FLOOR = 4 * 1024 * 1024  # members expanding to less than this are never judged by ratio
BLOCK = 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024  # a member bigger than this is spooled to a temporary file


def extract_zip(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    """Every member's chunks, up to ``limits.max_text_chars`` characters for the archive as a whole."""
    yield from bounded(_members(fh, limits), limits)


def _members(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    check_depth(limits)
    deadline = time.monotonic() + limits.max_seconds
    check_zip_directory(fh, 2 * max(limits.max_archive_members, 0))  # folders count there too
    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Corrupt(f"not a readable ZIP archive: {exc}") from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > limits.max_archive_members:
            raise TooLarge(f"{len(infos)} members, more than the limit of {limits.max_archive_members}")
        members = Members()
        expanded = 0
        for info in infos:
            if info.flag_bits & 0x1:
                members.fail(info.filename, Encrypted("member is encrypted"))
                continue
            budget = min(limits.max_file_bytes, limits.max_expanded_bytes - expanded)
            try:
                spool, size = _spool(archive, info, budget, deadline)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                members.fail(info.filename, Corrupt(f"damaged member: {type(exc).__name__}"))
                continue
            except NotImplementedError as exc:  # compression method zipfile cannot read
                members.fail(info.filename, Unsupported(str(exc)))
                continue
            expanded += size
            nested = replace(
                limits.nested(),
                max_expanded_bytes=limits.max_expanded_bytes - expanded,
                max_archive_members=limits.max_archive_members - len(infos),
                max_seconds=max(0.0, deadline - time.monotonic()),
            )
            with spool:
                stream = cast(BinaryIO, spool)
                yield from members.extract(stream, info.filename, nested, f"zip:{info.filename}/")
            if time.monotonic() > deadline:
                raise Timeout(f"archive not read within {limits.max_seconds:g} seconds")
        members.finish()


def _spool(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, deadline: float) -> tuple[IO[bytes], int]:
    """Decompress one member into a spooled temporary file, counting the bytes that actually come out."""
    if info.file_size > budget:
        raise TooLarge(f"a member expands to {info.file_size} bytes, past the limit of {budget}")
    by_ratio = max(RATIO_FLOOR, MAX_RATIO * info.compress_size)
    if info.file_size > by_ratio:
        raise TooLarge(f"a member's compression ratio is over {MAX_RATIO}:1")
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open to the caller
    total = 0
    try:
        with archive.open(info) as src:
            while block := src.read(BLOCK):
                total += len(block)
                if total > budget:
                    raise TooLarge(f"a member expands past the limit of {budget} bytes")
                if total > by_ratio:
                    raise TooLarge(f"a member's compression ratio is over {MAX_RATIO}:1")
                if time.monotonic() > deadline:
                    raise Timeout("archive not read within its time limit")
                out.write(block)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, total
