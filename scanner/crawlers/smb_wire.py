"""A fast lane for many SMB2 requests in flight on one smbprotocol session: requests packed and responses
parsed with ``struct``, sent without waiting for earlier replies.

smbprotocol negotiates, authenticates, signs, encrypts and keeps the connection alive; its generic message
structures cost tens of microseconds per field set, which caps a walk near a thousand entries a second. This
module builds the handful of messages a crawl needs (CREATE, QUERY_DIRECTORY, QUERY_INFO, READ, CLOSE) as
bytes, stamps them with message ids from the connection's own credit window (under its lock, so smbprotocol's
own requests and these never collide), signs them with the session key through smbprotocol, and sends them
as related compounds. Replies to these message ids are taken off the connection's receive path before
smbprotocol sees them (every other reply goes on to smbprotocol unchanged), verified and matched to their
``Flight``. Credits are asked for until the window holds ``credits`` requests, so a walk keeps hundreds of
requests in flight instead of waiting for each reply (MS-SMB2 3.2.4.1.2, 3.2.5.1).
"""

from __future__ import annotations

import select
import struct
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

# Commands (MS-SMB2 2.2.1)
CREATE, CLOSE, READ, QUERY_DIRECTORY, QUERY_INFO = 0x05, 0x06, 0x08, 0x0E, 0x10
# Header flags
SERVER_TO_REDIR, ASYNC, RELATED, SIGNED = 0x1, 0x2, 0x4, 0x8
# Status codes
SUCCESS, PENDING, NO_MORE_FILES, BUFFER_OVERFLOW, END_OF_FILE = 0, 0x103, 0x80000006, 0x80000005, 0xC0000011
# Access, options
READ_CONTROL, LIST_DIRECTORY, READ_DATA, READ_ATTRIBUTES, SYNCHRONIZE = 0x20000, 0x1, 0x1, 0x80, 0x100000
DIRECTORY_FILE, NON_DIRECTORY_FILE = 0x1, 0x40
SHARE_ALL = 0x7  # read, write and delete: never lock a user out
FILE_ID_FULL_DIRECTORY_INFORMATION = 0x26
SECURITY_INFO, OWNER_GROUP_DACL = 0x3, 0x7
RELATED_FILE_ID = b"\xff" * 16

_HEADER = struct.Struct("<4sHHIHHIIQIIQ16s")
_RESPONSE = struct.Struct("<IHHII")  # status, command, credits, flags, next command (at offset 8)
_DIR_ENTRY = struct.Struct("<II4qqqIIIIQ")  # FILE_ID_FULL_DIRECTORY_INFORMATION up to the name (80 bytes)
EPOCH_FILETIME = 116444736000000000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Message = tuple[int, bytes, int]  # command, body, credit charge
Reply = tuple[int, bytes]  # status, body (the header stripped)


class WireError(OSError):
    """A request failed with an NTSTATUS (``ntstatus``) or the connection broke."""

    def __init__(self, ntstatus: int | None, what: str) -> None:
        super().__init__(what)
        self.ntstatus = ntstatus


def filetime(value: int) -> datetime:
    """A FILETIME as smbprotocol gives it: UTC, microseconds rounded down."""
    try:
        return EPOCH + timedelta(microseconds=(value - EPOCH_FILETIME) // 10)
    except OverflowError:
        return datetime.max


# -- requests (MS-SMB2 2.2.13, 2.2.15, 2.2.19, 2.2.33, 2.2.37) -------------------------------------------------
def create(path: str, access: int, options: int = 0) -> Message:
    """Open ``path`` (relative to the share, backslashes) if it exists; never creates or truncates."""
    name = path.encode("utf-16-le", "surrogatepass")
    body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, access, 0, SHARE_ALL, 1, options, 120, len(name), 0, 0)
    return CREATE, body + (name or b"\x00\x00"), 1


def query_directory(file_id: bytes = RELATED_FILE_ID, output: int = 65536, restart: bool = False) -> Message:
    pattern = "*".encode("utf-16-le")
    body = struct.pack(
        "<HBBI16sHHI", 33, FILE_ID_FULL_DIRECTORY_INFORMATION, 1 if restart else 0, 0, file_id, 96, 2, output
    )
    return QUERY_DIRECTORY, body + pattern, _charge(output)


def query_security(file_id: bytes = RELATED_FILE_ID) -> Message:
    body = struct.pack("<HBBIHHIII16s", 41, SECURITY_INFO, 0, 65535, 0, 0, 0, OWNER_GROUP_DACL, 0, file_id)
    return QUERY_INFO, body + b"\x00", 1


def read(offset: int, length: int, file_id: bytes = RELATED_FILE_ID) -> Message:
    body = struct.pack("<HBBIQ16sIIIHH", 49, 0x50, 0, length, offset, file_id, 0, 0, 0, 0, 0)
    return READ, body + b"\x00", _charge(length)


def close(file_id: bytes = RELATED_FILE_ID) -> Message:
    return CLOSE, struct.pack("<HHI16s", 24, 0, 0, file_id), 1


def _charge(payload: int) -> int:
    return (max(payload, 1) - 1) // 65536 + 1


