"""Start a test server as a child process, wait until its port answers, and stop it (shared by the fixtures)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def start_server(argv: list[str], port: int, log_path: Path, timeout: float = 10) -> subprocess.Popen[bytes]:
    """Run ``argv`` with its output in ``log_path``; return once 127.0.0.1:``port`` accepts connections."""
    log = open(log_path, "wb")  # noqa: SIM115 - stays open for the server's life
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{argv[0]} did not start on port {port}; see {log_path}")


def stop_server(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


def stop_helpers(marker: str) -> None:
    """Stop the processes a server started on its own, which outlive it (Samba's ``samba-dcerpcd`` and its RPC
    daemons leave its process group and are left running when ``smbd`` stops): each whose command line holds
    ``marker`` (the server's own configuration file)."""
    mine = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == mine:
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(marker.encode() in arg for arg in argv):
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGTERM)
