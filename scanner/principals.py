"""Windows principals by SID as an SMB crawler records them: the well-known ones named (Everyone, SYSTEM,
BUILTIN\\Administrators, Domain Users...), the broad ones (that stand for nearly everybody) told apart, and the
keyed digest under which document authors are stored."""

from __future__ import annotations

import hashlib
import hmac
import re

WELL_KNOWN_BROAD = {
    "S-1-1-0": "Everyone",
    "S-1-5-11": "Authenticated Users",
    "S-1-5-32-545": "BUILTIN\\Users",
    "S-1-5-7": "Anonymous",
}
WELL_KNOWN = {  # MS-DTYP 2.4.2.4
    **WELL_KNOWN_BROAD,
    "S-1-3-0": "CREATOR OWNER",
    "S-1-3-1": "CREATOR GROUP",
    "S-1-5-2": "NT AUTHORITY\\NETWORK",
    "S-1-5-4": "NT AUTHORITY\\INTERACTIVE",
    "S-1-5-6": "NT AUTHORITY\\SERVICE",
    "S-1-5-9": "Enterprise Domain Controllers",
    "S-1-5-10": "Principal Self",
    "S-1-5-18": "NT AUTHORITY\\SYSTEM",
    "S-1-5-19": "NT AUTHORITY\\LOCAL SERVICE",
    "S-1-5-20": "NT AUTHORITY\\NETWORK SERVICE",
    "S-1-5-32-544": "BUILTIN\\Administrators",
    "S-1-5-32-546": "BUILTIN\\Guests",
    "S-1-5-32-547": "BUILTIN\\Power Users",
    "S-1-5-32-548": "BUILTIN\\Account Operators",
    "S-1-5-32-549": "BUILTIN\\Server Operators",
    "S-1-5-32-550": "BUILTIN\\Print Operators",
    "S-1-5-32-551": "BUILTIN\\Backup Operators",
    "S-1-5-32-555": "BUILTIN\\Remote Desktop Users",
}
DOMAIN_RIDS = {  # relative ids every domain has
    "500": "Administrator",
    "501": "Guest",
    "512": "Domain Admins",
    "513": "Domain Users",
    "514": "Domain Guests",
    "515": "Domain Computers",
    "516": "Domain Controllers",
    "518": "Schema Admins",
    "519": "Enterprise Admins",
    "520": "Group Policy Creator Owners",
}
DOMAIN_SID = re.compile(r"^S-1-5-21-\d+-\d+-\d+-(\d+)$")
UNIX_SID = re.compile(r"^S-1-22-([12])-(\d+)$")  # Samba's Unix users (1) and groups (2) by uid / gid


def broad_sid(principal: str) -> str | None:
    """The group's name when ``principal`` is the SID of a group of everybody, else None."""
    if principal in WELL_KNOWN_BROAD:
        return WELL_KNOWN_BROAD[principal]
    found = DOMAIN_SID.match(principal)
    return "Domain Users" if found and found.group(1) == "513" else None


def well_known_name(principal: str) -> str | None:
    """The name of a SID every Windows system knows (or Samba's Unix user/group SIDs), else None."""
    if principal in WELL_KNOWN:
        return WELL_KNOWN[principal]
    found = DOMAIN_SID.match(principal)
    if found:
        return DOMAIN_RIDS.get(found.group(1))
    unix = UNIX_SID.match(principal)
    if unix:
        return f"Unix {'user' if unix.group(1) == '1' else 'group'} {unix.group(2)}"
    return None


def principal_digest(name: str, key: bytes) -> str:
    """A keyed digest (HMAC-SHA256) of a person's name or account as a document records it ("CORP\\jsmith",
    "Sarah Thompson"): how document authors are stored, so the store never holds the names found in files,
    yet a directory holding the same key can still tell whose they are."""
    normal = name.strip().lower().rpartition("\\")[2]
    return hmac.new(key, normal.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