# -- replies ---------------------------------------------------------------------------------------------------
def file_id_of(create_reply: bytes) -> bytes:
    return create_reply[64:80]


def buffer_of(reply: bytes) -> bytes:
    """The output buffer of a QUERY_DIRECTORY or QUERY_INFO reply (offset counted from the header)."""
    offset, length = struct.unpack_from("<HI", reply, 2)
    return reply[offset - 64 : offset - 64 + length] if length else b""


def data_of(read_reply: bytes) -> bytes:
    offset = read_reply[2]
    (length,) = struct.unpack_from("<I", read_reply, 4)
    return read_reply[offset - 64 : offset - 64 + length]


DirEntry = tuple[str, int, int, int, int, int, int]  # name, attributes, size, mtime, ctime, atime (FILETIME), id


def dir_entries(buffer: bytes) -> list[DirEntry]:
    """The entries of a FILE_ID_FULL_DIRECTORY_INFORMATION buffer, "." and ".." left out; only used fields."""
    out: list[DirEntry] = []
    unpack, at = _DIR_ENTRY.unpack_from, 0
    while True:
        step, _index, _created, atime, mtime, ctime, size, _alloc, attrs, name_len, _ea, _res, file_id = unpack(
            buffer, at
        )
        name = buffer[at + 80 : at + 80 + name_len].decode("utf-16-le", "surrogatepass")
        if name != "." and name != "..":
            out.append((name, attrs, size, mtime, ctime, atime, file_id))
        if not step:
            return out
        at += step


# -- the lane --------------------------------------------------------------------------------------------------
class Flight:
    """One compound in flight: its replies arrive in the order the messages were sent."""

    __slots__ = ("done", "ids", "replies")

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.replies: dict[int, Reply] = {}
        self.done = threading.Event()


