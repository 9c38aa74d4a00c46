"""Personal-data detection: the only package that imports presidio and spaCy.

    detector: Detector = build_detector(settings.detection, hash_key)   # once per process
    result = detector.detect(chunks)                          # per file; consumes a stream of chunks
    result.detections, result.special_category, result.marking, detector.provenance

Raw matched values never leave this package: results hold masked examples, counts, scores, locators and (with
a hash key) HMAC-SHA256 hex digests.
"""

from __future__ import annotations

# First: spaCy without its command line, then presidio without compiling its own patterns twice.
from scanner.detect import presidio_import, spacy_cli  # noqa: F401
from scanner.detect.detector import TieredDetector, build_detector
from scanner.detect.protocol import Detector
from scanner.detect.result import DetectResult
from scanner.detect.tables import ColumnSample

__all__ = ["ColumnSample", "DetectResult", "Detector", "TieredDetector", "build_detector"]
