"""The SMB crawler against a Samba server of its own with several shares: every disk share found and walked as
its own root (administrative ones only when asked), a re-scan that re-reads only the security descriptors whose
ChangeTime moved, folders too large for one listing page, content read in several requests, and no per-request
log lines at INFO."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from samba_server import EVERYONE, PASSWORD, READ, SambaServer, free_port, have_samba

from scanner.config import SmbSource
from scanner.crawlers.smb import SmbCrawler
from scanner.errors import SourceError
from scanner.types import AccessFact, FileEntry, KnownAccess, Status

SHARES = {
    "Finance": "",
    "HR$": "",  # a hidden share a person made: scanned like any other
    "ADMIN$": "   administrative share = yes",
    "Closed": "   valid users = stwadmin",  # listed, but the scanning account may not open it
}
BIG_FOLDER = 1500  # more entries than two 64 KiB listing pages hold


@pytest.fixture(scope="module")
def server() -> Iterator[SambaServer]:
    if not have_samba():
        pytest.fail("Samba (smbd, pdbedit) and root are needed for SMB tests; scripts/setup.sh test installs them")
    base = Path(tempfile.mkdtemp(prefix="steward-smb-shares-"))
    samba = SambaServer(base, free_port())
    samba.write_conf("stwadmin", "stwscan", [], SHARES)
    for account in ("stwadmin", "stwscan"):
        samba.add_account(account)
    samba.read_sids()
    for i in range(BIG_FOLDER):
        samba.write(f"Big/a rather long file name so pages fill up {i:05d}.txt", b"x", "stwscan")
    samba.write("Teams/Roads/plan.txt", b"road plan", "stwscan")
    samba.write("Teams/Roads/survey.txt", b"survey", "stwscan")
    samba.write("Teams/Parks/trees.txt", b"trees", "stwscan")
    samba.write("Teams/large.bin", os.urandom(3 * 1024 * 1024 + 12345), "stwscan")
    for name, rel in (("Finance", "budget.txt"), ("HR$", "payroll.txt"), ("ADMIN$", "boot.ini"), ("Closed", "x.txt")):
        path = samba.share_root(name) / rel
        path.write_bytes(b"figures")
        shutil.chown(path, user="stwscan")
        path.chmod(0o644)
    samba.start()
    try:
        yield samba
    finally:
        samba.stop()
        shutil.rmtree(base, ignore_errors=True)


def source(server: SambaServer, **extra: Any) -> SmbSource:
    fields: dict[str, Any] = {
        "id": "fs1",
        "kind": "smb",
        "server": "127.0.0.1",
        "port": server.port,
        "username": "stwscan",
        "password": PASSWORD,
        **({"share": server.share} if "shares" not in extra else {}),
        **extra,
    }
    return SmbSource.model_validate(fields)


def walk(server: SambaServer, **extra: Any) -> dict[str, FileEntry]:
    return {e.path: e for e in SmbCrawler(source(server, **extra)).iter_entries()}


def test_every_disk_share_is_walked_as_its_own_root_and_administrative_shares_only_when_asked(
    server: SambaServer,
) -> None:
    found = walk(server, share="*")
    roots = [path for path in found if "/" not in path]
    assert roots == ["Closed", "council", "Finance", "HR$"]  # IPC$ and ADMIN$ left out
    assert "ADMIN$" not in found and "IPC$" not in found
    assert found["Finance/budget.txt"].size == len(b"figures") and found["Finance"].kind == "folder"
    assert found["HR$/payroll.txt"].owner == server.accounts["stwscan"]
    closed = found["Closed"]
    assert closed.status is Status.DENIED and "may not open" in (closed.reason or "")
    assert "council/Teams/Roads/plan.txt" in found  # the walk went on after the closed share

    with_admin = walk(server, share="*", admin_shares=True)
    assert "ADMIN$/boot.ini" in with_admin

    listed = walk(server, shares=["Finance", "council"])
    assert {p.split("/")[0] for p in listed} == {"Finance", "council"}


def test_a_share_list_needs_a_login_the_server_accepts(server: SambaServer) -> None:
    with pytest.raises(SourceError, match="did not list its shares"):
        list(SmbCrawler(source(server, share="*", password="wrong")).iter_entries())


def test_rescan_reads_only_the_descriptors_whose_change_time_moved(server: SambaServer) -> None:
    first = list(SmbCrawler(source(server)).iter_entries())
    stored: dict[str, dict[str, KnownAccess]] = {}
    for e in first:
        if e.path != ".":
            stored.setdefault(e.dir, {})[e.path] = KnownAccess(e.ctime, e.owner, e.acl)
    before = {e.path: e.acl for e in first}
    server.set_dacl("Teams/Roads/plan.txt", [(EVERYONE, READ, True)])
    server.set_dacl("Teams/Parks/trees.txt", [(EVERYONE, READ, True)])
    os.utime(server.root / "Teams/Roads/plan.txt", (1.8e9, 1.8e9))  # Samba's ChangeTime is the last write time

    crawler = SmbCrawler(source(server), known=lambda folder: stored.get(folder, {}))
    again = {e.path: e for e in crawler.iter_entries()}
    assert again["Teams/Roads/plan.txt"].acl == (AccessFact(EVERYONE, "read"),)
    assert again["Teams/Roads/survey.txt"].acl == before["Teams/Roads/survey.txt"]
    assert again["Teams/Parks/trees.txt"].acl == before["Teams/Parks/trees.txt"]  # ChangeTime did not move
    assert len(again) == len(first)
    assert (crawler.descriptors_read, crawler.descriptors_reused) == (2, len(first) - 2)  # the root, plan.txt

    always = SmbCrawler(source(server, reread_acls="always"), known=lambda folder: stored.get(folder, {}))
    assert {e.path: e for e in always.iter_entries()}["Teams/Parks/trees.txt"].acl == (AccessFact(EVERYONE, "read"),)
    assert always.descriptors_reused == 0


def test_a_folder_larger_than_two_listing_pages_is_listed_whole_and_in_order(server: SambaServer) -> None:
    found = [e.path for e in SmbCrawler(source(server)).iter_entries() if e.path.startswith("Big/")]
    assert len(found) == len(set(found)) == BIG_FOLDER
    assert found == sorted(found)


def test_content_larger_than_one_read_arrives_whole(server: SambaServer) -> None:
    crawler = SmbCrawler(source(server))
    entry = next(e for e in crawler.iter_entries() if e.path == "Teams/large.bin")
    with crawler.open(entry) as fh:
        data = fh.read()
    assert hashlib.sha256(data).digest() == hashlib.sha256((server.root / "Teams/large.bin").read_bytes()).digest()
    crawler.close()


def test_no_smb_log_lines_at_info_per_file(server: SambaServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    crawler = SmbCrawler(source(server))
    entries = [e for e in crawler.iter_entries() if e.path.startswith("Teams/")]
    for entry in entries:
        if entry.kind == "file":
            crawler.open(entry).close()
    crawler.close()
    assert len(entries) > 5
    noisy = [r for r in caplog.records if r.name.split(".")[0] in ("smbprotocol", "smbclient", "spnego")]
    assert noisy == []


def test_scan_of_several_shares_makes_each_its_own_asset_root(
    server: SambaServer, tmp_path: Path, write_config: Any, steward: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import yaml

    monkeypatch.setenv("STEWARD_TEST_SMB_PASSWORD", PASSWORD)
    (tmp_path / "empty").mkdir()
    config = write_config(tmp_path / "empty")
    data = yaml.safe_load(config.read_text())
    data["sources"] = [
        {
            "id": "fs1",
            "kind": "smb",
            "server": "127.0.0.1",
            "port": server.port,
            "shares": ["Finance", "HR$"],
            "username": "stwscan",
            "password": "${STEWARD_TEST_SMB_PASSWORD}",
        }
    ]
    config.write_text(yaml.safe_dump(data))
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 0, result.output
    rows = json.loads(steward("assets", "--config", str(config), "--format", "json").output)
    assert sorted(r["location"] for r in rows) == [r"\\127.0.0.1\Finance", r"\\127.0.0.1\HR$"]
    again = steward("scan", "--config", str(config))
    assert "fs1: 2 entries, 0 read, 2 unchanged" in again.output
