"""People behind principals: SIDs, uids, account names, e-mail addresses and document author names resolve to a
Person (name, e-mail, department, manager, enabled) from LDAP / Active Directory (ldap3) or an HR CSV export;
group SIDs and gids resolve to the directory's groups and, through nested membership, to the people in them."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from inventory.owners.config import CsvDirectory, LdapDirectory
from inventory.owners.groups import Group, Membership, ldap_groups, sid_text
from scanner.errors import StewardError
from scanner.principals import principal_digest, well_known_name

log = logging.getLogger(__name__)

ACCOUNTDISABLE = 0x2
GROUP_CLASSES = ("group", "groupOfNames", "posixGroup")  # Active Directory, OpenLDAP, POSIX (RFC 2307)
DISABLED_WORDS = {"leaver", "left", "disabled", "inactive", "false", "no", "0", "terminated"}


class DirectoryError(StewardError):
    """The directory cannot be read (server unreachable, bind refused, CSV missing)."""


@dataclass(frozen=True)
class Person:
    key: str  # account name (lower case), else e-mail
    name: str
    email: str | None = None
    department: str | None = None
    title: str | None = None
    manager: str | None = None  # the manager's key
    enabled: bool = True
    sid: str | None = None
    uid: int | None = None
    dn: str | None = None  # the directory entry's DN, how groups name their members

    def label(self) -> str:
        return f"{self.name} ({self.key})" + ("" if self.enabled else " [left]")


class Directory:
    """An index of people by every name a principal can take."""

    def __init__(self, people: Iterable[Person], author_key: bytes | None = None, groups: Iterable[Group] = ()) -> None:
        """``author_key``: the installation's hash key, with which document authors were stored as digests."""
        self.people: dict[str, Person] = {}
        self._index: dict[str, str] = {}
        self.author_key = author_key
        self._digests: dict[str, str] | None = None
        for person in people:
            self.people[person.key] = person
            for alias in (
                person.key,
                person.email,
                person.sid,
                person.name,
                f"uid:{person.uid}" if person.uid is not None else None,
                str(person.uid) if person.uid is not None else None,
                f"S-1-22-1-{person.uid}" if person.uid is not None else None,  # Samba's SID for a Unix user
            ):
                if alias:
                    self._index.setdefault(alias.lower(), person.key)
        self.membership = Membership({p.key: (p.dn, p.enabled) for p in self.people.values()}, groups)

    def __len__(self) -> int:
        return len(self.people)

    def resolve(self, principal: str | None) -> Person | None:
        """The person a SID, uid, account (with or without DOMAIN\\), e-mail or full name stands for."""
        if not principal:
            return None
        text = principal.strip().lower()
        key = self._index.get(text) or self._index.get(text.rpartition("\\")[2])
        return self.people.get(key) if key else None

    def label(self, principal: str) -> str:
        """A principal as people know it: a person's name, a group's name, a well-known SID's name."""
        person = self.resolve(principal)
        if person is not None:
            return person.label()
        group = self.membership.group(principal)
        if group is not None:
            return f"{group.name} (group)"
        return well_known_name(principal) or principal

    def people_behind(self, principals: Iterable[str]) -> frozenset[str]:
        """The people (keys) the principals stand for, nested groups expanded and groups of everybody counted
        as every enabled person."""
        found: set[str] = set()
        for principal in principals:
            person = self.resolve(principal)
            found |= self.membership.people_behind(principal, person.key if person else None)
        return frozenset(found)

    def author(self, digest: str) -> Person | None:
        """The person whose account, e-mail or name has this keyed digest (how document authors are stored)."""
        if self.author_key is None:
            return None
        if self._digests is None:
            self._digests = {principal_digest(alias, self.author_key): pk for alias, pk in self._index.items()}
        found = self._digests.get(digest)
        return self.people.get(found) if found else None

    def get(self, key: str | None) -> Person | None:
        return self.people.get(key.lower()) if key else None

    def managers(self, person: Person, levels: int) -> Iterator[tuple[int, Person]]:
        """Up the manager chain, ``levels`` steps at most, stopping at a loop."""
        seen = {person.key}
        current = person
        for level in range(1, levels + 1):
            boss = self.get(current.manager)
            if boss is None or boss.key in seen:
                return
            seen.add(boss.key)
            yield level, boss
            current = boss

    def departments(self) -> set[str]:
        return {p.department for p in self.people.values() if p.department}


def load_directory(config: LdapDirectory | CsvDirectory, author_key: bytes | None = None) -> Directory:
    if isinstance(config, CsvDirectory):
        return Directory(read_csv(config), author_key)
    people, groups = read_ldap(config)
    return Directory(people, author_key, groups)


def _status_enabled(value: str | None) -> bool:
    return (value or "").strip().lower() not in DISABLED_WORDS


