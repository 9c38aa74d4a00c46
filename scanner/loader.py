"""The loader: a process forked as a scan command starts, which loads the detector while the command sets up and
then forks the content workers from itself.

Loading the detector (presidio, spaCy and its pipeline, every extractor's libraries) takes a second or more of
one core; the command's own start (its modules, the configuration, the store) takes most of another. Forked
before either, the loader imports the detector's libraries (``warm``) while the command starts, builds the
detector when the command asks for it (``build``), and forks each content worker on request (``fork``), so the
workers share the loader's memory copy-on-write as they would share the command's. The command never loads the
model itself. The command creates each worker's socket and progress slot and passes their ends to the loader
over a Unix socket (``SCM_RIGHTS``); a worker is watched through a pidfd (``Forked``) and its exit status is
collected by the loader, whose child it is.

When there is no loader (a service, a test, a platform without pidfds) or it cannot serve (it failed to build,
or died), ``build`` and ``fork`` return None and the caller loads its own detector and forks its own workers, as
before. The loader holds nothing to save: the command kills it when done (``stop``, at exit), and it dies with
the command however the command ends (``PR_SET_PDEATHSIG``). Workers it forked end when their sockets close.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import logging
import os
import pickle
import select
import signal
import socket
import traceback
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

log = logging.getLogger(__name__)

ANSWER_SECONDS = 600.0  # longest wait for the loader's answer (building the detector); then it is let go
_MESSAGE = 1 << 20  # largest message either way (a detector's provenance is a few KB)
_PR_SET_NAME, _PR_SET_PDEATHSIG = 15, 1


class LoaderGone(Exception):
    """The loader did not answer: it died, hung or could not do what was asked."""


class Refused(LoaderGone):
    """The loader answered that it could not do what was asked (the exception's class name)."""


@dataclass
class _Loader:
    pid: int
    sock: socket.socket
    built: set[Hashable] = field(default_factory=set)  # settings it holds a detector for
    pending: Hashable | None = None  # settings it was asked to build for (``prepare``), not yet answered
    setup: Callable[[], None] | None = None  # run there before it builds: the command's logging


_LOADER: list[_Loader] = []


def name(title: str) -> None:
    """Name this process as ``ps -o comm`` and ``top`` show it (``steward-loader``, ``steward-worker``)."""
    prctl = getattr(ctypes.CDLL(None), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_NAME, ctypes.c_char_p(title.encode()[:15]))


def forked(title: str, work: Callable[[], object], drop: Callable[[], None]) -> int:
    """Fork a helper of this process (the command) and return its pid. The helper drops what is this side's alone
    (``drop``: its ends of their sockets or pipes), is named ``title``, is deaf to Ctrl-C (the command's to handle)
    and killed when the command ends however it ends; it runs ``work`` and exits, with code 1 when that raised."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            drop()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            name(title)
            prctl = getattr(ctypes.CDLL(None), "prctl", None)
            if prctl is not None:
                prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() == parent:  # else the command is gone already
                work()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def available() -> bool:
    return hasattr(socket, "send_fds") and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


def start(warm: str) -> None:
    """Fork the loader (once per process), which first imports and runs ``warm`` ("module:function"). It is
    forked before either imports anything much, so the loader's path to a built detector (the longer of the two
    a first scan waits for) starts at once; what both then import (``warm``'s module and what it needs: the
    configuration's types, pydantic) each holds a copy of (the scan tree's PSS 7 MB more)."""
    if _LOADER or not available():
        return
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = forked("steward-loader", partial(_serve, theirs, warm), ours.close)  # failing, the command goes on
    theirs.close()
    _LOADER.append(_Loader(pid, ours))


def running() -> bool:
    return bool(_LOADER)


def configure(setup: Callable[[], None]) -> None:
    """Have the loader run ``setup`` (the command's logging, say) before it builds, so that it and the workers
    it forks log as the command does; it was forked before the command had set anything up."""
    if _LOADER:
        _LOADER[0].setup = setup


def serves(key: Hashable) -> bool:
    """Whether the loader holds a detector built for ``key`` (its workers then have it)."""
    return bool(_LOADER) and key in _LOADER[0].built


def prepare(key: Hashable, builder: Callable[..., Any], *args: Any) -> None:
    """Have the loader start ``builder(*args)`` now, and return at once: ``build`` with the same ``key`` then
    waits only for what is left of it. For a command that knows it will need the detector (a first scan reads
    every file) before it knows which file comes first."""
    if not _LOADER or _LOADER[0].pending is not None or key in _LOADER[0].built:
        return
    try:
        _send(("call", builder, args, _LOADER[0].setup))
    except LoaderGone:
        stop()  # ``build`` finds no loader and the caller builds its own
        return
    _LOADER[0].pending = key


def build(key: Hashable, builder: Callable[..., Any], *args: Any) -> Any:
    """Run ``builder(*args)`` in the loader (it builds and keeps the detector for ``key``); its answer, or None
    when there is no loader or it could not (the caller then builds its own, which raises what went wrong)."""
    if not _LOADER:
        return None
    try:
        answer = _receive() if _LOADER[0].pending == key else _ask(("call", builder, args, _LOADER[0].setup))
    except LoaderGone as exc:
        log.info("the loader could not build the detector (%s); the scan loads it itself", exc)
        stop()
        return None
    _LOADER[0].built.add(key)
    return answer


def fork(key: Hashable, target: Callable[..., None], args: tuple[Any, ...], fds: list[int]) -> Forked | None:
    """A process forked by the loader running ``target(fds, *args)`` (the fds are its copies of ``fds``), or
    None when the loader does not serve ``key`` or did not answer."""
    if not serves(key):
        return None
    try:
        pid = int(_ask(("fork", target, args), fds))
    except LoaderGone as exc:
        log.info("the loader could not fork a worker (%s); the scan forks its own", exc)
        stop()
        return None
    try:
        return Forked(pid, os.pidfd_open(pid))
    except OSError as exc:  # it cannot be watched: stopped before it reads, so the caller may reuse its socket
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        log.info("a worker the loader forked cannot be watched (%s); the scan forks its own", exc.strerror)
        stop()
        return None


def rss() -> int:
    """The loader's resident memory in bytes (what a worker it forks starts with), 0 without one."""
    if not _LOADER:
        return 0
    try:
        with open(f"/proc/{_LOADER[0].pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def stop() -> None:
    """Stop the loader now (it holds nothing to save: a scan with nothing to read stops it still importing) and
    collect it. Workers it forked and the pool has not stopped end when their sockets close."""
    if not _LOADER:
        return
    loader = _LOADER.pop()
    loader.sock.close()
    with contextlib.suppress(OSError):
        os.kill(loader.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(loader.pid, 0)


atexit.register(stop)


def _ask(message: tuple[Any, ...], fds: list[int] | None = None) -> Any:
    _send(message, fds)
    return _receive()


def _send(message: tuple[Any, ...], fds: list[int] | None = None) -> None:
    loader = _LOADER[0]
    if loader.pending is not None:  # one request at a time: the answer to ``prepare``'s first
        key = loader.pending
        with contextlib.suppress(Refused):
            _receive()
            loader.built.add(key)
    try:
        loader.sock.settimeout(ANSWER_SECONDS)
        socket.send_fds(loader.sock, [pickle.dumps(message)], fds or [])
    except (OSError, pickle.PicklingError) as exc:
        raise LoaderGone(type(exc).__name__) from None


def _receive() -> Any:
    loader = _LOADER[0]
    loader.pending = None
    try:
        data = loader.sock.recv(_MESSAGE)
    except OSError as exc:
        raise LoaderGone(type(exc).__name__) from None
    if not data:
        raise LoaderGone("it stopped")
    ok, answer = pickle.loads(data)
    if not ok:
        raise Refused(answer)
    return answer


class Forked:
    """A process the loader forked, as the worker pool sees one (``multiprocessing.Process``'s pid, sentinel,
    ``is_alive``, ``exitcode``, ``kill`` and ``join``): watched through a pidfd, its exit status collected by
    the loader (None when the loader is gone; init then collects it)."""

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid, self.sentinel = pid, pidfd
        self._ended = False
        self._code: int | None = None

    def is_alive(self) -> bool:
        return not self._ended and not select.select([self.sentinel], [], [], 0)[0]

    @property
    def exitcode(self) -> int | None:
        if self.is_alive():
            return None
        self._collect()
        return self._code

    def kill(self) -> None:
        if not self._ended:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.sentinel, signal.SIGKILL)

    def join(self, timeout: float | None = None) -> None:
        if not self._ended and select.select([self.sentinel], [], [], timeout)[0]:
            self._collect()

    def _collect(self) -> None:
        if self._ended:
            return
        self._ended = True
        os.close(self.sentinel)
        if _LOADER:
            try:
                self._code = _ask(("reap", self.pid))
            except Refused:
                pass  # not its child to collect (it cannot be, unless collected already): the status is unknown
            except LoaderGone:
                stop()


# -- the loader's side ------------------------------------------------------------------------------------------


def _serve(sock: socket.socket, warm: str) -> None:
    module, _, function = warm.partition(":")
    getattr(importlib.import_module(module), function)()
    while True:
        data, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 4)
        if not data:
            return
        try:
            answer: tuple[bool, Any] = (True, _answer(sock, pickle.loads(data), fds))
        except Exception as exc:  # the command is told; it does the work itself
            log.debug("loader: %s", traceback.format_exc())
            answer = (False, type(exc).__name__)
        finally:
            for fd in fds:
                os.close(fd)
        sock.send(pickle.dumps(answer))


def _answer(sock: socket.socket, message: tuple[Any, ...], fds: list[int]) -> Any:
    kind = message[0]
    if kind == "call":
        _, function, args, setup = message
        if setup is not None:
            setup()
        return function(*args)
    if kind == "fork":
        _, target, args = message
        gc.collect()
        gc.freeze()  # the collector must not touch (and so copy) the pages the worker shares with the loader
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
        if trim is not None:
            trim(0)  # free heap pages go back to the system rather than into the worker's share
        pid = os.fork()
        if pid == 0:  # the worker
            sock.close()
            code = 0
            try:
                target(fds, *args)
            except BaseException:  # as multiprocessing does: the trace, and exit code 1
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        return pid
    if kind == "reap":
        _, status = os.waitpid(message[1], 0)
        return os.waitstatus_to_exitcode(status)
    raise ValueError(kind)
