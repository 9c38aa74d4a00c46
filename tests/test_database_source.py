"""Databases as sources, against the real PostgreSQL and MariaDB servers: tables in the register with their columns,
rows and personal data; a wide table, an empty one, one the scan account may not read, a slow view; re-scans;
read-only sessions; an unreachable server that fails only its own source."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

from scanner.config import DatabaseSource
from scanner.crawlers.database import DatabaseCrawler, header_text, render_csv, split_table_path, table_path
from scanner.samples.people import People
from scanner.samples.text import write_text

PEOPLE = 40
WIDE_COLUMNS = 210
NHS_AT = 150  # position of the NHS number column in the wide table


@dataclass
class Planted:
    engine_name: str
    admin: Engine  # the test's own account, which created everything
    scan_url: str  # the restricted scan account
    schema: str
    nhs_numbers: list[str]
    ni_numbers: list[str]


def plant(admin: Engine, schema: str | None) -> tuple[list[str], list[str]]:
    """Tables with synthetic UK people, a wide table, an empty table and one the scan account will not read."""
    meta = MetaData(schema=schema)
    clients = Table(
        "clients",
        meta,
        Column("id", Integer, primary_key=True),
        Column("full_name", String(100)),
        Column("nhs_number", String(20)),
        Column("ni_number", String(20)),
        Column("email", String(200)),
        Column("date_of_birth", String(20)),
        Column("notes", Text),
    )
    wide = Table(
        "wide_assessments",
        meta,
        Column("id", Integer, primary_key=True),
        *(
            Column("nhs_no", String(20)) if i == NHS_AT else Column(f"score_{i:03d}", String(8))
            for i in range(1, WIDE_COLUMNS)
        ),
    )
    Table("empty_referrals", meta, Column("id", Integer, primary_key=True), Column("client_name", String(100)))
    secret = Table("secret_cases", meta, Column("id", Integer, primary_key=True), Column("ni_number", String(20)))
    meta.create_all(admin)
    people = People(2016)
    persons = [people.person() for _ in range(PEOPLE)]
    with admin.begin() as conn:
        conn.execute(
            insert(clients),
            [
                {
                    "full_name": p.name,
                    "nhs_number": p.nhs_number,
                    "ni_number": p.ni_number,
                    "email": p.email,
                    "date_of_birth": p.dob.isoformat(),
                    "notes": "Diagnosed with diabetes; GP review booked." if i % 4 == 0 else "Visit went well.",
                }
                for i, p in enumerate(persons)
            ],
        )
        conn.execute(
            insert(wide),
            [
                {
                    **{f"score_{i:03d}": str(i % 7) for i in range(1, WIDE_COLUMNS) if i != NHS_AT},
                    "nhs_no": p.nhs_number,
                }
                for p in persons[:25]
            ],
        )
        conn.execute(insert(secret), [{"ni_number": p.ni_number} for p in persons[:5]])
        flush_statistics(conn)
    return [p.nhs_number for p in persons], [p.ni_number for p in persons]


def flush_statistics(conn: Connection) -> None:
    """PostgreSQL publishes a session's row-change counters up to 10 s after its commit; publish them at this one
    so that a scan straight after it sees them (a nightly scan does not care: a late counter costs one re-read)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_stat_force_next_flush()"))


@pytest.fixture
def planted_pg(pg_url: str) -> Iterator[Planted]:
    admin = create_engine(pg_url)
    role, schema = f"steward_scan_{uuid.uuid4().hex[:8]}", "socialcare"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    nhs, ni = plant(admin, schema)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
        conn.execute(
            text(f"GRANT SELECT ON {schema}.clients, {schema}.wide_assessments, {schema}.empty_referrals TO {role}")
        )
    scan_url = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    yield Planted("postgresql", admin, scan_url, schema, nhs, ni)
    with admin.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


