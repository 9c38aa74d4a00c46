"""The `steward` command: the composition root, the one place that wires the scanner to the inventory."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from functools import wraps
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from inventory.cli.logs import configure
from scanner import __version__
from scanner.errors import ConfigError, StewardError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("steward")


class ConfigProblem(click.ClickException):
    exit_code = 2


def handle_errors(func: F) -> F:
    """Turn Steward's errors into one clear sentence and an exit code (2 for configuration problems)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from None
        except StewardError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $STEWARD_CONFIG, else ./config.yaml).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="steward")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="How much to log.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines as text or as JSON objects, one per line.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append the log to this file (default: stderr); reopened when logrotate moves it.",
)
def cli(log_level: str, log_format: str, log_file: Path | None) -> None:
    """Steward: finds what a council's shares hold, where the personal data is, and keeps the
    information asset register current."""

    configure(log_level, log_format, log_file)


@cli.group()
def export() -> None:
    """Export the register or the per-file observations."""


def output(out: Path | None, binary: bool = False) -> ContextManager[IO[Any]]:
    """The --out file (written atomically), else standard output (left open)."""
    if out is None:
        return nullcontext(sys.stdout.buffer if binary else sys.stdout)
    return click.open_file(str(out), "wb" if binary else "w", atomic=True)
