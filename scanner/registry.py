"""Lazy registries: plain dicts from a key to "package.module:attribute", imported on first use."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from scanner.errors import ConfigError


@cache
def load(import_path: str) -> Any:
    """Import ``"pkg.mod:attr"`` and return the attribute, with a clear error if a dependency is missing."""
    module_name, _, attr = import_path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"{import_path} needs the Python package {exc.name!r}, which is not installed; "
            "install Steward with its extras (pip install 'steward[all]')"
        ) from exc
    return getattr(module, attr)