@pytest.fixture
def planted_maria(maria_url: str) -> Iterator[Planted]:
    admin = create_engine(maria_url)
    database = make_url(maria_url).database
    user = f"steward_scan_{uuid.uuid4().hex[:8]}"
    nhs, ni = plant(admin, None)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE USER '{user}'@'%'"))
        for name in ("clients", "wide_assessments", "empty_referrals"):
            conn.execute(text(f"GRANT SELECT ON `{database}`.`{name}` TO '{user}'@'%'"))
        # Some right on the table, so MariaDB lists it to the account, but not SELECT.
        conn.execute(text(f"GRANT INSERT ON `{database}`.`secret_cases` TO '{user}'@'%'"))
    scan_url = make_url(maria_url).set(username=user).render_as_string(hide_password=False)
    yield Planted("mariadb", admin, scan_url, str(database), nhs, ni)
    with admin.begin() as conn:
        conn.execute(text(f"DROP USER '{user}'@'%'"))
    admin.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def planted(request: pytest.FixtureRequest) -> Planted:
    return request.getfixturevalue("planted_pg" if request.param == "postgresql" else "planted_maria")  # type: ignore[no-any-return]


def db_config(tmp_path: Path, *sources: dict[str, object]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'steward.db'}",
                "hash_key": "test-key",
                "sources": list(sources),
                "scan": {"workers": 1, "checkpoint_every": 50},
                "detection": {"spacy_model": "none"},
            }
        )
    )
    return path


def db_source(planted: Planted, **extra: object) -> dict[str, object]:
    return {
        "id": "socialcare",
        "kind": "database",
        "url": planted.scan_url,
        "schemas": [planted.schema],
        "owner": "Head of Adult Social Care",
        "sample_rows": 100,
        **extra,
    }


def register(steward: Callable[..., Result], config: Path) -> dict[str, dict[str, object]]:
    out = steward("assets", "--config", str(config), "--format", "json")
    return {r["name"]: r for r in json.loads(out.output)}


def test_tables_become_assets_with_their_personal_data(
    planted: Planted, tmp_path: Path, steward: Callable[..., Result]
) -> None:
    config = db_config(tmp_path, db_source(planted))
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "4 entries" in result.output and "denied 1" in result.output
    rows = register(steward, config)
    s = planted.schema
    assert set(rows) == {f"{s}.clients", f"{s}.wide_assessments", f"{s}.empty_referrals", f"{s}.secret_cases"}
    clients = rows[f"{s}.clients"]
    assert clients["rows"] == PEOPLE and clients["file_count"] == 1
    assert {"UK_NHS", "UK_NINO", "EMAIL_ADDRESS"} <= set(clients["personal_data"])  # type: ignore[arg-type]
    assert clients["special_category"] is True
    assert clients["owner"] == "Head of Adult Social Care" and clients["owner_status"] == "declared"
    assert clients["formats"] == {"database table": 1}
    assert str(clients["location"]).endswith(f"(table {s}.clients)")
    assert rows[f"{s}.wide_assessments"]["personal_data"] == {"UK_NHS": 1}
    assert rows[f"{s}.empty_referrals"]["rows"] == 0 and rows[f"{s}.empty_referrals"]["personal_data"] == {}
    assert rows[f"{s}.secret_cases"]["statuses"] == {"denied": 1}

    files = {
        f["path"]: f for f in map(json.loads, steward("export", "files", "--config", str(config)).output.splitlines())
    }
    secret = files[f"{s}/secret_cases"]
    assert secret["status"] == "denied" and "may not read" in secret["reason"] and "SELECT" in secret["reason"]
    assert files[f"{s}/clients"]["mime"] == "text/csv" and files[f"{s}/clients"]["size"] == PEOPLE


