"""Runs the scan of one source: crawl, decide what changed, observe it in workers, record, roll up."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from inventory import databases
from inventory.assets import rekey, roll_up
from inventory.config import StewardConfig
from inventory.folders import FolderRecorder
from inventory.keys import hash_key
from inventory.models import ScanRun
from inventory.ownership import DirectoryState, open_directory, refresh_ownership
from inventory.progress import Progress
from inventory.record import Recorder, fail_run, pause_run, start_run, utcnow
from inventory.rules import Rulebook, load_rulebook
from scanner.config import DatabaseSource
from scanner.crawlers import crawler_for
from scanner.errors import SourceError
from scanner.pipeline import Job, observe_stream
from scanner.risk import by_risk
from scanner.types import FileEntry, Reading

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


class ScanControl(Protocol):
    """Asked between files whether the scan must stop at a checkpoint (and stay resumable), and why."""

    def stop_reason(self) -> str | None: ...


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


def workers_for(config: StewardConfig) -> int:
    return config.scan.workers or os.cpu_count() or 1


def scan_source(
    factory: sessionmaker[Session],
    config: StewardConfig,
    config_hash: str,
    source_id: str,
    full: bool = False,
    progress: Progress | None = None,
    control: ScanControl | None = None,
    trigger: str = "manual",
    directory: DirectoryState | None = None,
) -> ScanOutcome:
    """Scan one source into the store. A problem with the source fails this run only.

    Content is read riskiest first (``scan.risk_batch``). When ``control`` asks to stop, the scan checkpoints
    and pauses the run, which the next scan of the source carries on. After a complete walk, ownership and
    access are refreshed (``directory``, read once per command, resolves owners to people; without it the
    directory is read here) and the rules are evaluated against the whole source.
    """
    from inventory.evaluate import evaluate_source
    from inventory.risks.scoring import load as load_risk_rules
    from inventory.risks.sync import sync_source

    source = config.source(source_id)
    database = source if isinstance(source, DatabaseSource) else None
    depth = config.assets.depth if database else source.asset_depth or config.assets.depth
    key_for = databases.key_function(database) if database else None
    book = load_rulebook(config.rules.dir)  # a bad rule file stops the scan before it starts
    load_risk_rules(config.rules.dir)  # so does a bad rules/risk.yaml
    began = time.monotonic()
    with factory() as session:
        run = start_run(session, source.id, config_hash, {**provenance(config), "rules": book.digests})
        run.trigger = trigger
        rekey(session, source.id, depth, key_for)
        recorder = Recorder(
            session,
            run,
            depth,
            full=full,
            checkpoint_every=config.scan.checkpoint_every,
            key_for=key_for,
            on_record=databases.record_table if database else None,
        )
        folders = FolderRecorder(session, source.id, run.id)
        job = Job(source, config.limits.to_limits(), config.detection, hash_key(config), reading_for(book))
        crawler = None
        try:
            crawler = crawler_for(source)
            stopped: list[str] = []

            def stop() -> bool:
                reason = control.stop_reason() if control else None
                if reason:
                    stopped.append(reason)
                return bool(reason)

            def changed() -> Iterator[FileEntry]:
                for entry in crawler.iter_entries():
                    if entry.kind == "folder":  # a folder's own owner and ACL: recorded, never read
                        folders.record(entry)
                        continue
                    if recorder.needs_content(entry):
                        yield entry
                    if progress:
                        progress.update(recorder)
                    if stop():
                        return

            def detector_provenance(found: dict[str, object]) -> None:
                run.provenance = {**provenance(config), "rules": book.digests, "detector": found}

            entries = by_risk(changed(), config.scan.risk_batch)
            for obs in observe_stream(entries, job, workers_for(config), detector_provenance):
                recorder.record(obs)
                if stop():
                    break
            if stopped:
                recorder.checkpoint()
                pause_run(session, run, stopped[0])
                log.info(
                    "scan of %s paused (%s) after %d entries; the next run carries on",
                    source.id,
                    stopped[0],
                    recorder.seen,
                )
                return _outcome(run, 0)
            recorder.finish()
            folders.finish()
            assets = roll_up(session, source.id, databases.location(database) if database else str(source.root))
            if database:
                databases.describe_assets(session, database)
            refresh_ownership(session, config, source.id, directory or open_directory(config))
            walked = time.monotonic()
            now = utcnow()
            evaluated = evaluate_source(session, config, book, source.id, now, run.id)
            risks = sync_source(session, load_risk_rules(config.rules.dir), source.id, now, run.id)
            log.info(
                "%s: scan took %.1f s, rule evaluation %.1f s", source.id, walked - began, time.monotonic() - walked
            )
        except KeyboardInterrupt:
            recorder.checkpoint()
            log.warning("scan of %s interrupted after %d entries; run it again to resume", source.id, recorder.seen)
            raise
        except (SourceError, OSError) as exc:
            message = str(exc) if isinstance(exc, SourceError) else f"source {source.id!r}: {exc}"
            fail_run(session, run, message)
            return _outcome(run, 0)
        finally:
            if progress:
                progress.close()
            if hasattr(crawler, "close"):
                crawler.close()  # a database crawler's connections
        return _outcome(run, assets, evaluated.open_by_kind, risks.open_by_band)


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
