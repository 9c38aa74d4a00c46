"""Access facts from DACLs and mode bits, the HR CSV directory, document authors, and owner inference rules."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from council_share import docx_bytes, pdf_bytes, pptx_bytes, xlsx_bytes

from inventory.owners.access import AccessPolicy, summarise
from inventory.owners.config import CsvDirectory, OwnersConfig
from inventory.owners.directory import Directory, DirectoryError, Person, read_csv
from inventory.owners.inference import FileFacts, infer, proposal
from scanner.extractors.properties import document_authors
from scanner.principals import principal_digest
from scanner.types import AccessFact

OOXML = "application/vnd.openxmlformats-officedocument."


def test_everyone_and_domain_users_are_broad_and_a_deny_takes_the_right_away() -> None:
    acl = [
        AccessFact("S-1-1-0", "read"),
        AccessFact("S-1-5-21-1-2-3-513", "write"),
        AccessFact("S-1-5-21-1-2-3-1105", "full"),
        AccessFact("S-1-5-21-1-2-3-1105", "write", allow=False),
    ]
    found = summarise(acl)
    assert found.broad_read == ("Everyone",) and found.broad_write == ("Domain Users",)
    assert "S-1-5-21-1-2-3-1105" in found.readers and "S-1-5-21-1-2-3-1105" not in found.writers
    stored = [{"principal": "COUNCIL\\MapInfo Users", "rights": "full", "allow": True}]
    assert summarise(stored, policy=AccessPolicy(broad_groups=("council\\mapinfo users",))).broad_write == (
        "COUNCIL\\MapInfo Users",
    )
    assert summarise([AccessFact("S-1-1-0", "read"), AccessFact("S-1-1-0", "read", allow=False)]).readers == ()


@pytest.mark.parametrize(
    ("mode", "gid", "broad_read", "broad_write"),
    [
        (0o100644, 1000, ("others (every local account)",), ()),
        (0o100666, 1000, ("others (every local account)",), ("others (every local account)",)),
        (0o100640, 100, ("group 100",), ()),
        (0o100600, 100, (), ()),
    ],
)
def test_local_mode_bits_and_configured_gids(
    mode: int, gid: int, broad_read: tuple[str, ...], broad_write: tuple[str, ...]
) -> None:
    found = summarise(mode=mode, uid=1000, gid=gid, policy=AccessPolicy(broad_gids=(100,)))
    assert (found.broad_read, found.broad_write) == (broad_read, broad_write)
    assert "uid:1000" in found.writers


def test_hr_csv_export_resolves_people_and_flags_leavers(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(
        "account,sid,uid,name,email,department,title,manager,status\n"
        "dhead,S-1-5-21-9-9-9-1101,2001,Diane Head,diane.head@c.gov.uk,Highways,Head of Highways,,active\n"
        "asmith,,2002,Alice Smith,alice.smith@c.gov.uk,Highways,Officer,diane.head@c.gov.uk,active\n"
        "cdavis,,,Carol Davis,carol.davis@c.gov.uk,Social Care,Social Worker,,leaver\n"
    )
    directory = Directory(read_csv(CsvDirectory(kind="csv", path=path)))
    assert directory.resolve("S-1-5-21-9-9-9-1101").name == "Diane Head"  # type: ignore[union-attr]
    assert directory.resolve("COUNCIL\\asmith").manager == "dhead"  # type: ignore[union-attr]
    assert directory.resolve("2002").key == "asmith"  # type: ignore[union-attr]
    assert directory.resolve("alice smith").key == "asmith"  # type: ignore[union-attr]
    assert directory.resolve("Carol Davis").enabled is False  # type: ignore[union-attr]
    assert directory.resolve("S-1-5-21-1-1-1-1") is None
    with pytest.raises(DirectoryError, match=r"hr-missing\.csv: cannot be read"):
        read_csv(CsvDirectory(kind="csv", path=tmp_path / "hr-missing.csv"))


@pytest.mark.parametrize(
    ("data", "mime", "authors"),
    [
        (
            docx_bytes(["x"], "Alice Smith", "Bob Jones"),
            OOXML + "wordprocessingml.document",
            ("Alice Smith", "Bob Jones"),
        ),
        (xlsx_bytes([["a"]], "Alice Smith", "Alice Smith"), OOXML + "spreadsheetml.sheet", ("Alice Smith",)),
        (pptx_bytes("t", "Bob Jones"), OOXML + "presentationml.presentation", ("Bob Jones",)),
        (pdf_bytes("text", "Diane Head"), "application/pdf", ("Diane Head",)),
        (b"not a zip", OOXML + "wordprocessingml.document", ()),
    ],
)
def test_document_authors_come_from_properties_only(data: bytes, mime: str, authors: tuple[str, ...]) -> None:
    assert document_authors(io.BytesIO(data), mime) == authors


NOW = datetime(2026, 11, 25)
KEY = b"installation key"
PEOPLE = Directory(
    [
        Person("dhead", "Diane Head", department="Highways"),
        Person("asmith", "Alice Smith", department="Highways", manager="dhead", sid="S-1"),
        Person("bjones", "Bob Jones", department="Highways", manager="dhead", sid="S-2"),
        Person("cdavis", "Carol Davis", department="Social Care", enabled=False, sid="S-3"),
        Person("svc_scan", "Scanner", department="ICT", sid="S-9"),
    ],
    author_key=KEY,
)


def test_recent_bytes_weigh_more_and_without_managers_the_main_author_is_proposed() -> None:
    files = [
        FileFacts("S-1", 1000, NOW - timedelta(days=10), (principal_digest("Alice Smith", KEY),)),
        FileFacts("S-2", 1500, NOW - timedelta(days=900)),
    ]
    found = infer("Roads", files, (), None, PEOPLE, OwnersConfig(manager_levels=0), NOW)
    alice, bob = found.candidates[:2]
    assert alice.key == "asmith"
    assert alice.evidence[0] == "owns 57% of the bytes (100% of those changed in the last year)"
    assert bob.key == "bjones" and proposal(found, 0.3) == alice


def test_leavers_are_listed_but_never_proposed_and_service_accounts_are_ignored() -> None:
    files = [FileFacts("S-3", 5000, NOW), FileFacts("S-9", 9000, NOW)]
    found = infer("Social Care", files, ("S-9",), None, PEOPLE, OwnersConfig(), NOW)
    assert [c.key for c in found.candidates] == ["cdavis"] and found.candidates[0].enabled is False
    assert proposal(found, 0.1) is None
    assert "svc_scan is an IT or service account: not considered" in found.notes


def test_risk_order_counts_a_share_open_to_everyone_by_sid() -> None:
    from scanner.risk import exposure
    from scanner.types import FileEntry

    def entry(principal: str) -> FileEntry:
        return FileEntry("s", "a.txt", "smb:1", 1, None, acl=(AccessFact(principal, "read"),))

    assert exposure(entry("S-1-1-0")) == exposure(entry("S-1-5-21-4-5-6-513")) == 2.0
    assert exposure(entry("S-1-5-21-4-5-6-1105")) == 0.0
