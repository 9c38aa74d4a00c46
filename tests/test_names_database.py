"""Names in a database text column, against the real PostgreSQL and MariaDB: case notes such as "Visited Brandon
Wells at home" give a PERSON in every row that names someone, whatever the name's origin, located by cell."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert

from scanner.config import DatabaseSource
from scanner.crawlers.database import DatabaseCrawler
from scanner.pipeline import observe
from scanner.types import Limits
from tests.test_detect_api import cached_detector

NAMES = (
    "Brandon Wells",
    "Jadwiga Grzybowska",
    "Lương Thị Thảo",
    "Ubah Cawaale Jaamac",
    "Clodagh Ní Fhlannagáin",
    "Manpreet Kaur Bhamra",
    "Kim Min-jun",
    "Oluwaseun Adebayo-Ogunleye",
)
NOTES = (
    "Visited {} at home to discuss the rent arrears",
    "Call from {} about the missed bin collection",
    "{} attended the drop-in and asked about a school place",
    "Letter sent to {} confirming the repair date",
)
FILLER = ("Bin collection missed - crew sent back", "Council tax query - advice given", "Closed, no further action")


@pytest.mark.parametrize("server", ["pg_url", "maria_url"])
def test_names_in_a_database_text_column(server: str, request: pytest.FixtureRequest) -> None:
    url: str = request.getfixturevalue(server)
    admin = create_engine(url)
    meta = MetaData()
    notes = Table(
        "case_notes",
        meta,
        Column("id", Integer, primary_key=True),
        Column("team", String(40)),
        Column("note", Text),
    )
    meta.create_all(admin)
    rows, named = [], []
    for i in range(1, 61):
        if i % 4 == 0:
            name = NAMES[(i // 4) % len(NAMES)]
            text = NOTES[(i // 4) % len(NOTES)].format(name)
            named.append(i)
        else:
            text = FILLER[i % len(FILLER)]
        rows.append({"id": i, "team": "Housing", "note": text})
    with admin.begin() as conn:
        conn.execute(insert(notes), rows)
    admin.dispose()

    crawler = DatabaseCrawler(DatabaseSource.model_validate({"id": "crm", "kind": "database", "url": url}))
    entry = next(e for e in crawler.iter_entries() if e.path.endswith("case_notes"))
    observation = observe(entry, crawler, cached_detector(), Limits())
    found = {d.entity: d for d in observation.detections}
    assert found["PERSON"].count == len(named)
    assert all(where.startswith("C") for where in found["PERSON"].where)
    assert found["PERSON"].where[0] == f"C{named[0] + 1}"  # the header is row 1
