"""The bundled sample council share: a few hundred files of every supported format, in folders named like
council services, some holding planted (synthetic) UK personal data. Deterministic for a given seed.

    steward sample-share /tmp/share
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from scanner.samples import office, text
from scanner.samples.people import People, Person
from scanner.samples.staff import Staff

SERVICES = {
    "Adult Social Care": ["Assessments", "Care Plans", "Safeguarding", "Closed 2015"],
    "Children's Services": ["Sensory Support", "Looked After Children", "Referrals 2012-13"],
    "Highways": ["Inspections", "Claims", "Street Works"],
    "HR": ["Staff", "Recruitment", "Occupational Health", "Payroll"],
    "Revenues and Benefits": ["Council Tax", "Housing Benefit", "Exports"],
    "GIS": ["OS MasterMap", "Gazetteer", "Layers"],
    "Finance": ["ERDF Projects", "Budgets FY2019", "Suppliers"],
    "Planning": ["Applications", "Enforcement"],
}
FORMATS = [
    "docx",
    "xlsx",
    "csv",
    "txt",
    "pdf",
    "pptx",
    "odt",
    "ods",
    "rtf",
    "json",
    "xml",
    "html",
    "eml",
    "msg",
    "tsv",
    "zip",
    "doc",
    "xls",
    "xlsm",
]
NAMES = (
    "case notes",
    "assessment",
    "contact list",
    "minutes",
    "report",
    "export",
    "register",
    "letter",
    "review",
    "tracker",
    "summary",
    "referral",
)
HEALTH = (
    "diagnosis of type 2 diabetes",
    "referred to occupational health for depression",
    "history of epilepsy",
    "receiving treatment for cancer",
    "mental health assessment",
)
START, END = datetime(2009, 1, 1, tzinfo=UTC).timestamp(), datetime(2026, 6, 30, tzinfo=UTC).timestamp()
Writer = Callable[[Path, "Content"], Path]


class Content:
    """What one sample file says: prose paragraphs and an optional table, with or without people."""

    def __init__(self, people: People, rng: random.Random, personal: bool, health: bool = False) -> None:
        self.title = people.fake.catch_phrase()
        self.people: list[Person] = [people.person() for _ in range(rng.randint(2, 6))] if personal else []
        self.paragraphs = [people.prose(3) for _ in range(rng.randint(2, 4))]
        for p in self.people[:2]:
            line = (
                f"Client: {p.name}, date of birth {p.dob:%d/%m/%Y}, NHS number {p.nhs_number}, "
                f"address {p.address}, {p.postcode}. Contact {p.phone} or {p.email}."
            )
            if health:
                line += f" Notes: {rng.choice(HEALTH)}."
            self.paragraphs.insert(1, line)

    def table(self) -> list[list[object]]:
        if self.people:
            rows: list[list[object]] = [["Name", "Date of birth", "NI number", "Postcode", "Email", "Phone"]]
            rows += [[p.name, p.dob.isoformat(), p.ni_number, p.postcode, p.email, p.phone] for p in self.people]
            return rows
        header: list[list[object]] = [["Item", "Code", "Quantity", "Cost"]]
        return header + [[f"Item {i}", f"PRD-{1000 + i * 37}", i * 3, f"{i * 12.5:.2f}"] for i in range(1, 12)]

    def lines(self) -> str:
        return "\n\n".join([self.title, *self.paragraphs])


def _rows_text(content: Content) -> list[list[str]]:
    return [[str(c) for c in row] for row in content.table()]


WRITERS: dict[str, Writer] = {
    "docx": lambda p, c: office.write_docx(p, [c.title, *c.paragraphs], table=_rows_text(c) if c.people else None),
    "xlsx": lambda p, c: office.write_xlsx(p, {"Sheet1": c.table()}),
    "xlsm": lambda p, c: office.write_xlsx(p, {"Data": c.table()}, macro_enabled=True),
    "csv": lambda p, c: text.write_csv(p, c.table()),
    "tsv": lambda p, c: text.write_csv(p, c.table(), delimiter="\t"),
    "txt": lambda p, c: text.write_text(p, c.lines(), encoding="cp1252" if len(c.paragraphs) % 2 else "utf-8"),
    "pdf": lambda p, c: office.write_pdf(p, [c.lines()]),
    "pptx": lambda p, c: office.write_pptx(p, [c.title, *c.paragraphs]),
    "odt": lambda p, c: office.write_odt(p, c.paragraphs, heading=c.title),
    "ods": lambda p, c: office.write_ods(p, {"Sheet1": c.table()}),
    "rtf": lambda p, c: office.write_rtf(p, [c.title, *c.paragraphs]),
    "json": lambda p, c: text.write_json(
        p, {"title": c.title, "records": [dict(zip(c.table()[0], map(str, r), strict=False)) for r in c.table()[1:]]}
    ),
    "xml": lambda p, c: text.write_xml(
        p, "export", [dict(zip(("name", "code", "a", "b"), map(str, r), strict=False)) for r in c.table()[1:]]
    ),
    "html": lambda p, c: text.write_html(p, c.title, c.paragraphs),
    "eml": lambda p, c: text.write_eml(
        p,
        c.title,
        c.lines(),
        "team@council.example.gov.uk",
        "records@council.example.gov.uk",
        [("list.csv", "\n".join(",".join(map(str, r)) for r in c.table()).encode())],
    ),
    "msg": lambda p, c: text.write_msg(
        p, c.title, c.lines(), "team@council.example.gov.uk", [("notes.txt", c.lines().encode())]
    ),
    "zip": lambda p, c: text.write_zip(
        p, {"notes.txt": c.lines().encode(), "list.csv": "\n".join(",".join(map(str, r)) for r in c.table()).encode()}
    ),
    "doc": lambda p, c: office.write_doc(p),
    "xls": lambda p, c: office.write_xls(p),
}


def _special_files(root: Path, people: People) -> list[Path]:
    """The awkward cases every real share has: encrypted, damaged, empty, mislabelled, marked files."""
    p = people.person()
    hr, asc = root / "HR", root / "Adult Social Care"
    out = [
        office.write_encrypted_docx(hr / "Payroll" / "salaries 2019 (protected).docx", ["Salaries"], "secret1"),
        office.write_encrypted_pdf(hr / "Staff" / "disciplinary.pdf", ["Confidential"], "pw", "owner"),
        office.write_encrypted_odt(root / "Finance" / "Suppliers" / "contract.odt"),
        text.write_zip(
            root / "Revenues and Benefits" / "Exports" / "bank details.zip",
            {"bacs.csv": f"{p.name},{p.sort_code},{p.account}\n".encode()},
            password="export",
        ),
        text.write_text(root / "Highways" / "Claims" / "empty.txt", ""),
        office.write_docx(
            asc / "Safeguarding" / "strategy meeting.docx",
            [
                f"Strategy meeting about {p.name}, born {p.dob:%d %B %Y}, NHS {p.nhs_number}.",
                "Concerns of neglect were raised by the school; a child protection plan is proposed.",
            ],
            header="OFFICIAL-SENSITIVE",
            footer="OFFICIAL-SENSITIVE",
        ),
        office.write_docx(
            hr / "Occupational Health" / f"referral {p.name}.docx",
            [f"Employee: {p.name}, NI number {p.ni_number}.", f"Reason: {HEALTH[1]}."],
        ),
        text.write_csv(
            root / "GIS" / "OS MasterMap" / "licensed_topography.csv",
            [["TOID", "Easting", "Northing", "Theme"]]
            + [[f"osgb{4000000000000 + i}", 430000 + i, 290000 + i, "Buildings"] for i in range(40)],
        ),
        text.write_text(
            root / "Planning" / "policy on special category data.txt",
            "This policy explains how the council handles health, religion, ethnicity and "
            "criminal offence data. It names no individuals.",
        ),
    ]
    corrupt = hr / "Staff" / "team list final_v2.docx"
    data = office.write_docx(corrupt, ["Team list"] + [f"{x.name} {x.phone}" for x in (p, people.person())])
    data.write_bytes(data.read_bytes()[:900])
    mislabelled = root / "Finance" / "Budgets FY2019" / "budget.pdf"
    office.write_docx(mislabelled, ["Budget notes for FY2019. No personal data."])
    out += [corrupt, mislabelled]
    return out


def build_share(root: Path, files: int = 300, seed: int = 2016, staff: Staff | None = None) -> int:
    """Write the sample share under ``root`` (created if missing); returns the number of files written.

    With ``staff`` (and when run as root, which may give files away), each service's folders and files are owned
    by that service's staff — mostly its officers, the folders by its head — as a real share's would be."""
    rng, people = random.Random(seed), People(seed)
    root.mkdir(parents=True, exist_ok=True)
    folders = [root / svc / sub for svc, subs in SERVICES.items() for sub in subs]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    written = _special_files(root, people)
    for i in range(max(files - len(written), 0)):
        fmt = FORMATS[i % len(FORMATS)]
        folder = root if i % 29 == 0 else rng.choice(folders)
        health = "Occupational Health" in str(folder) or "Care Plans" in str(folder)
        content = Content(people, rng, personal=rng.random() < 0.45, health=health)
        name = f"{rng.choice(NAMES)} {i:03d}.{fmt}"
        written.append(WRITERS[fmt](folder / name, content))
    for path in written:
        stamp = rng.uniform(START, END)
        os.utime(path, (stamp, stamp))
    if staff is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
        _give_to_staff(root, written, staff, rng)
    return len(written)


def _give_to_staff(root: Path, written: list[Path], staff: Staff, rng: random.Random) -> None:
    """Each service's folders to its head, its files to its staff (officers three times as often as the head)."""
    for service in SERVICES:
        people = staff.of(service)
        if not people:
            continue
        head, officers = people[0], people[1:] or people[:1]
        for folder in [root / service, *(p for p in (root / service).rglob("*") if p.is_dir())]:
            os.chown(folder, head.uid, head.uid)
        for path in written:
            if path.is_relative_to(root / service):
                owner = head if rng.random() < 0.25 else rng.choice(officers)
                os.chown(path, owner.uid, owner.uid)
