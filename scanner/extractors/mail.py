"""E-mail: RFC 822 messages (.eml) and Outlook messages (.msg).

Each message gives a "headers" chunk (From, To, Cc, Subject), its body as "body" (plain text preferred,
else the visible text of the HTML body; a long body goes on as "body/line N"), and its attachments,
identified and extracted like any file with locators "att:<filename>/...". Attached messages are read
the same way, so a forwarded mail's attachment reads "att:fwd.eml/att:cv.docx/p1".

Outlook messages are compound files read with olefile (BSD). The MAPI properties are streams named
``__substg1.0_<tag>``: subject 0037, body 1000, HTML body 1013, sender name 0C1A and address 0C1F;
``...001F`` are UTF-16, ``...001E`` are in the message's code page. Recipients and attachments are
storages ``__recip_version1.0_#N`` and ``__attach_version1.0_#N``; an attached Outlook message is a
storage ``__substg1.0_3701000D`` inside its attachment. RTF-only bodies are not read.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Iterator
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import Message, MIMEPart
from email.parser import BytesParser
from functools import lru_cache
from typing import BinaryIO, cast

import olefile

from scanner.errors import Corrupt, TooLarge
from scanner.extractors.chunking import bounded
from scanner.extractors.markup import html_text
from scanner.extractors.nested import Members, check_depth
from scanner.extractors.text import decode_bytes, line_chunks, numbered_lines
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

HEADERS = ("From", "To", "Cc", "Subject")
_ATOMS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"  # RFC 5322 atext
_DOT_ATOM = rf"{_ATOMS}(?:\.{_ATOMS})*"
_ADDRESS = re.compile(rf"(?:{_ATOMS}(?: {_ATOMS})* <{_DOT_ATOM}@{_DOT_ATOM}>|{_DOT_ATOM}@{_DOT_ATOM})")
_PLAIN = re.compile(r"[ -~]*")  # printable ASCII, no encoded word can hide in it unless "=?" does
_ADDRESS_HEADERS = frozenset({"from", "to", "cc"})


class _Registry(HeaderRegistry):
    """The default header classes, each distinct (name, value) parsed once: the same Content-Type and
    MIME-Version lines recur across a share's messages, and parsing one costs more than the rest of the file."""

    def __call__(self, name: str, value: str) -> BaseHeader:
        return _parsed(self, name, value)


@lru_cache(maxsize=512)
def _parsed(registry: HeaderRegistry, name: str, value: str) -> BaseHeader:
    return HeaderRegistry.__call__(registry, name, value)


_POLICY = policy.default.clone(header_factory=_Registry())


def _headers_chunk(values: dict[str, str]) -> Iterator[Chunk]:
    text = "\n".join(f"{key}: {value}" for key, value in values.items() if value and value.strip())
    if text:
        yield Chunk(text, "headers", ("email", "from", "to", "subject"))


def _body_chunks(text: str, limits: Limits) -> Iterator[Chunk]:
    lines = numbered_lines(iter([text.replace("\r\n", "\n")]), limits.max_chunk_chars)
    for chunk in line_chunks(lines, limits, where="body/line {}"):
        yield Chunk(chunk.text, "body", chunk.context) if chunk.where == "body/line 1" else chunk


def _read_limited(fh: BinaryIO, limits: Limits) -> bytes:
    data = fh.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise TooLarge(f"message larger than {limits.max_file_bytes} bytes")
    return data


# --- .eml -------------------------------------------------------------------------------------------


