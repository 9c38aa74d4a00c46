"""The worker side of a Dask scan: a plugin that loads once per worker process, and the task that reads a batch.

``StewardPlugin`` travels to every worker (those connected now and those that join later). In ``setup`` it
checks what the coordinator asked of the worker: the same Steward and detector library versions, the same rule
file digests, the local source root present at the same path, and for SMB or database sources a password in the
worker's own environment (``STEWARD_PASSWORD_<SOURCE>``; secrets never travel with the job). Only then does it
build the crawler and the detector, once. A worker that fails a check keeps a reason instead, which the
coordinator reads, logs and uses to keep work away from it.

``observe_batch`` is the task: it reads a batch of entries with ``scanner.pipeline.observe`` and returns the
observations (types, counts, masked examples, locators; never raw values) with the worker's address, when it read
them and the CPU it used (``BatchResult``), from which the coordinator keeps each worker's rate.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple

from distributed import WorkerPlugin, get_worker
from pydantic import SecretStr

import scanner
from scanner.config import DetectionConfig
from scanner.errors import Timeout
from scanner.types import FileEntry, FileObservation

log = logging.getLogger(__name__)

RULE_FILES = ("recognizers_file", "allowlist_file", "name_cues_file", "special_category_file")
LIBRARIES = ("presidio-analyzer", "spacy")


def password_variable(source_id: str) -> str:
    """The environment variable a worker reads a source's password from."""
    return "STEWARD_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", source_id).upper()


