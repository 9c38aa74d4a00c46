"""Database source speed: a schema of generated tables on the local PostgreSQL, scanned, then re-scanned unchanged.

    python benchmarks/database_scan.py                      # 200 tables of 1,000 rows, sample_rows 1000
    python benchmarks/database_scan.py --tables 50 --rows 10000 --url postgresql+psycopg://postgres@127.0.0.1/test

Prints tables/s for the first scan (samples read and detected, patterns only) and for a no-change re-scan.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, text

from scanner.samples.people import People


def make_schema(url: str, schema: str, tables: int, rows: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    meta = MetaData(schema=schema)
    made = [
        Table(
            f"cases_{i:04d}",
            meta,
            Column("id", Integer, primary_key=True),
            Column("client_name", String(100)),
            Column("nhs_number", String(20)),
            Column("email", String(200)),
            Column("notes", String(200)),
        )
        for i in range(tables)
    ]
    meta.create_all(engine)
    people = People(1)
    persons = [people.person() for _ in range(min(rows, 2000))]
    values = [
        {"client_name": p.name, "nhs_number": p.nhs_number, "email": p.email, "notes": "Visit went well."}
        for p in persons
    ]
    with engine.begin() as conn:
        for table in made:
            for start in range(0, rows, len(values)):
                conn.execute(insert(table), values[: rows - start])
    engine.dispose()


def timed_scan(config: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "inventory", "scan", "--config", str(config)], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--sample-rows", type=int, default=1000)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    make_schema(args.url, schema, args.tables, args.rows)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "database": f"sqlite:///{tmp}/steward.db",
                        "hash_key": "bench",
                        "detection": {"spacy_model": "none"},
                        "sources": [
                            {
                                "id": "db",
                                "kind": "database",
                                "url": args.url,
                                "schemas": [schema],
                                "sample_rows": args.sample_rows,
                            }
                        ],
                    }
                )
            )
            first, again = timed_scan(config), timed_scan(config)
        print(
            f"{args.tables} tables x {args.rows} rows (sample {args.sample_rows}): first scan {first:.1f} s "
            f"({args.tables / first:.1f} tables/s), unchanged re-scan {again:.1f} s ({args.tables / again:.1f} "
            "tables/s); both include process start and model-free detector set-up"
        )
    finally:
        engine = create_engine(args.url)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


if __name__ == "__main__":
    main()