def extract_eml(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    check_depth(limits)
    message = BytesParser(policy=_POLICY).parsebytes(_read_limited(fh, limits))
    yield from bounded(_eml_chunks(message, limits), limits)


def _eml_chunks(message: MIMEPart, limits: Limits) -> Iterator[Chunk]:
    yield from _headers_chunk({key: _header(message, key) for key in HEADERS})
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        text = _part_text(body)
        if body.get_content_subtype() == "html":
            text = html_text(text)
        yield from _body_chunks(text, limits)
    members = Members()
    for number, part in enumerate(message.iter_attachments(), 1):
        name = part.get_filename() or f"part{number}"
        data = _payload(part)
        yield from members.extract(data, name, limits.nested(), f"att:{name}/")
    members.finish()


def _header(message: MIMEPart, key: str) -> str:
    """``str(message.get(key, ""))``, without parsing the common plain forms: printable ASCII with no encoded
    word, and for an address header, a list of plain ``Name Name <local@domain>`` or ``local@domain``, which
    the parser would give back as they are."""
    wanted = key.lower()
    raw = next((v for k, v in message.raw_items() if k.lower() == wanted), None)
    if raw is None:
        return ""
    if isinstance(raw, str) and _PLAIN.fullmatch(raw) and "=?" not in raw:
        if wanted not in _ADDRESS_HEADERS:
            return raw
        parts = [p.strip() for p in raw.split(",")]
        if all(_ADDRESS.fullmatch(p) for p in parts):
            return ", ".join(parts)
    return str(message.get(key, ""))


def _payload(part: MIMEPart) -> bytes:
    """An attachment's bytes; an attached message is serialised back to RFC 822 bytes."""
    if part.get_content_type() == "message/rfc822" and part.is_multipart():
        inner = part.get_payload(0)
        return inner.as_bytes(policy=policy.SMTP) if isinstance(inner, Message) else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _part_text(part: MIMEPart) -> str:
    """A text part's content; an unknown or wrong charset falls back to detection."""
    try:
        return cast(str, part.get_content())
    except (LookupError, UnicodeDecodeError):
        return decode_bytes(_payload(part))


# --- .msg -------------------------------------------------------------------------------------------

_OLE_ERRORS = (OSError, ValueError, IndexError, KeyError, struct.error, TypeError)


def extract_msg(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    check_depth(limits)
    try:
        ole = olefile.OleFileIO(fh)
    except _OLE_ERRORS as exc:
        raise Corrupt(f"not a readable Outlook message: {type(exc).__name__}") from exc
    with ole:
        # olefile quietly shortens the sector table of a cut-off file; a chain running past the end shows it
        if any(ole.nb_sect <= sector < olefile.MAXREGSECT for sector in ole.fat):
            raise Corrupt("truncated Outlook message")
        yield from bounded(_msg_chunks(_Msg(ole, []), limits), limits)


class _Msg:
    """The property streams of one message (the file's root, or an attached message's storage)."""

    def __init__(self, ole: olefile.OleFileIO, base: list[str]) -> None:
        self.ole, self.base = ole, base
        self.codepage = self.fixed(base, 32 if not base else 24).get(0x3FFD0003, 1252)

    def read(self, path: list[str]) -> bytes | None:
        try:
            if self.ole.get_type(path) != olefile.STGTY_STREAM:
                return None
            data = cast(bytes, self.ole.openstream(path).read())
        except _OLE_ERRORS as exc:
            raise Corrupt(f"damaged Outlook message: {type(exc).__name__}") from exc
        if len(data) != self.ole.get_size(path):
            raise Corrupt("damaged Outlook message: a stream is shorter than its size")
        return data

    def text(self, storage: list[str], prop: str) -> str:
        """A string property: the UTF-16 form, else the code-page form."""
        data = self.read([*storage, f"__substg1.0_{prop}001F"])
        if data is not None:
            return data.decode("utf-16-le", errors="replace").rstrip("\0")
        data = self.read([*storage, f"__substg1.0_{prop}001E"])
        if data is None:
            return ""
        try:
            return data.decode(f"cp{self.codepage}", errors="replace").rstrip("\0")
        except LookupError:
            return data.decode("cp1252", errors="replace").rstrip("\0")

    def fixed(self, storage: list[str], header: int) -> dict[int, int]:
        """The 4-byte values in a storage's ``__properties_version1.0`` stream, by property tag."""
        data = self.read([*storage, "__properties_version1.0"]) or b""
        values: dict[int, int] = {}
        for at in range(header, len(data) - 15, 16):
            tag, _flags, value = struct.unpack_from("<III", data, at)
            values[tag] = value
        return values

    def children(self, prefix: str) -> list[str]:
        """Names of the storages directly under this message whose names start with ``prefix``."""
        depth = len(self.base)
        names = {
            path[depth]
            for path in self.ole.listdir(streams=False, storages=True)
            if len(path) == depth + 1 and path[:depth] == self.base and path[depth].startswith(prefix)
        }
        return sorted(names)


def _msg_chunks(msg: _Msg, limits: Limits) -> Iterator[Chunk]:
    base = msg.base
    sender = msg.text(base, "0C1F") or msg.text(base, "5D01") or msg.text(base, "0065")
    name = msg.text(base, "0C1A")
    to: list[str] = []
    cc: list[str] = []
    for storage in msg.children("__recip_version1.0_#"):
        path = [*base, storage]
        address = msg.text(path, "39FE") or msg.text(path, "3003")
        display = msg.text(path, "3001")
        entry = f"{display} <{address}>" if display and address and display != address else display or address
        (cc if msg.fixed(path, 8).get(0x0C150003) == 2 else to).append(entry)
    yield from _headers_chunk(
        {
            "From": f"{name} <{sender}>" if name and sender and name != sender else name or sender,
            "To": ", ".join(to) or msg.text(base, "0E04"),
            "Cc": ", ".join(cc) or msg.text(base, "0E03"),
            "Subject": msg.text(base, "0037"),
        }
    )
    body = msg.text(base, "1000")
    if not body.strip():
        html = msg.read([*base, "__substg1.0_10130102"]) or msg.text(base, "1013").encode()
        body = html_text(decode_bytes(html)) if html else ""
    yield from _body_chunks(body, limits)
    yield from _msg_attachments(msg, limits)


def _msg_attachments(msg: _Msg, limits: Limits) -> Iterator[Chunk]:
    members = Members()
    for number, storage in enumerate(msg.children("__attach_version1.0_#"), 1):
        path = [*msg.base, storage]
        name = msg.text(path, "3707") or msg.text(path, "3704") or msg.text(path, "3001")
        name = name or f"attachment{number}"
        embedded = [*path, "__substg1.0_3701000D"]
        if msg.ole.get_type(embedded) == olefile.STGTY_STORAGE:
            nested = limits.nested()
            check_depth(nested)
            prefix = f"att:{name}/"
            inner = _Msg(msg.ole, embedded)
            for chunk in _msg_chunks(inner, nested):
                yield Chunk(chunk.text, prefix + chunk.where, chunk.context, chunk.column, chunk.first_row)
            continue
        data = msg.read([*path, "__substg1.0_37010102"])
        if data:
            yield from members.extract(data, name, limits.nested(), f"att:{name}/")
    members.finish()
