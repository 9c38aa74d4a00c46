"""Start a test server as a child process, wait until its port answers, and stop it (shared by the fixtures)."""

from __future__ import annotations

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