def test_asset_detail_names_columns_types_and_findings_without_values(
    planted: Planted, tmp_path: Path, steward: Callable[..., Result]
) -> None:
    config = db_config(tmp_path, db_source(planted))
    assert steward("scan", "--config", str(config)).exit_code == 0
    s = planted.schema
    clients = steward("asset", f"{s}.clients", "--config", str(config)).output
    assert f"{s}.clients  (table, {PEOPLE} rows, 7 columns)" in clients
    nhs_line = next(line for line in clients.splitlines() if " nhs_number " in line)
    assert "is UK_NHS" in nhs_line and f"UK_NHS {PEOPLE}" in nhs_line and "VARCHAR(20)" in nhs_line
    assert "is UK_NINO" in next(line for line in clients.splitlines() if " ni_number " in line)
    wide = steward("asset", f"socialcare:{table_path(s, 'wide_assessments')}", "--config", str(config)).output
    assert f"{WIDE_COLUMNS} columns" in wide
    assert "nhs_no" in wide and "is UK_NHS" in wide and "score_001" not in wide  # wide: only where found
    assert f"and {WIDE_COLUMNS - 1} more columns where nothing was found" in wide
    denied = steward("asset", f"{s}.secret_cases", "--config", str(config)).output
    assert "[denied: the scan account may not read this table" in denied and " ni_number " in denied
    everything = clients + wide + denied + steward("export", "files", "--config", str(config)).output
    for value in planted.nhs_numbers + planted.ni_numbers:
        assert value not in everything and value.replace(" ", "") not in everything
    db = (tmp_path / "steward.db").read_bytes()
    assert not any(v.encode() in db for v in planted.nhs_numbers[:10])


def test_rescan_reads_only_changed_tables(planted: Planted, tmp_path: Path, steward: Callable[..., Result]) -> None:
    config = db_config(tmp_path, db_source(planted))
    assert "3 read" in steward("scan", "--config", str(config)).output  # + the denied one, not read
    again = steward("scan", "--config", str(config)).output
    assert "0 read, 3 unchanged" in again
    schema = planted.schema if planted.engine_name == "postgresql" else None
    clients = Table("clients", MetaData(schema=schema), Column("full_name", String(100)))
    with planted.admin.begin() as conn:
        conn.execute(insert(clients).values(full_name="Ada Lovelace"))
        flush_statistics(conn)
    changed = steward("scan", "--config", str(config)).output
    assert "1 read, 2 unchanged" in changed
    assert register(steward, config)[f"{planted.schema}.clients"]["rows"] == PEOPLE + 1


def test_schema_assets_and_declared_schema_owners(
    planted: Planted, tmp_path: Path, steward: Callable[..., Result]
) -> None:
    source = db_source(planted, asset_level="schema", schema_owners={planted.schema: "Caldicott Guardian"})
    config = db_config(tmp_path, source)
    assert steward("scan", "--config", str(config)).exit_code == 0
    rows = register(steward, config)
    assert set(rows) == {planted.schema}
    asset = rows[planted.schema]
    assert asset["file_count"] == 4 and asset["rows"] == PEOPLE + 25 + 0
    assert asset["owner"] == "Caldicott Guardian" and asset["statuses"] == {"ok": 3, "denied": 1}
    assert asset["formats"] == {"database table": 4}
    detail = steward("asset", planted.schema, "--config", str(config)).output
    assert "Tables (4;" in detail and f"{planted.schema}.empty_referrals" in detail


def test_a_slow_view_times_out_and_the_scan_goes_on(
    planted: Planted, tmp_path: Path, steward: Callable[..., Result]
) -> None:
    sleep = "pg_sleep(3)::text" if planted.engine_name == "postgresql" else "SLEEP(3)"
    prefix = f"{planted.schema}." if planted.engine_name == "postgresql" else ""
    with planted.admin.begin() as conn:
        conn.execute(text(f"CREATE VIEW {prefix}slow_report AS SELECT {sleep} AS waited"))
        grantee = make_url(planted.scan_url).username
        if planted.engine_name == "postgresql":
            conn.execute(text(f"GRANT SELECT ON {prefix}slow_report TO {grantee}"))
        else:
            conn.execute(text(f"GRANT SELECT ON `{planted.schema}`.`slow_report` TO '{grantee}'@'%'"))
    config = db_config(tmp_path, db_source(planted, views=True, statement_timeout=0.5))
    result = steward("scan", "--config", str(config))
    files = {
        f["path"]: f for f in map(json.loads, steward("export", "files", "--config", str(config)).output.splitlines())
    }
    assert result.exit_code == 0 and "5 entries" in result.output and "timeout 1" in result.output, files
    view = files[f"{planted.schema}/slow_report"]
    assert view["status"] == "timeout" and "statement timeout" in view["reason"]
    assert files[f"{planted.schema}/clients"]["entities"]["UK_NHS"] == PEOPLE


