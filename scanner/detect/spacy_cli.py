"""spaCy's command-line interface, imported when it is used rather than with spaCy.

``import spacy`` imports its command-line interface (``spacy.cli``, and with it typer, weasel, httpx and requests)
for one name, ``spacy.info``: a quarter of a second of the loader's start, which a first scan waits for
(``docs/performance.md``). Imported before spaCy, this module puts stand-ins for ``spacy.cli`` and
``spacy.cli.info`` in ``sys.modules``. The package stand-in has the real package's path, so its submodules
import as usual (``spacy.cli.download``); any other name asked of either stand-in, or a call of ``spacy.info``,
imports the real package then and answers from it. Nothing is done when spaCy is already imported or cannot
be found.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_CLI, _INFO = "spacy.cli", "spacy.cli.info"


class _StandIn(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """The real ``name`` (``spacy.cli`` or ``spacy.cli.info``), the stand-ins gone."""
    for standing in (_INFO, _CLI):
        if isinstance(sys.modules.get(standing), _StandIn):
            del sys.modules[standing]
    cli = importlib.import_module(_CLI)
    spacy = sys.modules.get("spacy")
    if spacy is not None:
        spacy.cli = cli  # type: ignore[attr-defined]
    return importlib.import_module(name)


def info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``: the real one, imported now."""
    return _real(_INFO).info(*args, **kwargs)


def defer() -> None:
    """Install the stand-ins, unless spaCy is imported already or is not installed."""
    if "spacy" in sys.modules or _CLI in sys.modules:
        return
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return
    cli = _StandIn(_CLI)
    cli.__path__ = [f"{location}/cli" for location in spec.submodule_search_locations]
    cli.__package__ = _CLI
    about = _StandIn(_INFO)
    about.__package__ = _CLI
    about.info = info  # type: ignore[attr-defined]
    sys.modules[_CLI], sys.modules[_INFO] = cli, about


defer()
