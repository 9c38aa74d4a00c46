"""Database tables larger than the sample, against the real PostgreSQL and MariaDB servers: the rows read are
spread over the whole table (not its oldest records), every row read is analysed, counts say "n in m sampled of
N rows", and a column's header is evidence for its type (8-digit account numbers under ``account_number``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text
from sqlalchemy.engine import make_url

from scanner.config import DatabaseSource
from scanner.crawlers.database import DatabaseCrawler
from tests.test_database_source import Planted, db_config, db_source, planted_maria, planted_pg

__all__ = ["planted_maria", "planted_pg"]  # fixtures used through ``database``

ROWS = 2000
SAMPLE = 100


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request: pytest.FixtureRequest) -> Planted:
    return request.getfixturevalue("planted_pg" if request.param == "postgresql" else "planted_maria")  # type: ignore[no-any-return]


def plant_payees(planted: Planted) -> None:
    schema = planted.schema if planted.engine_name == "postgresql" else None
    payees = Table(
        "payees",
        MetaData(schema=schema),
        Column("id", Integer, primary_key=True),
        Column("payee_name", String(100)),
        Column("sort_code", String(10)),
        Column("account_number", String(10)),
        Column("amount", String(10)),
    )
    payees.create(planted.admin)
    with planted.admin.begin() as conn:
        conn.execute(
            insert(payees),
            [
                {
                    "payee_name": f"Payee {i}",
                    "sort_code": f"{20 + i % 70:02d}-{i % 100:02d}-{(i * 7) % 100:02d}",
                    "account_number": f"{10_000_000 + i * 4_391:08d}",
                    "amount": f"{i % 500}.00",
                }
                for i in range(ROWS)
            ],
        )
        grantee = make_url(planted.scan_url).username
        if planted.engine_name == "postgresql":
            conn.execute(text(f"GRANT SELECT ON {planted.schema}.payees TO {grantee}"))
            conn.execute(text(f"ANALYZE {planted.schema}.payees"))
        else:
            conn.execute(text(f"GRANT SELECT ON `{planted.schema}`.`payees` TO '{grantee}'@'%'"))


def test_a_large_table_is_read_as_a_spread_sample(database: Planted) -> None:
    plant_payees(database)
    source = DatabaseSource.model_validate({**db_source(database), "sample_rows": SAMPLE})
    crawler = DatabaseCrawler(source)
    try:
        entry = next(e for e in crawler.iter_entries() if e.path.endswith("/payees"))
        assert entry.size == ROWS
        rows = list(csv.DictReader(io.StringIO(crawler.open(entry).read().decode())))
    finally:
        crawler.close()
    ids = sorted(int(r["id"]) for r in rows)
    assert SAMPLE // 3 <= len(ids) <= SAMPLE
    assert ids[0] < ROWS // 4 and ids[-1] > ROWS * 3 // 4  # old and new records alike
    assert sum(1 for i in ids if i > ROWS // 2) >= len(ids) // 4  # not the first rows by key


def test_account_numbers_by_header_and_counts_in_the_sample(
    database: Planted, tmp_path: Path, steward: Callable[..., Result]
) -> None:
    plant_payees(database)
    config = db_config(tmp_path, db_source(database, sample_rows=SAMPLE, tables=["payees"]))
    assert steward("scan", "--config", str(config)).exit_code == 0
    detail = steward("asset", f"{database.schema}.payees", "--config", str(config)).output
    line = next(row for row in detail.splitlines() if " account_number " in row)
    assert "is UK_BANK_ACCOUNT" in line
    files = [json.loads(row) for row in steward("export", "files", "--config", str(config)).output.splitlines()]
    payees = next(f for f in files if f["path"].endswith("/payees"))
    sampled = payees["rows_sampled"]
    assert SAMPLE // 3 <= sampled <= SAMPLE and payees["size"] == ROWS
    bank = next(d for d in payees["detections"] if d["entity"] == "UK_BANK_ACCOUNT")
    # every row read was analysed, nothing scaled up: the sort code and the account number of each row
    assert bank["count"] == 2 * sampled
    assert bank["counted"] == f"{2 * sampled:,} in {sampled:,} sampled of {ROWS:,} rows"
    assert f"UK_BANK_ACCOUNT {sampled:,} in {sampled:,} sampled of {ROWS:,} rows" in line
