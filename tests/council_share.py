"""The small council share the ownership tests scan over SMB, and the directory of the people behind it.

Highways/          folder owned by Diane Head; Everyone may read, Alice and Bob may change, the backup
                   service account has full control. Alice owns most bytes and wrote the documents.
Social Care/       Domain Users may read (a broad group); Carol Davis (a leaver) owns the case files.
  Restricted/      only Peter Green: the scanner's account is refused.
Finance/           files owned by an account the directory does not know; its owner is declared in config.
Projects/          only the backup service account's files: no owner can be inferred.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from samba_server import AUTHENTICATED_USERS, EVERYONE, FULL, MODIFY, READ, SambaServer

YEAR = 365 * 24 * 3600
NOW = time.time()


@dataclass(frozen=True)
class Person:
    account: str
    name: str
    department: str
    title: str
    manager: str | None
    enabled: bool = True

    @property
    def email(self) -> str:
        first, _, last = self.name.lower().partition(" ")
        return f"{first}.{last}@council.example.gov.uk"


PEOPLE = (
    Person("stwceo", "Chris Chief", "Executive", "Chief Executive", None),
    Person("stwdhead", "Diane Head", "Highways", "Head of Highways", "stwceo"),
    Person("stwasmith", "Alice Smith", "Highways", "Highways Officer", "stwdhead"),
    Person("stwbjones", "Bob Jones", "Highways", "Highways Engineer", "stwdhead"),
    Person("stwpgreen", "Peter Green", "Social Care", "Head of Social Care", "stwceo"),
    Person("stwcdavis", "Carol Davis", "Social Care", "Social Worker", "stwpgreen", enabled=False),
    Person("stwfwhite", "Frank White", "Finance", "Head of Finance", "stwceo"),
    Person("stwsvcbackup", "Backup Service", "ICT", "Service account", None),
)


def docx_bytes(paragraphs: list[str], author: str, last_modified_by: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.core_properties.author = author
    document.core_properties.last_modified_by = last_modified_by
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(rows: list[list[object]], author: str, last_modified_by: str) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.properties.creator = author
    book.properties.lastModifiedBy = last_modified_by
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pptx_bytes(title: str, author: str) -> bytes:
    import pptx

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = title
    deck.core_properties.author = author
    deck.core_properties.last_modified_by = author  # the template says "Steve Canny"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def pdf_bytes(text: str, author: str) -> bytes:
    import pypdf

    from scanner.samples.office import pdf_bytes as plain_pdf

    reader = pypdf.PdfReader(io.BytesIO(plain_pdf([text])))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.add_metadata({"/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_council_share(server: SambaServer) -> None:
    """Write the files (owners set on the Unix side), start smbd, then set the DACLs over SMB."""
    old = NOW - 3 * YEAR
    server.folder("Highways", "stwdhead")
    server.write(
        "Highways/inspections 2026.xlsx",
        xlsx_bytes(
            [["Road", "Inspector", "Email"], ["A46", "Alice Smith", "alice.smith@example.co.uk"]]
            + [["B1234", "ok", "-"]] * 400,
            "Alice Smith",
            "Alice Smith",
        ),
        "stwasmith",
    )
    server.write(
        "Highways/gritting routes.docx",
        docx_bytes(["Gritting routes for winter."] * 200, "Alice Smith", "Bob Jones"),
        "stwasmith",
    )
    server.write("Highways/briefing.pptx", pptx_bytes("Highways briefing", "Alice Smith"), "stwasmith")
    server.write("Highways/bridge survey.pdf", pdf_bytes("Bridge survey: no defects.", "Bob Jones"), "stwbjones")
    server.write("Highways/old notes.txt", b"Old notes from 2019.\n" * 50, "stwbjones", mtime=old)
    server.write("Highways/backup.log", b"backup ok\n" * 10, "stwsvcbackup")

    server.folder("Social Care", "stwpgreen")
    server.write("Social Care/case 1.txt", b"Client NHS number 943 476 5919, seen at home.\n", "stwcdavis")
    server.write("Social Care/case 2.txt", b"Client NHS number 401 023 2137, review due.\n", "stwcdavis")
    server.folder("Social Care/Restricted", "stwpgreen")
    server.write("Social Care/Restricted/complaint.txt", b"Confidential complaint.\n", "stwpgreen")

    server.folder("Finance", "stwxunknown")
    server.write("Finance/budget.txt", b"Budget lines for 2026.\n" * 20, "stwxunknown")

    server.folder("Projects", "stwsvcbackup")
    server.write("Projects/archive.txt", b"Project archive index.\n", "stwsvcbackup")
    server.start()

    sid = server.accounts
    domain_users = f"{server.domain_sid}-513"
    server.set_dacl("", [(EVERYONE, READ, True), (sid["stwadmin"], FULL, True)])
    server.set_dacl(
        "Highways",
        [
            (EVERYONE, READ, True),
            (sid["stwasmith"], MODIFY, True),
            (sid["stwbjones"], MODIFY, True),
            (sid["stwsvcbackup"], FULL, True),
            (sid["stwdhead"], FULL, True),
        ],
        inherit=True,
    )
    for name in (
        "inspections 2026.xlsx",
        "gritting routes.docx",
        "briefing.pptx",
        "bridge survey.pdf",
        "old notes.txt",
        "backup.log",
    ):
        server.set_dacl(
            f"Highways/{name}",
            [(EVERYONE, READ, True), (sid["stwasmith"], MODIFY, True), (sid["stwbjones"], MODIFY, True)],
        )
    server.set_dacl(
        "Social Care",
        [
            (domain_users, READ, True),
            (sid["stwcdavis"], MODIFY, True),
            (sid["stwpgreen"], FULL, True),
            (sid["stwscan"], READ, True),
        ],
        inherit=True,
    )
    for name in ("case 1.txt", "case 2.txt"):
        server.set_dacl(
            f"Social Care/{name}",
            [(domain_users, READ, True), (sid["stwcdavis"], MODIFY, True), (sid["stwscan"], READ, True)],
        )
    server.set_dacl("Social Care/Restricted", [(sid["stwpgreen"], FULL, True), (sid["stwscan"], READ, True)])
    server.set_dacl("Social Care/Restricted/complaint.txt", [(sid["stwpgreen"], FULL, True)])
    server.set_dacl("Finance", [(AUTHENTICATED_USERS, READ, True), (sid["stwxunknown"], FULL, True)], inherit=True)
    server.set_dacl("Finance/budget.txt", [(AUTHENTICATED_USERS, READ, True), (sid["stwxunknown"], FULL, True)])
    server.set_dacl("Projects", [(sid["stwscan"], READ, True), (sid["stwsvcbackup"], FULL, True)], inherit=True)
    server.set_dacl("Projects/archive.txt", [(sid["stwscan"], READ, True), (sid["stwsvcbackup"], FULL, True)])
    import smbclient

    smbclient.reset_connection_cache()


def smb_source(server: SambaServer, **extra: object) -> dict[str, object]:
    return {
        "id": "council",
        "kind": "smb",
        "server": "127.0.0.1",
        "port": server.port,
        "share": server.share,
        "username": "stwscan",
        "password": "${STEWARD_TEST_SMB_PASSWORD}",
        **extra,
    }


def write_people(server: SambaServer | None) -> list[dict[str, object]]:
    """The directory's people as plain records (SIDs from the Samba server where it knows the account)."""
    sids = server.accounts if server else {}
    return [
        {
            "account": p.account,
            "name": p.name,
            "department": p.department,
            "title": p.title,
            "manager": p.manager,
            "enabled": p.enabled,
            "email": p.email,
            "sid": sids.get(p.account),
        }
        for p in PEOPLE
    ]
