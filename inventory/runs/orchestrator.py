"""The one scan orchestrator: every scan of a source runs through ``run_scan``.

``steward scan`` and the web's "Scan now" (a full or incremental walk), ``steward schedule`` (the same, within a
time budget, resumable), a killed run carried on by the next, and ``steward watch`` (only the files a watcher
reported, ``ScanRequest.paths``) all take this path: open or resume a run, crawl, decide what changed, observe it
through the executor, record, and after a complete walk roll up, refresh ownership, evaluate the rules and the
risk register. Content work goes through an ``Executor``: today's process pool (``LocalExecutor``) is the
default, and a cluster executor plugs in at that one point.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from inventory.config import StewardConfig
from inventory.findings import due
from inventory.findings.evaluate import EvalSummary, evaluate_source
from inventory.owners.memory import settle
from inventory.owners.refresh import DirectoryState, open_directory, refresh_ownership
from inventory.register.rollup import rekey, roll_up
from inventory.risks.scoring import RiskFile
from inventory.risks.scoring import load as load_risk_rules
from inventory.risks.sync import RiskCounts, sync_source, unchanged_risks
from inventory.rules import Rulebook, load_rulebook
from inventory.runs import settled
from inventory.runs.engine import EngineWatch, cluster_executor
from inventory.runs.failure import fail_on, fail_source, keep, opening
from inventory.runs.folders import FolderRecorder
from inventory.runs.known import stored_access
from inventory.runs.progress import Progress
from inventory.runs.record import (
    Recorder,
    ScanBusy,
    finish_run,
    pause_run,
    start_run,
    start_watch_run,
    utcnow,
)
from inventory.runs.sources import SourceProfile, profile_for
from inventory.sar.index import check_key
from inventory.store.keys import hash_key
from inventory.store.models import Asset, ScanRun
from scanner.crawlers import crawler_for
from scanner.crawlers.apart import walk_apart
from scanner.crawlers.base import Crawler
from scanner.errors import SourceError
from scanner.pipeline import Job, expect, observe_stream
from scanner.risk import by_risk
from scanner.types import FileEntry, FileObservation, Reading
from scanner.workers import rest as rest_workers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanOutcome:
    source: str
    run_id: int
    status: str
    seen: int
    read: int
    unchanged: int
    moved: int
    deleted: int
    assets: int
    counts: dict[str, int]
    error: str | None = None
    stop_reason: str | None = None  # set when the run paused (budget, signal) and resumes next time
    findings: dict[str, int] | None = None  # open findings by kind after the rules ran
    risks: dict[str, int] | None = None  # open (not closed) risks of the source by band
    # Set when a configured directory could not be read: what was used instead (the last state read).
    directory_problem: str | None = None


class ScanControl(Protocol):
    """Asked between files whether the scan must stop at a checkpoint (and stay resumable), and why."""

    def stop_reason(self) -> str | None: ...


@dataclass(frozen=True)
class ScanRequest:
    """One scan of one source. ``paths`` (relative paths) limits it to those files: a live folder's settled
    files or a single-path re-read, recorded as a run of its own that never marks anything deleted."""

    source: str
    trigger: str = "manual"  # manual, schedule, catch-up, watch
    full: bool = False  # re-read every file, not only what changed
    paths: tuple[str, ...] | None = None
    progress: Progress | None = None
    control: ScanControl | None = None
    directory: DirectoryState | None = None  # read once per command; None reads it here


ProvenanceHook = Callable[[dict[str, object]], None]


class Executor(Protocol):
    """Where content work runs: observes entries (open, identify, extract, detect) and yields observations in
    any order, one per entry. ``on_provenance`` receives the detector's versions once it is built; ``idle`` is
    called while the work is all in hand and no result has come back (this process's time to write)."""

    def observe(
        self,
        entries: Iterable[FileEntry],
        job: Job,
        on_provenance: ProvenanceHook | None = None,
        idle: Callable[[], None] | None = None,
    ) -> Iterator[FileObservation]: ...


@dataclass(frozen=True)
class LocalExecutor:
    """A process pool on this machine (``scan.workers``, default one per core)."""

    workers: int

    def observe(
        self,
        entries: Iterable[FileEntry],
        job: Job,
        on_provenance: ProvenanceHook | None = None,
        idle: Callable[[], None] | None = None,
    ) -> Iterator[FileObservation]:
        return observe_stream(entries, job, self.workers, on_provenance, idle)

    def expect(self, job: Job) -> None:
        """Every file will be read (a first scan): the detector is wanted, whichever file comes first."""
        expect(job.detection, job.hash_key, self.workers)


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def provenance(config: StewardConfig) -> dict[str, object]:
    det = config.detection
    return {
        "spacy_model": det.spacy_model if det.names else "none",
        "score_threshold": det.score_threshold,
        "presidio_analyzer": _version("presidio-analyzer"),
        "spacy": _version("spacy"),
        "entities": list(det.entities) if det.entities else "all",
    }


def reading_for(book: Rulebook) -> Reading:
    """What the rules need learnt from each file while it is open: a content hash, keywords."""
    min_size, personal = book.hashing
    return Reading(hash_min_size=min_size, hash_personal=personal, keywords=book.keywords)


def executor_for(config: StewardConfig, source: object = None) -> Executor:
    """The executor the config asks for (``scan.engine``); with ``dask``, database sources stay here unless
    configured otherwise, and an unreachable scheduler fails in one sentence or falls back to local."""
    if config.scan.engine == "dask":
        executor: Executor = cluster_executor(config, source, LocalExecutor)
        return executor
    return LocalExecutor(_local_workers(config))


def _local_workers(config: StewardConfig) -> int:
    return config.scan.workers or os.cpu_count() or 1


def reading_all(config: StewardConfig) -> None:
    """Every file of the sources will be read (a ``--full`` scan, a new store): have the detector built now,
    before the store is opened (a new store's migrations take a few tenths of a second), rather than when the
    first run opens. Scans on a cluster build theirs on its workers."""
    if config.scan.engine != "dask":
        expect(config.detection, hash_key(config), _local_workers(config))


def run_scan(
    factory: sessionmaker[Session],
    config: StewardConfig,
    config_hash: str,
    request: ScanRequest,
    executor: Executor | None = None,
) -> ScanOutcome:
    """Scan one source into the store. A problem with the source fails this run only (status ``failed``).

    Content is read riskiest first (``scan.risk_batch``). When ``request.control`` asks to stop, the scan
    checkpoints and pauses the run, which the next scan of the source carries on. After a complete walk the
    register, ownership, findings and risks of the source are brought up to date. For ``request.paths`` none
    of which is there, nothing is recorded and the outcome's status is ``nothing``.
    """
    source = config.source(request.source)
    profile = profile_for(config, source)
    book = load_rulebook(config.rules.dir)  # a bad rule file stops the scan before it starts
    risk_rules = load_risk_rules(config.rules.dir)  # so does a bad rules/risk.yaml
    if executor is None:  # a watcher's few files are read in this process; a walk uses the configured executor
        executor = LocalExecutor(1) if request.paths is not None else executor_for(config, source)
    limits = config.limits.to_limits(config.extract.ocr_settings(), config.extract.metadata)  # fresh OCR budget
    job = Job(source, limits, config.detection, hash_key(config), reading_for(book))
    check_key(factory, job.hash_key)  # a new key empties the identifier index; the next full scan rebuilds it
    crawler = crawler_for(source, job.hash_key)
    try:
        if request.paths is not None:
            return _read_paths(factory, config, config_hash, request, crawler, profile, book, job, executor)
        return _walk(factory, config, config_hash, request, crawler, profile, book, risk_rules, job, executor)
    finally:
        crawler.close()
        if request.progress:
            request.progress.close()
        if limits.ocr.run_token:  # the run's OCR page counter (a number in the temporary directory) is spent
            from scanner.extractors.ocr import counter_path  # here: the OCR module loads the detector's patterns

            counter_path(limits.ocr.run_token).unlink(missing_ok=True)


def _walk(
    factory: sessionmaker[Session],
    config: StewardConfig,
    config_hash: str,
    request: ScanRequest,
    crawler: Crawler,
    profile: SourceProfile,
    book: Rulebook,
    risk_rules: RiskFile,
    job: Job,
    executor: Executor,
) -> ScanOutcome:
    """A walk of the whole source (resuming an open run), then the roll-up and the rules."""
    began = time.monotonic()
    with factory() as session:
        with opening(session, request.source):
            run = start_run(session, request.source, config_hash, {**provenance(config), "rules": book.digests})
            run.trigger = request.trigger
            rekeyed = rekey(session, request.source, profile.depth, profile.key_for)
        recorder = Recorder(
            session,
            run,
            profile.depth,
            full=request.full,
            checkpoint_every=config.scan.checkpoint_every,
            key_for=profile.key_for,
            on_record=profile.on_record,
        )
        if recorder.reads_all and isinstance(executor, LocalExecutor):
            executor.expect(job)
        folders = FolderRecorder(session, request.source, run.id)
        if not request.full:
            crawler.known = stored_access(session, request.source)  # unchanged permissions are not read again
        stopped: list[str] = []

        def stop() -> bool:
            reason = request.control.stop_reason() if request.control else None
            if reason:
                stopped.append(reason)
            return bool(reason)

        def changed() -> Iterator[FileEntry]:
            # A re-scan is mostly the walk and its comparison: walked apart, each has a core (a first or full scan
            # reads every file, and the content workers have the other core); a plain file the store holds as it
            # is costs a comparison of its facts, and no entry is made of it.
            rescan = not recorder.reads_all
            walk = walk_apart(crawler, f"source {request.source!r}", apart=rescan)
            with closing(walk):
                for item in walk:
                    facts = crawler.stat_facts(item) if rescan else None
                    if facts is None or not recorder.as_stored(*facts):
                        entry = crawler.expand(item)
                        if entry.kind == "folder":  # a folder's own owner and ACL: recorded, never read
                            folders.record(entry)
                            continue
                        if recorder.needs_content(entry):
                            yield entry
                    if request.progress:
                        request.progress.update(recorder)
                    if stop():
                        return

        def detector_provenance(found: dict[str, object]) -> None:
            engine = (run.provenance or {}).get("engine")
            run.provenance = {**provenance(config), "rules": book.digests, "detector": found, "engine": engine}

        try:
            entries = _then(by_risk(changed(), config.scan.risk_batch), recorder.handed_out)
            watch = EngineWatch(run, executor, request.progress)
            for obs in executor.observe(entries, job, detector_provenance, idle=recorder.idle):
                recorder.record(obs)
                watch.tick()
                if stop():
                    break
            watch.tick(force=True)
            if stopped:
                recorder.checkpoint()
                pause_run(session, run, stopped[0])
                log.info(
                    "scan of %s paused (%s) after %d entries; the next run carries on",
                    request.source,
                    stopped[0],
                    recorder.seen,
                )
                return _outcome(run, 0)
            rest_workers()  # the content is read: the workers' memory is not held while the rules run
            recorder.finish()
            folders.finish()
            state, assets, evaluated, risks = _after_walk(session, config, request, profile, book, risk_rules,
                                                          run, rekeyed, began)  # fmt: skip
        except KeyboardInterrupt:
            keep(session, recorder)
            log.warning(
                "scan of %s interrupted after %d entries; run it again to resume", request.source, recorder.seen
            )
            raise
        except (SourceError, OSError) as exc:  # what was recorded is kept; the next run reads only the rest
            message = str(exc) if isinstance(exc, SourceError) else f"source {request.source!r}: {exc}"
            fail_source(session, run, recorder, message)
            return _outcome(run, 0)
        except Exception as exc:  # the store's own fault, or an error no one planned for
            raise fail_on(session, run, recorder, exc) from None
        outcome = _outcome(run, assets, evaluated.open_by_kind, risks.open_by_band)
        return replace(outcome, directory_problem=state.problem) if state.degraded else outcome


def _then(entries: Iterator[FileEntry], ended: Callable[[], None]) -> Iterator[FileEntry]:
    """``entries``, then ``ended()`` once the last has been taken."""
    yield from entries
    ended()


def _after_walk(
    session: Session,
    config: StewardConfig,
    request: ScanRequest,
    profile: SourceProfile,
    book: Rulebook,
    risk_rules: RiskFile,
    run: ScanRun,
    rekeyed: bool,
    began: float,
) -> tuple[DirectoryState, int, EvalSummary, RiskCounts]:
    """Roll-up, ownership, rules and risks after a complete walk; each step is skipped when none of its inputs
    moved since it last ran (``inventory.runs.settled``), so a re-scan that changed nothing costs a few queries."""
    source = request.source
    before = settled.last(session, source)
    event = settled.last_event(session)
    quiet = before is not None and not rekeyed and not settled.files_changed(session, source, before.last_event)
    if quiet:  # the register stands; only when it was last scanned moves
        present = (Asset.source == source) & Asset.deleted_at.is_(None)
        session.execute(update(Asset).where(present).values(last_scanned=utcnow()))
        assets = len(session.scalars(select(Asset.id).where(present)).all())
    else:
        assets = roll_up(session, source, profile.location)
    if profile.describe:
        profile.describe(session)
    state = settle(session, request.directory or open_directory(config), utcnow())
    owners = settled.owner_inputs(session, config, source, state)
    now = utcnow()
    owners_at = now
    if (
        quiet
        and before is not None
        and before.owners == owners
        and not settled.recency_moved(session, config, source, before.owners_at, now)
    ):
        owners_at = before.owners_at
    else:
        refresh_ownership(session, config, source, state)  # a degraded state changes no owner
    walked = time.monotonic()
    evaluated = evaluate_source(session, config, book, source, now, run.id)
    inputs = settled.risk_inputs(session, risk_rules, source, due.last_state(session, source), now)
    risks_kept = quiet and evaluated.skipped and before is not None and before.risks == inputs
    if risks_kept:
        risks = unchanged_risks(session, risk_rules, source, now, run.id)
    else:
        risks = sync_source(session, risk_rules, source, now, run.id)
        inputs = settled.risk_inputs(session, risk_rules, source, due.last_state(session, source), now)
    settled.save(run, settled.Settled(event, owners, owners_at, inputs))
    session.commit()
    log.info(
        "%s: scan took %.2f s, rule evaluation %.2f s%s",
        source,
        walked - began,
        time.monotonic() - walked,
        " (nothing changed or came due: roll-up, ownership, rules and risks kept)"
        if risks_kept and owners_at != now
        else "",
    )
    return state, assets, evaluated, risks


def _read_paths(
    factory: sessionmaker[Session],
    config: StewardConfig,
    config_hash: str,
    request: ScanRequest,
    crawler: Crawler,
    profile: SourceProfile,
    book: Rulebook,
    job: Job,
    executor: Executor,
) -> ScanOutcome:
    """Read and record the given files as a run of their own; never marks anything deleted (only a complete
    walk can know that) and never touches a scan run in progress."""
    entries = [e for e in map(crawler.entry_at, request.paths or ()) if e is not None]
    if not entries:
        return ScanOutcome(request.source, 0, "nothing", 0, 0, 0, 0, 0, 0, {})
    with factory() as session:
        with opening(session, request.source):
            run = start_watch_run(session, request.source, config_hash, provenance(config))
        recorder = Recorder(
            session,
            run,
            profile.depth,
            checkpoint_every=config.scan.checkpoint_every,
            key_for=profile.key_for,
            on_record=profile.on_record,
        )
        try:
            todo = [e for e in entries if recorder.needs_content(e)]
            for obs in executor.observe(todo, job, idle=recorder.idle):
                recorder.record(obs)
            recorder.checkpoint()
        except Exception as exc:  # what was read is kept where the store allows
            raise fail_on(session, run, recorder, exc) from None
        finish_run(session, run)
        assets = 0
        if recorder.read:
            assets = roll_up(session, request.source, profile.location)
            evaluate_source(session, config, book, request.source, utcnow(), run.id)  # the new file's findings now
        return _outcome(run, assets)


def _outcome(
    run: ScanRun, assets: int, findings: dict[str, int] | None = None, risks: dict[str, int] | None = None
) -> ScanOutcome:
    return ScanOutcome(
        run.source,
        run.id,
        run.status,
        run.seen,
        run.read,
        run.unchanged,
        run.moved,
        run.deleted,
        assets,
        dict(run.counts or {}),
        run.error,
        run.stop_reason,
        findings,
        risks,
    )


__all__ = ["Executor", "LocalExecutor", "ScanBusy", "ScanControl", "ScanOutcome", "ScanRequest", "run_scan"]