def read_csv(config: CsvDirectory) -> list[Person]:
    cols = config.columns
    try:
        with config.path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise DirectoryError(f"directory: {config.path}: cannot be read ({exc.strerror})") from None
    if rows and cols.account not in rows[0] and cols.email not in rows[0]:
        raise DirectoryError(f"directory: {config.path}: has neither an {cols.account!r} nor an {cols.email!r} column")
    people = []
    for row in rows:

        def get(name: str | None, row: dict[str, str] = row) -> str | None:
            return (row.get(name) or "").strip() or None if name else None

        account, email = get(cols.account), get(cols.email)
        key = (account or email or "").lower()
        if not key:
            continue
        uid = get(cols.uid_number)
        people.append(
            Person(
                key,
                get(cols.name) or key,
                email,
                get(cols.department),
                get(cols.title),
                (get(cols.manager) or "").lower() or None,
                _status_enabled(get(cols.status)),
                get(cols.sid),
                int(uid) if uid and uid.isdigit() else None,
            )
        )
    return _managers_by_key(people)


def _managers_by_key(people: list[Person]) -> list[Person]:
    """Managers given as e-mail addresses or DNs become keys."""
    by_alias = {a.lower(): p.key for p in people for a in (p.key, p.email) if a}
    from dataclasses import replace

    return [replace(p, manager=by_alias.get(p.manager or "", p.manager)) for p in people]


def read_ldap(config: LdapDirectory) -> tuple[list[Person], list[Group]]:
    from ldap3 import ALL, SUBTREE, Connection, Server
    from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPSocketOpenError

    attrs = config.attributes
    wanted = [
        a
        for a in (
            attrs.account,
            attrs.sid,
            attrs.name,
            attrs.email,
            attrs.department,
            attrs.title,
            attrs.manager,
            attrs.uid_number,
            attrs.account_control,
        )
        if a
    ]
    password = config.password.get_secret_value() if config.password else None
    try:
        server = Server(config.url, get_info=ALL, connect_timeout=config.timeout)
        conn = Connection(
            server, user=config.bind_dn, password=password, auto_bind=True, receive_timeout=int(config.timeout)
        )
    except LDAPSocketOpenError:
        raise DirectoryError(f"directory: cannot connect to the LDAP server {config.url}") from None
    except LDAPBindError:
        raise DirectoryError(
            f"directory: the LDAP server {config.url} refused the bind as "
            f"{config.bind_dn or 'anonymous'} (wrong DN or password)"
        ) from None
    except LDAPException as exc:
        raise DirectoryError(f"directory: LDAP error from {config.url} ({type(exc).__name__})") from None
    try:
        wanted = [a for a in wanted if a in server.schema.attribute_types] if server.schema else wanted
        entries = conn.extend.standard.paged_search(
            config.base, config.filter, SUBTREE, attributes=wanted, paged_size=500, generator=False
        )
        if conn.result.get("description") == "noSuchObject":
            raise DirectoryError(f"directory: the search base {config.base!r} does not exist on {config.url}")
        disabled: set[str] = set()
        if config.disabled_filter:
            conn.search(config.base, config.disabled_filter, SUBTREE, attributes=[])
            disabled = {str(e.entry_dn).lower() for e in conn.entries}
        groups: list[Group] = []
        if config.groups is not None:
            g = config.groups
            names = [a for a in (g.name, g.sid, g.member, g.member_uid, g.gid_number) if a]
            names = [a for a in names if a in server.schema.attribute_types] if server.schema else names
            base = g.base or config.base
            classes = [c for c in GROUP_CLASSES if not server.schema or c in server.schema.object_classes]
            query = g.filter or f"(|{''.join(f'(objectClass={c})' for c in classes)})"
            found = conn.extend.standard.paged_search(
                base, query, SUBTREE, attributes=names, paged_size=500, generator=False
            )
            if conn.result.get("description") == "noSuchObject":
                raise DirectoryError(f"directory: the group search base {base!r} does not exist on {config.url}")
            groups = ldap_groups(found, g)
    except LDAPException as exc:
        raise DirectoryError(f"directory: LDAP search under {config.base!r} failed ({type(exc).__name__})") from None
    finally:
        conn.unbind()
    return ldap_people(entries, attrs, disabled), groups


def _first(entry: dict[str, Any], name: str | None) -> Any:
    if not name:
        return None
    value = entry.get("attributes", {}).get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value if value not in ("", []) else None


def ldap_people(entries: list[dict[str, Any]], attrs: Any, disabled: set[str]) -> list[Person]:
    dn_key: dict[str, str] = {}
    rows = []
    for entry in entries:
        if entry.get("type") != "searchResEntry":
            continue
        account = _first(entry, attrs.account)
        email = _first(entry, attrs.email)
        key = str(account or email or "").lower()
        if not key:
            continue
        dn_key[str(entry["dn"]).lower()] = key
        rows.append((entry, key, email))
    people = []
    for entry, key, email in rows:
        control = _first(entry, attrs.account_control)
        flagged = control is not None and bool(int(control) & ACCOUNTDISABLE)
        enabled = not flagged and str(entry["dn"]).lower() not in disabled
        manager = _first(entry, attrs.manager)
        uid = _first(entry, attrs.uid_number)
        sid = _first(entry, attrs.sid)
        people.append(
            Person(
                key,
                str(_first(entry, attrs.name) or key),
                str(email) if email else None,
                _text(_first(entry, attrs.department)),
                _text(_first(entry, attrs.title)),
                dn_key.get(str(manager).lower()) if manager else None,
                enabled,
                sid_text(sid),
                int(uid) if uid is not None and str(uid).isdigit() else None,
                str(entry["dn"]),
            )
        )
    return people


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
