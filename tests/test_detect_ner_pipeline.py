"""The NER pipeline loaded with only what NER reads (``ner_pipeline``), multiplying with numpy's BLAS, finds
exactly what the whole installed pipeline with ``tok2vec`` and ``ner`` enabled, multiplying with BLIS, found:
every entity of every text, and every detection, score, locator, masked example and keyed hash, file by file,
over generated trees of every kind. spaCy is imported without its command line, which still works."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from threadpoolctl import threadpool_info

from benchmarks.corpus_files import write_mixed, write_small
from scanner.config import DetectionConfig
from scanner.detect import TieredDetector, build_detector
from scanner.detect.engine import DEFAULT_TOKENIZERS, ner_pipeline, saved_tokenizer
from scanner.extractors import for_mime
from scanner.identify import identify
from scanner.types import Chunk, Limits

MODEL = DetectionConfig().spacy_model


def _chunks(path: Path) -> list[Chunk]:
    with path.open("rb") as fh:
        extract = for_mime(identify(fh, path.name).mime)
        return list(extract(fh, Limits())) if extract else []


def _whole_pipeline() -> spacy.language.Language:
    """The pipeline as it was loaded before: every component, then all but tok2vec and ner disabled."""
    nlp = spacy.load(MODEL)
    nlp.select_pipes(enable=[p for p in ("tok2vec", "ner") if p in nlp.pipe_names])
    return nlp


def _with_pipeline(detector: TieredDetector, nlp: spacy.language.Language) -> TieredDetector:
    detector.engine = dataclasses.replace(detector.engine, nlp=nlp)
    return detector


def test_ner_pipeline_holds_only_ner() -> None:
    nlp = ner_pipeline(MODEL)
    assert nlp.pipe_names == ["ner"]  # the English pipeline's NER has a tok2vec layer of its own
    assert "tok2vec" in _whole_pipeline().pipe_names


def test_ner_pipeline_multiplies_with_numpy_on_one_thread() -> None:
    nlp = ner_pipeline(MODEL)
    assert all(getattr(layer.ops, "use_blis", None) is False for layer in nlp.get_pipe("ner").model.walk())
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)  # each worker is a process of its own


def test_spacy_is_imported_without_its_command_line_which_still_works() -> None:
    script = (
        "import sys, scanner.detect, spacy\n"
        "print('typer' in sys.modules, 'spacy.cli.download' in sys.modules)\n"
        "from spacy.cli import download\n"
        "print(callable(download), spacy.cli.__name__, 'typer' in sys.modules)\n"
        "print('ner' in spacy.info(MODEL_NAME, silent=True)['pipeline'])\n"
    ).replace("MODEL_NAME", repr(MODEL))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines() == ["False False", "True spacy.cli True", "True"]


@pytest.mark.parametrize("kind", ["small", "mixed"])
def test_ner_pipeline_finds_what_the_whole_pipeline_found(tmp_path: Path, kind: str) -> None:
    (write_small if kind == "small" else write_mixed)(tmp_path, 300 if kind == "small" else 60)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    texts = [c.text for path in files for c in _chunks(path)]
    new, old = ner_pipeline(MODEL), _whole_pipeline()

    def entities(nlp: spacy.language.Language) -> list[list[tuple[int, int, str]]]:
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=64)]

    found = entities(new)
    assert found == entities(old)
    assert sum(1 for ents in found for e in ents if e[2] == "PERSON") > len(files) // 10  # not vacuous

    settings = DetectionConfig()
    now = build_detector(settings, hash_key=b"k")
    before = _with_pipeline(build_detector(settings, hash_key=b"k"), old)
    names = 0
    for path in files:
        chunks = _chunks(path)
        a, b = now.detect(chunks), before.detect(chunks)
        assert a == b, path.name
        names += a.entities().get("PERSON", 0)
    assert names > 0


def test_the_pipeline_loads_without_reading_a_tokenizer_its_defaults_build() -> None:
    """The shipped pipeline's saved tokenizer is known to be the one spaCy builds from the English defaults, so
    loading skips it; the tokenizer so built is, byte for byte, the one the whole load reads from disk."""
    assert ner_pipeline(MODEL).tokenizer.to_bytes() == spacy.load(MODEL).tokenizer.to_bytes()
    assert saved_tokenizer("scanner") is None and saved_tokenizer("no_such_pipeline") is None
    installed = saved_tokenizer(MODEL)
    assert installed is not None
    if installed[0] not in {version for version, _ in DEFAULT_TOKENIZERS}:
        pytest.skip(f"spaCy {installed[0]}: its pipeline loads the saved tokenizer until the pair is recorded")
    assert installed in DEFAULT_TOKENIZERS
