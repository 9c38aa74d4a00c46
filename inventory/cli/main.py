"""The `steward` entry point: loads the command modules (each registers its commands on the group) and runs it.

`steward scan`, the nightly command, loads only its own module: the others (reports, the web, the service, ...)
would add a good part of a no-change re-scan's start-up. Every other command, and ``cli`` imported from here,
has them all. `steward scan` first forks the loader (``scanner.loader``), which loads the detector while this
process loads the rest and starts the scan.
"""

from __future__ import annotations

import sys
from typing import Any

from inventory.cli import group

__all__ = ["load_commands", "main"]


def load_commands() -> None:
    """Register every command on the group (each module does so when imported)."""
    from inventory.cli import findings, owners, risks, sar, scan, service, web  # noqa: F401


def __getattr__(name: str) -> Any:
    if name == "cli":  # `from inventory.cli.main import cli`: the group with every command
        load_commands()
        return group.cli
    raise AttributeError(name)


def main() -> None:
    words = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    if words[:1] == ["scan"] and "--help" not in sys.argv[1:] and "-h" not in sys.argv[1:]:
        from scanner import loader

        loader.start("scanner.pipeline:warm")  # loads the detector while this process starts the scan
        from inventory.cli import scan  # noqa: F401  (only `scan` is run: no other command need be loaded)
    else:
        load_commands()
    group.cli()
