"""Owners inferred from the evidence of a real Samba share and a real OpenLDAP directory; decisions survive."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from council_share import smb_source
from ldap_server import ADMIN_DN, ADMIN_PASSWORD, SUFFIX
from samba_server import PASSWORD


def ldap_config(ldap: Any, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "ldap",
        "url": ldap.url,
        "bind_dn": ADMIN_DN,
        "password": ADMIN_PASSWORD,
        "base": f"ou=people,{SUFFIX}",
        **extra,
        "attributes": {"account": "uid", "name": "cn", "department": "departmentNumber", "uid_number": None},
    }


@pytest.fixture
def council(samba: Any, ldap_directory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_TEST_SMB_PASSWORD", PASSWORD)
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'steward.db'}",
                "hash_key": "k",
                "sources": [smb_source(samba)],
                "scan": {"workers": 1},
                "directory": ldap_config(ldap_directory),
                "owners": {"declared": [{"path": "council:Finance", "owner": "stwfwhite", "service": "Finance"}]},
            }
        )
    )
    return config


def owners_json(steward: Callable[..., Result], config: Path) -> dict[str, dict[str, Any]]:
    result = steward("owners", "--config", str(config), "--format", "json")
    assert result.exit_code == 0, result.output
    return {r["asset"]: r for r in json.loads(result.output)}


def test_each_asset_gets_the_owner_a_person_would_name_with_the_evidence(
    council: Path, steward: Callable[..., Result], samba: Any
) -> None:
    assert steward("scan", "--config", str(council)).exit_code == 0
    rows = owners_json(steward, council)
    highways = rows["Highways"]
    assert (highways["owner"], highways["owner_status"], highways["service"]) == ("Diane Head", "proposed", "Highways")
    assert highways["confidence"] >= 0.5
    assert highways["evidence"][0] == "manages Alice Smith and Bob Jones, who own 100% of the bytes"
    assert any("department Highways matches the folder name" in e for e in highways["evidence"])
    alice = next(c for c in highways["candidates"] if c["key"] == "stwasmith")
    assert any(e.startswith("owns ") and "% of the bytes" in e for e in alice["evidence"])
    assert "author or last editor of 3 of 4 documents" in alice["evidence"]  # docx, xlsx, pptx; the pdf is Bob's
    assert "may change the folder" in alice["evidence"]
    assert "stwsvcbackup" not in {c["key"] for c in highways["candidates"]}  # service account never a candidate
    assert highways["access"]["broad_read"] == ["Everyone"] and highways["access"]["files_broad_read"] == 6
    assert "Alice Smith (stwasmith)" in highways["access"]["writers"]  # SIDs shown as people where known

    care = rows["Social Care"]
    assert (care["owner"], care["owner_status"]) == ("Peter Green", "proposed")
    carol = next(c for c in care["candidates"] if c["key"] == "stwcdavis")
    assert carol["enabled"] is False and "has left (account disabled): never proposed" in carol["evidence"]
    assert "Carol Davis (stwcdavis) [left]" in care["access"]["writers"]  # a leaver's access lingers: shown
    assert care["access"]["broad_read"] == ["Domain Users"]

    finance = rows["Finance"]
    assert (finance["owner"], finance["owner_status"], finance["service"]) == ("Frank White", "declared", "Finance")
    unknown = samba.accounts["stwxunknown"]
    assert f"{unknown} owns 1 file(s) but is not in the directory" in finance["notes"]  # unresolvable SID, told
    assert finance["access"]["broad_read"] == ["Authenticated Users"]

    projects = rows["Projects"]
    assert projects["owner_status"] == "none" and projects["owner"] is None
    assert "stwsvcbackup is an IT or service account: not considered" in projects["notes"]

    table = steward("owners", "--config", str(council)).output
    assert "owner: Diane Head (proposed" in table
    assert "because: manages Alice Smith and Bob Jones, who own 100% of the bytes" in table
    register = {
        r["name"]: r for r in json.loads(steward("assets", "--config", str(council), "--format", "json").output)
    }
    assert register["Highways"]["owner"] == "Diane Head" and register["Highways"]["service"] == "Highways"
    detail = steward("asset", "council:Highways", "--config", str(council)).output
    found = json.loads(steward("findings", "--config", str(council), "--format", "json").output)
    exposed = {(f["path"], f["kind"]): f["message"] for f in found if f["kind"] == "exposure"}
    assert "Everyone: read" in exposed[("Highways/inspections 2026.xlsx", "exposure")]  # open folder, personal data
    assert "Domain Users: read" in exposed[("Social Care/case 1.txt", "exposure")]
    assert {f["asset"] for f in found if f["kind"] == "unowned"} == {"council:Projects"}
    assert "Owner:           Diane Head (proposed" in detail and "Open to:         read: Everyone; write: -" in detail


def test_a_confirmed_owner_survives_rescans_until_reverted(council: Path, steward: Callable[..., Result]) -> None:
    assert steward("scan", "--config", str(council)).exit_code == 0
    done = steward(
        "owner",
        "set",
        "council:Highways",
        "alice.smith@council.example.gov.uk",
        "--by",
        "SIRO",
        "--reason",
        "Alice runs the inspections",
        "--config",
        str(council),
    )
    assert done.exit_code == 0 and "owner corrected as Alice Smith" in done.output
    assert steward("scan", "--config", str(council), "--full").exit_code == 0
    highways = owners_json(steward, council)["Highways"]
    assert (highways["owner"], highways["owner_status"]) == ("Alice Smith", "confirmed")
    assert highways["evidence"][0].startswith("corrected by SIRO on ")
    left = steward(
        "owner", "set", "council:Social Care", "stwcdavis", "--by", "IG", "--reason", "x", "--config", str(council)
    )
    assert left.exit_code == 1 and "Carol Davis has left" in left.output
    reverted = steward(
        "owner", "revert", "council:Highways", "--by", "SIRO", "--reason", "mistake", "--config", str(council)
    )
    assert reverted.exit_code == 0
    assert owners_json(steward, council)["Highways"]["owner"] == "Diane Head"
    history = steward("owner", "history", "council:Highways", "--config", str(council)).output
    assert "correct  Alice Smith by SIRO: Alice runs the inspections (reverted)" in history
    assert "revert   Alice Smith by SIRO: mistake" in history


def test_unreachable_directory_is_told_and_nothing_is_lost(
    samba: Any, tmp_path: Path, steward: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from samba_server import free_port

    monkeypatch.setenv("STEWARD_TEST_SMB_PASSWORD", PASSWORD)
    config = tmp_path / "config.yaml"
    dead = {"kind": "ldap", "url": f"ldap://127.0.0.1:{free_port()}", "base": "dc=x", "timeout": 2}
    config.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 's.db'}",
                "hash_key": "k",
                "sources": [smb_source(samba)],
                "scan": {"workers": 1},
                "directory": dead,
            }
        )
    )
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 3 and "council: 11 entries" in result.output  # 3: the directory was not read
    highways = owners_json(steward, config)["Highways"]
    assert highways["owner_status"] == "none"
    told = f"directory: cannot connect to the LDAP server {dead['url']}; no directory state was ever read"
    assert any(note.startswith(told) for note in highways["notes"])
    assert highways["access"]["broad_read"] == ["Everyone"]  # access facts need no directory


def test_local_share_with_an_hr_csv_directory(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    import os

    root = tmp_path / "share"
    (root / "Planning").mkdir(parents=True)
    (root / "Planning" / "applications.csv").write_text("Ref,Applicant\n" + "P1,jo@example.co.uk\n" * 200)
    (root / "Planning" / "notes.txt").write_text("Meeting notes.")
    os.chown(root / "Planning" / "applications.csv", 4101, 4100)
    os.chown(root / "Planning" / "notes.txt", 4102, 4100)
    (root / "Planning" / "applications.csv").chmod(0o644)
    (root / "Planning" / "notes.txt").chmod(0o660)
    hr = tmp_path / "hr.csv"
    hr.write_text(
        "account,uid,name,email,department,manager,status\n"
        "mhead,4100,Mary Head,mary.head@c.gov.uk,Planning,,active\n"
        "tofficer,4101,Tom Officer,tom.officer@c.gov.uk,Planning,mhead,active\n"
        "lleaver,4102,Lee Leaver,lee.leaver@c.gov.uk,Planning,mhead,leaver\n"
    )
    config = write_config(root, directory={"kind": "csv", "path": str(hr)}, rules={"broad_groups": ["Everyone", 4100]})
    assert steward("scan", "--config", str(config)).exit_code == 0
    planning = owners_json(steward, config)["Planning"]
    assert (planning["owner"], planning["owner_status"], planning["service"]) == ("Mary Head", "proposed", "Planning")
    keys = [c["key"] for c in planning["candidates"]]
    assert keys.index("mhead") < keys.index("tofficer")
    assert planning["access"]["broad_read"] == ["group 4100", "others (every local account)"]
    assert planning["access"]["broad_write"] == ["group 4100"]
    assert planning["access"]["files_broad_read"] == 2


def test_a_declared_owner_who_has_left_is_flagged(council: Path, steward: Callable[..., Result]) -> None:
    data = yaml.safe_load(council.read_text())
    data["owners"]["declared"].append({"path": "council:Social Care", "owner": "carol.davis@council.example.gov.uk"})
    council.write_text(yaml.safe_dump(data))
    assert steward("scan", "--config", str(council)).exit_code == 0
    care = owners_json(steward, council)["Social Care"]
    assert (care["owner"], care["owner_status"]) == ("Carol Davis", "declared")
    assert "the owner has left (account disabled in the directory)" in care["evidence"]
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from inventory.owners.models import AssetOwnership

    with Session(create_engine(data["database"])) as s:
        row = s.scalars(select(AssetOwnership).where(AssetOwnership.owner_key == "stwcdavis")).one()
        assert row.owner_enabled is False  # what the owner_left rule reads
    found = json.loads(steward("findings", "--config", str(council), "--format", "json", "--kind", "owner_left").output)
    assert [(f["asset"], f["severity"]) for f in found] == [("council:Social Care", "high")]
    assert "the owner, Carol Davis, has left" in found[0]["message"]


def test_ownership_on_postgresql(council: Path, pg_url: str, steward: Callable[..., Result]) -> None:
    data = yaml.safe_load(council.read_text())
    data["database"] = pg_url
    council.write_text(yaml.safe_dump(data))
    assert steward("scan", "--config", str(council)).exit_code == 0
    assert (
        steward(
            "owner",
            "set",
            "council:Projects",
            "stwbjones",
            "--by",
            "IG team",
            "--reason",
            "Bob leads it",
            "--config",
            str(council),
        ).exit_code
        == 0
    )
    assert steward("scan", "--config", str(council)).exit_code == 0
    rows = owners_json(steward, council)
    assert rows["Highways"]["owner"] == "Diane Head"
    assert (rows["Projects"]["owner"], rows["Projects"]["owner_status"]) == ("Bob Jones", "confirmed")


def test_directory_commands_resolve_sids_and_say_why_a_bind_fails(
    council: Path, steward: Callable[..., Result], samba: Any
) -> None:
    check = steward("directory", "check", "--config", str(council))
    assert check.output.strip() == "directory is readable: 8 people (1 left), 5 departments, 6 with a Windows SID"
    found = steward("directory", "lookup", samba.accounts["stwasmith"], "--config", str(council)).output
    assert "Alice Smith (stwasmith)" in found and "managers: Diane Head > Chris Chief" in found
    missing = steward("directory", "lookup", samba.accounts["stwxunknown"], "--config", str(council))
    assert missing.exit_code == 1 and "is not in the directory" in missing.output
    data = yaml.safe_load(council.read_text())
    data["directory"]["password"] = "wrong"
    council.write_text(yaml.safe_dump(data))
    bad = steward("directory", "check", "--config", str(council))
    assert bad.exit_code == 1
    assert f"refused the bind as {ADMIN_DN} (wrong DN or password)" in bad.output


def test_without_a_directory_an_owner_must_be_a_known_account_unless_forced(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    share = tmp_path / "share"
    (share / "Finance").mkdir(parents=True)
    (share / "Finance" / "budget.txt").write_text("Budget 2026: no personal data.\n")
    config = str(write_config(share))
    assert steward("scan", "--config", config).exit_code == 0
    made_up = steward(
        "owner", "set", "share:Finance", "someone@made.up", "--by", "IAO", "--reason", "r", "--config", config
    )
    assert made_up.exit_code == 1 and "no Steward account" in made_up.output and "--force" in made_up.output
    from click.testing import CliRunner

    from inventory.cli.main import cli

    added = CliRunner().invoke(
        cli,
        [
            "user",
            "add",
            "dora",
            "--email",
            "dora@council.example",
            "--role",
            "iao",
            "--password-stdin",
            "--config",
            config,
        ],
        input="a long enough secret\n",
    )
    assert added.exit_code == 0, added.output
    known = steward("owner", "set", "share:Finance", "dora", "--by", "SIRO", "--reason", "board", "--config", config)
    assert known.exit_code == 0 and "dora" in known.output
    owners = json.loads(steward("owners", "--format", "json", "--config", config).output)
    finance = next(o for o in owners if o["asset"] == "Finance")
    assert (finance["owner_status"], finance["owner_key"]) == ("confirmed", "dora@council.example")
    forced = steward(
        "owner",
        "set",
        "share:Finance",
        "someone@made.up",
        "--by",
        "admin",
        "--reason",
        "r",
        "--force",
        "--config",
        config,
    )
    assert forced.exit_code == 0 and "someone@made.up" in forced.output
