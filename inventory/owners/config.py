"""Config for access facts, the directory of people, and owner inference (keys access, directory, owners)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr

from inventory.owners.access import AccessPolicy
from scanner.config import Strict


def access_policy(broad_groups: tuple[int | str, ...]) -> AccessPolicy:
    """What counts as broad, from ``rules.broad_groups`` (names or SIDs, and numeric local gids): the same
    setting the exposure rules read, so the register and the findings agree."""
    return AccessPolicy(
        tuple(g for g in broad_groups if isinstance(g, str)), tuple(g for g in broad_groups if isinstance(g, int))
    )


class LdapAttributes(Strict):
    """Attribute names; the defaults are Active Directory's. For OpenLDAP: account uid, department
    departmentNumber or ou, and an objectSid / userAccountControl only where the schema has them."""

    account: str = Field(default="sAMAccountName", description="Logon name.")
    sid: str | None = Field(default="objectSid", description="Windows SID (binary or S-1-... text).")
    name: str = Field(default="displayName", description="Display name.")
    email: str = Field(default="mail", description="E-mail address.")
    department: str = Field(default="department", description="Department or service.")
    title: str | None = Field(default="title", description="Job title.")
    manager: str = Field(default="manager", description="DN of the manager.")
    uid_number: str | None = Field(default="uidNumber", description="POSIX uid (matches local file owners).")
    account_control: str | None = Field(
        default="userAccountControl", description="AD flags; bit 0x2 means the account is disabled."
    )


class LdapGroups(Strict):
    """Where the directory's groups are and their attribute names; the defaults read Active Directory groups
    (member: DNs of people and nested groups), OpenLDAP groupOfNames and POSIX groups (memberUid, gidNumber)."""

    base: str | None = Field(default=None, description="Search base for groups (default: the people's base).")
    filter: str | None = Field(
        default=None,
        description="LDAP filter selecting groups (default: objectClass group, groupOfNames or posixGroup, "
        "whichever the server's schema has).",
    )
    name: str = Field(default="cn", description="Group name.")
    sid: str | None = Field(default="objectSid", description="Windows SID of the group (binary or S-1-... text).")
    member: str | None = Field(default="member", description="DNs of members: people and nested groups.")
    member_uid: str | None = Field(default="memberUid", description="POSIX members by account name.")
    gid_number: str | None = Field(default="gidNumber", description="POSIX gid (matches local files' groups).")


class LdapDirectory(Strict):
    kind: Literal["ldap"] = Field(description="Directory kind.")
    url: str = Field(pattern=r"^ldaps?://", description="Server URL, ldap://host:389 or ldaps://host:636.")
    bind_dn: str | None = Field(default=None, description="Account to bind as (none: anonymous).")
    password: SecretStr | None = Field(default=None, description="Its password; use an ${ENV} reference.")
    base: str = Field(description="Search base for people, e.g. OU=Staff,DC=council,DC=local.")
    filter: str = Field(
        default="(objectClass=person)",
        description="LDAP filter selecting people (AD: (&(objectCategory=person)(objectClass=user))).",
    )
    disabled_filter: str | None = Field(
        default=None, description="Filter matching leavers, where no userAccountControl exists (OpenLDAP)."
    )
    attributes: LdapAttributes = Field(default_factory=LdapAttributes, description="Attribute names.")
    groups: LdapGroups | None = Field(
        default_factory=LdapGroups, description="Groups, to resolve group SIDs and count their members; null: none."
    )
    timeout: PositiveFloat = Field(default=10.0, description="Seconds to wait for the server.")


class CsvColumns(Strict):
    account: str = Field(default="account", description="Logon name column.")
    sid: str | None = Field(default="sid", description="Windows SID column.")
    uid_number: str | None = Field(default="uid", description="POSIX uid column.")
    name: str = Field(default="name", description="Full name column.")
    email: str = Field(default="email", description="E-mail column.")
    department: str = Field(default="department", description="Department or service column.")
    title: str | None = Field(default="title", description="Job title column.")
    manager: str = Field(default="manager", description="Manager's account or e-mail column.")
    status: str = Field(
        default="status", description="Employment status column; leaver/disabled/left/false/inactive/no mean disabled."
    )


class CsvDirectory(Strict):
    kind: Literal["csv"] = Field(description="Directory kind.")
    path: Path = Field(description="CSV export of the HR system (UTF-8, header row).")
    columns: CsvColumns = Field(default_factory=CsvColumns, description="Column names.")


Directory = Annotated[LdapDirectory | CsvDirectory, Field(discriminator="kind")]


class DeclaredOwner(Strict):
    path: str = Field(min_length=1, description="source:folder prefix, e.g. share:Finance (an asset and below).")
    owner: str = Field(min_length=1, description="The owner's account name or e-mail address.")
    service: str | None = Field(default=None, description="The service the asset belongs to.")


class OwnersConfig(Strict):
    declared: tuple[DeclaredOwner, ...] = Field(
        default=(), description="Owners stated by the organisation; they win over inference."
    )
    threshold: float = Field(default=0.5, gt=0, le=1, description="Confidence a candidate needs to be proposed.")
    recent_days: PositiveInt = Field(default=365, description="Changes within this many days weigh double.")
    manager_levels: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Managers up the chain who inherit their reports' evidence (an IAO heads a service).",
    )
    exclude_accounts: tuple[str, ...] = Field(
        default=("svc*", "*svc*", "*service*", "*backup*", "admin*", "*admin", "administrator"),
        description="Account patterns (shell globs, any case) never proposed: IT and service accounts.",
    )
    exclude_departments: tuple[str, ...] = Field(default=("ICT", "IT"), description="Departments never proposed.")
    candidates: PositiveInt = Field(default=5, description="Candidates kept per asset.")
