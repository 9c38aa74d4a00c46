"""Builds presidio explicitly and offline: the configured spaCy pipeline (or none), Steward's recognizers,
the council's YAML recognizers and deny entries, and the window context enhancer.

Never ``AnalyzerEngine()`` with no arguments: it downloads en_core_web_lg at run time.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, NlpEngine, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from scanner.config import DetectionConfig
from scanner.detect import rules
from scanner.detect.context import WindowContextEnhancer
from scanner.detect.metadata import ENTITIES as METADATA_ENTITIES
from scanner.detect.metadata import metadata_recognizers
from scanner.detect.uk import uk_recognizers
from scanner.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger(__name__)

NER_MODEL_CONFIGURATION = {
    "model_to_presidio_entity_mapping": {
        "PERSON": "PERSON",
        "PER": "PERSON",
        "GPE": "LOCATION",
        "LOC": "LOCATION",
        "FAC": "LOCATION",
        "DATE": "DATE_TIME",
        "TIME": "DATE_TIME",
        "NORP": "NRP",
        "ORG": "ORGANIZATION",
    },
    "labels_to_ignore": [
        "ORGANIZATION",
        "CARDINAL",
        "EVENT",
        "LANGUAGE",
        "LAW",
        "MONEY",
        "ORDINAL",
        "PERCENT",
        "PRODUCT",
        "QUANTITY",
        "WORK_OF_ART",
    ],
    "low_confidence_score_multiplier": 0.4,
}
# Entities reported; presidio's noise entities (DATE_TIME, URL, NRP, LOCATION, US_*, ORGANIZATION) are not.
REPORTED = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "UK_NHS",
    "UK_NINO",
    "UK_POSTCODE",
    "UK_PASSPORT",
    "UK_DRIVING_LICENCE",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "UK_BANK_ACCOUNT",
    "UK_UPN",
    "DATE_OF_BIRTH",
    "UK_ADDRESS",
    *METADATA_ENTITIES,
)


@functools.cache
def offline_tldextract() -> None:
    """Pin tldextract (used by presidio's e-mail recognizer) to its bundled suffix list: no download."""
    import tldextract
    import tldextract.tldextract as _tld

    _tld.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    _tld.TLD_EXTRACTOR("warm.example.co.uk")  # builds the suffix trie now, not on the first e-mail


class BlankNlpEngine(SpacyNlpEngine):
    """A tokenizer-only English pipeline: pattern-only mode needs no model on disk and downloads nothing."""

    def load(self) -> None:
        import spacy

        self.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]  # presidio declares it as None


