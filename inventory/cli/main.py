"""The `steward` entry point: imports every command module (each registers its commands on the group) and runs it."""

from __future__ import annotations

from inventory.cli import findings, owners, risks, sar, scan, service, web
from inventory.cli.group import cli

__all__ = ["cli", "main"]
COMMAND_MODULES = (scan, findings, service, owners, risks, sar, web)  # the order `steward --help` groups them in


def main() -> None:
    cli()
