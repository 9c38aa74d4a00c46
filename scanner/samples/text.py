"""Deterministic builders of text, mail and archive files, for tests and for the bundled sample share.

Every builder writes a real file at ``path`` and returns ``path``. The same arguments always give the
same bytes (fixed dates, ids and salts), so sample shares and golden files are reproducible.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from scanner.samples.cfb import write_cfb

_DATE = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)
_ZIP_TIME = (2024, 3, 14, 9, 30, 0)
OUTLOOK_MSG_CLSID = bytes.fromhex("0b0d020000000000c000000000000046")


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text``; "utf-8-sig" and "utf-16" write a byte-order mark, as Notepad does."""
    path.write_bytes(text.encode(encoding))
    return path


def write_csv(path: Path, rows: Iterable[Sequence[object]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def write_xml(path: Path, root: str, records: Sequence[Mapping[str, str]], record: str = "record") -> Path:
    """``<root><record><key>value</key>...</record>...</root>``."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}>"]
    for rec in records:
        fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in rec.items())
        lines.append(f"  <{record}>{fields}</{record}>")
    lines.append(f"</{root}>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_html(path: Path, title: str, paragraphs: Sequence[str], script: str = "var tracking = 1;") -> Path:
    """A page with a title, a script and a style block (neither visible), and one <p> per paragraph."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    page = (
        f"<!DOCTYPE html>\n<html><head><title>{escape(title)}</title>\n<script>{script}</script>\n"
        f"<style>p {{ color: black; }}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path


def write_eml(
    path: Path,
    subject: str,
    body: str,
    sender: str,
    to: str | Sequence[str],
    attachments: Sequence[tuple[str, bytes]] = (),
    cc: Sequence[str] = (),
) -> Path:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to if isinstance(to, str) else ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(_DATE)
    msg["Message-ID"] = f"<{zlib.crc32(subject.encode()):08x}@sample.steward.invalid>"
    msg.set_content(body)
    for name, data in attachments:
        maintype, subtype = _guess_type(name)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if attachments:
        msg.set_boundary("=-steward-sample-boundary")  # fixed, so the output is deterministic
    path.write_bytes(msg.as_bytes(policy=SMTP))
    return path


_TYPES = {
    "csv": "text/csv",
    "txt": "text/plain",
    "html": "text/html",
    "json": "application/json",
    "xml": "application/xml",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "eml": "message/rfc822",
}


def _guess_type(name: str) -> tuple[str, str]:
    """A fixed table rather than ``mimetypes``, whose answers depend on the machine."""
    guess = _TYPES.get(name.rpartition(".")[2].lower(), "application/octet-stream")
    maintype, _, subtype = guess.partition("/")
    return maintype, subtype


# --- Outlook .msg (MS-OXMSG): MAPI properties as streams in a compound file --------------------------

_Props = dict[int, int | str | bytes]  # property tag -> value: PT_LONG, PT_UNICODE or PT_BINARY


def _prop_streams(props: Mapping[int, int | str | bytes], header: bytes, base: str) -> dict[str, bytes]:
    """The ``__properties_version1.0`` stream plus one ``__substg1.0_`` stream per variable-size value."""
    streams: dict[str, bytes] = {}
    entries = [header]
    for tag, value in sorted(props.items()):
        if isinstance(value, int):
            entries.append(struct.pack("<IIQ", tag, 6, value))
            continue
        data = value.encode("utf-16-le") if isinstance(value, str) else value
        size = len(data) + 2 if isinstance(value, str) else len(data)
        entries.append(struct.pack("<IIII", tag, 6, size, 0))
        streams[f"{base}__substg1.0_{tag:08X}"] = data
    streams[f"{base}__properties_version1.0"] = b"".join(entries)
    return streams


def build_msg(
    subject: str,
    body: str,
    sender: str,
    to: Sequence[str] = (),
    attachments: Sequence[tuple[str, bytes]] = (),
    sender_name: str = "",
) -> bytes:
    """The bytes of an Outlook message: subject, plain body, sender, To recipients and attachments."""
    top: _Props = {
        0x001A001F: "IPM.Note",
        0x0037001F: subject,
        0x1000001F: body,
        0x0C1F001F: sender,
        0x0C1A001F: sender_name or sender,
        0x0E04001F: "; ".join(to),
        0x0E070003: 0x01,
    }
    header = struct.pack("<8xIIII8x", len(to), len(attachments), len(to), len(attachments))
    streams = _prop_streams(top, header, "")
    for i, address in enumerate(to):
        recip: _Props = {0x3001001F: address, 0x3003001F: address, 0x39FE001F: address, 0x0C150003: 1, 0x30000003: i}
        streams |= _prop_streams(recip, bytes(8), f"__recip_version1.0_#{i:08X}/")
    for i, (name, data) in enumerate(attachments):
        short = name if len(name) <= 12 else name[:8] + name[name.rfind(".") :][:4]
        att: _Props = {
            0x37010102: data,
            0x3707001F: name,
            0x3704001F: short,
            0x3001001F: name,
            0x37050003: 1,
            0x0E210003: i,
        }
        streams |= _prop_streams(att, bytes(8), f"__attach_version1.0_#{i:08X}/")
    for tag in ("00020102", "00030102", "00040102"):
        streams[f"__nameid_version1.0/__substg1.0_{tag}"] = b""
    return write_cfb(streams, OUTLOOK_MSG_CLSID)


def write_msg(
    path: Path,
    subject: str,
    body: str,
    sender: str,
    attachments: Sequence[tuple[str, bytes]] = (),
    to: Sequence[str] = ("records@council.example.gov.uk",),
) -> Path:
    path.write_bytes(build_msg(subject, body, sender, to, attachments))
    return path


# --- ZIP archives, encrypted ones and zip bombs ---------------------------------------------------------


def _zipcrypto(data: bytes, password: bytes, check_byte: int) -> bytes:
    """Traditional PKWARE encryption: a 12-byte header (last byte = CRC high byte) then the data."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = zlib.crc32(bytes([byte]), keys[0] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = zlib.crc32(bytes([keys[1] >> 24]), keys[2] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    for b in password:
        update(b)
    out = bytearray()
    header = bytes((i * 37 + 11) & 0xFF for i in range(11)) + bytes([check_byte])
    for b in header + data:
        temp = (keys[2] | 2) & 0xFFFF
        out.append(b ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(b)
    return bytes(out)


def _raw_zip(entries: Sequence[tuple[str, int, int, int, int, bytes]]) -> bytes:
    """A ZIP from ``(name, flags, method, crc, uncompressed_size, stored_bytes)`` with fixed timestamps."""
    dos_time = (_ZIP_TIME[3] << 11) | (_ZIP_TIME[4] << 5)
    dos_date = ((_ZIP_TIME[0] - 1980) << 9) | (_ZIP_TIME[1] << 5) | _ZIP_TIME[2]
    out, central = bytearray(), bytearray()
    for name, flags, method, crc, size, stored in entries:
        raw_name = name.encode()
        offset = len(out)
        fields = (20, flags, method, dos_time, dos_date, crc, len(stored), size, len(raw_name), 0)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + raw_name + stored
        central += struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIHH", *fields)
        central += struct.pack("<HHHII", 0, 0, 0, 0, offset) + raw_name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    return bytes(out + central + end)


def build_zip(members: Mapping[str, bytes], password: str | None = None) -> bytes:
    """Deflated members; with ``password``, every member is ZipCrypto-encrypted (general purpose bit 0)."""
    entries = []
    for name, data in members.items():
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = comp.compress(data) + comp.flush()
        crc = zlib.crc32(data)
        if password is None:
            entries.append((name, 0, 8, crc, len(data), deflated))
        else:
            entries.append((name, 1, 8, crc, len(data), _zipcrypto(deflated, password.encode(), crc >> 24)))
    return _raw_zip(entries)


def write_zip(path: Path, members: Mapping[str, bytes], password: str | None = None) -> Path:
    path.write_bytes(build_zip(members, password))
    return path


def _zeros_member(name: str, size_mib: int) -> tuple[str, int, int, int, int, bytes]:
    """A deflated member of ``size_mib`` MiB of zeros, built without compressing it all (full flushes
    reset the compressor, so every MiB compresses to the same bytes)."""
    block = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    stored = first + again * (size_mib - 1) + comp.flush()
    crc = 0
    for _ in range(size_mib):
        crc = zlib.crc32(block, crc)
    return (name, 0, 8, crc, size_mib << 20, stored)


def build_zip_bomb(
    kind: Literal["ratio", "nested"] = "ratio", size_mib: int = 1024, levels: int = 5, fanout: int = 16
) -> bytes:
    """``ratio``: one member of ``size_mib`` MiB of zeros (1 GiB in about 1 MB).
    ``nested``: 42.zip-style, ``levels`` of zips each holding ``fanout`` copies of the level below,
    over a 1 MiB member of zeros (16**5 MiB, a terabyte, with the defaults)."""
    if kind == "ratio":
        return _raw_zip([_zeros_member("zeros.bin", size_mib)])
    inner = _raw_zip([_zeros_member("0.bin", 1)])
    for level in range(levels):
        members = {f"l{level}-{i:x}.zip": inner for i in range(fanout)}
        inner = build_zip(members)
    return inner


def write_zip_bomb(path: Path, kind: Literal["ratio", "nested"] = "ratio", **kwargs: int) -> Path:
    path.write_bytes(build_zip_bomb(kind, **kwargs))
    return path
