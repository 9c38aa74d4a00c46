"""Subject-access search over a large identifier index on PostgreSQL.

Builds a fresh database with the store's schema, ``--files`` file rows and ``--rows`` identifier rows (random
128-bit digests from ``generate_series``, spread evenly over the files), plants one person's identifiers in a few
files, then times ``inventory.sar.search.search`` (the whole search: digesting the values, the index look-up, the
joins to files and assets, database tables, coverage) for a search by five identifiers and for one by a single
identifier. Prints the median and worst of ``--repeat`` runs and the index's size on disk per row.

    PYTHONPATH=. STEWARD_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python benchmarks/sar.py
    PYTHONPATH=. python benchmarks/sar.py --rows 1000000 --files 50000 --repeat 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from inventory.sar.index import digest_bytes
from inventory.sar.models import IdentifierRow
from inventory.sar.search import search
from inventory.store.engine import open_store
from scanner.identifiers import digests

KEY = b"benchmark-key"
PERSON = {
    "nhs": "943 476 5919",
    "nino": "AB 12 34 56 C",
    "email": "sarah.thompson@example.co.uk",
    "phone": "07911 123456",
    "name": "Sarah Thompson",
}
ENTITY = {"nhs": "UK_NHS", "nino": "UK_NINO", "email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "name": "PERSON"}


def build(url: str, files: int, rows: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO files (source, path, dir, name, ext, asset_key, identity, extension_mismatch, status, "
                "chunks, chars, first_seen) SELECT 'share', 'Dept' || (i % 50) || '/file' || i || '.docx', "
                "'Dept' || (i % 50), 'file' || i || '.docx', 'docx', 'Dept' || (i % 50), 'id' || i, false, 'ok', "
                "1, 100, now() FROM generate_series(1, :n) AS i"
            ),
            {"n": files},
        )
        conn.execute(
            text(
                "INSERT INTO assets (source, key, name, location, file_count, bytes, formats, entities, "
                "personal_files, status_counts) SELECT 'share', 'Dept' || i, 'Dept' || i, 'share/Dept' || i, 0, 0, "
                "'{}', '{}', 0, '{}' FROM generate_series(0, 49) AS i"
            )
        )
        # Loaded without its indexes, then indexed, as a bulk load would be.
        conn.execute(text("ALTER TABLE identifier_index DROP CONSTRAINT identifier_index_pkey"))
        conn.execute(text("DROP INDEX ix_identifier_index_file"))
        first = conn.execute(text("SELECT min(id) FROM files")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO identifier_index (digest, file_id, entity, locator) "
                "SELECT substring(decode(md5(i::text || 'x'), 'hex') from 1 for 16), :first + (i % :files), "
                "(ARRAY['UK_NHS','UK_NINO','EMAIL_ADDRESS','PHONE_NUMBER','PERSON','PERSON_INITIAL'])[1 + i % 6], "
                "'p' || (1 + i % 9) FROM generate_series(1, :rows) AS i"
            ),
            {"first": first, "files": files, "rows": rows},
        )
        conn.execute(text("ALTER TABLE identifier_index ADD PRIMARY KEY (digest, file_id)"))
        conn.execute(text("CREATE INDEX ix_identifier_index_file ON identifier_index (file_id)"))
        planted = []
        for n, (option, value) in enumerate(PERSON.items()):
            for entity, hex_digest in digests(KEY, ENTITY[option], value):
                for file_id in (first + 10 + n, first + 11 + n, first + files // 2):
                    planted.append(
                        {"digest": digest_bytes(hex_digest), "file_id": file_id, "entity": entity, "locator": "p1"}
                    )
        conn.execute(insert(IdentifierRow), planted)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE identifier_index"))
        conn.execute(text("ANALYZE files"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Leave the benchmark database in place.")
    args = parser.parse_args()
    base = os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"steward_sar_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        factory = open_store(url)
        began = time.perf_counter()
        build(url, args.files, args.rows)
        print(f"built {args.rows:,} identifier rows over {args.files:,} files in {time.perf_counter() - began:.0f} s")
        with factory() as session:
            size = session.execute(
                text(
                    "SELECT pg_relation_size('identifier_index'), pg_indexes_size('identifier_index'), "
                    "pg_total_relation_size('identifier_index'), (SELECT count(*) FROM identifier_index)"
                )
            ).one()
            heap, indexes, total, count = size
            print(
                f"index rows {count:,}: table {heap / count:.0f} B/row, indexes {indexes / count:.0f} B/row, "
                f"total {total / count:.0f} B/row ({total / 2**20:.0f} MiB)"
            )
            for label, given in (("five identifiers", dict(PERSON)), ("one NHS number", {"nhs": PERSON["nhs"]})):
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    outcome = search(session, KEY, dict(given))
                    times.append((time.perf_counter() - t0) * 1000)
                    session.rollback()
                print(
                    f"search by {label}: {len(outcome.hits)} files, median {statistics.median(times):.1f} ms, "
                    f"worst {max(times):.1f} ms over {args.repeat} runs"
                )
        factory.kw["bind"].dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
