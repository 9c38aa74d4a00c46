"""Windows security descriptors: parse one (owner SID, group SID and DACL) and map its entries to AccessFacts.

The walk (``smb_walk``) reads each descriptor with SMB2 QUERY_INFO (InfoType SECURITY) on a handle opened with
READ_CONTROL only, compounded with its CREATE and CLOSE: reading a descriptor never opens the file's content.
``access_facts`` is pure: an access mask becomes read / write / full facts, deny entries stay deny entries, and
inherited entries are marked.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.types import AccessFact

OWNER, GROUP, DACL = 0x1, 0x2, 0x4
READ_CONTROL = 0x20000  # SECURITY_INFORMATION flags (MS-DTYP 2.4.7)
ACCESS_ALLOWED, ACCESS_DENIED = 0x0, 0x1  # ACE types
INHERITED_ACE = 0x10  # ACE flag: inherited from the parent
INHERIT_ONLY_ACE = 0x08  # ACE flag: applies to children only, not to the item itself

# Access mask bits (MS-DTYP 2.4.3, MS-SMB2 2.2.13.1)
FILE_READ_DATA = 0x1  # also FILE_LIST_DIRECTORY
FILE_WRITE_DATA = 0x2  # also FILE_ADD_FILE
FILE_APPEND_DATA = 0x4  # also FILE_ADD_SUBDIRECTORY
DELETE = 0x10000
WRITE_DAC = 0x40000
WRITE_OWNER = 0x80000
GENERIC_ALL = 0x10000000
GENERIC_EXECUTE = 0x20000000
GENERIC_WRITE = 0x40000000
GENERIC_READ = 0x80000000
FILE_ALL_ACCESS = 0x1F01FF

READ_BITS = FILE_READ_DATA | GENERIC_READ
WRITE_BITS = FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE | DELETE


@dataclass(frozen=True, slots=True)
class RawAce:
    """One DACL entry as the server gave it."""

    sid: str
    mask: int
    allow: bool
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Security:
    owner: str | None
    group: str | None
    aces: tuple[RawAce, ...]


def rights_of(mask: int) -> tuple[str, ...]:
    """The rights an access mask grants: ("full",), or any of "read" and "write"; () for none of them
    (e.g. traverse-only or read-attributes-only entries)."""
    if mask & GENERIC_ALL or mask & FILE_ALL_ACCESS == FILE_ALL_ACCESS:
        return ("full",)
    found: list[str] = []
    if mask & READ_BITS:
        found.append("read")
    if mask & WRITE_BITS or mask & (WRITE_DAC | WRITE_OWNER):
        found.append("write")  # changing permissions or taking ownership is as good as writing
    return tuple(found)


def access_facts(aces: Iterable[RawAce]) -> tuple[AccessFact, ...]:
    """The DACL as AccessFacts, in the server's order (deny entries first in a canonical DACL)."""
    facts: list[AccessFact] = []
    for ace in aces:
        if ace.flags & INHERIT_ONLY_ACE:
            continue  # does not apply to this item, only to what is created inside it
        for right in rights_of(ace.mask):
            facts.append(AccessFact(ace.sid, right, ace.allow, bool(ace.flags & INHERITED_ACE)))  # type: ignore[arg-type]
    return tuple(facts)


def parse_sid(data: bytes, offset: int) -> tuple[str, int]:
    """A binary SID at ``offset`` as S-1-..., and its length (MS-DTYP 2.4.2.2)."""
    revision, count = data[offset], data[offset + 1]
    authority = int.from_bytes(data[offset + 2 : offset + 8], "big")
    subs = struct.unpack_from(f"<{count}I", data, offset + 8)
    return "-".join(["S", str(revision), str(authority), *map(str, subs)]), 8 + 4 * count


def parse_descriptor(data: bytes) -> Security:
    """Owner, group and DACL entries of a self-relative security descriptor (MS-DTYP 2.4.6), parsed directly:
    smbprotocol's generic structures cost milliseconds per descriptor, which adds up over a share."""
    _revision, _sbz, _control, owner_at, group_at, _sacl_at, dacl_at = struct.unpack_from("<BBHIIII", data, 0)
    owner = parse_sid(data, owner_at)[0] if owner_at else None
    group = parse_sid(data, group_at)[0] if group_at else None
    aces: list[RawAce] = []
    if dacl_at:
        _acl_revision, _sbz1, _size, count, _sbz2 = struct.unpack_from("<BBHHH", data, dacl_at)
        at = dacl_at + 8
        for _ in range(count):
            kind, flags, size, mask = struct.unpack_from("<BBHI", data, at)
            if kind in (ACCESS_ALLOWED, ACCESS_DENIED):  # object and callback entries do not occur on files
                aces.append(RawAce(parse_sid(data, at + 8)[0], mask, kind == ACCESS_ALLOWED, flags))
            at += size
    return Security(owner, group, tuple(aces))
