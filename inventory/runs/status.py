"""What `steward status` reports, per source: the last run and the next, files by status, errors, runs in progress."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.runs.progress import engine_line
from inventory.runs.service import JOBS_TABLE
from inventory.store.models import FileRecord, ScanRun
from scanner.names import shown


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _alive(run: ScanRun) -> bool | None:
    """Whether the process of a running run is alive: None when it runs on another host (cannot tell)."""
    if run.host != socket.gethostname():
        return None
    if not run.pid:
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def next_runs(session: Session) -> dict[str, datetime]:
    """Next run time of each scheduled source, from the service's job store (empty if it never ran)."""
    if not inspect(session.connection()).has_table(JOBS_TABLE):
        return {}
    rows = session.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE}"))
    return {
        job.removeprefix("scan:"): datetime.fromtimestamp(when, UTC).replace(tzinfo=None)
        for job, when in rows
        if when is not None
    }


def _run(run: ScanRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    end = run.finished_at
    return {
        "id": run.id,
        "trigger": run.trigger or "manual",
        "status": run.status,
        "stop_reason": run.stop_reason,
        "started": _iso(run.started_at),
        "finished": _iso(end),
        "duration_seconds": round((end - run.started_at).total_seconds(), 1) if end else None,
        "resumed": run.resumed,
        "seen": run.seen,
        "read": run.read,
        "unchanged": run.unchanged,
        "moved": run.moved,
        "deleted": run.deleted,
        "error": run.error,
        "errors": {status: len(samples) for status, samples in sorted((run.errors or {}).items())},
        "error_samples": {
            status: [{**sample, "path": shown(sample.get("path", ""))} for sample in samples[:3]]
            for status, samples in sorted((run.errors or {}).items())
        },
        "engine": (run.provenance or {}).get("engine") or {"engine": "local"},
    }


def source_status(session: Session, source: str, next_run: datetime | None) -> dict[str, Any]:
    scans = select(ScanRun).where(ScanRun.source == source, ScanRun.trigger.is_distinct_from("watch"))
    last = session.scalars(scans.order_by(ScanRun.id.desc())).first()
    watched = session.scalars(
        select(ScanRun).where(ScanRun.source == source, ScanRun.trigger == "watch").order_by(ScanRun.id.desc())
    ).first()
    done = session.scalars(scans.where(ScanRun.status.in_(("completed", "failed"))).order_by(ScanRun.id.desc())).first()
    files = dict(
        session.execute(
            select(FileRecord.status, func.count())
            .where(FileRecord.source == source, FileRecord.deleted_at.is_(None))
            .group_by(FileRecord.status)
        ).all()
    )
    state = "never scanned"
    if last is not None:
        state = last.status
        if last.status == "running":
            alive = _alive(last)
            state = "interrupted" if alive is False else "running"
    return {
        "source": source,
        "state": state,
        "in_progress": state == "running",
        "last_run": _run(last),
        "last_finished_run": _run(done) if done is not last else None,
        "last_watched": _iso(watched.finished_at) if watched else None,
        "next_run": _iso(next_run),
        "files": dict(sorted(files.items())),
        "failed": done is not None and done.status == "failed",
    }


def status_report(session: Session, config: StewardConfig) -> dict[str, Any]:
    nexts = next_runs(session)
    sources = [source_status(session, sid, nexts.get(sid)) for sid in config.source_ids]
    return {"ok": not any(s["failed"] for s in sources), "sources": sources, "directory": directory_status(session)}


def directory_status(session: Session) -> dict[str, Any] | None:
    """When the directory was last read, and whether scans since have had to use that state."""
    from inventory.owners.memory import remembered

    row = remembered(session)
    if row is None:
        return None
    return {
        "read_at": _iso(row.read_at),
        "people": len(row.people or []),
        "leavers": sum(1 for p in row.people or [] if not p.get("enabled", True)),
        "failed_at": _iso(row.failed_at),
        "failure": row.failure,
        "degraded": row.failed_at is not None,
    }


def render_status(report: dict[str, Any]) -> str:
    lines = []
    found = report.get("directory")
    if found and found["degraded"]:
        since = f"the state read at {found['read_at']}" if found["read_at"] else "no state (never read)"
        lines.append(
            f"directory: DEGRADED — could not be read at {found['failed_at']} ({found['failure']}); "
            f"scans use {since}, and no owner, finding or risk is changed for want of it"
        )
    elif found:
        lines.append(f"directory: read at {found['read_at']}, {found['people']:,} people ({found['leavers']:,} left)")
    for s in report["sources"]:
        last = s["last_run"]
        head = f"{s['source']}: {s['state'].upper()}"
        if last:
            took = f" in {last['duration_seconds']:.0f} s" if last["duration_seconds"] is not None else ""
            why = f" ({last['stop_reason']}; carries on next run)" if last["stop_reason"] else ""
            head += f" — last run {last['id']} ({last['trigger']}) started {last['started']}{took}{why}"
        lines.append(head)
        if last:
            lines.append(
                f"  {last['seen']:,} seen, {last['read']:,} read, {last['unchanged']:,} unchanged, "
                f"{last['moved']:,} moved, {last['deleted']:,} deleted"
            )
            lines.append("  engine: " + _engine(last["engine"], s["state"] == "running"))
            if last["error"]:
                lines.append(f"  error: {last['error']}")
            if last["errors"]:
                lines.append("  not fully read: " + ", ".join(f"{k} {v}" for k, v in last["errors"].items()))
        finished = s["last_finished_run"]
        if finished:
            lines.append(f"  last finished run {finished['id']}: {finished['status']} at {finished['finished']}")
        lines.append(f"  next run: {s['next_run'] or 'not scheduled (is `steward schedule` running?)'}")
        if s["last_watched"]:
            lines.append(f"  last watched change recorded: {s['last_watched']}")
        if s["files"]:
            lines.append("  files: " + ", ".join(f"{k} {v:,}" for k, v in s["files"].items()))
    return "\n".join(lines)


def _engine(state: dict[str, Any], running: bool) -> str:
    """The engine of a run: for Dask while it runs, workers, files in flight and per-worker rates."""
    if state.get("engine") != "dask":
        return "local" + (f" ({state['workers']} process(es))" if state.get("workers") else "")
    if running:
        return engine_line(state) + (f"; dashboard {state['dashboard']}" if state.get("dashboard") else "")
    rates = state.get("rates") or {}
    return f"dask {state['scheduler']} ({len(rates)} worker(s) read files)"
