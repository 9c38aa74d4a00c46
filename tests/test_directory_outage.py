"""Faults in the directory never rewrite the register: tested against a real OpenLDAP server that the test stops,
starts again and from which it deletes people, as a council's directory behaves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from council_share import smb_source, write_people
from ldap_server import LdapServer
from samba_server import PASSWORD, free_port
from test_owners import ldap_config, owners_json


@pytest.fixture
def directory(samba: Any, tmp_path: Path) -> Iterator[LdapServer]:
    """An OpenLDAP server of this test's own (the shared one must stay up for other tests)."""
    server = LdapServer(tmp_path / "ldap", free_port())
    server.start(write_people(samba))
    yield server
    server.stop()


@pytest.fixture
def config(samba: Any, directory: LdapServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_TEST_SMB_PASSWORD", PASSWORD)
    path = tmp_path / "config.yaml"
    declared = [
        {"path": "council:Finance", "owner": "stwfwhite", "service": "Finance"},
        {"path": "council:Social Care", "owner": "stwcdavis"},  # disabled in the directory: a leaver
        {"path": "council:Highways", "owner": "nobody.anywhere"},  # no directory knows this account
    ]
    path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'steward.db'}",
                "hash_key": "k",
                "sources": [smb_source(samba)],
                "scan": {"workers": 1},
                "directory": {**ldap_config(directory), "timeout": 2},
                "owners": {"declared": declared},
            }
        )
    )
    return path


def register(steward: Callable[..., Result], config: Path) -> dict[str, Any]:
    """Owners, open findings and current risks, as the register shows them."""
    owners = {k: (v["owner"], v["owner_status"]) for k, v in owners_json(steward, config).items()}
    found = json.loads(steward("findings", "--config", str(config), "--format", "json").output)
    risks = json.loads(steward("risks", "--config", str(config), "--format", "json").output)
    return {
        "owners": owners,
        "findings": sorted((f["asset"], f["kind"], f["message"]) for f in found),
        "risks": sorted((r["title"], r["status"], r["score"]) for r in risks),
    }


def test_with_the_directory_down_a_scan_changes_no_owner_finding_or_risk_and_says_so(
    config: Path, directory: LdapServer, steward: Callable[..., Result]
) -> None:
    assert steward("scan", "--config", str(config)).exit_code == 0
    before = register(steward, config)
    assert before["owners"]["Finance"] == ("Frank White", "declared")
    assert any(kind == "owner_left" for _, kind, _ in before["findings"])
    directory.stop()
    down = steward("scan", "--config", str(config))
    assert down.exit_code == 3  # documented: scans completed, the directory could not be read
    assert "council: DEGRADED — directory: cannot connect to the LDAP server" in down.output
    assert "using the directory as read at" in down.output
    assert register(steward, config) == before
    status = steward("status", "--config", str(config)).output
    assert "directory: DEGRADED — could not be read at" in status and "scans use the state read at" in status


def test_a_leaver_deleted_from_the_directory_stays_a_leaver_and_an_unknown_owner_is_unresolved(
    config: Path, directory: LdapServer, steward: Callable[..., Result], samba: Any, tmp_path: Path
) -> None:
    assert steward("scan", "--config", str(config)).exit_code == 0
    owners = owners_json(steward, config)
    assert owners["Highways"]["owner"] == "nobody.anywhere (unresolved: not in the directory)"
    assert "the owner is not found in the directory: unresolved" in owners["Highways"]["evidence"]
    # Carol's account (disabled) and Frank's (active until now) are deleted, as councils do after a leaver goes.
    directory.stop()
    kept = [p for p in write_people(samba) if p["account"] not in ("stwcdavis", "stwfwhite")]
    again = LdapServer(tmp_path / "ldap-after", directory.port)
    again.start(kept)
    try:
        assert steward("scan", "--config", str(config)).exit_code == 0
        left = json.loads(
            steward("findings", "--config", str(config), "--format", "json", "--kind", "owner_left").output
        )
        assert sorted(f["asset"] for f in left) == ["council:Finance", "council:Social Care"]
        owners = owners_json(steward, config)
        assert owners["Social Care"]["owner"] == "Carol Davis"  # still known, by name, as a leaver
        assert "the owner has left (account disabled in the directory)" in owners["Finance"]["evidence"]
        assert "(unresolved" in owners["Highways"]["owner"]
        assert "directory: read at" in steward("status", "--config", str(config)).output
    finally:
        again.stop()
