"""Worker CPU per file: the content work of a first scan (open, identify, extract, detect, names of the file and
its folders) over a generated tree, in this process, as one worker does it.

    PYTHONPATH=. python benchmarks/observe.py --files 10000              # small files, names off
    PYTHONPATH=. python benchmarks/observe.py --files 10000 --names      # names on
    PYTHONPATH=/path/to/other/checkout python benchmarks/observe.py ...  # the same with another checkout's code

The tree (``benchmarks/corpus_files.write_small``, or ``write_mixed`` with ``--corpus mixed``) is written once
under ``--root`` and reused. The detector is built and warmed first, as the scan process does before forking
its workers; then every file is observed (``scanner.pipeline._observe_job``) and the CPU time of that loop
(``time.process_time``) is printed per file. Run two checkouts alternately and compare the figures of one
session: the machine's load moves each run's figure by several per cent.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from scanner.config import DetectionConfig, LocalSource
from scanner.crawlers.local import LocalCrawler
from scanner.pipeline import Job, _detector, _observe_job
from scanner.types import Limits


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU per file of one worker's content work, in this process.")
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--corpus", choices=("small", "mixed"), default="small")
    parser.add_argument("--names", action="store_true", help="names on (default off)")
    parser.add_argument("--root", type=Path, default=None, help="tree to read (written when missing)")
    args = parser.parse_args()
    root = (args.root or Path(f"/tmp/steward-observe-{args.corpus}-{args.files}")).resolve()
    if not root.exists():
        from benchmarks.corpus_files import write_mixed, write_small

        (write_small if args.corpus == "small" else write_mixed)(root, args.files)
    source = LocalSource(id="bench", kind="local", root=root)
    job = Job(source, Limits(), DetectionConfig(names=args.names), b"k" * 32)
    _detector(job.detection, job.hash_key)
    crawler = LocalCrawler(source)
    entries = list(crawler.iter_entries())
    found = 0
    start = time.process_time()
    for entry in entries:
        found += len(_observe_job(entry, crawler, job).detections)
    spent = time.process_time() - start
    names = "on" if args.names else "off"
    print(f"{len(entries)} files, names {names}: {spent * 1000 / len(entries):.3f} ms CPU per file, {found} detections")


if __name__ == "__main__":
    main()
