"""A network mount's walk and first scan: one look and one open at a time against several
(``scanner.crawlers.local_lookers``, ``scanner.crawlers.local_prefetch``).

    PYTHONPATH=. python benchmarks/slow_walk.py                      # 5,000 files, 0.5 ms a request
    PYTHONPATH=. python benchmarks/slow_walk.py --files 20000 --delay 0.002 --rounds 3
    PYTHONPATH=. python benchmarks/slow_walk.py --part reads --delay 0.002   # first scans only

A generated small-files tree is mounted through ``benchmarks/slow_fs.py`` (FUSE, each request answered after
``--delay`` seconds; needs ``/dev/fuse``, Debian's ``fuse3`` and ``libfuse2``, and fusepy:
``pip install --no-deps --require-hashes -r requirements/evaluation.txt``).
Two trees: the small-files corpus (folders of 100 files) and one of case folders of five files each. For each,
alternated ``--rounds`` times in one run: the local crawler's walk alone with ``walk_threads: 1`` and with the
default; then, after a first scan of each into its own store, ``steward scan``'s no-change re-scan of the mount with
each (its walk and rule evaluation, from the scan's log, and the whole command). Those mounts never cache a file's
attributes, as a mount whose attribute cache expired overnight. Then first scans (names off), whose workers open and
read every file: the small-files tree mounted again with attributes cached for 3 s (NFS's shortest attribute cache),
each scan into a fresh store with ``read_threads: 1`` and with the default, alternated ``--rounds`` times, beside
the same scan of the tree on the local disk. The file system's daemon is Python on the same cores, and its CPU is
printed beside the scan's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.corpus_files import write_small
from benchmarks.scan import steward_scan
from scanner.config import LocalSource
from scanner.crawlers.local import LocalCrawler

HERE = Path(__file__).resolve().parent
DEFAULT_THREADS = LocalSource.model_fields["walk_threads"].default
DEFAULT_READS = LocalSource.model_fields["read_threads"].default
ATTRIBUTES_CACHED = 3.0  # seconds a mount keeps a file's attributes for the first-scan comparison (NFS acregmin)


def write_cases(root: Path, files: int) -> None:
    """``files`` small text files, five to a case folder, a hundred cases to a service: a tree of small folders."""
    for i in range(files):
        folder = root / f"Service {i // 500:02d}" / f"Case {i // 5:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note {i % 5}.txt").write_text(f"Case note {i}: seen at the office, nothing further.\n")


def walk_seconds(root: Path, threads: int) -> tuple[int, float]:
    crawler = LocalCrawler(LocalSource(id="w", kind="local", root=root, walk_threads=threads))
    started = time.perf_counter()
    count = sum(1 for _ in crawler.iter_compact())
    return count, time.perf_counter() - started


def mount(source: Path, mountpoint: Path, delay: float, attributes: float = 0.0) -> subprocess.Popen[bytes]:
    mountpoint.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(HERE / "slow_fs.py"), str(source), str(mountpoint), str(delay), str(attributes)]
    proc = subprocess.Popen(command)
    for _ in range(100):
        if os.path.ismount(mountpoint):
            return proc
        if proc.poll() is not None:
            raise SystemExit("the slow file system could not be mounted (see its error above)")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the slow file system was not mounted on {mountpoint} within 10 s")


def config(work: Path, name: str, root: Path, threads: int, reads: int = DEFAULT_READS) -> Path:
    path = work / f"{name}.yaml"
    source = {"id": "mount", "kind": "local", "root": str(root), "walk_threads": threads, "read_threads": reads}
    store = {"database": f"sqlite:///{work / name}.db", "hash_key": "benchmark", "sources": [source]}
    path.write_text(yaml.safe_dump({**store, "scan": {"workers": 2}, "detection": {"names": False}}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--delay", type=float, default=0.0005, help="seconds each request waits")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep it (the tree is reused)")
    parser.add_argument("--part", choices=("walk", "reads", "both"), default="both", help="walks, first scans or both")
    args = parser.parse_args()
    if not os.path.exists("/dev/fuse") or shutil.which("fusermount") is None:
        raise SystemExit("this benchmark needs /dev/fuse and fusermount (Debian: apt-get install fuse3 libfuse2)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="steward-slow-walk-"))
    print(f"{args.files:,} files through FUSE, {args.delay * 1000:g} ms a request; {os.cpu_count()} cores")
    mounts: list[tuple[Path, subprocess.Popen[bytes]]] = []
    try:
        for shape, write in (("folders of 100 files", write_small), ("case folders of 5 files", write_cases)):
            tree, mounted = work / f"{write.__name__}-{args.files}", work / f"mount-{write.__name__}"
            if not tree.exists():
                write(tree, args.files)
            if args.part == "reads":
                continue
            mounts.append((mounted, mount(tree, mounted, args.delay)))
            print(f"{shape}:")
            compare(work / write.__name__, mounted, args.rounds)
        if args.part == "walk":
            return
        tree, mounted = work / f"write_small-{args.files}", work / "mount-cached"
        fs = mount(tree, mounted, args.delay, ATTRIBUTES_CACHED)
        mounts.append((mounted, fs))
        print(f"folders of 100 files, attributes cached {ATTRIBUTES_CACHED:g} s, first scans (names off):")
        compare_reads(work / "reads", tree, mounted, args.rounds, args.files, fs.pid)
    finally:
        for mounted, fs in mounts:
            subprocess.run(["fusermount", "-u", str(mounted)], check=False)
            fs.wait(timeout=10)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def compare(work: Path, mounted: Path, rounds: int) -> None:
    """The walk alone and the no-change re-scan, one look at a time against the default threads, alternated."""
    work.mkdir(exist_ok=True)
    walk_seconds(mounted, DEFAULT_THREADS)  # the kernel learns every entry (kept an hour); attributes never
    threads = {"one at a time": 1, f"{DEFAULT_THREADS} threads": DEFAULT_THREADS}
    walks: dict[str, list[float]] = {tag: [] for tag in threads}
    for _ in range(rounds):
        for tag, n in threads.items():
            count, seconds = walk_seconds(mounted, n)
            walks[tag].append(seconds)
            print(f"  walk alone, {tag:<14} {seconds:7.2f} s  {count / seconds:9,.0f} files/s", flush=True)
    configs = {tag: config(work, f"steward-{n}", mounted, n) for tag, n in threads.items()}
    for tag, path in configs.items():
        first = steward_scan(path, HERE.parent)
        print(f"  first scan, {tag:<14} {first.seconds:7.2f} s (walk {first.walk} s): {first.summary}", flush=True)
    rescans: dict[str, list[float]] = {tag: [] for tag in threads}
    for _ in range(rounds):
        for tag, path in configs.items():
            again = steward_scan(path, HERE.parent)
            assert again.walk is not None, "the scan's log gave no walk time"
            rescans[tag].append(again.walk)
            print(
                f"  no-change re-scan, {tag:<14} {again.seconds:7.2f} s"
                f" (walk {again.walk:.2f} s, rules {again.rules} s)",
                flush=True,
            )
    one, many = threads
    print("  medians, one at a time against threads:")
    for label, figures in (("walk alone", walks), ("re-scan walk", rescans)):
        slow, fast = statistics.median(figures[one]), statistics.median(figures[many])
        print(f"    {label:<13} {slow:7.2f} s against {fast:7.2f} s: {slow / fast:5.2f}x")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a running process (the file system's daemon)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare_reads(work: Path, tree: Path, mounted: Path, rounds: int, files: int, daemon: int) -> None:
    """First scans of the mount, one open at a time against the default threads, alternated; each into a fresh
    store; the same scan of the tree on the local disk once a round. The kernel learns every entry first: libfuse 2
    has the kernel look names up one at a time in a folder (no parallel lookups, which NFS has), which would make
    a first walk of a fresh mount wait on that rather than on what is measured here, the workers' reads."""
    work.mkdir(exist_ok=True)
    walk_seconds(mounted, DEFAULT_THREADS)
    runs = {
        "one at a time": (mounted, 1),
        f"{DEFAULT_READS} threads": (mounted, DEFAULT_READS),
        "local disk": (tree, 0),
    }
    seconds: dict[str, list[float]] = {tag: [] for tag in runs}
    for n in range(rounds):
        for tag, (root, reads) in runs.items():
            name = f"first-{reads}-{n}"
            path = config(work, name, root, DEFAULT_THREADS, reads or DEFAULT_READS)
            served = cpu_seconds(daemon)
            first = steward_scan(path, HERE.parent)
            served = cpu_seconds(daemon) - served
            for store in work.glob(f"{name}.db*"):
                store.unlink()
            seconds[tag].append(first.seconds)
            print(
                f"  first scan, {tag:<14} {first.seconds:7.2f} s (walk {first.walk} s)"
                f" {files / first.seconds:7,.0f} files/s, CPU {first.cpu:6.2f} s (the file system's {served:5.2f} s)",
                flush=True,
            )
    one, many, local = (statistics.median(seconds[tag]) for tag in runs)
    print(f"  medians: one at a time {one:.2f} s, threads {many:.2f} s ({one / many:.2f}x), local disk {local:.2f} s")


if __name__ == "__main__":
    main()
