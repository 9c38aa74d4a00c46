"""The long-running service: scheduled scans (APScheduler) and live folders (watchdog), in one process.

All content work runs on the main thread, one item at a time, from a queue: scheduled scans (handed over by
``QueueExecutor``, APScheduler's executor for this service) and files the watcher reports settled. So no two scans
of one source ever run at once in this process, per-file time limits (SIGALRM) work, and a signal is seen between
files. Across processes, the store refuses a second live scan of one source (``record.ScanBusy``).

Jobs live in Steward's own database (APScheduler's ``SQLAlchemyJobStore``, table ``apscheduler_jobs``): a run missed
while the service was down starts when it comes back, within ``schedule.misfire_grace`` seconds, once however many
were missed (coalesced); a job still running when its next time comes is not started again (one instance).

SIGTERM or SIGINT: the scan in progress stops after the file in hand, checkpoints and pauses its run (the next run
carries it on); the service exits 0. A second signal abandons the file in hand at once (still checkpointed).
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from sqlalchemy.orm import Session, sessionmaker

from inventory.config import StewardConfig
from inventory.notify.mail import notify
from inventory.runs.failure import StoreFault
from inventory.runs.orchestrator import ScanRequest, run_scan
from inventory.runs.progress import Progress
from inventory.runs.record import ScanBusy, utcnow
from inventory.store.keys import hash_key
from scanner.pipeline import Job, prepare

log = logging.getLogger(__name__)
JOBS_TABLE = "apscheduler_jobs"
NOTIFY_EVERY = 3600.0  # seconds between looks for digests that fell due (each is sent once per period)
RETRY_BUSY = 30.0  # seconds before a watched file whose source another process is scanning is tried again


@dataclass
class RunControl:
    """Stops a scan at a checkpoint on a signal or when its time budget is spent."""

    stopping: threading.Event
    deadline: float | None = None

    def stop_reason(self) -> str | None:
        if self.stopping.is_set():
            return "signal"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "budget"
        return None


class QueueExecutor(BaseExecutor):  # type: ignore[misc]
    """Hands due jobs to the service's main thread; counts as running until the service reports it done."""

    def __init__(self, work: queue.Queue[tuple[Any, ...]]) -> None:
        super().__init__()
        self.work = work

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        self.work.put(("job", job, run_times))

    def done(self, job: Any, run_time: datetime, error: BaseException | None = None, missed: bool = False) -> None:
        if missed:
            event = JobExecutionEvent(EVENT_JOB_MISSED, job.id, job._jobstore_alias, run_time)
            self._run_job_success(job.id, [event])
        elif error is None:
            self._run_job_success(
                job.id, [JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias, run_time)]
            )
        else:
            self._run_job_error(job.id, error, error.__traceback__)
            self._scheduler._dispatch_event(
                JobExecutionEvent(
                    EVENT_JOB_ERROR,
                    job.id,
                    job._jobstore_alias,
                    run_time,
                    exception=error,
                    traceback="".join(traceback.format_tb(error.__traceback__)),
                )
            )


def scheduled_scan(source: str, service: Service | None = None) -> None:
    """The target of every scheduled job, run by the service's main thread, which passes itself in."""
    if service is None:
        raise RuntimeError("scheduled_scan runs inside `steward schedule` only")
    service.scan(source, trigger="schedule")


