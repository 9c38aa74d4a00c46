"""The only module that knows the order of the stages: open -> identify -> extract -> detect.

``observe`` turns one entry into one observation and never raises: every problem becomes a status.
``observe_stream`` runs ``observe`` over a stream of entries in the worker pool (``scanner.workers``), with a
bounded number of batches in flight so memory stays flat whatever the size of the tree.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import itertools
import logging
import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeGuard

from scanner import extractors, loader
from scanner.config import DetectionConfig
from scanner.crawlers import crawler_for
from scanner.crawlers.base import Crawler
from scanner.errors import ItemError, Timeout
from scanner.extractors.metadata import DocumentAuthors
from scanner.extractors.notes import collecting
from scanner.extractors.ocr import recording as ocr_recording
from scanner.identifiers import in_file_name
from scanner.identify import identify
from scanner.principals import principal_digest
from scanner.types import Chunk, ColumnRead, FileEntry, FileObservation, Limits, OcrFacts, Reading, Status
from scanner.workers import pool_for

if TYPE_CHECKING:
    from scanner.detect.aggregate import Match
    from scanner.detect.protocol import Detector, Later
    from scanner.detect.result import DetectResult

log = logging.getLogger(__name__)


NOTHING_MORE = Reading()  # no content hash, no keywords


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to build its own crawler and detector (picklable)."""

    source: Any
    limits: Limits
    detection: DetectionConfig
    hash_key: bytes | None
    reading: Reading = NOTHING_MORE


