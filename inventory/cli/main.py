"""The `steward` entry point: loads the command modules (each registers its commands on the group) and runs it.

`steward scan`, the nightly command, loads only its own module: the others (reports, the web, the service, ...)
would add a good part of a no-change re-scan's start-up. Every other command, and ``cli`` imported from here,
has them all. A command line that may be `steward scan` forks the loader (``scanner.loader``) first thing, before
even click is imported, so that it loads the detector while this process loads the rest and starts the scan; one
that turns out to be another command (``--log-file scan assets``) stops it again.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["command", "load_commands", "main"]


def load_commands() -> None:
    """Register every command on the group (each module does so when imported)."""
    from inventory.cli import findings, owners, risks, sar, scan, service, web  # noqa: F401


def __getattr__(name: str) -> Any:
    if name == "cli":  # `from inventory.cli.main import cli`: the group with every command
        from inventory.cli import group

        load_commands()
        return group.cli
    raise AttributeError(name)


def command(args: list[str]) -> str | None:
    """The command ``args`` name (``steward --log-level debug scan ...``: "scan"), the group's options and their
    values skipped."""
    import click

    from inventory.cli import group

    valued = {o for p in group.cli.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
    given = iter(args)
    for arg in given:
        if arg in valued:
            next(given, None)
        elif not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    args = sys.argv[1:]
    maybe = "scan" in args and "--help" not in args and "-h" not in args
    if maybe:  # forked before click is even imported; whether this is `steward scan` is told for sure below
        from scanner import loader

        loader.start("scanner.pipeline:warm")  # loads the detector while this process starts the scan
    if maybe and command(args) == "scan":
        from inventory.cli import scan  # noqa: F401  (only `scan` is run: no other command need be loaded)
    else:
        if maybe:
            loader.stop()  # "scan" was an option's value (``--log-file scan assets``)
        load_commands()
    from inventory.cli import group

    group.cli()
