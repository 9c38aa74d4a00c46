"""The sample council's staff: an HR export (CSV) that Steward reads as its directory in the demo.

Per service a head of service (reporting to a director) and a few officers; one former head of service is a
leaver whom the council's old list of Information Asset Owners still names. Each person has a POSIX uid, so files
written by the sample share can be owned by them (when written as root) and ownership is inferred from evidence.
Every name is made up (Faker ``en_GB``); deterministic for a given seed.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from faker import Faker

DOMAIN = "council.example"
FIRST_UID = 2001
DIRECTORS = {
    "Director of People": ("Adult Social Care", "Children's Services", "HR"),
    "Director of Place": ("Highways", "GIS", "Planning"),
    "Director of Resources": ("Finance", "Revenues and Benefits"),
}
LEAVER_SERVICE = "Planning"  # its former head left; the old IAO list still names them
COLUMNS = ("account", "uid", "name", "email", "department", "title", "manager", "status")


@dataclass(frozen=True)
class StaffMember:
    account: str
    uid: int
    name: str
    email: str
    department: str
    title: str
    manager: str | None
    status: str  # active or leaver

    def row(self) -> tuple[str, ...]:
        return (
            self.account,
            str(self.uid),
            self.name,
            self.email,
            self.department,
            self.title,
            self.manager or "",
            self.status,
        )


@dataclass(frozen=True)
class Staff:
    people: tuple[StaffMember, ...]

    def of(self, service: str) -> list[StaffMember]:
        """The active staff of a service, head first."""
        return [p for p in self.people if p.department == service and p.status == "active"]

    def head(self, service: str) -> StaffMember:
        return self.of(service)[0]

    @property
    def leaver(self) -> StaffMember:
        return next(p for p in self.people if p.status == "leaver")

    @property
    def siro(self) -> StaffMember:
        """The Director of Resources, who is the council's SIRO in the demo."""
        return next(p for p in self.people if p.title == "Director of Resources")

    def write_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(p.row() for p in self.people)
        return path


def build_staff(services: list[str], seed: int = 2016) -> Staff:
    """Directors, a head and two or three officers per service, and one leaver."""
    fake, rng = Faker("en_GB"), random.Random(seed)
    fake.seed_instance(seed)
    used: set[str] = set()
    people: list[StaffMember] = []

    def person(department: str, title: str, manager: str | None, status: str = "active") -> StaffMember:
        while True:
            first, last = fake.first_name(), fake.last_name()
            account = f"{first[0]}{last}".lower().replace("'", "").replace(" ", "")
            if account not in used:
                break
        used.add(account)
        member = StaffMember(
            account,
            FIRST_UID + len(people),
            f"{first} {last}",
            f"{account}@{DOMAIN}",
            department,
            title,
            manager,
            status,
        )
        people.append(member)
        return member

    for title, served in DIRECTORS.items():
        director = person("Corporate Leadership", title, None)
        for service in (s for s in services if s in served):
            if service == LEAVER_SERVICE:
                person(service, f"Head of {service} (former)", director.account, status="leaver")
            head = person(service, f"Head of {service}", director.account)
            for _ in range(rng.randint(2, 3)):
                person(service, rng.choice(("Officer", "Senior Officer", "Team Leader", "Administrator")), head.account)
    return Staff(tuple(people))
