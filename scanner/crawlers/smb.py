"""Walks a Windows (SMB2/3) file share with smbprotocol, read-only, with many requests in flight.

Every folder and file is described by one entry: the file id (stable across renames) as identity, times and size
from the directory listing, and the owner SID and DACL read with a handle opened for READ_CONTROL only. A folder's
own entry (``kind="folder"``) comes before its files, its files before its sub-folders. Files are opened for reading
and shared with everyone else, so a scan never locks a user out, and nothing is written.

smbprotocol negotiates, signs and authenticates; the requests of the walk itself (listings, security descriptors,
reads) go through ``smb_wire`` so that hundreds are in flight at once (``smb_walk``). Each crawler has its own
connection, so each source's credentials stay apart and bad credentials fail as such. ``known`` (set by the scan
before walking) lets a re-scan skip every security descriptor whose ChangeTime has not moved.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

from scanner.config import SmbSource
from scanner.crawlers.base import CrawlerBase
from scanner.crawlers.smb_read import read_file
from scanner.crawlers.smb_shares import ShareListError, disk_shares, list_shares
from scanner.crawlers.smb_walk import Walk
from scanner.crawlers.smb_wire import DIRECTORY_FILE, READ_ATTRIBUTES, SUCCESS, Wire, WireError, close, create
from scanner.errors import SourceError
from scanner.globs import PathFilter
from scanner.types import FileEntry, KnownLookup, Status

log = logging.getLogger(__name__)

ACCESS_DENIED = 0xC0000022
NOT_FOUND = (0xC0000034, 0xC000003A, 0xC0000225)  # object name / path not found, not found
BAD_SHARE = 0xC00000CC
LIBRARY_LOGGERS = ("smbprotocol", "smbclient", "spnego")
_quieted: set[str] = set()  # library loggers whose level this module set (others were configured: left alone)


def quiet_library_logs() -> None:
    """smbprotocol logs each request at INFO (dozens of lines a file): shown only when this module logs DEBUG,
    unless the logging configuration already set a level for those loggers."""
    level = logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.WARNING
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        if library.level == logging.NOTSET or name in _quieted:
            library.setLevel(level)
            _quieted.add(name)


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "ntstatus", None) or getattr(exc, "status", None)


def as_os_error(exc: OSError, what: str) -> OSError:
    """SMB errors as the builtin ones the pipeline knows (access denied becomes PermissionError)."""
    status = _status(exc)
    if status == ACCESS_DENIED:
        return PermissionError(f"{what}: access denied")
    if status in NOT_FOUND:
        return FileNotFoundError(f"{what}: not found")
    return exc


class SmbCrawler(CrawlerBase):
    source_kind = "smb"

    def __init__(self, source: SmbSource, known: KnownLookup | None = None) -> None:
        self.source = source
        self.filter = PathFilter(source.include, source.exclude)
        self._connection: Any = None
        self.known = known
        self._session: Any = None
        self._wire: Wire | None = None
        self._trees: dict[str, int] = {}  # share -> tree id
        self.descriptors_read = self.descriptors_reused = 0  # security descriptors asked for, and kept from ``known``
        quiet_library_logs()

    # -- connection ----------------------------------------------------------------------------------------
    def connect(self) -> None:
        """Negotiate and log in once (smbprotocol, signing required); an unreachable server or refused login is a
        SourceError. smbclient is not imported: a script named smbclient.py beside ``steward`` would shadow it."""
        if self._session is not None:
            return
        from smbprotocol.connection import Connection
        from smbprotocol.exceptions import (
            LogonFailure,
            PasswordExpired,
            SMBAuthenticationError,
            SMBException,
            WrongPassword,
        )
        from smbprotocol.session import Session

        src = self.source
        where = f"{src.server}:{src.port}"
        connection = Connection(uuid.uuid4(), src.server, src.port, require_signing=True)
        try:
            connection.connect(timeout=src.timeout)
        except (ValueError, OSError, SMBException) as exc:  # smbprotocol raises ValueError("Failed to connect ...")
            raise SourceError(f"source {src.id!r}: cannot connect to the SMB server {where} ({_reason(exc)})") from None
        session = Session(connection, src.login, src.password.get_secret_value(), require_encryption=src.encrypt)
        try:
            session.connect()
        except (SMBAuthenticationError, SMBException) as exc:
            connection.disconnect(close=True)
            if isinstance(exc, SMBAuthenticationError | LogonFailure | WrongPassword | PasswordExpired):
                raise SourceError(
                    f"source {src.id!r}: the SMB server {where} refused the login of "
                    f"{src.login!r} (wrong user name or password, or the account is disabled)"
                ) from None
            raise SourceError(f"source {src.id!r}: SMB session with {where} failed ({type(exc).__name__})") from None
        self._connection, self._session = connection, session

    def wire(self) -> Wire:
        """The fast lane on this source's session (one per crawler)."""
        self.connect()
        if self._wire is None:
            self._wire = Wire(self._session)
        return self._wire

    def tree(self, share: str) -> int:
        """The tree id of ``share`` on this session (connected once); a refused share is a SourceError."""
        from smbprotocol.tree import TreeConnect

        wire = self.wire()
        if share not in self._trees:
            src = self.source
            try:
                tree = TreeConnect(self._session, rf"\\{src.server}\{share}")
                tree.connect()
            except Exception as exc:  # smbprotocol's SMBResponseException carries the NTSTATUS
                raise SourceError(f"source {src.id!r}: {self._root_problem(exc, share)}") from None
            self._trees[share] = wire.add(tree)
        return self._trees[share]

    def shares(self) -> list[str]:
        """The shares this source walks: its one share, its list, or every disk share the server offers."""
        src = self.source
        if src.shares is not None:
            return list(src.shares)
        if src.share != "*":
            return [str(src.share)]
        try:
            found = list_shares(
                src.server, src.port, src.username, src.password.get_secret_value(), src.domain, src.timeout
            )
        except ShareListError as exc:
            raise SourceError(f"source {src.id!r}: {src.server} did not list its shares: {exc}") from None
        names = disk_shares(found, src.admin_shares)
        log.info("%s: %d disk shares on %s: %s", src.id, len(names), src.server, ", ".join(names))
        return names

    def _check_root(self, tid: int) -> None:
        if self.source.path:
            replies = self.wire().call([create(self.prefix, READ_ATTRIBUTES, DIRECTORY_FILE), close()], tid)
            if replies[0][0] != SUCCESS:
                problem = self._root_problem(WireError(replies[0][0], ""), str(self.source.share))
                raise SourceError(f"source {self.source.id!r}: {problem}")

    def _root_problem(self, exc: BaseException, share: str) -> str:
        src, status = self.source, _status(exc)
        if status in (BAD_SHARE, 0xC0000225):  # tree connect: bad network name / not found
            return f"the share {share!r} does not exist on {src.server}"
        if status == ACCESS_DENIED:
            where = rf"\\{src.server}\{share}" if src.several else src.root
            return f"{src.login!r} may not open {where}"
        if status in NOT_FOUND:
            return f"the folder {src.root} does not exist"
        return _reason(exc)

    def close(self) -> None:
        if self._wire is not None:
            self._wire.close()
            self._wire = None
        self._trees.clear()
        if self._connection is not None:
            try:
                self._connection.disconnect(close=True)
            except Exception as exc:  # closing a dead connection must not hide the scan's own outcome
                log.debug("closing the SMB connection: %s", type(exc).__name__)
        self._connection = self._session = None

    @property
    def prefix(self) -> str:
        """The scanned folder inside the share, as SMB names it (backslashes, no leading one)."""
        return self.source.path.replace("/", "\\")

    def unc(self, rel: str) -> str:
        tail = rel.replace("/", "\\")
        return self.source.root + (f"\\{tail}" if tail else "")

    # -- walking -------------------------------------------------------------------------------------------
    def iter_entries(self) -> Iterator[FileEntry]:
        """Every entry of the source's share, or of each of its shares in turn (each share's name then leads
        its paths). A share of several that cannot be opened is recorded as one entry and the walk goes on."""
        try:
            several = self.source.several
            for share in self.shares():
                try:
                    tid = self.tree(share)
                    if not several:
                        self._check_root(tid)
                except SourceError as exc:
                    if not several:
                        raise
                    yield self._unopened(share, str(exc))
                    continue
                label = share if several else ""
                known = self.known if self.source.reread_acls == "changed" else None
                walk = Walk(self.wire(), tid, self.source.id, self.prefix, self.filter, known, label)
                yield from walk.entries()
                self.descriptors_read += walk.read
                self.descriptors_reused += walk.reused
                log.debug("%s: %d security descriptors read, %d unchanged", share, walk.read, walk.reused)
        except WireError as exc:
            raise SourceError(f"source {self.source.id!r}: {_reason(exc)}") from None
        finally:
            self.close()

    def _unopened(self, share: str, reason: str) -> FileEntry:
        status = Status.DENIED if "may not open" in reason else Status.UNREADABLE
        reason = reason.partition(": ")[2] or reason
        return FileEntry(self.source.id, share, f"smb:path:{share}", None, None, status=status, reason=reason)

    # -- reading -------------------------------------------------------------------------------------------
    def open(self, entry: FileEntry) -> BinaryIO:
        """The file's content, read with several requests in flight, opened for reading only and shared."""
        if self.source.several:
            share, _, rel = entry.path.partition("/")
        else:
            share, rel = str(self.source.share), entry.path
        tid = self.tree(share)
        tail = rel.replace("/", "\\")
        path = f"{self.prefix}\\{tail}" if self.prefix else tail
        try:
            return read_file(self.wire(), tid, path)
        except WireError as exc:
            raise as_os_error(exc, entry.path) from None


def _reason(exc: BaseException) -> str:
    """A short reason without the server's full message (which can be long and repeat the path)."""
    if isinstance(exc, PermissionError):
        return "access denied"
    if isinstance(exc, FileNotFoundError):
        return "not found"
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return f"{type(exc).__name__}: {text[:120]}"
