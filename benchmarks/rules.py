"""Rule evaluation speed on a store of generated file records (no files on disk, no detection).

    python benchmarks/rules.py                   # 100,000 files, the shipped rules, SQLite
    python benchmarks/rules.py --files 20000 --database postgresql+psycopg://postgres@127.0.0.1/bench

Fills a fresh store with file rows (times spread over 15 years, about 10% holding personal data, some
duplicated content, some encrypted), rolls them up into assets, then evaluates the rules twice: the first
evaluation opens every finding, the second is the steady state of a full evaluation (findings already stored);
then one file is changed (its row and a file event, as a scan records them) and the evaluation takes up that file
alone, and once more with nothing changed it is skipped. Prints the time and files/s of each.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inventory.config import StewardConfig
from inventory.findings.evaluate import evaluate_source
from inventory.findings.models import Finding
from inventory.register.rollup import roll_up
from inventory.rules import DEFAULT_DIR, Rulebook, load_rulebook
from inventory.store.engine import open_store
from inventory.store.models import DetectionRow, FileEvent, FileRecord, ScanRun

SERVICES = [
    "Adult Social Care",
    "Children's Services",
    "Highways",
    "HR",
    "Finance",
    "GIS",
    "Planning",
    "Revenues and Benefits",
]
SUBS = [
    "Closed 2015",
    "Referrals 2012-13",
    "Sensory Support/Left 2018",
    "Occupational Health",
    "Exports",
    "Budgets FY2019",
    "Team",
    "Archive",
    "New folder",
    "OS MasterMap",
]


def fill(factory: object, files: int, seed: int = 1) -> None:
    rng, now = random.Random(seed), datetime(2026, 6, 1)
    with factory() as session:  # type: ignore[operator]
        rows, dets = [], []
        for i in range(1, files + 1):
            service, sub = SERVICES[i % len(SERVICES)], SUBS[i // 7 % len(SUBS)]
            folder = f"{service}/{sub}/Case {i // 50 % 40}"
            name = f"{'copy of ' if i % 97 == 0 else ''}note {i:06d}{' final' if i % 89 == 0 else ''}.docx"
            mtime = now - timedelta(days=rng.randint(0, 15 * 365))
            personal = rng.random() < 0.1
            rows.append(
                {
                    "id": i,
                    "source": "share",
                    "path": f"{folder}/{name}",
                    "dir": folder,
                    "name": name,
                    "ext": "docx",
                    "asset_key": service,
                    "identity": f"1:{i}",
                    "size": rng.randint(1000, 10**6),
                    "mtime": mtime,
                    "ctime": mtime,
                    "mode": 0o100644 if i % 3 else 0o100640,
                    "gid": 100,
                    "mime": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "status": "encrypted" if i % 211 == 0 else "ok",
                    "first_seen": now,
                    "special_category": ["health"] if personal and i % 5 == 0 else None,
                    "content_hash": f"{i % 500:064x}" if personal and i % 4 == 0 else None,
                }
            )
            if personal:
                dets.append(
                    {
                        "file_id": i,
                        "entity": "PERSON",
                        "count": rng.randint(1, 400),
                        "best_score": 0.9,
                        "example": "J*** S****",
                        "locators": [],
                    }
                )
            if len(rows) == 5000:
                session.execute(insert(FileRecord), rows)
                if dets:
                    session.execute(insert(DetectionRow), dets)
                rows, dets = [], []
        if rows:
            session.execute(insert(FileRecord), rows)
        if dets:
            session.execute(insert(DetectionRow), dets)
        session.commit()
        roll_up(session, "share", "/srv/share")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--database", help="store URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        config = StewardConfig.model_validate(
            {"database": url, "sources": [{"id": "share", "kind": "local", "root": "/srv/share"}]}
        )
        factory = open_store(url)
        fill(factory, args.files)
        book = load_rulebook(DEFAULT_DIR)
        now = datetime(2026, 6, 1)
        with factory() as session:  # a scan run keeps the evaluation's state, as a scan's does
            session.add(ScanRun(source="share", started_at=now, status="completed", steward_version="bench",
                                config_hash="bench"))  # fmt: skip
            session.commit()
        for label in ("first evaluation (opens every finding)", "re-evaluation (steady state)"):
            _timed(factory, config, book, label, now, full=True)
        with factory() as session:  # one file rewritten, as a scan records it
            run_id = session.scalar(select(ScanRun.id))
            session.execute(update(FileRecord).where(FileRecord.id == 1).values(size=1234, content_hash=None))
            session.execute(insert(FileEvent).values(file_id=1, run_id=run_id, kind="changed", at=now))
            session.commit()
        later = now + timedelta(hours=1)  # a later scan: every standing finding's "last seen" moves
        _timed(factory, config, book, "one file changed (it, the files due and the assets)", later, full=False)
        _timed(factory, config, book, "nothing changed (skipped)", later + timedelta(hours=1), full=False)


def _timed(factory: object, config: StewardConfig, book: Rulebook, label: str, now: datetime, full: bool) -> None:
    with factory() as session:  # type: ignore[operator]
        started = time.perf_counter()
        summary = evaluate_source(session, config, book, "share", now, full=full)
        took = time.perf_counter() - started
        stored = session.scalar(select(func.count()).select_from(Finding))
    rate = f" = {summary.files / took:,.0f} files/s" if summary.files else ""
    print(
        f"{label}: {summary.files:,} files in {took:.2f} s{rate}; "
        f"{stored:,} findings stored, {sum(summary.open_by_kind.values()):,} open"
    )


if __name__ == "__main__":
    main()