class Wire:
    """Many requests in flight on one smbprotocol ``Session`` (any of its tree connects, ``add``ed first).
    ``credits`` is the window to grow to."""

    def __init__(self, session: Any, credits: int = 512, timeout: float = 120.0) -> None:
        self.conn, self.session = session.connection, session
        self.sid, self.timeout = session.session_id, timeout
        self.trees: dict[int, tuple[int, bool]] = {}  # tree id -> (header flags, encrypted?)
        self.encrypt = bool(session.encrypt_data)
        self.sign = bool(session.signing_required and session.signing_key)
        self.want = credits
        self.multi = bool(self.conn.supports_multi_credit)  # SMB 2.0.2 has one credit per request, 64 KiB each
        self.max_payload = min(1 << 20, self.conn.max_read_size) if self.multi else 65536
        self.flights: dict[int, Flight] = {}
        self.transport = self.conn.transport
        self.pending: list[bytes] = []  # frames sent on the next flush (one system call for many compounds)
        self._sign = self._signer()
        self._buffer = bytearray()  # bytes read from the socket, not yet split into frames
        self.transport.recv = self._receive  # the worker thread calls this; replies to our ids stop here
        # The worker may already wait inside the old recv: one echo through smbprotocol lets it come round to
        # the new one, and asks for the credits the window wants.
        self.conn.echo(sid=self.sid, credit_request=min(max(credits - self.room(), 1), 8192))

    def add(self, tree: Any) -> int:
        """Use ``tree`` (a connected smbprotocol TreeConnect) on this lane; returns its id for ``send``."""
        # No DFS flag even on a DFS share: names stay relative to the share, and DFS links show as reparse points
        # (recorded as links, not followed), as the walk treats every link.
        self.trees[tree.tree_connect_id] = (0, bool(self.encrypt or tree.encrypt_data))
        return int(tree.tree_connect_id)

    def close(self) -> None:
        """Nothing to undo: the receive path stays until the connection closes (it hands smbprotocol its own
        replies, and replies to requests never waited for, such as a last CLOSE, still arrive here)."""

    # -- sending ----------------------------------------------------------------------------------------------
    def send(self, messages: Sequence[Message], tid: int, related: bool = True) -> Flight:
        """Send ``messages`` as one compound (related: each works on the handle the first one opened)."""
        conn, window = self.conn, self.conn.sequence_window
        tree_flags, encrypt = self.trees[tid]
        sign = self.sign and not encrypt
        parts: list[bytes] = []
        with conn.sequence_lock:
            credits = window["high"] - window["low"]
            charge = sum(m[2] for m in messages)
            if charge > credits:
                raise WireError(None, f"{charge} credits needed, {credits} available")
            ask = 1 + (self.want - credits) // len(messages) if credits < self.want else 0
            ids: list[int] = []
            for i, (command, body, cost) in enumerate(messages):
                mid = window["low"]
                window["low"] += cost
                cost = cost if self.multi else 0
                ids.append(mid)
                last = i == len(messages) - 1
                pad = b"" if last else b"\x00" * (-len(body) % 8)
                flags = tree_flags | (RELATED if related and i else 0) | (SIGNED if sign else 0)
                header = _HEADER.pack(
                    b"\xfeSMB", 64, cost, 0, command, cost + ask, flags, 0 if last else 64 + len(body) + len(pad),
                    mid, 0, tid, self.sid, b"\x00" * 16,
                )  # fmt: skip
                frame = header + body + pad
                if sign:
                    signature = self._sign(frame, mid, False, command)
                    frame = frame[:48] + signature + frame[64:]
                parts.append(frame)
            flight = Flight(ids)
            for mid in ids:
                self.flights[mid] = flight
        data = b"".join(parts)
        if encrypt:
            data = conn._encrypt(data, self.session).pack()
        self.pending.append(struct.pack(">I", len(data)) + data)  # Direct TCP framing (MS-SMB2 2.1)
        if len(self.pending) >= 64:
            self.flush()
        return flight

    def flush(self) -> None:
        """Put every compound sent so far on the wire, in one write."""
        if self.pending:
            data, self.pending = b"".join(self.pending), []
            transport = self.transport
            with transport._sock_lock:
                transport._sock.sendall(data)

    def _signer(self) -> Callable[[bytes, int, bool, int], bytes]:
        """Signs a message as smbprotocol would, keeping the AES-GMAC key schedule (the common SMB 3.1.1 case)."""
        from smbprotocol.connection import Dialects, SigningAlgorithms

        conn, key = self.conn, self.session.signing_key
        if key and conn.dialect >= Dialects.SMB_3_1_1 and conn.signing_algorithm_id == SigningAlgorithms.AES_GMAC:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            gcm = AESGCM(key)

            def gmac(message: bytes, mid: int, response: bool, command: int) -> bytes:
                nonce = struct.pack("<QI", mid, 1 if response else 0)
                return gcm.encrypt(nonce, b"", message[:48] + b"\x00" * 16 + message[64:])

            return gmac
        return lambda message, mid, response, command: conn._generate_signature(message, key, mid, response, command)

    def wait(self, flight: Flight) -> list[Reply]:
        """The replies of ``flight`` in order; raises WireError if the connection breaks or times out."""
        if self.pending:
            self.flush()
        while not flight.done.wait(5):
            worker = self.conn._t_worker
            if worker is None or not worker.is_alive():
                raise WireError(None, "the SMB connection closed")
            self.timeout -= 5
            if self.timeout < 0:
                raise WireError(None, "the SMB server did not answer in time")
        return [flight.replies[mid] for mid in flight.ids]

    def room(self) -> int:
        """Credits free now: how many more single-credit requests may be sent without waiting."""
        window = self.conn.sequence_window
        return int(window["high"] - window["low"])

    def call(self, messages: Sequence[Message], tid: int) -> list[Reply]:
        return self.wait(self.send(messages, tid))

    # -- receiving (on smbprotocol's worker thread) ----------------------------------------------------------
    def _frame(self, timeout: float) -> bytes:
        """The next Direct TCP frame, read in large pieces (smbprotocol reads each frame with two system calls
        and two selects); empty when the connection closed, TimeoutError when idle (smbprotocol then echoes)."""
        buf, transport = self._buffer, self.transport
        while True:
            if len(buf) >= 4:
                size = int.from_bytes(buf[:4], "big")
                if len(buf) >= 4 + size:
                    frame = bytes(buf[4 : 4 + size])
                    del buf[: 4 + size]
                    return frame
            with transport._close_lock:
                if not transport.connected:
                    return b""
                if not select.select([transport._sock], [], [], max(timeout, 1))[0]:
                    raise TimeoutError(f"recv idle for {timeout:.0f}s")
                try:
                    data = transport._sock.recv(1 << 18)
                except OSError:
                    data = b""
            if not data:
                transport.close()
                return b""
            buf += data

    def _receive(self, timeout: float) -> bytes:
        while True:
            frame = self._frame(timeout)
            if not frame:
                return frame
            plain = frame
            if frame[:4] == b"\xfdSMB":
                from smbprotocol.connection import SMB2TransformHeader

                header = SMB2TransformHeader()
                header.unpack(frame)
                plain = self.conn._decrypt(header)
            (first,) = struct.unpack_from("<Q", plain, 24)
            if first not in self.flights:
                return frame  # smbprotocol's own request
            self._take(plain, frame is plain)

    def _take(self, data: bytes, verify: bool) -> None:
        conn = self.conn
        while data:
            status, command, credits, flags, step = _RESPONSE.unpack_from(data, 8)
            (mid,) = struct.unpack_from("<Q", data, 24)
            message, data = (data[:step], data[step:]) if step else (data, b"")
            if verify and flags & SIGNED and status != PENDING:
                expected = self._sign(message, mid, True, command)
                if expected != message[48:64]:
                    status = 0xC000A000  # STATUS_INVALID_SIGNATURE: never trust the reply
            with conn.sequence_lock:
                conn.sequence_window["high"] += credits or (0 if self.multi else 1)
            if status == PENDING and flags & ASYNC:
                continue  # an interim reply: the final one follows
            flight = self.flights.pop(mid, None)
            if flight is None:
                continue
            flight.replies[mid] = (status, message[64:])
            if len(flight.replies) == len(flight.ids):
                flight.done.set()
