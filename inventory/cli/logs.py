"""Logging for every command: text or JSON lines, to stderr or a file (reopened when logrotate moves it)."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from pathlib import Path

NOISY = (
    "presidio-analyzer",
    "presidio_analyzer",
    "alembic",
    "tldextract",
    "filelock",
    "apscheduler.scheduler",
    "apscheduler.executors",
    "watchdog",
)
# Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into the JSON line.
STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the fields passed with ``extra=``."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in STANDARD and not k.startswith("_")})
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # the class only: messages can quote file content
        return json.dumps(line, default=str)


def configure(level: str, fmt: str, file: Path | None) -> None:
    """Like ``logging.basicConfig``: leaves a host's own handlers (a test runner's) alone, replaces its own."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "steward", False)]:
        root.removeHandler(old)
        old.close()
    root.setLevel(level.upper())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    if file is None and root.handlers:
        return
    handler: logging.Handler
    if file is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.WatchedFileHandler(file, encoding="utf-8")
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    setattr(handler, "steward", True)  # noqa: B010  (marks the handler as ours, for the next call)
    root.addHandler(handler)
