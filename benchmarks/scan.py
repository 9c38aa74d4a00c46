"""Crawl and re-scan speed, and peak memory, on a generated tree of small files.

    python benchmarks/scan.py                 # 100,000 files (about 10% holding personal data)
    python benchmarks/scan.py --files 20000 --keep /tmp/bench

Prints files/s for the first scan (content read and detected) and for a no-change re-scan, and the peak
resident memory of the whole scan (the main process plus its workers, sampled from /proc).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml


def make_tree(root: Path, files: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    per_folder = 100
    for i in range(files):
        folder = root / f"Service {i // 10_000:02d}" / f"Team {i // 1_000 % 10}" / f"Case {i // per_folder % 10}"
        if i % per_folder == 0:
            folder.mkdir(parents=True, exist_ok=True)
        if rng.random() < 0.1:
            body = f"Contact case.worker{i}@example.co.uk about case {i}, client NHS number 943 476 5919.\n"
        else:
            body = f"Minutes of meeting {i}. Actions agreed on budget line {rng.randint(1000, 9999)}.\n"
        (folder / f"note {i:06d}.txt").write_text(body)


def tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def timed_scan(config: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inventory", "scan", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = 0

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"scan failed ({proc.returncode}): {out}")
    return time.perf_counter() - started, peak, out.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=0, help="content workers (0 = one per core)")
    parser.add_argument(
        "--names",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="person-name recognition during the first scan",
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="steward-bench-"))
    root = work / "tree"
    try:
        if not root.exists():
            t = time.perf_counter()
            make_tree(root, args.files)
            print(f"generated {args.files:,} files in {time.perf_counter() - t:.1f} s")
        db = work / "steward.db"
        for stale in work.glob("steward.db*"):
            stale.unlink()
        config = work / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "database": f"sqlite:///{db}",
                    "hash_key": "benchmark",
                    "sources": [{"id": "tree", "kind": "local", "root": str(root)}],
                    "scan": {"workers": args.workers},
                    "detection": {"names": args.names},
                }
            )
        )
        for label in ("first scan:    ", "no-change scan:"):
            seconds, rss, summary = timed_scan(config)
            rate = args.files / seconds
            print(f"{label} {seconds:8.1f} s  {rate:10,.0f} files/s  peak RSS {rss / 1024:6.0f} MB\n    {summary}")
        print(f"store: {db.stat().st_size / 1e6:.0f} MB; machine: {os.cpu_count()} cores")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
