"""Groups from the directory and who is in them, nested groups expanded: Active Directory groups (``member``
holds the DNs of people and of other groups), OpenLDAP groupOfNames, and POSIX groups (``memberUid`` holds
account names, ``gidNumber`` matches a file's group and Samba's S-1-22-2-<gid> SIDs).

``Membership`` answers "which people does this principal stand for": a person stands for themself, a group for
every person in it or in any group inside it (a loop of groups is followed once), and a group of everybody
(Everyone, Authenticated Users, Domain Users, BUILTIN\\Users) for every enabled person in the directory. Only
enabled people are counted: a disabled account reads nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.principals import broad_sid


@dataclass(frozen=True)
class Group:
    key: str  # its DN (lower case) where the directory gives one, else its name
    name: str
    sid: str | None = None
    gid: int | None = None
    members: tuple[str, ...] = ()  # DNs of people and groups (lower case)
    member_accounts: tuple[str, ...] = ()  # POSIX memberUid: account names (lower case)


class Membership:
    """People behind principals, given the people (key -> DN and enabled) and the groups."""

    def __init__(self, people: Mapping[str, tuple[str | None, bool]], groups: Iterable[Group]) -> None:
        self.groups: dict[str, Group] = {}
        self._index: dict[str, str] = {}  # sid, "gid:N", name, DN (lower case) -> group key
        for group in groups:
            self.groups[group.key] = group
            aliases = (group.key, group.sid, group.name, f"gid:{group.gid}" if group.gid is not None else None)
            for alias in aliases:
                if alias:
                    self._index.setdefault(alias.lower(), group.key)
            if group.gid is not None:
                self._index.setdefault(f"s-1-22-2-{group.gid}", group.key)
        self._person_by_dn = {dn.lower(): key for key, (dn, _) in people.items() if dn}
        self._people = set(people)
        self._enabled = frozenset(key for key, (_, enabled) in people.items() if enabled)
        self._expanded: dict[str, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self.groups)

    def group(self, principal: str | None) -> Group | None:
        """The group a SID, gid ("gid:100"), name or DN stands for."""
        if not principal:
            return None
        text = principal.strip().lower()
        key = self._index.get(text) or self._index.get(text.rpartition("\\")[2])
        return self.groups.get(key) if key else None

    def people_of(self, group: Group) -> frozenset[str]:
        """Every person in ``group`` or in a group inside it, however deep (person keys)."""
        found = self._expanded.get(group.key)
        if found is not None:
            return found
        people: set[str] = set()
        seen: set[str] = set()
        todo = [group]
        while todo:
            current = todo.pop()
            if current.key in seen:
                continue
            seen.add(current.key)
            for account in current.member_accounts:
                if account in self._people:
                    people.add(account)
            for dn in current.members:
                person = self._person_by_dn.get(dn)
                if person is not None:
                    people.add(person)
                elif (inner := self.groups.get(self._index.get(dn, ""))) is not None:
                    todo.append(inner)
        result = self._expanded[group.key] = frozenset(people)
        return result

    def everybody(self) -> frozenset[str]:
        return self._enabled

    def people_behind(self, principal: str, person: str | None) -> frozenset[str]:
        """The enabled people ``principal`` stands for (a disabled account reads nothing); ``person`` is its key
        when it is a person."""
        if person is not None:
            return frozenset((person,)) & self._enabled
        if broad_sid(principal) or principal.strip().lower() in ("everyone", "authenticated users", "domain users"):
            return self._enabled
        group = self.group(principal)
        return self.people_of(group) & self._enabled if group else frozenset()


def sid_text(value: Any) -> str | None:
    """AD gives objectSid as bytes (ldap3 formats it as S-1-...); a text attribute holds S-1-... already."""
    if value is None:
        return None
    if isinstance(value, bytes):
        from smbprotocol.security_descriptor import SIDPacket

        packet = SIDPacket()
        packet.unpack(value)
        return str(packet)
    return str(value)


def ldap_groups(entries: list[dict[str, Any]], attrs: Any) -> list[Group]:
    """Groups from an ldap3 search (``attrs``: the LdapGroups attribute names)."""
    out = []
    for entry in entries:
        if entry.get("type") != "searchResEntry":
            continue
        values = entry.get("attributes", {})

        def many(name: str | None, values: dict[str, Any] = values) -> list[str]:
            found = values.get(name) if name else None
            return [str(v) for v in found] if isinstance(found, list) else [str(found)] if found else []

        name = next(iter(many(attrs.name)), None) or str(entry["dn"]).split(",")[0].partition("=")[2]
        sid = next(iter(many(attrs.sid)), None) if attrs.sid else None
        raw_sid = values.get(attrs.sid) if attrs.sid else None
        if isinstance(raw_sid, bytes):
            sid = sid_text(raw_sid)
        gid = next(iter(many(attrs.gid_number)), None)
        out.append(
            Group(
                str(entry["dn"]).lower(),
                name,
                sid,
                int(gid) if gid and gid.isdigit() else None,
                tuple(m.lower() for m in many(attrs.member)),
                tuple(m.lower() for m in many(attrs.member_uid)),
            )
        )
    return out