class Service:
    def __init__(
        self, config: StewardConfig, digest: str, factory: sessionmaker[Session], schedule: bool, watch: bool
    ) -> None:
        self.config, self.digest, self.factory = config, digest, factory
        self.with_schedule, self.with_watch = schedule, watch
        self.work: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.stopping = threading.Event()
        self.executor = QueueExecutor(self.work)
        self.scheduler: Any = None
        self.watcher: Any = None
        self.next_notify = 0.0  # monotonic time of the next look for digests that fell due

    # -- life cycle -----------------------------------------------------------------------------------------
    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; returns the exit code (0 after a clean stop)."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            if self.with_schedule:
                self._start_scheduler()
            if self.with_watch:
                self._start_watcher()
            log.info(
                "steward service ready",
                extra={"event": "service_ready", "schedule": self.with_schedule, "watch": self.with_watch},
            )
            self._loop()
        except KeyboardInterrupt:
            log.warning("stopped at once: the file in hand was abandoned; its run resumes next time")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
            if self.watcher is not None:
                self.watcher.stop()
        log.info("steward service stopped", extra={"event": "service_stopped"})
        return 0

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.stopping.is_set():
            raise KeyboardInterrupt
        log.info(
            "%s received: stopping after the file in hand", signal.Signals(signum).name, extra={"event": "stopping"}
        )
        self.stopping.set()

    def _loop(self) -> None:
        later: list[tuple[float, tuple[Any, ...]]] = []
        while not self.stopping.is_set():
            now = time.monotonic()
            if self.with_schedule and self.config.notify is not None and now >= self.next_notify:
                self.next_notify = now + NOTIFY_EVERY
                self._notify()
            for item in [i for t, i in later if t <= now]:
                self.work.put(item)
            later = [(t, i) for t, i in later if t > now]
            try:
                item = self.work.get(timeout=0.5)
            except queue.Empty:
                continue
            if item[0] == "job":
                self._run_job(item[1], item[2])
            elif item[0] == "scan":
                self.scan(item[1], trigger=item[2])
            elif item[0] == "file":
                later.extend((time.monotonic() + RETRY_BUSY, i) for i in self._record_files(item))

    def _notify(self) -> None:
        """Send the e-mail digests that fell due (each period's once); a failure is logged, never stops a scan."""
        try:
            with self.factory() as db:
                for line in notify(db, self.config, utcnow()):
                    log.info("%s", line, extra={"event": "digest"})
        except Exception as exc:
            log.error("e-mail digests not sent (%s); tried again within the hour", type(exc).__name__)

    # -- scheduled scans ------------------------------------------------------------------------------------
    def _start_scheduler(self) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        sched = self.config.schedule
        engine = self.factory.kw["bind"]
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
            executors={"default": self.executor},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": sched.misfire_grace},
            timezone=ZoneInfo(sched.timezone),
        )
        self.scheduler.start(paused=True)
        self._reconcile_jobs()
        self.scheduler.resume()
        for job in self.scheduler.get_jobs():
            log.info(
                "%s: next run %s",
                job.name,
                job.next_run_time,
                extra={"event": "scheduled", "job": job.id, "next_run": str(job.next_run_time)},
            )

    def _reconcile_jobs(self) -> None:
        """Make the stored jobs match the config, keeping a job's missed run unless its schedule changed."""
        sched = self.config.schedule
        wanted = {f"scan:{s.id}": s.id for s in self.config.sources if sched.for_source(s.id).enabled}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                log.info("removing the schedule of %s (no longer configured)", job.id)
                job.remove()
        for job_id, sid in wanted.items():
            trigger = sched.trigger_for(sid)
            job = self.scheduler.get_job(job_id)
            if job is None:
                self.scheduler.add_job(scheduled_scan, trigger, id=job_id, name=f"scan {sid}", kwargs={"source": sid})
                continue
            if (str(job.trigger), str(job.trigger.timezone)) != (str(trigger), str(trigger.timezone)):
                log.info("schedule of %s changed to %s", sid, trigger)
                self.scheduler.reschedule_job(job_id, trigger=trigger)
            if job.misfire_grace_time != sched.misfire_grace or not job.coalesce or job.max_instances != 1:
                job.modify(misfire_grace_time=sched.misfire_grace, coalesce=True, max_instances=1)

    def _run_job(self, job: Any, run_times: list[datetime]) -> None:
        run_time = run_times[-1]
        late = (datetime.now(UTC) - run_time).total_seconds()
        if job.misfire_grace_time is not None and late > job.misfire_grace_time:
            log.warning(
                "%s missed: %.0f s late, beyond the misfire grace",
                job.name,
                late,
                extra={"event": "missed", "job": job.id},
            )
            self.executor.done(job, run_time, missed=True)
            return
        try:
            job.func(*job.args, service=self, **job.kwargs)
        except Exception as exc:
            log.exception("%s failed", job.name)
            self.executor.done(job, run_time, error=exc)
        except BaseException:
            self.executor.done(job, run_time)
            raise
        else:
            self.executor.done(job, run_time)

    def scan(self, source: str, trigger: str) -> None:
        """Scan one source (incrementally), within its time budget; a busy source is left to its scanner."""
        budget = self.config.schedule.for_source(source).time_budget
        control = RunControl(self.stopping, time.monotonic() + budget if budget else None)
        log.info(
            "scan of %s started (%s)",
            source,
            trigger,
            extra={"event": "scan_started", "source": source, "trigger": trigger},
        )
        began = time.monotonic()
        try:
            request = ScanRequest(source, trigger=trigger, progress=Progress(source), control=control)
            out = run_scan(self.factory, self.config, self.digest, request)
        except ScanBusy as exc:
            log.warning("scan of %s skipped: %s", source, exc, extra={"event": "scan_skipped", "source": source})
            return
        except StoreFault as exc:  # one sentence naming the store; the next scheduled scan carries the run on
            log.error(
                "scan of %s failed in %.1f s: %s",
                source,
                time.monotonic() - began,
                exc,
                extra={"event": "scan_finished", "source": source, "status": "failed", "error": str(exc)},
            )
            return
        except KeyboardInterrupt:
            log.info(
                "scan of %s abandoned",
                source,
                extra={"event": "scan_finished", "source": source, "status": "interrupted"},
            )
            raise
        level = logging.ERROR if out.status == "failed" else logging.INFO
        log.log(
            level,
            "scan of %s %s in %.1f s: %d seen, %d read%s",
            source,
            out.status,
            time.monotonic() - began,
            out.seen,
            out.read,
            f" ({out.stop_reason})" if out.stop_reason else f"; {out.error}" if out.error else "",
            extra={
                "event": "scan_finished",
                "source": source,
                "run": out.run_id,
                "status": out.status,
                "stop_reason": out.stop_reason,
                "seen": out.seen,
                "read": out.read,
                "error": out.error,
            },
        )

    # -- live folders ---------------------------------------------------------------------------------------
    def _start_watcher(self) -> None:
        from scanner.watch import SettleWatcher  # deferred: watchdog loads when live folders are watched

        live = {s.id: s.root for s in self.config.sources if s.kind == "local" and s.live}
        if not live:
            log.warning("no source is marked live: true; nothing to watch")
            return
        config = self.config
        prepare(Job(config.source(next(iter(live))), config.limits.to_limits(), config.detection, hash_key(config)))
        opts = self.config.watch
        self.watcher = SettleWatcher(
            live, opts.settle_seconds, opts.poll_seconds, lambda sid, rel: self.work.put(("file", sid, rel))
        )
        watched = self.watcher.start()
        log.info("watching %s", ", ".join(watched) or "nothing", extra={"event": "watching", "sources": watched})
        if opts.catch_up:
            for sid in watched:
                self.work.put(("scan", sid, "catch-up"))

    def _record_files(self, first: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Record the settled file and any others already waiting, per source; returns the items to retry."""
        items = [first]
        others: list[tuple[Any, ...]] = []
        while True:
            try:
                item = self.work.get_nowait()
            except queue.Empty:
                break
            (items if item[0] == "file" else others).append(item)
        for other in others:
            self.work.put(other)
        paths: dict[str, set[str]] = defaultdict(set)
        for _, sid, rel in items:
            paths[sid].add(rel)
        retry: list[tuple[Any, ...]] = []
        for sid, rels in paths.items():
            try:
                done = run_scan(
                    self.factory, self.config, self.digest, ScanRequest(sid, trigger="watch", paths=tuple(sorted(rels)))
                )
            except ScanBusy as exc:
                log.info("%d watched file(s) of %s wait: %s", len(rels), sid, exc)
                retry.extend(("file", sid, rel) for rel in rels)
                continue
            except Exception:
                log.exception("recording watched files of %s failed", sid)
                continue
            if done.status != "nothing":
                log.info(
                    "watched %s: %d file(s) recorded",
                    sid,
                    done.read,
                    extra={"event": "watched", "source": sid, "run": done.run_id, "read": done.read},
                )
        return retry
