"""Ownership and access refresh speed and memory on a synthetic store (no scan): N files in 20 assets, owned by
200 people of a CSV directory, a third of them documents with authors, a few distinct ACLs.

    python benchmarks/ownership.py                 # 200,000 files, SQLite in a temporary folder
    python benchmarks/ownership.py --files 1000000
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from benchmarks.memory import peak_rss_mb
from inventory.config import StewardConfig
from inventory.owners.refresh import open_directory, refresh_ownership
from inventory.store.engine import open_store
from inventory.store.models import Asset, FileRecord


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="steward-own-bench-"))
    hr = tmp / "hr.csv"
    depts = [f"Service {i}" for i in range(20)]
    hr.write_text(
        "account,sid,name,email,department,manager,status\n"
        + "".join(
            f"u{i},S-1-5-21-1-2-3-{1000 + i},Person {i},p{i}@c.gov.uk,{depts[i % 20]},u{i % 20},"
            f"{'leaver' if i % 17 == 0 else 'active'}\n"
            for i in range(200)
        )
    )
    config = StewardConfig.model_validate(
        {
            "database": f"sqlite:///{tmp / 'steward.db'}",
            "sources": [{"id": "share", "kind": "local", "root": str(tmp)}],
            "directory": {"kind": "csv", "path": str(hr)},
        }
    )
    try:
        run(config, depts, args.files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(config: StewardConfig, depts: list[str], files: int) -> None:
    factory = open_store(config.database)
    rng = random.Random(1)
    now = datetime(2026, 11, 25)
    acls = [[[f"S-1-5-21-1-2-3-{1000 + j}", "full", True], ["S-1-1-0", "read", True]] for j in range(10)]
    with factory() as session:
        for d in depts:
            session.add(Asset(source="share", key=d, name=d, location=d))
        session.commit()
        batch = []
        for i in range(files):
            dept = depts[i % 20]
            batch.append(
                {
                    "source": "share",
                    "path": f"{dept}/f{i}.docx",
                    "dir": dept,
                    "name": f"f{i}.docx",
                    "ext": "docx",
                    "asset_key": dept,
                    "identity": str(i),
                    "size": rng.randint(1000, 10**6),
                    "mtime": now - timedelta(days=rng.randint(0, 2000)),
                    "owner": f"S-1-5-21-1-2-3-{1000 + rng.randint(0, 199)}",
                    "acl": acls[i % 10],
                    "authors": [f"Person {rng.randint(0, 199)}"] if i % 3 == 0 else None,
                    "status": "ok",
                    "first_seen": now,
                }
            )
            if len(batch) == 10_000:
                session.execute(insert(FileRecord), batch)
                batch.clear()
        if batch:
            session.execute(insert(FileRecord), batch)
        session.commit()
        t0 = time.perf_counter()
        refresh_ownership(session, config, "share", open_directory(config))
        elapsed = time.perf_counter() - t0
    peak = peak_rss_mb()  # VmHWM: ru_maxrss would also hold the peak of the process that started this one
    print(
        f"refresh_ownership: {files:,} files in 20 assets in {elapsed:.1f} s = "
        f"{files / elapsed:,.0f} files/s; peak RSS of the process {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
