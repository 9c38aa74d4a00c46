"""A throwaway OpenLDAP (slapd) on 127.0.0.1 for tests: private slapd.conf, mdb database, data loaded offline.

A tiny test schema adds the two Active Directory attributes Steward reads that OpenLDAP lacks (objectSid as
text, userAccountControl as an integer), so the same code path serves both.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from server_process import start_server, stop_server

SUFFIX = "dc=council,dc=example"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "secret"
SCHEMA = """\
attributetype ( 1.3.6.1.4.1.55555.1.1 NAME 'objectSid' EQUALITY caseIgnoreMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.2 NAME 'userAccountControl' EQUALITY integerMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.2.1 NAME 'stewardAccount' SUP top AUXILIARY MAY ( objectSid $ userAccountControl ) )
"""


def have_slapd() -> bool:
    return all(shutil.which(t) for t in ("slapd", "slapadd"))


@dataclass
class LdapServer:
    base: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self, people: list[dict[str, object]], groups: list[dict[str, object]] | None = None) -> None:
        """``groups``: {"name", "sid" (optional), "members": [account or group name]} become groupOfNames under
        ou=groups (members as DNs, nested groups included); {"name", "gid", "accounts"} become posixGroups."""
        (self.base / "db").mkdir(parents=True, exist_ok=True)
        (self.base / "steward.schema").write_text(SCHEMA)
        conf = self.base / "slapd.conf"
        conf.write_text(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include {self.base}/steward.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {self.base}/slapd.pid
argsfile {self.base}/slapd.args
database mdb
maxsize 104857600
suffix "{SUFFIX}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {self.base}/db
""")
        (self.base / "data.ldif").write_text(ldif(people, groups or []))
        subprocess.run(
            ["slapadd", "-f", str(conf), "-l", str(self.base / "data.ldif"), "-q"], check=True, capture_output=True
        )
        self.process = start_server(
            ["slapd", "-f", str(conf), "-h", f"{self.url}/", "-d", "0"], self.port, self.base / "slapd.out"
        )

    def stop(self) -> None:
        stop_server(self.process)
        self.process = None


GROUPS_BASE = f"ou=groups,{SUFFIX}"


def group_ldif(groups: list[dict[str, object]]) -> list[str]:
    names = {str(g["name"]) for g in groups}
    out = []
    for g in groups:
        dn = f"dn: cn={g['name']},{GROUPS_BASE}"
        if "gid" in g:
            lines = [dn, "objectClass: posixGroup", f"cn: {g['name']}", f"gidNumber: {g['gid']}"]
            lines += [f"memberUid: {a}" for a in g.get("accounts", [])]  # type: ignore[attr-defined]
        else:
            lines = [dn, "objectClass: groupOfNames", "objectClass: stewardAccount", f"cn: {g['name']}"]
            for member in g["members"]:  # type: ignore[attr-defined]
                inside = f"cn={member},{GROUPS_BASE}" if member in names else f"uid={member},ou=people,{SUFFIX}"
                lines.append(f"member: {inside}")
            if g.get("sid"):
                lines.append(f"objectSid: {g['sid']}")
        out.append("\n".join(lines) + "\n")
    return out


def ldif(people: list[dict[str, object]], groups: list[dict[str, object]] | None = None) -> str:
    out = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Council\ndc: council\n",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS_BASE}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for p in people:
        last = str(p["name"]).split()[-1]
        lines = [
            f"dn: uid={p['account']},ou=people,{SUFFIX}",
            "objectClass: inetOrgPerson",
            "objectClass: stewardAccount",
            f"uid: {p['account']}",
            f"cn: {p['name']}",
            f"sn: {last}",
            f"mail: {p['email']}",
            f"departmentNumber: {p['department']}",
            f"title: {p['title']}",
            f"userAccountControl: {512 if p['enabled'] else 514}",
        ]
        if p.get("manager"):
            lines.append(f"manager: uid={p['manager']},ou=people,{SUFFIX}")
        if p.get("sid"):
            lines.append(f"objectSid: {p['sid']}")
        if p.get("password"):  # plain text: slapd accepts it for a simple bind on this throwaway server
            lines.append(f"userPassword: {p['password']}")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out + group_ldif(groups or []))