def test_unreachable_server_fails_its_source_only(tmp_path: Path, steward: Callable[..., Result]) -> None:
    share = tmp_path / "share"
    (share / "HR").mkdir(parents=True)
    write_text(share / "HR" / "note.txt", "Contact sarah.thompson@example.co.uk")
    config = db_config(
        tmp_path,
        {"id": "revenues", "kind": "database", "url": "postgresql+psycopg://scanner@127.0.0.1:9/revenues"},
        {"id": "share", "kind": "local", "root": str(share)},
    )
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 1
    assert (
        "revenues: FAILED — source 'revenues': cannot connect to postgresql+psycopg://scanner@127.0.0.1:9/"
        "revenues" in result.output
    )
    assert "share: 1 entries, 1 read" in result.output
    assert set(register(steward, config)) == {"HR"}
    engine = create_engine(f"sqlite:///{tmp_path / 'steward.db'}")
    with engine.connect() as conn:
        runs = dict(conn.execute(text("SELECT source, status FROM scan_runs")).all())
    assert runs == {"revenues": "failed", "share": "completed"}


def test_sessions_are_read_only_and_time_limited(planted: Planted) -> None:
    crawler = DatabaseCrawler(
        DatabaseSource.model_validate(
            {
                "id": "x",
                "kind": "database",
                "url": str(planted.admin.url.render_as_string(hide_password=False)),
                "statement_timeout": 0.5,
            }
        )
    )
    table = f"{planted.schema}.empty_referrals" if planted.engine_name == "postgresql" else "empty_referrals"
    try:
        with crawler.engine.connect() as conn, pytest.raises(Exception, match=r"(?i)read.only"):
            conn.execute(text(f"INSERT INTO {table} (client_name) VALUES ('x')"))
        with crawler.engine.connect() as conn:
            sleep = "SELECT pg_sleep(3)" if planted.engine_name == "postgresql" else "SELECT SLEEP(3)"
            with pytest.raises(Exception) as raised:
                conn.execute(text(sleep)).all()
            assert crawler.kind.classify(raised.value) == "timeout"
    finally:
        crawler.close()


def test_bad_database_url_is_one_sentence(tmp_path: Path, steward: Callable[..., Result]) -> None:
    config = db_config(tmp_path, {"id": "crm", "kind": "database", "url": "sqlite:///crm.db"})
    result = steward("config", "check", "--config", str(config))
    assert result.exit_code == 2
    assert "sources[0].url" in result.output and "postgresql, mysql and mariadb" in result.output


def test_paths_headers_and_csv_rendering() -> None:
    assert split_table_path(table_path("hr/old", "100%_staff")) == ("hr/old", "100%_staff")
    assert table_path("public", "a/b") == "public/a%2Fb"
    assert header_text("nhs_number") == "nhs number" and header_text("DateOfBirth") == "date of birth"
    assert header_text("2019") == "column 2019"
    rendered = render_csv(["id", "notes", "photo"], [(1, "line one\nline two", b"\x89PNG"), (2, None, None)])
    assert rendered.decode().splitlines() == ['"id","notes","photo"', '"1","line one line two",""', '"2","",""']


def test_config_show_hides_the_database_password(tmp_path: Path, steward: Callable[..., Result]) -> None:
    url = "postgresql+psycopg://scan:s3cret-Pa55@crm-db.example.gov.uk/crm"
    config = db_config(tmp_path, {"id": "crm", "kind": "database", "url": url})
    shown = steward("config", "show", "--config", str(config)).output
    assert "s3cret-Pa55" not in shown and "scan:***@crm-db.example.gov.uk/crm" in shown


def test_worker_processes_read_tables_too(planted_pg: Planted, tmp_path: Path, steward: Callable[..., Result]) -> None:
    config = db_config(tmp_path, db_source(planted_pg))
    data = yaml.safe_load(config.read_text())
    data["scan"]["workers"] = 2
    config.write_text(yaml.safe_dump(data))
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 0 and "3 read" in result.output, result.output
    assert register(steward, config)[f"{planted_pg.schema}.clients"]["personal_data"]["UK_NHS"] == 1
