"""Groups from the directory, against a real Samba share and a real OpenLDAP: ACL entries naming groups are shown
by name, nested membership is expanded to count who can read or change an asset (a folder readable only through a
group inside a group counts that inner group's members), POSIX groups match Samba's Unix-group SIDs, and
well-known SIDs are named."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from council_share import write_people
from ldap_server import ADMIN_DN, ADMIN_PASSWORD, GROUPS_BASE, SUFFIX, LdapServer, have_slapd
from samba_server import MODIFY, PASSWORD, READ, SambaServer, free_port, have_samba

from inventory.owners.directory import Directory, Person
from inventory.owners.groups import Group
from scanner.principals import well_known_name

ACCOUNTS = ("stwadmin", "stwscan", "stwasmith", "stwbjones", "stwcdavis", "stwdhead", "stwpgreen")
ROADS_GID = 4242


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[SambaServer, LdapServer]]:
    if not have_samba() or not have_slapd():
        pytest.fail("Samba, OpenLDAP and root are needed for these tests; scripts/setup.sh test installs them")
    base = Path(tempfile.mkdtemp(prefix="steward-groups-"))
    base.chmod(0o755)  # smbd enters the share as each user
    samba = SambaServer(base / "smb", free_port())
    samba.write_conf("stwadmin", "stwscan", list(ACCOUNTS[2:]))
    for account in ACCOUNTS:
        samba.add_account(account)
    samba.read_sids()
    highways, gritting = f"{samba.domain_sid}-3001", f"{samba.domain_sid}-3002"
    samba.folder("Roads", "stwscan")
    samba.write("Roads/plan.txt", b"the road plan", "stwscan")
    samba.folder("Depot", "stwscan")
    samba.write("Depot/rota.txt", b"rota", "stwscan")
    samba.write("Depot/boiler.txt", b"boiler log", "root")  # owned by a Unix account: Samba's S-1-22-1-0
    samba.start()
    sid = samba.accounts
    # Roads: read through Highways Staff only, which holds nobody directly, only the Gritting Team (Bob Jones).
    scanner = (sid["stwscan"], READ, True)  # the scanning account, which the directory does not hold
    roads = [(highways, READ, True), (sid["stwpgreen"], MODIFY, True), (sid["stwcdavis"], READ, True), scanner]
    samba.set_dacl("Roads", roads, inherit=True)
    samba.set_dacl("Roads/plan.txt", roads)
    # Depot: read by the POSIX group roads (Samba names it S-1-22-2-<gid>), changed by SYSTEM.
    depot = [(f"S-1-22-2-{ROADS_GID}", READ, True), ("S-1-5-18", MODIFY, True), scanner]
    samba.set_dacl("Depot", depot, inherit=True)
    samba.set_dacl("Depot/rota.txt", depot)
    ldap = LdapServer(base / "ldap", free_port())
    (base / "ldap").mkdir()
    groups: list[dict[str, object]] = [
        {"name": "Highways Staff", "sid": highways, "members": ["Gritting Team"]},
        {"name": "Gritting Team", "sid": gritting, "members": ["stwbjones", "Highways Staff"]},  # a loop, too
        {"name": "roads", "gid": ROADS_GID, "accounts": ["stwasmith", "stwdhead"]},
    ]
    ldap.start(write_people(samba), groups)
    try:
        yield samba, ldap
    finally:
        ldap.stop()
        samba.stop()
        shutil.rmtree(base, ignore_errors=True)


def scan_config(tmp_path: Path, samba: SambaServer, ldap: LdapServer) -> Path:
    config = {
        "database": f"sqlite:///{tmp_path / 'steward.db'}",
        "hash_key": "test-key",
        "scan": {"workers": 1},
        "assets": {"depth": 1},
        "sources": [
            {
                "id": "fs1",
                "kind": "smb",
                "server": "127.0.0.1",
                "port": samba.port,
                "share": samba.share,
                "username": "stwscan",
                "password": PASSWORD,
            }
        ],
        "directory": {
            "kind": "ldap",
            "url": ldap.url,
            "bind_dn": ADMIN_DN,
            "password": ADMIN_PASSWORD,
            "base": f"ou=people,{SUFFIX}",
            "attributes": {"account": "uid", "name": "cn", "department": "departmentNumber", "uid_number": None},
            "groups": {"base": GROUPS_BASE},
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_nested_group_members_count_as_readers_and_groups_show_by_name(
    world: tuple[SambaServer, LdapServer], tmp_path: Path, steward: Any
) -> None:
    samba, ldap = world
    config = scan_config(tmp_path, samba, ldap)
    assert steward("scan", "--config", str(config)).exit_code == 0
    rows = {r["asset"]: r for r in json.loads(steward("owners", "--config", str(config), "--format", "json").output)}
    roads = rows["Roads"]["access"]
    scanner = samba.accounts["stwscan"]
    assert sorted(roads["readers"]) == [
        "Carol Davis (stwcdavis) [left]",
        "Highways Staff (group)",
        "Peter Green (stwpgreen)",
        scanner,  # an account the directory does not know stays a SID
    ]
    # Peter directly, Bob Jones through Gritting Team inside Highways Staff; Carol has left (her account is off)
    assert roads["people_read"] == 2
    assert (roads["writers"], roads["people_write"]) == (["Peter Green (stwpgreen)"], 1)
    depot = rows["Depot"]["access"]
    assert set(depot["readers"]) == {"NT AUTHORITY\\SYSTEM", "roads (group)", scanner}
    assert depot["people_read"] == 2  # Alice Smith and Diane Head, members of the POSIX group
    assert "Unix user 0 owns 1 file(s) but is not in the directory" in rows["Depot"]["notes"]
    table = steward("owners", "--config", str(config)).output
    assert "can read: 2 people: " in table and "can change: 1 person: Peter Green (stwpgreen)" in table
    assert "S-1-22" not in table and table.count("S-1-5-21") == table.count(scanner)
    lookup = steward("directory", "lookup", f"{samba.domain_sid}-3001", "--config", str(config)).output
    assert "Highways Staff (group)" in lookup and "people in it, nested groups included: 1" in lookup
    assert "3 groups" in steward("directory", "check", "--config", str(config)).output


def test_membership_expands_nesting_once_and_counts_groups_of_everybody() -> None:
    people = [
        Person("ann", "Ann", dn="uid=ann,ou=p"),
        Person("ben", "Ben", dn="uid=ben,ou=p"),
        Person("cat", "Cat", enabled=False, dn="uid=cat,ou=p", uid=1003),
    ]
    groups = [
        Group("cn=outer,ou=g", "Outer", "S-1-5-21-1-2-3-4001", members=("cn=inner,ou=g",)),
        Group("cn=inner,ou=g", "Inner", None, members=("uid=ben,ou=p", "cn=outer,ou=g")),
        Group("cn=staff,ou=g", "staff", None, gid=100, member_accounts=("ann", "nobody")),
    ]
    directory = Directory(people, groups=groups)
    assert directory.people_behind(["S-1-5-21-1-2-3-4001"]) == {"ben"}
    assert directory.people_behind(["gid:100", "S-1-22-1-1003"]) == {"ann"}  # Cat has left: not counted
    assert directory.people_behind(["S-1-1-0"]) == {"ann", "ben"}  # Everyone: every enabled person
    assert directory.people_behind(["S-1-5-21-9-9-9-1234"]) == frozenset()
    assert directory.label("S-1-5-21-1-2-3-4001") == "Outer (group)"
    assert directory.label("S-1-22-2-100") == "staff (group)"


@pytest.mark.parametrize(
    ("sid", "name"),
    [
        ("S-1-1-0", "Everyone"),
        ("S-1-5-18", "NT AUTHORITY\\SYSTEM"),
        ("S-1-5-32-544", "BUILTIN\\Administrators"),
        ("S-1-5-32-545", "BUILTIN\\Users"),
        ("S-1-5-11", "Authenticated Users"),
        ("S-1-5-21-1-2-3-513", "Domain Users"),
        ("S-1-5-21-1-2-3-512", "Domain Admins"),
        ("S-1-3-0", "CREATOR OWNER"),
        ("S-1-22-2-100", "Unix group 100"),
        ("S-1-5-21-1-2-3-1105", None),
    ],
)
def test_well_known_sids_are_named(sid: str, name: str | None) -> None:
    assert well_known_name(sid) == name
