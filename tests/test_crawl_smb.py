"""The SMB crawler against a real Samba server: identities, owners and DACLs of folders and files, content read
without changing anything, and each failure (unreachable server, bad credentials, missing share, denied file)
told clearly."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from council_share import smb_source
from samba_server import EVERYONE, PASSWORD, free_port

from scanner.config import SmbSource
from scanner.crawlers.smb import SmbCrawler
from scanner.crawlers.smb_security import RawAce, access_facts, rights_of
from scanner.errors import SourceError
from scanner.types import AccessFact, FileEntry, Status


def crawler(samba: Any, **extra: Any) -> SmbCrawler:
    fields: dict[str, Any] = {**smb_source(samba), "password": PASSWORD, **extra}
    return SmbCrawler(SmbSource.model_validate(fields))


def entries(samba: Any, **extra: Any) -> dict[tuple[str, str], FileEntry]:
    return {(e.kind, e.path): e for e in crawler(samba, **extra).iter_entries()}


def test_walk_records_identity_owner_and_dacl_of_folders_and_files(samba: Any) -> None:
    found = entries(samba)
    sid = samba.accounts
    folders = [path for kind, path in found if kind == "folder"]
    assert folders[:2] == [".", "Finance"]  # the root first, then folders in order, each before its files
    highways = found[("folder", "Highways")]
    assert highways.owner == sid["stwdhead"]
    assert AccessFact(EVERYONE, "read") in highways.acl
    assert {AccessFact(sid["stwasmith"], "write"), AccessFact(sid["stwasmith"], "read")} <= set(highways.acl)
    assert AccessFact(sid["stwsvcbackup"], "full") in highways.acl
    report = found[("file", "Highways/inspections 2026.xlsx")]
    assert report.owner == sid["stwasmith"] and report.status is Status.OK
    assert report.size == (samba.root / "Highways/inspections 2026.xlsx").stat().st_size
    assert report.identity.startswith("smb:") and report.mtime is not None
    assert AccessFact(sid["stwbjones"], "write") in report.acl
    assert found[("file", "Finance/budget.txt")].owner == sid["stwxunknown"]
    paths = [path for kind, path in found if kind == "file"]
    assert paths.index("Highways/backup.log") < paths.index("Social Care/case 1.txt")


def test_file_the_account_may_not_open_is_recorded_and_the_walk_goes_on(samba: Any) -> None:
    found = entries(samba)
    denied = found[("file", "Social Care/Restricted/complaint.txt")]
    assert denied.owner is None and denied.acl == ()
    assert "permissions cannot be read: access denied" in (denied.reason or "")
    with pytest.raises(PermissionError):
        crawler(samba).open(denied)
    assert ("file", "Projects/archive.txt") in found


def test_reading_content_changes_nothing_on_the_share(samba: Any) -> None:
    path = samba.root / "Highways/gritting routes.docx"
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    smb = crawler(samba)
    entry = next(e for e in smb.iter_entries() if e.path == "Highways/gritting routes.docx")
    with smb.open(entry) as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == before[0]
    assert path.stat().st_mtime_ns == before[1]


def test_unreachable_server_is_a_clear_source_error(samba: Any) -> None:
    port = free_port()
    with pytest.raises(SourceError, match=rf"cannot connect to the SMB server 127.0.0.1:{port} \(connection refused\)"):
        list(crawler(samba, port=port, timeout=3).iter_entries())


def test_bad_credentials_are_a_clear_source_error(samba: Any) -> None:
    with pytest.raises(SourceError, match="refused the login of 'stwscan'"):
        list(crawler(samba, password="wrong").iter_entries())


def test_missing_share_is_a_clear_source_error(samba: Any) -> None:
    with pytest.raises(SourceError, match="the share 'nosuch' does not exist"):
        list(crawler(samba, share="nosuch").iter_entries())


@pytest.mark.parametrize(
    ("mask", "rights"),
    [
        (0x1F01FF, ("full",)),
        (0x10000000, ("full",)),
        (0x1200A9, ("read",)),
        (0x1301BF, ("read", "write")),
        (0x80000000, ("read",)),
        (0x40000000, ("write",)),
        (0x100080, ()),
        (0x40000, ("write",)),
    ],
)
def test_access_masks_map_to_rights(mask: int, rights: tuple[str, ...]) -> None:
    assert rights_of(mask) == rights


def test_deny_inherited_and_inherit_only_entries() -> None:
    facts = access_facts(
        [
            RawAce("S-1-5-21-1-2-3-1105", 0x1F01FF, False),
            RawAce(EVERYONE, 0x1200A9, True, 0x10),
            RawAce("S-1-5-11", 0x1200A9, True, 0x08 | 0x01),
        ]
    )
    assert facts == (AccessFact("S-1-5-21-1-2-3-1105", "full", False), AccessFact(EVERYONE, "read", True, True))


def test_scan_of_the_share_fills_the_register_and_a_bad_password_fails_only_that_run(
    samba: Any,
    tmp_path: Path,
    write_config: Callable[..., Path],
    steward: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    import yaml

    monkeypatch.setenv("STEWARD_TEST_SMB_PASSWORD", PASSWORD)
    local = tmp_path / "local"
    local.mkdir()
    (local / "note.txt").write_text("hello")
    config = write_config(local)
    data = yaml.safe_load(config.read_text())
    data["sources"].append(smb_source(samba))
    data["sources"].append({**smb_source(samba), "id": "wrongpw", "password": "nope"})
    config.write_text(yaml.safe_dump(data))
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 1
    assert "wrongpw: FAILED — source 'wrongpw': the SMB server 127.0.0.1" in result.output
    assert "council: 11 entries" in result.output and "share: 1 entries" in result.output
    rows = {r["name"]: r for r in json.loads(steward("assets", "--config", str(config), "--format", "json").output)}
    assert rows["Social Care"]["location"] == r"\\127.0.0.1\council\Social Care"
    assert rows["Social Care"]["personal_data"]["UK_NHS"] == 2
    assert rows["Social Care"]["statuses"] == {"denied": 1, "ok": 2}
    again = steward("scan", "--config", str(config), "--source", "council")
    assert "council: 11 entries, 1 read, 10 unchanged" in again.output  # the denied file is tried again

    data["sources"][1]["port"] = free_port()  # the server is gone: the run fails, nothing recorded is lost
    config.write_text(yaml.safe_dump(data))
    gone = steward("scan", "--config", str(config), "--source", "council")
    assert gone.exit_code == 1 and "cannot connect to the SMB server" in gone.output
    after = {r["name"]: r for r in json.loads(steward("assets", "--config", str(config), "--format", "json").output)}
    assert after["Social Care"]["file_count"] == rows["Social Care"]["file_count"] == 3
    assert len(steward("export", "files", "--config", str(config)).output.splitlines()) == 12


def test_security_descriptor_parser_agrees_with_smbprotocol() -> None:
    from smbprotocol.security_descriptor import (
        AccessAllowedAce,
        AccessDeniedAce,
        AclPacket,
        SDControl,
        SIDPacket,
        SMB2CreateSDBuffer,
    )

    from scanner.crawlers.smb_security import parse_descriptor

    def sid(text: str) -> SIDPacket:
        packet = SIDPacket()
        packet.from_string(text)
        return packet

    aces = []
    for cls, who, mask, flags in (
        (AccessDeniedAce, "S-1-5-21-1-2-3-1105", 0x1F01FF, 0),
        (AccessAllowedAce, EVERYONE, 0x1200A9, 0x10),
        (AccessAllowedAce, "S-1-5-32-545", 0x1301BF, 0x3),
    ):
        ace = cls()
        ace["sid"], ace["mask"], ace["ace_flags"] = sid(who), mask, flags
        aces.append(ace)
    acl = AclPacket()
    acl["aces"] = aces
    sd = SMB2CreateSDBuffer()
    sd["control"].set_flag(SDControl.SELF_RELATIVE)
    sd.set_owner(sid("S-1-5-21-9-8-7-1001"))
    sd.set_group(sid("S-1-5-21-9-8-7-513"))
    sd.set_dacl(acl)
    parsed = parse_descriptor(sd.pack())
    assert (parsed.owner, parsed.group) == ("S-1-5-21-9-8-7-1001", "S-1-5-21-9-8-7-513")
    assert [(a.sid, a.mask, a.allow, a.flags) for a in parsed.aces] == [
        ("S-1-5-21-1-2-3-1105", 0x1F01FF, False, 0),
        (EVERYONE, 0x1200A9, True, 0x10),
        ("S-1-5-32-545", 0x1301BF, True, 0x3),
    ]
