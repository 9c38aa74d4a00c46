"""Runs the scan of one source: crawl, decide what changed, observe it in workers, record, roll up."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy.orm import Session, sessionmaker

from inventory.assets import rekey, roll_up
from inventory.config import StewardConfig
from inventory.keys import hash_key
from inventory.models import ScanRun
from inventory.progress import Progress
from inventory.record import Recorder, fail_run, start_run, utcnow
from inventory.rules import Rulebook, load_rulebook
from scanner.crawlers import crawler_for
from scanner.errors import SourceError
from scanner.pipeline import Job, observe_stream
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
    findings: dict[str, int] | None = None  # open findings by kind after the rules ran


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


def scan_source(factory: sessionmaker[Session], config: StewardConfig, config_hash: str, source_id: str,
                full: bool = False, progress: Progress | None = None) -> ScanOutcome:
    """Scan one source into the store. A problem with the source fails this run only."""
    from inventory.evaluate import evaluate_source

    source = config.source(source_id)
    depth = source.asset_depth or config.assets.depth
    book = load_rulebook(config.rules.dir)  # a bad rule file stops the scan before it starts
    with factory() as session:
        run = start_run(session, source.id, config_hash, {**provenance(config), "rules": book.digests})
        rekey(session, source.id, depth)
        recorder = Recorder(session, run, depth, full=full, checkpoint_every=config.scan.checkpoint_every)
        job = Job(source, config.limits.to_limits(), config.detection, hash_key(config), reading_for(book))
        try:
            crawler = crawler_for(source)

            def changed() -> Iterator[FileEntry]:
                for entry in crawler.iter_entries():
                    if recorder.needs_content(entry):
                        yield entry
                    if progress:
                        progress.update(recorder)

            def detector_provenance(found: dict[str, object]) -> None:
                run.provenance = {**provenance(config), "rules": book.digests, "detector": found}

            for obs in observe_stream(changed(), job, workers_for(config), detector_provenance):
                recorder.record(obs)
            recorder.finish()
            assets = roll_up(session, source.id, str(source.root))
            evaluated = evaluate_source(session, config, book, source.id, utcnow(), run.id)
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
        return _outcome(run, assets, evaluated.open_by_kind)


def _outcome(run: ScanRun, assets: int, findings: dict[str, int] | None = None) -> ScanOutcome:
    return ScanOutcome(run.source, run.id, run.status, run.seen, run.read, run.unchanged, run.moved, run.deleted,
                       assets, dict(run.counts or {}), run.error, findings)
