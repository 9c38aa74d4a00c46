"""Does `extract.ocr: off` scan as fast as Steward did before OCR? CPU seconds of `steward scan` on one tree.

The tree mixes what a share holds: text notes (benchmarks/scan.py's), born-digital PDFs with an author property,
and small photos with EXIF (GPS, artist). The same tree is scanned into a fresh SQLite store, alternately, by
this checkout with `extract.ocr: off` and by a baseline checkout (a source tree of Steward before OCR, e.g.
`git archive <commit> | tar -x -C /tmp/base`), each `--rounds` times, one worker, and the CPU seconds (user +
system, the scan process and its children) are compared. CPU rather than wall time because the machine may be
shared.

    PYTHONPATH=. python benchmarks/ocr_off.py --baseline /tmp/base --files 2000
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from PIL import Image

from benchmarks.scan import make_tree
from scanner.samples.office import pdf_bytes


def make_share(root: Path, files: int) -> None:
    notes = files * 7 // 10
    make_tree(root, notes)
    import pypdf

    for i in range(files - notes):
        folder = root / "Scans and photos" / f"Batch {i // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 3 < 2:
            writer = pypdf.PdfWriter()
            writer.append(_bytes_io(pdf_bytes([f"Report {i}. Highway works agreed for ward {i % 20}."])))
            writer.add_metadata({"/Author": "Grace Adeyemi"})
            writer.write(folder / f"report {i:05d}.pdf")
        else:
            exif = Image.Exif()
            exif[0x013B] = "Tomasz Nowak"
            exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 24.0, 36.0), 3: "W", 4: (1.0, 30.0, 18.0)})
            Image.new("RGB", (200, 150), (90, 120, 60)).save(folder / f"site {i:05d}.jpg", "JPEG", exif=exif)


def _bytes_io(data: bytes) -> object:
    import io

    return io.BytesIO(data)


def scan_cpu(src: Path, share: Path, work: Path, extract: dict[str, object] | None) -> tuple[float, float]:
    """CPU and wall seconds of one `steward scan` of ``share`` by the checkout at ``src``."""
    store = work / "steward.db"
    store.unlink(missing_ok=True)
    config: dict[str, object] = {
        "database": f"sqlite:///{store}",
        "hash_key": "bench-key",
        "sources": [{"id": "share", "kind": "local", "root": str(share)}],
        "scan": {"workers": 1},
    }
    if extract is not None:
        config["extract"] = extract
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "inventory", "scan", "--config", str(path)],
        check=True,
        capture_output=True,
        cwd=src,
        env={**os.environ, "PYTHONPATH": str(src)},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="source tree of Steward before OCR")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="steward-ocr-off-") as tmp:
        share, work = Path(tmp) / "share", Path(tmp)
        make_share(share, args.files)
        variants: tuple[tuple[str, Path, dict[str, object] | None], ...] = (
            ("baseline", args.baseline, None),
            ("ocr off, metadata off", here, {"ocr": "off", "metadata": False}),
            ("ocr off", here, {"ocr": "off"}),
            ("ocr auto", here, {"ocr": "auto"}),
        )
        totals = {label: [0.0, 0.0] for label, _, _ in variants}
        for _ in range(args.rounds):
            for label, src, extract in variants:
                cpu, wall = scan_cpu(src, share, work, extract)
                totals[label][0] += cpu
                totals[label][1] += wall
    print(f"{args.files} files (70% text notes, 20% PDFs with an author, 10% photos with EXIF), {args.rounds} rounds")
    base = totals["baseline"][0]
    for label, (cpu, wall) in totals.items():
        print(
            f"  {label:9s} {cpu / args.rounds:7.1f} CPU s per scan ({wall / args.rounds:6.1f} s wall)  "
            f"ratio to baseline {cpu / base:.2f}"
        )


if __name__ == "__main__":
    main()