class deadline:  # lower case: used as a function, ``with deadline(seconds):``
    """Interrupt the work inside after ``seconds`` with Timeout (main thread only; elsewhere no limit).

    A library that catches every exception could swallow the interruption and carry on to a result, so the
    expiry is also checked when the work ends: a file that ran out of time is a timeout either way. A class
    rather than a generator-based context manager: it is entered once per file.
    """

    __slots__ = ("armed", "expired", "previous", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.armed = False
        self.previous: Any = None

    def __enter__(self) -> None:
        if self.seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return
        self.previous = signal.signal(signal.SIGALRM, self._expire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.armed = True

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if not self.armed:
            return
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        if self.expired and kind is None:  # an exception already on its way (the Timeout itself) goes on
            raise Timeout(self._message())

    def _expire(self, signum: int, frame: object) -> None:
        self.expired = True
        raise Timeout(self._message())

    def _message(self) -> str:
        return f"content work exceeded {self.seconds:g} s"


@cache
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    words = sorted({k.lower() for k in keywords}, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


class _Counted:
    """Passes chunks through, counting them, noting rule keywords and stopping at the per-file text limit."""

    def __init__(self, chunks: Iterable[Chunk], max_chars: int, keywords: tuple[str, ...] = ()) -> None:
        self.chunks, self.max_chars = chunks, max_chars
        self.count = self.chars = 0
        self.truncated = False
        self.pattern, self.wanted = _keyword_pattern(keywords), len(set(k.lower() for k in keywords))
        self.found: set[str] = set()

    def done(self) -> None:
        """Let the chunks' source go (an extractor holds its parsed document until it is closed): a file waiting
        for NER keeps only the counts."""
        self.chunks = ()

    def __iter__(self) -> Iterator[Chunk]:
        for chunk in self.chunks:
            if self.chars >= self.max_chars:
                self.truncated = True
                return
            self.count += 1
            self.chars += len(chunk.text)
            if self.pattern is not None and len(self.found) < self.wanted:
                self.found.update(" ".join(m.group(0).lower().split()) for m in self.pattern.finditer(chunk.text))
            yield chunk


def _hash_wanted(entry: FileEntry, reading: Reading, key: bytes | None, personal: bool) -> bool:
    large = reading.hash_min_size is not None and (entry.size or 0) >= reading.hash_min_size
    return key is not None and (large or (reading.hash_personal and personal))


def content_hash(fh: Any, entry: FileEntry, reading: Reading, key: bytes | None, personal: bool) -> str | None:
    """Keyed hash of the whole file, only when the rules want it (large, or holding personal data).

    Called while the file is still open, after extraction: the bytes come from the handle already open
    (for local files, from the page cache), never from a second open of the file on the share.
    """
    if key is None or not _hash_wanted(entry, reading, key, personal):
        return None
    fh.seek(0)
    digest = hmac.new(key, digestmod=hashlib.sha256)
    while block := fh.read(1 << 20):
        digest.update(block)
    return digest.hexdigest()


def observe(
    entry: FileEntry,
    crawler: Crawler,
    detector: Detector,
    limits: Limits,
    reading: Reading = NOTHING_MORE,
    key: bytes | None = None,
) -> FileObservation:
    """Read one entry and return what was found in it and in its file and folder names (anyone who can list
    the folder sees those, whatever the file's status). Never raises for a problem with the file."""
    found = _observe(entry, crawler, detector, limits, reading, key)
    return detector.with_names(found if isinstance(found, FileObservation) else found.finish())


def read_ahead(crawler: Crawler, entries: list[FileEntry], limits: Limits) -> None:
    """Ask the storage for a batch's files at once (``Crawler.prefetch``), each then read while the ones before
    it are worked on; files too large to be read, and rows a crawler renders itself, are not asked for."""
    crawler.prefetch([e for e in entries if (e.size or 0) <= limits.max_file_bytes and not e.mime])


def observe_many(
    entries: list[FileEntry],
    crawler: Crawler,
    detector: Detector,
    limits: Limits,
    reading: Reading = NOTHING_MORE,
    key: bytes | None = None,
    started: Callable[[int], None] | None = None,
) -> list[FileObservation]:
    """``observe`` for each of ``entries``, in order (``started(i)`` as the i-th is taken up). A file whose last
    texts for NER are short waits until the waiting files' texts reach ``ner_batch_chars`` or the entries end,
    and NER then reads them all in one call: called once per file, NER spent about 1.7 ms more per call on its
    set-up than on the text (``docs/performance.md``). The results are those of ``observe``."""
    out: list[FileObservation | _Waiting] = []
    waiting: list[int] = []
    chars = 0
    budget = getattr(getattr(detector, "settings", None), "ner_batch_chars", 0)
    read_ahead(crawler, entries, limits)
    for i, entry in enumerate(entries):
        if started is not None:
            started(i)
        found = _observe(entry, crawler, detector, limits, reading, key, later=True)
        if isinstance(found, _Waiting):
            size = sum(map(len, found.later.texts))
            if waiting and chars + size > budget:
                _finish_waiting(out, waiting, detector, limits, started)
                waiting, chars = [], 0
            waiting.append(i)
            chars += size
        out.append(found)
    _finish_waiting(out, waiting, detector, limits, started)
    done = [o for o in out if isinstance(o, FileObservation)]
    assert len(done) == len(out), "every waiting file was finished"
    return [detector.with_names(o) for o in done]


def _finish_waiting(
    out: list[FileObservation | _Waiting],
    waiting: list[int],
    detector: Any,
    limits: Limits,
    started: Callable[[int], None] | None,
) -> None:
    """NER over the texts of the waiting files ``out[i]`` in one call, then each file finished with its share;
    should that call fail or run out of time, each file is finished on its own, with NER under its own limit."""
    if not waiting:
        return
    if started is not None:
        # While NER reads them all, the first waiting file is the one in hand: a worker killed there (NER stuck
        # past the file limit and the parent's 30 s grace, beyond SIGALRM's reach) has that file blamed.
        started(waiting[0])
    texts = [t for i in waiting for t in out[i].later.texts]  # type: ignore[union-attr]
    found: list[list[Match]] | None = None
    new: set[str] = set()
    try:
        with deadline(limits.max_seconds):
            found, known = detector.names_in(texts)
        new.update(known)
    except Exception as exc:  # each file then meets the trouble on its own, and is recorded against it
        log.debug("NER over %d waiting files failed (%s); each is read alone", len(waiting), type(exc).__name__)
    at = 0
    for i in waiting:
        file = out[i]
        assert isinstance(file, _Waiting)
        if started is not None:
            started(i)
        mine = file.later.texts
        if found is None:
            out[i] = file.finish()
            continue
        read = sum(len(t) for t in dict.fromkeys(mine) if t in new)
        new.difference_update(mine)
        out[i] = file.finish(found[at : at + len(mine)], read)
        at += len(mine)


def _observe(
    entry: FileEntry,
    crawler: Crawler,
    detector: Any,
    limits: Limits,
    reading: Reading = NOTHING_MORE,
    key: bytes | None = None,
    later: bool = False,
) -> FileObservation | _Waiting:
    """The entry's observation without its names' detections; with ``later``, a file whose last texts for NER
    are short may come back waiting for them (``_Waiting``, finished by ``observe_many``)."""
    if entry.status is not Status.OK:
        return FileObservation(entry, None, entry.status, entry.reason)
    if entry.size is not None and entry.size > limits.max_file_bytes:
        return FileObservation(entry, None, Status.TOO_LARGE, f"{entry.size} bytes exceeds the size limit")
    read = _Read(entry, reading, key, limits)
    try:
        with deadline(limits.max_seconds), crawler.open(entry) as fh, collecting() as notes, ocr_recording() as ocr:
            if entry.mime:  # the crawler knows what it renders (a database sample is CSV)
                read.mime = entry.mime
            else:
                found = identify(fh, entry.name)
                read.mime, read.mismatch = found.mime, found.extension_mismatch
            extract = extractors.for_mime(read.mime)
            if extract is None:
                status = Status.OK if read.mime == "inode/x-empty" else Status.UNSUPPORTED
                digest = content_hash(fh, entry, reading, key, personal=False)
                return FileObservation(entry, read.mime, status, extension_mismatch=read.mismatch, content_hash=digest)
            properties = DocumentAuthors(fh, read.mime)  # author names: detected after the text, kept as digests
            chunks = itertools.chain(extract(fh, limits), properties.chunks() if limits.metadata else ())
            read.counted = _Counted(chunks, limits.max_text_chars, reading.keywords)
            if later and hasattr(detector, "detect_later"):
                result = detector.detect_later(read.counted, every_row=entry.table is not None)
            else:
                result = detector.detect(read.counted, every_row=entry.table is not None)
            # A file still waiting for NER is hashed now, while it is open, if it would be once found personal.
            personal = _waits(result) or bool(result.detections)
            read.digest = content_hash(fh, entry, reading, key, personal=personal)
            # Authors are names found in the file: kept only as keyed digests (scanner.principals).
            read.authors = tuple(sorted({principal_digest(a, key) for a in properties.names()})) if key else ()
        read.counted.done()
        read.ocr = ocr.facts()
        read.notes = notes
        return _Waiting(read, result) if _waits(result) else read.observation(result)
    except Exception as exc:  # the one broad catch per file: a damaged file must not stop the scan
        return _failed(exc, entry, read.mime, read.mismatch)


def _waits(result: DetectResult | Later) -> TypeGuard[Later]:
    """Whether detection came back waiting for NER (``detect_later``)."""
    return hasattr(result, "texts")


def _failed(exc: Exception, entry: FileEntry, mime: str | None, mismatch: bool) -> FileObservation:
    """The observation of a file whose reading raised ``exc``: its status and the reason (a class name only:
    library messages can quote document content)."""
    if isinstance(exc, ItemError):
        return FileObservation(entry, mime, exc.status, f"{type(exc).__name__}: {exc}", extension_mismatch=mismatch)
    if isinstance(exc, FileNotFoundError):
        return FileObservation(entry, mime, Status.VANISHED, "vanished before it could be read")
    if isinstance(exc, PermissionError):
        return FileObservation(entry, mime, Status.DENIED, "cannot be opened: permission denied")
    if isinstance(exc, MemoryError):
        why = "MemoryError: needs more memory than a worker may take (limits.worker_memory)"
        return FileObservation(entry, mime, Status.TOO_LARGE, why, extension_mismatch=mismatch)
    if isinstance(exc, RecursionError):
        return FileObservation(entry, mime, Status.TOO_LARGE, type(exc).__name__, extension_mismatch=mismatch)
    log.debug("cannot read %s/%s: %s", entry.source, entry.path, type(exc).__name__)
    status = Status.CORRUPT if mime else Status.UNREADABLE
    return FileObservation(entry, mime, status, type(exc).__name__, extension_mismatch=mismatch)


@dataclass(slots=True)
class _Read:
    """What reading a file learnt besides its detections, from which its observation is made."""

    entry: FileEntry
    reading: Reading
    key: bytes | None
    limits: Limits
    mime: str | None = None
    mismatch: bool = False
    counted: _Counted | None = None
    digest: str | None = None
    authors: tuple[str, ...] = ()
    ocr: OcrFacts | None = None
    notes: list[str] = field(default_factory=list)

    def observation(self, result: DetectResult) -> FileObservation:
        entry, counted = self.entry, self.counted
        assert counted is not None
        notes = self.notes + ([self.ocr.note] if self.ocr and self.ocr.note else [])
        truncated = ["text beyond the per-file limit was not read"] if counted.truncated else []
        reason = "; ".join(notes or truncated) or None  # an ok file read in part says what was left
        # Pages left when the run's OCR budget was spent: what was read is kept, and the next scan reads it again.
        status = Status.DEFERRED if self.ocr and self.ocr.deferred else Status.OK
        personal = bool(result.detections)
        digest = self.digest if _hash_wanted(entry, self.reading, self.key, personal) else None
        return FileObservation(
            entry,
            self.mime,
            status,
            reason,
            result.detections,
            self.mismatch,
            special_category=result.special_category,
            marking=result.marking,
            chunks=counted.count,
            chars=counted.chars,
            columns=_columns(result),
            content_hash=digest,
            keywords=tuple(sorted(counted.found)),
            authors=self.authors,
            ocr=self.ocr,
            identifiers=result.identifiers + in_file_name(entry.name, self.key),
        )


@dataclass(slots=True)
class _Waiting:
    """A file read but for its last texts for NER (``later.texts``)."""

    read: _Read
    later: Later

    def finish(self, found: list[list[Match]] | None = None, read: int = 0) -> FileObservation:
        """Its observation, given what NER found in its texts (with nothing given, NER reads them now), its
        detection finished within the file's own time limit."""
        try:
            with deadline(self.read.limits.max_seconds):
                result = self.later.finish(found, read)
            return self.read.observation(result)
        except Exception as exc:  # as in ``_observe``: recorded against this file alone
            return _failed(exc, self.read.entry, self.read.mime, self.read.mismatch)


def _columns(result: DetectResult) -> tuple[ColumnRead, ...]:
    return tuple(
        ColumnRead(c.where, c.column, c.rows, c.sampled, c.entity, c.matched, c.found)
        for c in getattr(result, "columns", ())
    )


@cache
def _detector(detection: DetectionConfig, hash_key: bytes | None) -> Detector:
    """One detector per process and settings (building one loads the spaCy pipeline).

    Built in the parent before the workers are forked, so they share its memory rather than load their own.
    What the process holds, and then the modules the detector imports (presidio, spaCy), are frozen out of the
    cyclic collector (``gc.freeze``) as soon as they are there, so its full passes while the model loads and the
    one before the workers are forked walk only the objects made since (a sixth of them). Everything alive at
    the fork is frozen then anyway (``scanner.workers``); what is frozen early and later becomes garbage is a few
    dozen objects.
    """
    gc.freeze()
    from scanner.detect import build_detector

    gc.freeze()
    detector = build_detector(detection, hash_key)
    # One small text through every stage now, so the lazy set-up (compiled patterns, the model's first call)
    # is done once here and shared by the forked workers rather than repeated on each one's first file.
    detector.detect([Chunk("Dear Jo Bloggs, please call 020 7946 0000 or write to jo@example.co.uk.", "p1")])
    extractors.preload()  # likewise every extractor and its libraries
    return detector


def warm() -> None:
    """What a loader (``scanner.loader``) imports while the command starts: the detector's libraries (frozen
    as ``_detector`` freezes them) and every extractor's."""
    gc.freeze()
    import scanner.detect  # noqa: F401

    gc.freeze()
    extractors.preload()


def _built(detection: DetectionConfig, hash_key: bytes | None) -> dict[str, Any]:
    """Run in the loader: the detector built; its provenance."""
    return _detector(detection, hash_key).provenance


def expect(detection: DetectionConfig, hash_key: bytes | None, workers: int) -> None:
    """Have the loader start building the detector now, for a walk that will read every file (a first scan):
    ``observe_stream`` asks for it when the walk finds its first file, and the build is then under way."""
    if workers > 0:
        loader.prepare((detection, hash_key), _built, detection, hash_key)


def prepare(job: Job) -> None:
    """Load this process's detector now (a service does so before it reports ready, so its first file is quick)."""
    _detector(job.detection, job.hash_key)


def _observe_job(entry: FileEntry, crawler: Crawler, job: Job) -> FileObservation:
    return observe(entry, crawler, _detector(job.detection, job.hash_key), job.limits, job.reading, job.hash_key)


class JobObserver:
    """What a worker runs for a job: one entry (``__call__``), or a batch of them (``many``: ``observe_many``,
    whose files wait for NER to read their names together)."""

    def __call__(self, entry: FileEntry, crawler: Crawler, job: Job) -> FileObservation:
        return _observe_job(entry, crawler, job)

    def many(
        self, entries: list[FileEntry], crawler: Crawler, job: Job, started: Callable[[int], None]
    ) -> list[FileObservation]:
        detector = _detector(job.detection, job.hash_key)
        return observe_many(entries, crawler, detector, job.limits, job.reading, job.hash_key, started)


OBSERVER = JobObserver()


def observe_stream(
    entries: Iterable[FileEntry],
    job: Job,
    workers: int,
    on_provenance: Callable[[dict[str, Any]], None] | None = None,
    idle: Callable[[], None] | None = None,
) -> Iterator[FileObservation]:
    """Observe entries in ``workers`` processes (0 = in this process), yielding as batches complete;
    ``idle`` is called while every worker is busy and none has answered (the caller's time to write).

    The detector is loaded once, and the workers are forked from the process that holds it, sharing it: the
    loader when the command started one (``scanner.loader``), else this process. The pool stays up for the
    next source and the next run (``scanner.workers``). A worker that dies, runs out of time
    or memory is replaced and the file in hand is recorded with the reason; nothing else is lost.
    """
    stream = iter(entries)
    first = next(stream, None)
    if first is None:
        return  # nothing to read: no worker, no model loaded
    stream = itertools.chain([first], stream)
    key = (job.detection, job.hash_key)
    # With a loader, the detector is built there and the workers forked from it; else here, as without one.
    found = loader.build(key, _built, job.detection, job.hash_key) if workers > 0 else None
    if found is None:
        found = _detector(job.detection, job.hash_key).provenance
    else:  # what this process holds now lives as long as it: out of the cyclic collector, as ``_detector`` does
        gc.freeze()  # (a walk of 100,000 files runs thousands of collections: 3-4 CPU-seconds spared)
    if on_provenance:
        on_provenance(found)
    if workers <= 0:
        crawler = crawler_for(job.source)
        for entry in stream:
            yield _observe_job(entry, crawler, job)
        return
    load = partial(_detector, job.detection, job.hash_key)  # without the loader, forked from here
    pool = pool_for(workers, job.limits.max_worker_bytes, OBSERVER, key, job.limits.max_worker_files, load)
    yield from pool.run(stream, job, idle)
