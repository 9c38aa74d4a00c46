"""Well-known Windows principals that stand for (nearly) everybody, by SID, as an SMB crawler records them."""

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
DOMAIN_USERS = re.compile(r"^S-1-5-21-\d+-\d+-\d+-513$")  # RID 513 of any domain


def broad_sid(principal: str) -> str | None:
    """The group's name when ``principal`` is the SID of a group of everybody, else None."""
    if principal in WELL_KNOWN_BROAD:
        return WELL_KNOWN_BROAD[principal]
    if DOMAIN_USERS.match(principal):
        return "Domain Users"
    return None


def principal_digest(name: str, key: bytes) -> str:
    """A keyed digest (HMAC-SHA256) of a person's name or account as a document records it ("CORP\\jsmith",
    "Sarah Thompson"): how document authors are stored, so the store never holds the names found in files,
    yet a directory holding the same key can still tell whose they are."""
    normal = name.strip().lower().rpartition("\\")[2]
    return hmac.new(key, normal.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
