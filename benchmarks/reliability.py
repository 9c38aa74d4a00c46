"""Peak memory and time of the scanning (main) process on trees that break naive scanners.

    python benchmarks/reliability.py                     # 200,000 entries, the large inputs, the hostile share
    python benchmarks/reliability.py --entries 20000 --keep /tmp/rel
    python benchmarks/reliability.py --entries 0 --skip-hostile        # the large inputs only

Cases, each run in a process of its own so its peak RSS (``VmHWM``, workers not included) is its own (not
``ru_maxrss``, which after exec still holds the peak of the process that started it):
- walk only: the local crawler listing a folder of ``--entries`` files (no store, no workers);
- first scan and no-change re-scan of that folder with ``steward scan`` (SQLite store, ``--workers`` workers),
  with the whole process tree's peak (main process and workers, sampled every half second: RSS added up, and
  PSS, which divides the pages the forked workers share with the main process among them) and the statuses;
- first scan of large inputs: a 1 GB file of one line (over the default size limit), a 150 MB one (read up to the
  text limit) and a zip of ``--members`` members, with each file's status;
- first scan of the hostile share from ``tests/hostile_share.py`` (odd names, paths beyond PATH_MAX, thousands
  of levels, bombs, damaged and encrypted files, special files, links, sparse files, files changing mid-scan).
The target is a main-process peak under 500 MB in every case.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "tests"))

from hostile_share import Measured, Mutator, build, remove_tree, scan_measured  # noqa: E402

WALK = """
import json, sys, time
from scanner.config import LocalSource
from scanner.crawlers.local import LocalCrawler
began = time.monotonic()
count = sum(1 for _ in LocalCrawler(LocalSource(id="b", kind="local", root=sys.argv[1])).iter_entries())
peak = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"entries": count, "peak_rss_mb": peak, "seconds": time.monotonic() - began}))
"""


def make_folder(folder: Path, entries: int) -> None:
    folder.mkdir(parents=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i in range(entries):
            os.close(os.open(f"report {i:07d}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)


def write_config(work: Path, root: Path, workers: int) -> Path:
    config = work / f"{root.name}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{work / (root.name + '.db')}",
                "hash_key": "benchmark",
                "sources": [{"id": root.name, "kind": "local", "root": str(root)}],
                "scan": {"workers": workers},
                "limits": {"file_timeout": 30},
            }
        )
    )
    return config


def report(case: str, entries: int, seconds: float, peak_mb: float, tree: str = "") -> None:
    verdict = "under" if peak_mb < 500 else "OVER"
    load = os.getloadavg()[0]
    print(f"{case:<44} {entries:>9,} {seconds:>9.1f} s {peak_mb:>8.0f} MB  ({verdict} 500 MB){tree}; load {load:.1f}")


def tree_of(measured: Measured) -> str:
    return f"; tree {measured.tree_rss_mb:.0f} MB RSS, {measured.tree_pss_mb:.0f} MB PSS"


def summary(measured: Measured) -> str:
    """The scan's own summary line: entries, read, unchanged, and the statuses other than ok."""
    return next((line for line in measured.output.splitlines() if " entries, " in line), "")


NHS_LINE = b"Patient NHS number 943 476 5919, seen in clinic. "


def make_large(folder: Path, members: int) -> dict[str, str]:
    """Large inputs: single-line files of 1 GB (over the default size limit) and 150 MB (under it, so read), and
    a zip of ``members`` members. Returns each file's name and what it is."""
    folder.mkdir(parents=True)
    made = {}
    for name, size in (("one line 1 GB.txt", 1 << 30), ("one line 150 MB.txt", 150 << 20)):
        block = NHS_LINE * ((8 << 20) // len(NHS_LINE))  # about 8 MB, no line break anywhere
        with open(folder / name, "wb") as fh:
            written = 0
            while written < size:
                written += fh.write(block[: size - written])
        made[name] = f"{size >> 20:,} MB in one line"
    with zipfile.ZipFile(folder / "members.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(f"folder {i % 100:03d}/member {i:06d}.txt", f"Case {i}: case{i}@example.co.uk")
    made["members.zip"] = f"{members:,} members"
    return made


def large_inputs(work: Path, members: int, workers: int) -> None:
    large = work / "large"
    began = time.monotonic()
    made = make_large(large, members)
    print(f"(made the large inputs in {time.monotonic() - began:.0f} s: {', '.join(made.values())})")
    config = write_config(work, large, workers)
    measured = scan_measured(config, work, timeout=None)
    if measured.exit != 0:
        raise SystemExit(f"large inputs scan failed ({measured.exit}): {measured.output[-2000:]}")
    report("steward scan, large inputs (first)", len(made), measured.seconds, measured.peak_rss_mb, tree_of(measured))
    print(f"  {summary(measured)}", flush=True)
    with sqlite3.connect(work / "large.db") as db:
        for path, status, reason in db.execute("SELECT path, status, reason FROM files ORDER BY path"):
            print(f"  {path}: {status}" + (f" ({reason})" if reason else ""))
    remove_tree(large)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000, help="files in the one huge folder (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-hostile", action="store_true")
    parser.add_argument(
        "--members", type=int, default=100_000, help="members of the large zip (0: skip the large inputs)"
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="steward-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    print(f"{'case':<44} {'entries':>9} {'time':>11} {'peak RSS (main process)':>24}")
    try:
        if args.entries:
            huge = work / "huge"
            if not huge.exists():
                began = time.monotonic()
                make_folder(huge, args.entries)
                print(f"(made {args.entries:,} files in one folder in {time.monotonic() - began:.0f} s)")
            walked = json.loads(
                subprocess.run(
                    [sys.executable, "-c", WALK, str(huge)], env=env, capture_output=True, text=True, check=True
                ).stdout
            )
            report("walk only, one folder", walked["entries"], walked["seconds"], walked["peak_rss_mb"])
            config = write_config(work, huge, args.workers)
            for stale in work.glob("huge.db*"):
                stale.unlink()
            for case in ("steward scan, one folder (first)", "steward scan, one folder (no change)"):
                measured = scan_measured(config, work, timeout=None)  # a loaded machine can take hours
                if measured.exit != 0:
                    raise SystemExit(f"{case} failed ({measured.exit}): {measured.output[-2000:]}")
                report(case, args.entries, measured.seconds, measured.peak_rss_mb, tree_of(measured))
                print(f"  {summary(measured)}", flush=True)
        if args.members:
            large_inputs(work, args.members, args.workers)
        if not args.skip_hostile:
            share = build(work / "hostile" / "share")
            config = write_config(work, share.root, args.workers)
            mutator = Mutator(share.root)
            mutator.start()
            try:
                measured = scan_measured(config, work)
            finally:
                mutator.stop()
            if measured.exit != 0:
                raise SystemExit(f"hostile share scan failed ({measured.exit}): {measured.output[-2000:]}")
            hostile = "steward scan, hostile share (first)"
            report(hostile, len(share.expected), measured.seconds, measured.peak_rss_mb, tree_of(measured))
            print("hostile share cases: " + ", ".join(f"{k} {v:,}" for k, v in sorted(share.cases.items())))
            if share.refused:
                print(f"not created (the OS refused): {share.refused}")
            print(summary(measured))
            remove_tree(share.root)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, shared with other work (load average now {load}); one run each")
    finally:
        if not args.keep:
            remove_tree(work)


if __name__ == "__main__":
    main()
