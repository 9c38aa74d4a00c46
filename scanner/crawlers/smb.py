"""Walks a Windows (SMB2/3) file share with smbprotocol, read-only.

Every folder and file is described by one entry: the file id (stable across renames) as identity, times and
size from the directory listing (``smb_info``: no extra round trip), and the owner SID and DACL read with a
handle opened for READ_CONTROL only. A folder's own entry (``kind="folder"``) comes before its files, its
files before its sub-folders. Files are opened for reading and shared with everyone else (``share_access``
"rwd"), so a scan never locks a user out, and nothing is ever written.

Three smbprotocol details matter (ENVIRONMENT.md §4): the port is passed on every call, ``DirEntry.stat()``
is never used (it ignores the port), and signing stays on. A private connection cache per crawler keeps
each source's credentials apart and lets bad credentials fail as bad credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, BinaryIO

from scanner.config import SmbSource
from scanner.crawlers.base import CrawlerBase
from scanner.crawlers.smb_security import Security, access_facts, read_security
from scanner.errors import SourceError
from scanner.globs import PathFilter
from scanner.types import FileEntry, Status

log = logging.getLogger(__name__)

ACCESS_DENIED = 0xC0000022
NOT_FOUND = (0xC0000034, 0xC000003A, 0xC0000225)  # object name / path not found, not found
BAD_SHARE = 0xC00000CC
FILE_ATTRIBUTE_REPARSE_POINT = 0x400


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "ntstatus", None)


def as_os_error(exc: OSError, what: str) -> OSError:
    """smbprotocol's errors as the builtin ones the pipeline knows (access denied becomes PermissionError)."""
    status = _status(exc)
    if status == ACCESS_DENIED:
        return PermissionError(f"{what}: access denied")
    if status in NOT_FOUND:
        return FileNotFoundError(f"{what}: not found")
    return exc


