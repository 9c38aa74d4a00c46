"""Well-known Windows principals that stand for (nearly) everybody, by SID, as an SMB crawler records them."""

from __future__ import annotations

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
