"""Subject-access search: one person planted across formats (a letter, a spreadsheet row, an e-mail attachment in a
ZIP, a row in a real PostgreSQL table, a file name) is found by any one strong identifier, files holding several
rank first and a name alone ranks last; no planted or searched value reaches the store, logs, audit log or exports."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scanner.samples import office
from scanner.samples import text as samples_text
from scanner.samples.people import People

PG_URL = os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PERSON = {
    "nhs": "943 476 5919",
    "nino": "AB 12 34 56 C",
    "email": "sarah.thompson@example.co.uk",
    "phone": "07911 123456",
    "name": "Sarah Thompson",
}


ALL = [arg for k, v in PERSON.items() for arg in ("--" + k, v)]  # every identifier as command options


def forms(value: str) -> set[bytes]:
    variants = {value, value.replace(" ", ""), value.upper(), value.lower()}
    return {v.encode(enc) for v in variants for enc in ("utf-8", "utf-16-le")}


NAMED_FILE = "Form AB123456C.txt"  # a path is metadata Steward keeps for every file: the one place a value may be


def leaks(blob: bytes) -> list[str]:
    for named in forms(NAMED_FILE):
        blob = blob.replace(named, b"")
    return [k for k, v in PERSON.items() if any(f in blob for f in forms(v))]


@dataclass
class World:
    tmp: Path
    config: Path
    store: Path

    def steward(self, *args: str) -> Result:
        from inventory.cli.main import cli

        return CliRunner().invoke(cli, [*args], catch_exceptions=False)

    def sar(self, *args: str) -> list[dict[str, object]]:
        result = self.steward("sar", "--config", str(self.config), "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return list(json.loads(result.output)["results"])


def plant_files(root: Path) -> None:
    p, others = PERSON, [People(77).person() for _ in range(6)]
    office.write_docx(
        root / "Letters" / "appointment.docx",
        [f"Dear Ms {p['name']},", f"Your NHS number is {p['nhs']}. We will call you on {p['phone']} next week."],
    )
    rows: list[list[object]] = [["Name", "NI number", "Email"]]
    rows += [[o.name, o.ni_number, o.email] for o in others[:3]]
    rows.append([p["name"], p["nino"], p["email"]])
    rows += [[o.name, o.ni_number, o.email] for o in others[3:]]
    office.write_xlsx(root / "Registers" / "tenants.xlsx", {"Tenants": rows})
    mail = root / "mail.eml"
    samples_text.write_eml(
        mail,
        "Referral",
        "Please see the attached notes.",
        "team@council.example.gov.uk",
        "care@example.org",
        [("notes.txt", f"Contact e-mail: {p['email'].upper()}\n".encode())],
    )
    samples_text.write_zip(root / "Archive" / "old-mail.zip", {"2019/referral.eml": mail.read_bytes()})
    mail.unlink()
    samples_text.write_text(root / "Scans" / NAMED_FILE, "Scanned form, handwriting not read.\n")
    office.write_docx(root / "Minutes" / "panel.docx", [f"{p['name']} attended the panel meeting on Tuesday."])
    office.write_docx(
        root / "Letters" / "other.docx", [f"Dear {others[0].name}, your NHS number is {others[0].nhs_number}."]
    )


def plant_table(url: str) -> None:
    engine = create_engine(url)
    others = [People(99).person() for _ in range(8)]
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA casework"))
        conn.execute(text("CREATE TABLE casework.clients (id serial primary key, full_name text, nhs_number text)"))
        values = [(o.name, o.nhs_number) for o in others[:4]] + [(PERSON["name"], PERSON["nhs"])]
        values += [(o.name, o.nhs_number) for o in others[4:]]
        for name, nhs in values:
            conn.execute(
                text("INSERT INTO casework.clients (full_name, nhs_number) VALUES (:n, :h)"), {"n": name, "h": nhs}
            )
    engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("sar")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"steward_sar_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        plant_table(url)
        share = tmp / "share"
        for folder in ("Letters", "Registers", "Archive", "Scans", "Minutes"):
            (share / folder).mkdir(parents=True)
        plant_files(share)
        config = tmp / "config.yaml"
        store = tmp / "steward.db"
        config.write_text(
            yaml.safe_dump(
                {
                    "database": f"sqlite:///{store}",
                    "hash_key": "sar-test-key",
                    "sources": [
                        {"id": "share", "kind": "local", "root": str(share)},
                        {"id": "crm", "kind": "database", "url": url, "schemas": ["casework"], "sample_rows": 100},
                    ],
                    "scan": {"workers": 1},
                }
            )
        )
        w = World(tmp, config, store)
        result = w.steward("scan", "--config", str(config))
        assert result.exit_code == 0, result.output
        yield w
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def where(hit: dict[str, object]) -> str:
    return f"{hit['source']}:{hit['table'] or hit['path']}"


def test_each_strong_identifier_finds_every_place_holding_it(world: World) -> None:
    nhs = {where(h) for h in world.sar("--reference", "SAR-1", "--by", "dpo", "--nhs", "9434765919")}
    assert nhs == {"share:Letters/appointment.docx", "crm:casework.clients"}
    nino = {where(h) for h in world.sar("--reference", "SAR-1", "--by", "dpo", "--nino", "ab123456c")}
    assert nino == {"share:Registers/tenants.xlsx", "share:Scans/Form AB123456C.txt"}
    email = {
        where(h) for h in world.sar("--reference", "SAR-1", "--by", "dpo", "--email", "Sarah.Thompson@example.co.uk")
    }
    assert email == {"share:Registers/tenants.xlsx", "share:Archive/old-mail.zip"}
    phone = {where(h) for h in world.sar("--reference", "SAR-1", "--by", "dpo", "--phone", "+44 7911 123456")}
    assert phone == {"share:Letters/appointment.docx"}


def test_files_holding_several_identifiers_rank_first_and_a_name_alone_last(world: World) -> None:
    hits = world.sar("--reference", "SAR-2", "--by", "dpo", *ALL)
    places = [where(h) for h in hits]
    assert set(places[:2]) == {"share:Letters/appointment.docx", "share:Registers/tenants.xlsx"}
    assert {h["strength"] for h in hits[:2]} == {"strong"}
    assert set(places[2:5]) == {"crm:casework.clients", "share:Archive/old-mail.zip", "share:Scans/Form AB123456C.txt"}
    assert places[-1] == "share:Minutes/panel.docx" and hits[-1]["strength"] == "weak"
    assert "share:Letters/other.docx" not in places
    letter = hits[places.index("share:Letters/appointment.docx")]
    assert str(letter["matched"]).startswith("NHS number; phone")
    table = hits[places.index("crm:casework.clients")]
    assert table["columns"] == "nhs_number (1 rows)" and table["locators"] == ""


def test_name_alone_finds_the_name_ranked_below_identifiers(world: World) -> None:
    hits = world.sar("--reference", "SAR-3", "--by", "dpo", "--name", "THOMPSON, Sarah")
    assert "share:Minutes/panel.docx" in {where(h) for h in hits}
    assert {h["strength"] for h in hits} == {"weak"}
    both = world.sar("--reference", "SAR-3", "--by", "dpo", "--name", "Sarah Thompson", "--nino", "AB123456C")
    assert where(both[-1]) == "share:Minutes/panel.docx" or both[-1]["strength"] == "weak"
    assert both[0]["strength"] != "weak"


def test_no_value_in_store_logs_audit_or_exports(world: World, caplog: pytest.LogCaptureFixture) -> None:
    out = world.tmp / "exports"
    out.mkdir(exist_ok=True)
    args = ALL
    with caplog.at_level(logging.DEBUG):
        for fmt in ("csv", "json", "table"):
            result = world.steward(
                "--log-level",
                "debug",
                "sar",
                "--config",
                str(world.config),
                "--reference",
                "SAR-4",
                "--by",
                "a.dpo",
                "--purpose",
                "erasure",
                "--format",
                fmt,
                "--out",
                str(out / f"sar.{fmt}"),
                *args,
            )
            assert result.exit_code == 0, result.output
            assert leaks(result.output.encode()) == []
    for path in out.iterdir():
        assert "appointment.docx" in path.read_text()  # it did find something
        assert leaks(path.read_bytes()) == [], path.name
    assert leaks(caplog.text.encode()) == []
    for path in world.tmp.glob("steward.db*"):
        assert leaks(path.read_bytes()) == [], path.name
    engine = create_engine(f"sqlite:///{world.store}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor, action, reason, detail FROM audit_log WHERE reason = 'SAR-4'")).all()
    engine.dispose()
    assert len(rows) == 3 and {r.actor for r in rows} == {"a.dpo"} and {r.action for r in rows} == {"sar.search"}
    detail = json.loads(rows[0].detail) if isinstance(rows[0].detail, str) else rows[0].detail
    assert detail["results"] >= 6 and detail["purpose"] == "erasure" and "NHS number" in detail["searched"]
    assert leaks(json.dumps(detail).encode()) == []
