"""A worker observes a batch of files together, reading the names NER is still to find in their last texts in one
call: each file's observation is the one it gets read alone (detections, identifiers, columns, content hash,
status), and a file that fails still fails alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.corpus_files import write_mixed, write_small
from scanner.config import LocalSource
from scanner.crawlers.local import LocalCrawler
from scanner.detect import TieredDetector
from scanner.pipeline import observe, observe_batch
from scanner.types import Limits, Reading, Status
from tests.test_detect_api import cached_detector

KEY = b"k" * 32
READING = Reading(hash_personal=True)  # a content hash for files holding personal data: known only after NER


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of texts in each call of NER from here on (the real NER runs)."""
    calls: list[int] = []
    real = TieredDetector.ner

    def counted(self: TieredDetector, texts: list[str]) -> Any:
        if texts:
            calls.append(len(texts))
        return real(self, texts)

    monkeypatch.setattr(TieredDetector, "ner", counted)
    return calls


@pytest.mark.parametrize("kind", ["mixed", "small"])
def test_a_batch_gives_each_file_the_observation_it_gets_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    (write_mixed if kind == "mixed" else write_small)(tmp_path, 300 if kind == "mixed" else 1500)
    detector = cached_detector()
    assert isinstance(detector, TieredDetector)
    crawler = LocalCrawler(LocalSource(id="t", kind="local", root=tmp_path))
    entries = list(crawler.iter_entries())
    calls = _calls(monkeypatch)

    detector.forget()
    alone = [observe(e, crawler, detector, Limits(), READING, KEY) for e in entries]
    calls_alone = len(calls)
    detector.forget()
    together = []
    for at in range(0, len(entries), 64):
        together += observe_batch(entries[at : at + 64], crawler, detector, Limits(), READING, KEY)

    assert together == alone
    assert sum(1 for o in alone if any(d.entity == "PERSON" for d in o.detections)) > len(entries) // 10
    assert sum(1 for o in alone if o.content_hash) > len(entries) // 4
    assert 0 < len(calls) - calls_alone < calls_alone / 2  # the same names, read in fewer calls


def test_a_file_that_fails_in_a_batch_fails_alone(tmp_path: Path) -> None:
    write_mixed(tmp_path, 40)
    broken = sorted(tmp_path.rglob("*.docx"))[0]
    broken.write_bytes(broken.read_bytes()[:300])  # a zip cut short
    detector = cached_detector()
    assert isinstance(detector, TieredDetector)
    crawler = LocalCrawler(LocalSource(id="t", kind="local", root=tmp_path))
    entries = list(crawler.iter_entries())
    started: list[int] = []

    found = observe_batch(entries, crawler, detector, Limits(), READING, KEY, started.append)

    assert [o.entry.path for o in found] == [e.path for e in entries]
    by_path = {o.entry.path: o for o in found}
    assert by_path[broken.relative_to(tmp_path).as_posix()].status is Status.CORRUPT
    assert sum(1 for o in found if o.status is Status.OK) == len(entries) - 1
    assert started[: len(entries)] == list(range(len(entries)))  # each file was begun in turn
