"""Response times of the web review on a council-sized store (no files on disk).

    python benchmarks/web.py                      # 100,000 files in 8 assets, SQLite
    python benchmarks/web.py --files 20000 --database postgresql+psycopg://postgres@127.0.0.1/bench

Fills a fresh store with the generated file rows of benchmarks/rules.py (about 10% holding personal data),
evaluates the rules and derives the risks, makes one IAO the owner of the largest asset, then times each page and
API route as that IAO and as the SIRO through the application in-process (no network): the median and the
slowest of --repeat requests, and the size of the response. The IAO's asset has about 12,500 files, 1,250 of them
holding personal data, and thousands of findings: the asset page shows the top of each list, with totals.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from inventory.config import StewardConfig
from inventory.findings.evaluate import evaluate_source
from inventory.findings.models import Finding
from inventory.owners.models import AssetOwnership
from inventory.risks.scoring import load
from inventory.risks.sync import sync_source
from inventory.rules import DEFAULT_DIR, load_rulebook
from inventory.runs.record import utcnow
from inventory.store.engine import open_store
from inventory.store.models import Asset
from inventory.web.app import create_app
from inventory.web.users import add_user
from rules import fill  # type: ignore[import-not-found]

PASSWORD = "benchmark password"


def prepare(url: str, files: int) -> tuple[StewardConfig, int]:
    config = StewardConfig.model_validate(
        {"database": url, "sources": [{"id": "share", "kind": "local", "root": "/srv/share"}]}
    )
    factory = open_store(url)
    fill(factory, files)
    with factory() as db:
        evaluate_source(db, config, load_rulebook(DEFAULT_DIR), "share", datetime(2026, 6, 1))
        sync_source(db, load(DEFAULT_DIR), "share", utcnow())
        db.commit()
        biggest = db.scalars(select(Asset).order_by(Asset.file_count.desc())).first()
        assert biggest is not None
        db.add(
            AssetOwnership(
                asset_id=biggest.id,
                owner_key="iao",
                owner_email="iao@council.example.gov.uk",
                evidence=[],
                candidates=[],
                notes=[],
                computed_at=utcnow(),
            )
        )
        biggest.owner, biggest.owner_status = "Ivy Owner", "proposed"
        db.commit()
        for name, role in (("iao", "iao"), ("siro", "siro")):
            add_user(db, config, name, f"{name}@council.example.gov.uk", role, PASSWORD, False, utcnow())
        findings = db.scalar(select(func.count()).select_from(Finding).where(Finding.asset_id == biggest.id))
        print(
            f"store: {files:,} files; the IAO's asset {biggest.name!r} holds {biggest.file_count:,} files, "
            f"{biggest.personal_files:,} with personal data, {findings:,} findings"
        )
        return config, biggest.id


def client(app: object, name: str) -> TestClient:
    c = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
    page = c.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert token is not None
    c.post("/sign-in", data={"name": name, "password": PASSWORD, "csrf_token": token.group(1)})
    return c


def measure(c: TestClient, path: str, repeat: int) -> None:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        r = c.get(path)
        times.append(time.perf_counter() - started)
        assert r.status_code == 200, (path, r.status_code)
        size = len(r.content)
    print(
        f"  {path:<34} median {statistics.median(times) * 1000:7.0f} ms   slowest {max(times) * 1000:7.0f} ms"
        f"   {size / 1024:8.0f} KB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", help="store URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        config, asset_id = prepare(args.database or f"sqlite:///{tmp}/bench.db", args.files)
        print(f"prepared in {time.perf_counter() - started:.0f} s")
        app = create_app(config)
        started = time.perf_counter()
        iao = client(app, "iao")
        print(f"sign-in (argon2id verify included): {(time.perf_counter() - started) * 1000:.0f} ms")
        print("as the IAO:")
        for path in ("/my-assets", f"/assets/{asset_id}", "/api/v1/assets", f"/api/v1/assets/{asset_id}", "/risks"):
            measure(iao, path, args.repeat)
        print("as the SIRO:")
        siro = client(app, "siro")
        for path in ("/my-assets", "/siro", "/risks", "/audit", "/api/v1/risks"):
            measure(siro, path, args.repeat)


if __name__ == "__main__":
    main()