class SmbCrawler(CrawlerBase):
    source_kind = "smb"

    def __init__(self, source: SmbSource) -> None:
        self.source = source
        self.filter = PathFilter(source.include, source.exclude)
        self.cache: dict[str, Any] = {}
        self._connected = False

    # -- connection ----------------------------------------------------------------------------------------
    def _kw(self) -> dict[str, Any]:
        return {"port": self.source.port, "connection_cache": self.cache}

    def connect(self) -> None:
        """Register the session once; an unreachable server or refused login is a SourceError."""
        if self._connected:
            return
        import smbclient
        from smbprotocol.exceptions import (
            LogonFailure,
            PasswordExpired,
            SMBAuthenticationError,
            SMBException,
            WrongPassword,
        )

        src = self.source
        where = f"{src.server}:{src.port}"
        try:
            smbclient.register_session(
                src.server,
                username=src.login,
                password=src.password.get_secret_value(),
                encrypt=src.encrypt or None,
                connection_timeout=src.timeout,
                **self._kw(),
            )
        except (SMBAuthenticationError, SMBException) as exc:
            if isinstance(exc, SMBAuthenticationError | LogonFailure | WrongPassword | PasswordExpired):
                raise SourceError(
                    f"source {src.id!r}: the SMB server {where} refused the login of "
                    f"{src.login!r} (wrong user name or password, or the account is disabled)"
                ) from None
            raise SourceError(f"source {src.id!r}: SMB session with {where} failed ({type(exc).__name__})") from None
        except (ValueError, OSError) as exc:  # smbprotocol raises ValueError("Failed to connect ...")
            raise SourceError(f"source {src.id!r}: cannot connect to the SMB server {where} ({_reason(exc)})") from None
        self._connected = True

    def close(self) -> None:
        import smbclient

        if self.cache:
            try:
                smbclient.reset_connection_cache(connection_cache=self.cache)
            except Exception as exc:  # closing a dead connection must not hide the scan's own outcome
                log.debug("closing SMB connections: %s", type(exc).__name__)
            self.cache.clear()
        self._connected = False

    def unc(self, rel: str) -> str:
        tail = rel.replace("/", "\\")
        return self.source.root + (f"\\{tail}" if tail else "")

    # -- walking -------------------------------------------------------------------------------------------
    def iter_entries(self) -> Iterator[FileEntry]:
        self.connect()
        try:
            self._check_root()
            yield from self._walk("", None)
        finally:
            self.close()

    def _check_root(self) -> None:
        import smbclient

        src = self.source
        try:
            smbclient.stat(self.unc(""), **self._kw())
        except OSError as exc:
            status = _status(exc)
            if status in (BAD_SHARE, 0xC0000225):  # tree connect: bad network name / not found
                reason = f"the share {src.share!r} does not exist on {src.server}"
            elif status == ACCESS_DENIED:
                reason = f"{src.login!r} may not open {src.root}"
            elif status in NOT_FOUND:
                reason = f"the folder {src.root} does not exist"
            else:
                reason = _reason(exc)
            raise SourceError(f"source {src.id!r}: {reason}") from None

    def _walk(self, rel_dir: str, info: Any) -> Iterator[FileEntry]:
        import smbclient

        yield self._entry(rel_dir, info, folder=True)
        try:
            with smbclient.scandir(self.unc(rel_dir), **self._kw()) as listing:
                items = sorted(listing, key=lambda e: e.name)
        except UnicodeError as exc:  # smbclient decodes names strictly: an unpaired UTF-16 surrogate stops it
            yield self._problem(
                rel_dir,
                Status.UNREADABLE,
                f"folder cannot be listed: a name is not valid UTF-16 ({type(exc).__name__})",
            )
            return
        except OSError as exc:
            error = as_os_error(exc, rel_dir or ".")
            status = Status.DENIED if isinstance(error, PermissionError) else Status.VANISHED
            if not isinstance(error, PermissionError | FileNotFoundError):
                status = Status.UNREADABLE
            yield self._problem(rel_dir, status, f"folder cannot be listed: {_reason(error)}")
            return
        subdirs: list[tuple[str, Any]] = []
        for item in items:
            rel = f"{rel_dir}/{item.name}" if rel_dir else item.name
            smb_info = item.smb_info  # from the listing itself; never item.stat() (it ignores the port)
            if smb_info.file_attributes & FILE_ATTRIBUTE_REPARSE_POINT:
                if self.filter.wants_file(rel):
                    yield self._entry(rel, smb_info, status=Status.LINK, reason="reparse point (link), not followed")
            elif item.is_dir():
                if self.filter.wants_dir(rel):
                    subdirs.append((rel, smb_info))
            elif self.filter.wants_file(rel):
                yield self._entry(rel, smb_info)
        for rel, smb_info in subdirs:
            yield from self._walk(rel, smb_info)

    def _entry(
        self, rel: str, info: Any, folder: bool = False, status: Status = Status.OK, reason: str | None = None
    ) -> FileEntry:
        security, problem = self._security(rel, folder)
        if problem and status is Status.OK:
            reason = problem
        return FileEntry(
            source=self.source.id,
            path=rel or ".",
            identity=f"smb:{info.file_id}" if info is not None else f"smb:path:{rel}",
            size=None if folder or info is None else int(info.end_of_file),
            mtime=info.last_write_time if info is not None else None,
            ctime=info.change_time if info is not None else None,
            atime=info.last_access_time if info is not None else None,
            owner=security.owner if security else None,
            acl=access_facts(security.aces) if security else (),
            status=status,
            reason=reason,
            kind="folder" if folder else "file",
        )

    def _security(self, rel: str, folder: bool) -> tuple[Security | None, str | None]:
        """Owner and DACL, or why they could not be read (the entry is still recorded)."""
        try:
            return read_security(self.unc(rel), folder, **self._kw()), None
        except UnicodeError as exc:  # a name with an unpaired surrogate cannot be sent as UTF-16
            return None, f"permissions cannot be read: the name is not valid UTF-16 ({type(exc).__name__})"
        except OSError as exc:
            error = as_os_error(exc, rel or ".")
            log.debug("no security descriptor for %s: %s", rel, _reason(error))
            return None, f"permissions cannot be read: {_reason(error)}"

    def _problem(self, rel: str, status: Status, reason: str) -> FileEntry:
        return FileEntry(
            self.source.id, rel or ".", identity=f"smb:path:{rel}", size=None, mtime=None, status=status, reason=reason
        )

    # -- reading -------------------------------------------------------------------------------------------
    def open(self, entry: FileEntry) -> BinaryIO:
        """The file's content, opened for reading only and shared with other users."""
        import smbclient

        self.connect()
        try:
            handle: BinaryIO = smbclient.open_file(self.unc(entry.path), mode="rb", share_access="rwd", **self._kw())
        except OSError as exc:
            raise as_os_error(exc, entry.path) from None
        return handle


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
