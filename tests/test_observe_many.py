"""A worker's batch observed at once (``observe_many``): files whose last texts for NER are short wait, and NER
reads the waiting files' texts in one call. Every observation is the one ``observe`` gives file by file (its
detections, masked examples, keyed hashes, content hash and status), over generated trees of every kind, with a
damaged file, a vanished one and one NER cannot read among them; a scan with workers records what a scan in
one process records."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.corpus_files import write_mixed, write_small
from scanner.config import DetectionConfig, LocalSource
from scanner.crawlers.local import LocalCrawler
from scanner.detect import TieredDetector, build_detector
from scanner.detect.aggregate import Match
from scanner.pipeline import Job, observe, observe_many, observe_stream
from scanner.types import FileEntry, FileObservation, Limits, Reading, Status

KEY = b"k" * 32
READING = Reading(hash_min_size=10 << 20, hash_personal=True)  # as the shipped rules: personal files are hashed


@pytest.fixture(scope="module")
def detectors() -> Iterator[tuple[TieredDetector, TieredDetector]]:
    yield build_detector(DetectionConfig(), KEY), build_detector(DetectionConfig(), KEY)


def _entries(root: Path) -> tuple[LocalCrawler, list[FileEntry]]:
    crawler = LocalCrawler(LocalSource(id="t", kind="local", root=root))
    return crawler, sorted(crawler.iter_entries(), key=lambda e: e.path)


def _named_by_ner(observations: list[FileObservation]) -> bool:
    return any(
        d.entity == "PERSON" and "SpacyRecognizer" in (d.recognizer or "") for o in observations for d in o.detections
    )


@pytest.mark.parametrize("kind", ["small", "mixed"])
def test_batches_observe_what_files_one_by_one_observe(
    tmp_path: Path, kind: str, detectors: tuple[TieredDetector, TieredDetector]
) -> None:
    (write_small if kind == "small" else write_mixed)(tmp_path / "tree", 300 if kind == "small" else 120)
    crawler, entries = _entries(tmp_path / "tree")
    one_by_one = [observe(e, crawler, detectors[0], Limits(), READING, KEY) for e in entries]
    waited: list[int] = []
    batched: list[object] = []
    for i in range(0, len(entries), 64):
        batched += observe_many(
            entries[i : i + 64], crawler, detectors[1], Limits(), READING, KEY, started=waited.append
        )
    assert batched == one_by_one
    assert sum(len(o.detections) for o in one_by_one) > len(entries) // 4
    assert _named_by_ner(one_by_one)
    assert any(o.content_hash for o in one_by_one) and not all(o.content_hash for o in one_by_one)
    assert len(waited) > len(entries)  # files that waited for NER were taken up again


def test_trouble_in_a_batch_stays_with_its_file(
    tmp_path: Path, detectors: tuple[TieredDetector, TieredDetector]
) -> None:
    write_mixed(tmp_path / "tree", 40)
    whole = next((tmp_path / "tree").rglob("*.docx")).read_bytes()
    (tmp_path / "tree" / "damaged.docx").write_bytes(whole[: len(whole) // 2])
    crawler, entries = _entries(tmp_path / "tree")
    expected = [observe(e, crawler, detectors[0], Limits(), READING, KEY) for e in entries]
    gone = next(e for e in entries if e.path.endswith(".pdf"))
    moved = tmp_path / "elsewhere.pdf"
    shutil.move(tmp_path / "tree" / gone.path, moved)
    try:
        batched = observe_many(entries, crawler, detectors[1], Limits(), READING, KEY)
    finally:
        shutil.move(moved, tmp_path / "tree" / gone.path)
    by_path = {o.entry.path: o for o in batched}
    assert [o.entry.path for o in batched] == [e.path for e in entries]
    assert by_path["damaged.docx"].status is Status.CORRUPT
    assert by_path[gone.path].status is Status.VANISHED
    assert [o for o in batched if o.entry.path != gone.path] == [o for o in expected if o.entry.path != gone.path]


class _NerFailsTogether(TieredDetector):
    """A detector whose NER fails when asked for more than one file's texts at once (a fault that cannot be
    brought about on demand in spaCy): each file must then be read alone, with the same result."""

    def names_in(self, texts: list[str]) -> tuple[list[list[Match]], list[str]]:
        if len(texts) > 3:
            raise RuntimeError("NER failed")
        return super().names_in(texts)


def test_a_failed_ner_call_reads_each_waiting_file_alone(
    tmp_path: Path, detectors: tuple[TieredDetector, TieredDetector]
) -> None:
    write_mixed(tmp_path / "tree", 80)
    crawler, entries = _entries(tmp_path / "tree")
    expected = [observe(e, crawler, detectors[0], Limits(), READING, KEY) for e in entries]
    failing = _NerFailsTogether(DetectionConfig(), KEY)
    assert observe_many(entries, crawler, failing, Limits(), READING, KEY) == expected
    assert _named_by_ner(expected)


def test_workers_observe_what_one_process_observes(tmp_path: Path) -> None:
    write_mixed(tmp_path / "tree", 100)
    source = LocalSource(id="t", kind="local", root=tmp_path / "tree")
    job = Job(source, Limits(), DetectionConfig(), KEY, READING)
    crawler = LocalCrawler(source)
    alone = sorted(observe_stream(crawler.iter_entries(), job, 0), key=lambda o: o.entry.path)
    forked = sorted(observe_stream(crawler.iter_entries(), job, 2), key=lambda o: o.entry.path)
    assert forked == alone
    assert _named_by_ner(forked)