# Components of spaCy's trained pipelines that do not feed NER: not loaded at all (they would only be disabled).
NOT_FOR_NAMES = ("tagger", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer", "trainable_lemmatizer")


def ner_pipeline(model: str) -> Language:
    """The installed pipeline ``model`` with only what its NER reads: ``ner``, and ``tok2vec`` only when ``ner``
    listens to it. The English pipelines give NER a tok2vec layer of its own, so the shared ``tok2vec`` (read by
    the tagger and parser) would be computed and never used; the entities are the same without it.

    The pipeline's matrix products go to numpy's BLAS, one thread (``_numpy_blas``), not to BLIS."""
    import spacy

    nlp = spacy.load(model, exclude=[*NOT_FOR_NAMES, *(("tokenizer",) if _tokenizer_is_default(model) else ())])
    nlp.select_pipes(enable=[p for p in ("tok2vec", "ner") if p in nlp.pipe_names])
    if "tok2vec" in nlp.pipe_names and "ner" in nlp.pipe_names:
        listeners = getattr(nlp.get_pipe("tok2vec"), "listening_components", ["ner"])
        if not listeners:
            nlp.remove_pipe("tok2vec")
        elif "ner" not in listeners:
            nlp.disable_pipe("tok2vec")
    _numpy_blas(nlp)
    return nlp


# (spaCy version, SHA-256 of a pipeline's saved tokenizer) where that tokenizer is the one spaCy builds for the
# language from its defaults (checked byte for byte by tests/test_detect_ner_pipeline.py).
DEFAULT_TOKENIZERS = frozenset(
    {("3.8.18", "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467")}  # en_core_web_sm 3.8.0
)


def saved_tokenizer(model: str) -> tuple[str, str] | None:
    """(spaCy's version, the digest of the installed pipeline ``model``'s saved tokenizer), None when ``model``
    is not an installed pipeline package with one."""
    try:
        spec = importlib.util.find_spec(model)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for path in Path(location).glob("*/tokenizer"):
            return metadata.version("spacy"), hashlib.sha256(path.read_bytes()).hexdigest()
    return None


def _tokenizer_is_default(model: str) -> bool:
    """Whether ``model``'s saved tokenizer is the one its language's defaults build: loading the pipeline then
    skips reading it, which would build the tokenizer's 2,700 special cases a second time (a third of the load)."""
    return saved_tokenizer(model) in DEFAULT_TOKENIZERS


def _numpy_blas(nlp: Language) -> None:
    """``nlp``'s layers multiply with numpy's BLAS, on one thread in this process and the workers forked from it.

    thinc multiplies with BLIS by default, whose wheels choose their kernels by CPU model and fall back to
    reference kernels on a model they do not know (an AMD EPYC of the Zen 4 generation: a product of NER's
    sizes three to four times slower); numpy's OpenBLAS chooses by instruction set. The entities found are the
    same. OpenBLAS would otherwise run NER-sized products on a thread per core, where each worker is already a
    process of its own: one process observing 2,000 documents so spent twice the CPU (``docs/performance.md``)."""
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_limits

    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for layer in model.walk() if model is not None else ():
            layer.ops = ops
    threadpool_limits(limits=1, user_api="blas")


class NerNlpEngine(SpacyNlpEngine):
    """presidio's spaCy engine over ``ner_pipeline``: never downloads (the model was checked to be installed)."""

    def load(self) -> None:
        self.nlp = {"en": ner_pipeline(self.models[0]["model_name"])}  # type: ignore[assignment]  # declared None


@dataclass(frozen=True, slots=True)
class Engine:
    analyzer: AnalyzerEngine
    nlp_engine: NlpEngine
    ner: bool  # a real pipeline with NER is loaded
    recognizers: tuple[EntityRecognizer, ...]
    custom_rules: tuple[tuple[str, str], ...]  # (entity, regex) from recognizers.yaml and deny entries
    allowlist: rules.AllowListFile | None
    model: str
    rule_files: dict[str, str]  # path -> sha256 prefix
    nlp: Language | None = None  # the spaCy pipeline NER runs on (``ner_pipeline``), when loaded

    def cheap_artifacts(self) -> NlpArtifacts:
        """Artifacts with no tokens: pattern recognizers and the window context enhancer need none."""
        from spacy.tokens import Doc
        from spacy.vocab import Vocab

        return NlpArtifacts(
            entities=[], tokens=Doc(Vocab()), tokens_indices=[], lemmas=[], nlp_engine=self.nlp_engine, language="en"
        )


def _nlp_engine(model: str) -> tuple[NlpEngine, bool]:
    if model == "none":
        engine: NlpEngine = BlankNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
        engine.load()
        return engine, False
    import spacy

    if not (spacy.util.is_package(model) or Path(model).exists()):
        raise ConfigError(
            f"detection.spacy_model: '{model}' is not an installed spaCy pipeline or a model directory "
            "(nothing is downloaded at run time; install it, or use 'none' for pattern-only detection)"
        )
    engine = NerNlpEngine(
        models=[{"lang_code": "en", "model_name": model}],
        ner_model_configuration=NerModelConfiguration.from_dict(NER_MODEL_CONFIGURATION),
    )
    engine.load()
    return engine, True


def build_engine(settings: DetectionConfig) -> Engine:
    offline_tldextract()
    ner_wanted = settings.names and settings.spacy_model != "none"
    nlp_engine, ner = _nlp_engine(settings.spacy_model if ner_wanted else "none")
    recognizers: list[EntityRecognizer] = [*uk_recognizers(), *metadata_recognizers()]
    custom: list[tuple[str, str]] = []
    rule_files: dict[str, str] = {}
    for path in (settings.recognizers_file,):
        if path is None:
            continue
        spec_file = rules.load_recognizers(Path(path))
        rule_files[str(path)] = rules.file_digest(Path(path))
        for spec in spec_file.recognizers:
            recognizers.append(rules.YamlPatternRecognizer(spec))
            custom += [(spec.entity, ("" if spec.case_sensitive else "(?i)") + p.regex) for p in spec.patterns]
    allowlist = None
    if settings.allowlist_file is not None:
        allowlist = rules.load_allowlist(Path(settings.allowlist_file))
        rule_files[str(settings.allowlist_file)] = rules.file_digest(Path(settings.allowlist_file))
        for rec in rules.deny_recognizers(allowlist, Path(settings.allowlist_file)):
            recognizers.append(rec)
            custom += [(rec.supported_entities[0], "(?i)" + p.regex) for p in recognizer_patterns(rec)]
    if ner:
        recognizers.append(SpacyRecognizer(supported_entities=["PERSON"]))
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=["en"])
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=["en"],
        default_score_threshold=settings.score_threshold,
        context_aware_enhancer=WindowContextEnhancer(before=settings.context_chars, after=20),
    )
    log.debug("detection engine built: model=%s, %d recognizers", settings.spacy_model, len(recognizers))
    return Engine(
        analyzer=analyzer,
        nlp_engine=nlp_engine,
        ner=ner,
        recognizers=tuple(recognizers),
        custom_rules=tuple(custom),
        allowlist=allowlist,
        model=settings.spacy_model if ner else "none",
        rule_files=rule_files,
        nlp=nlp_engine.nlp["en"] if ner else None,  # type: ignore[attr-defined]
    )


def recognizer_name(rec: EntityRecognizer) -> str:
    name: str = rec.name  # type: ignore[has-type]  # set in presidio's __init__ branches mypy cannot follow
    return name


def recognizer_patterns(rec: PatternRecognizer) -> list[Pattern]:
    patterns: list[Pattern] = rec.patterns  # type: ignore[has-type]  # as above
    return patterns


def versions() -> dict[str, str]:
    out = {}
    for dist in ("presidio-analyzer", "spacy", "python-stdnum", "phonenumbers", "google-re2"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def model_version(engine: Engine) -> str | None:
    if not engine.ner:
        return None
    meta = engine.nlp_engine.nlp["en"].meta  # type: ignore[attr-defined]
    return f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"