def _library(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def identity(detection: DetectionConfig) -> dict[str, Any]:
    """What must be the same on the coordinator and every worker for their results to be the same."""
    digests: dict[str, str | None] = {}
    for name in RULE_FILES:
        path: Path | None = getattr(detection, name)
        if path is None:
            digests[name] = None
            continue
        try:
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        except OSError:
            digests[name] = "missing"
    return {"steward": scanner.__version__, "libraries": {p: _library(p) for p in LIBRARIES}, "rules": digests}


def _differences(mine: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    found = []
    if mine["steward"] != wanted["steward"]:
        found.append(f"Steward {mine['steward']} (coordinator {wanted['steward']})")
    for package, want in wanted["libraries"].items():
        if mine["libraries"].get(package) != want:
            found.append(f"{package} {mine['libraries'].get(package)} (coordinator {want})")
    for name, want in wanted["rules"].items():
        if mine["rules"].get(name) != want:
            found.append(f"{name.removesuffix('_file')} rules {mine['rules'].get(name)} (coordinator {want})")
    return found


def without_secrets(source: Any) -> Any:
    """The source as it travels to workers: no password (each worker has its own in its environment)."""
    if source.kind == "smb":
        return source.model_copy(update={"password": SecretStr("")})
    if source.kind == "database":
        from sqlalchemy.engine import make_url

        url = make_url(source.url.get_secret_value()).set(password=None)
        return source.model_copy(update={"url": SecretStr(url.render_as_string(hide_password=False))})
    return source


def _with_local_secrets(source: Any) -> tuple[Any, str | None]:
    """The source with this worker's password filled in, or the reason it cannot be."""
    if source.kind not in ("smb", "database"):
        return source, None
    name = password_variable(source.id)
    secret = os.environ.get(name)
    if secret is None:
        return source, f"{name} is not set in this worker's environment"
    if source.kind == "smb":
        return source.model_copy(update={"password": SecretStr(secret)}), None
    from sqlalchemy.engine import make_url

    url = make_url(source.url.get_secret_value()).set(password=secret)
    return source.model_copy(update={"url": SecretStr(url.render_as_string(hide_password=False))}), None


def _root_reason(source: Any, coordinator_has_files: bool) -> str | None:
    """Whether a local source's root is mounted here at the same path (checked once per worker)."""
    if source.kind != "local":
        return None
    root = Path(source.root)
    try:
        if not root.is_dir():
            return f"{root} is not a directory on this worker: mount the share at the same path on every worker"
        if coordinator_has_files and next(os.scandir(root), None) is None:
            return f"{root} is empty on this worker but not on the coordinator: is the share mounted there?"
    except OSError as exc:
        return f"{root} cannot be read on this worker ({type(exc).__name__})"
    return None


@cache
def _detector(detection: DetectionConfig, hash_key: bytes | None) -> Any:
    """One detector per worker process and settings: a second scan of another source reuses it."""
    from scanner.detect import build_detector

    return build_detector(detection, hash_key)


@dataclass
class Loaded:
    """What a worker holds for one scan: its crawler and detector, or why it refused."""

    reason: str | None
    job: Any = None
    crawler: Any = None
    detector: Any = None
    provenance: dict[str, Any] = field(default_factory=dict)


LOADED: dict[str, Loaded] = {}  # plugin name -> this worker's state for that scan


class StewardPlugin(WorkerPlugin):
    """Loads the detector once per worker and checks the worker against the coordinator (``name`` is per scan)."""

    def __init__(self, name: str, job: Any, wanted: dict[str, Any], root_has_files: bool) -> None:
        self.name = name
        self.job, self.wanted, self.root_has_files = job, wanted, root_has_files

    def setup(self, worker: Any) -> None:
        LOADED[self.name] = _load(self.job, self.wanted, self.root_has_files)
        state = LOADED[self.name]
        if state.reason:
            log.error("Steward worker %s refuses scan %s: %s", worker.address, self.name, state.reason)

    def teardown(self, worker: Any) -> None:
        state = LOADED.pop(self.name, None)
        if state is not None and state.crawler is not None:
            state.crawler.close()


def _load(job: Any, wanted: dict[str, Any], root_has_files: bool) -> Loaded:
    differences = _differences(identity(job.detection), wanted)
    if differences:
        return Loaded("differs from the coordinator: " + "; ".join(differences))
    source, reason = _with_local_secrets(job.source)
    reason = reason or _root_reason(source, root_has_files)
    if reason:
        return Loaded(reason)
    from scanner.crawlers import crawler_for

    try:
        detector = _detector(job.detection, job.hash_key)
        crawler = crawler_for(source)
    except Exception as exc:  # a missing model or library on this worker: refuse it, say which
        return Loaded(f"cannot load the detector or crawler here ({type(exc).__name__})")
    return Loaded(None, replace(job, source=source), crawler, detector, dict(detector.provenance))


def report(name: str) -> dict[str, Any]:
    """This worker's answer for one scan (run on the worker by the coordinator): ready, refused, or pending."""
    state = LOADED.get(name)
    if state is None:
        return {"state": "pending"}
    if state.reason:
        return {"state": "refused", "reason": state.reason}
    return {"state": "ready", "provenance": state.provenance}


def _timeout_class(seconds: float) -> type[Timeout]:
    """A ``Timeout`` that says what the local pool says (``PyThreadState_SetAsyncExc`` takes a class, no args)."""
    message = f"content work exceeded {seconds:g} s"

    def init(self: Timeout, *args: object) -> None:
        Timeout.__init__(self, *(args or (message,)))

    return type("Timeout", (Timeout,), {"__init__": init})


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)


@contextmanager
def thread_deadline(seconds: float) -> Iterator[None]:
    """The per-file time limit in a worker thread (``pipeline.deadline`` needs the main thread, which Dask's
    event loop holds): a timer raises ``Timeout`` in this thread at its next Python instruction."""
    if seconds <= 0:
        yield
        return
    target = threading.get_ident()
    lock, fired = threading.Lock(), list[bool]()

    def expire() -> None:
        with lock:
            if not finished:
                fired.append(True)
                _raise_in(target, _timeout_class(seconds))

    finished = False
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            finished = True
            timer.cancel()
        if fired:
            _raise_in(target, None)  # an exception still pending (the work ended first) is withdrawn


class BatchResult(NamedTuple):
    """What a task sends back: who read the batch, its observations, when (the worker's wall clock, seconds since
    the epoch) and the CPU seconds the worker process used meanwhile."""

    address: str
    observations: list[FileObservation]
    began: float
    ended: float
    cpu: float


def observe_batch(name: str, entries: list[FileEntry]) -> BatchResult:
    """The task: read a batch on this worker."""
    from scanner.pipeline import observe, read_ahead

    state = LOADED.get(name)
    if state is None or state.reason:
        raise RuntimeError(f"this worker is not ready for scan {name}: {state.reason if state else 'not set up'}")
    began, cpu = time.time(), time.process_time()
    job = state.job
    out = []
    read_ahead(state.crawler, entries, job.limits)
    for entry in entries:
        try:
            with thread_deadline(job.limits.max_seconds):
                out.append(observe(entry, state.crawler, state.detector, job.limits, job.reading, job.hash_key))
        except Timeout as exc:  # raised between the pipeline's own handlers
            out.append(FileObservation(entry, None, exc.status, f"Timeout: {exc}"))
    return BatchResult(get_worker().address, out, began, time.time(), time.process_time() - cpu)
