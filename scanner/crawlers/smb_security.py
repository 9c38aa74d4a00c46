"""Windows security descriptors over SMB: read one (owner SID and DACL) and map its entries to AccessFacts.

smbclient has no call for this, so ``read_security`` sends the raw SMB2 QUERY_INFO (InfoType SECURITY) on a
handle opened with READ_CONTROL only: reading a descriptor never opens the file's content, never changes it.
``access_facts`` is pure: an access mask becomes read / write / full facts, deny entries stay deny entries, and
inherited entries are marked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner.types import AccessFact

OWNER, GROUP, DACL = 0x1, 0x2, 0x4  # SECURITY_INFORMATION flags (MS-DTYP 2.4.7)
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


def parse_descriptor(buffer: bytes) -> Security:
    """Owner, group and DACL entries of a self-relative security descriptor."""
    from smbprotocol.security_descriptor import AceType, SMB2CreateSDBuffer

    sd = SMB2CreateSDBuffer()
    sd.unpack(buffer)
    owner, group = sd.get_owner(), sd.get_group()
    dacl = sd.get_dacl()
    aces: list[RawAce] = []
    for ace in dacl["aces"].get_value() if dacl else []:
        kind = ace["ace_type"].get_value()
        if kind not in (AceType.ACCESS_ALLOWED_ACE_TYPE, AceType.ACCESS_DENIED_ACE_TYPE):
            continue  # object and callback ACEs do not occur on files
        aces.append(RawAce(str(ace["sid"].get_value()), int(ace["mask"].get_value()),
                           kind == AceType.ACCESS_ALLOWED_ACE_TYPE, int(ace["ace_flags"].get_value())))
    return Security(str(owner) if owner else None, str(group) if group else None, tuple(aces))


def read_security(handle: Any) -> Security:
    """Query the security descriptor on an open ``smbprotocol.open.Open`` (opened with READ_CONTROL)."""
    from smbprotocol.file_info import InfoType
    from smbprotocol.open import SMB2QueryInfoRequest, SMB2QueryInfoResponse

    request = SMB2QueryInfoRequest()
    request["info_type"] = InfoType.SMB2_0_INFO_SECURITY
    request["output_buffer_length"] = 65535
    request["additional_information"] = OWNER | GROUP | DACL
    request["file_id"] = handle.file_id
    conn, tree = handle.connection, handle.tree_connect
    sent = conn.send(request, sid=tree.session.session_id, tid=tree.tree_connect_id)
    response = SMB2QueryInfoResponse()
    response.unpack(conn.receive(sent)["data"].get_value())
    return parse_descriptor(response["buffer"].get_value())
