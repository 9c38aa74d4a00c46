"""Reading one file's content over SMB with its reads in flight together.

The open and the first read go as one compound (a small file costs one round trip); a larger file's remaining
chunks are asked for ``depth`` at a time on the same handle. The content lands in a spooled temporary file
(in memory up to ``SPOOL`` bytes), so the extractors get a seekable stream and memory stays bounded. The
handle asks for read access only and shares read, write and delete with everyone else.
"""

from __future__ import annotations

import struct
import tempfile
from collections import deque
from typing import BinaryIO

from scanner.crawlers import smb_wire as w

SPOOL = 16 * 1024 * 1024
OPEN_FOR_READ = w.READ_DATA | w.READ_ATTRIBUTES | w.SYNCHRONIZE


def read_file(wire: w.Wire, tid: int, path: str, depth: int = 8) -> BinaryIO:
    """The whole content of ``path`` (share-relative, backslashes); WireError carries the NTSTATUS."""
    chunk = wire.max_payload
    (opened, first) = wire.call([w.create(path, OPEN_FOR_READ, w.NON_DIRECTORY_FILE), w.read(0, chunk)], tid)
    if opened[0] != w.SUCCESS:
        raise w.WireError(opened[0], path)
    handle = w.file_id_of(opened[1])
    (size,) = struct.unpack_from("<Q", opened[1], 48)  # EndOfFile
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - handed to the caller
    try:
        if first[0] not in (w.SUCCESS, w.END_OF_FILE):
            raise w.WireError(first[0], path)
        data = w.data_of(first[1]) if first[0] == w.SUCCESS else b""
        out.write(data)
        offset = len(data)
        flights: deque[w.Flight] = deque()
        ahead = offset
        while offset < size:
            while ahead < size and len(flights) < depth and wire.room() > 16:
                flights.append(wire.send([w.read(ahead, min(chunk, size - ahead), handle)], tid, related=False))
                ahead += chunk
            if not flights:  # no credits yet: one request at a time until the server grants more
                flights.append(wire.send([w.read(ahead, min(chunk, size - ahead), handle)], tid, related=False))
                ahead += chunk
            [(status, body)] = wire.wait(flights.popleft())
            if status == w.END_OF_FILE:
                break  # the file shrank while it was read
            if status != w.SUCCESS:
                raise w.WireError(status, path)
            data = w.data_of(body)
            out.write(data)
            offset += len(data)
            if not data:
                break
        for flight in flights:
            wire.wait(flight)
    except BaseException:
        out.close()
        raise
    finally:
        wire.send([w.close(handle)], tid, related=False)
    out.seek(0)
    return out  # type: ignore[return-value]
