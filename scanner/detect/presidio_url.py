"""presidio's URL recognizer, imported when it is used rather than with presidio.

``import presidio_analyzer`` imports every predefined recognizer, and the URL recognizer's class builds four
``Pattern``s from one alternation of some 1,500 top-level domains, each compiled by the ``regex`` module to be
validated: 0.12 s of the loader's start, which a first scan waits for (``docs/performance.md``). Steward never
uses that recognizer (its registry holds its own). Imported before presidio, this module puts a stand-in for
``presidio_analyzer.predefined_recognizers.generic.url_recognizer`` in ``sys.modules``, whose ``UrlRecognizer``
imports the real module when it is first used (made, checked against, or asked for an attribute) and answers from
it; the packages' names are then pointed at the real class. Nothing is done when presidio is already imported or
cannot be found.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_PACKAGE = "presidio_analyzer.predefined_recognizers"
_NAME = f"{_PACKAGE}.generic.url_recognizer"


class _StandIn(types.ModuleType):
    """The stand-in module (its one name is ``UrlRecognizer``)."""


class _Deferred(type):
    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real(), name)

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, _real())

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _real())


class UrlRecognizer(metaclass=_Deferred):
    """Stands for presidio's ``UrlRecognizer``: making one makes the real one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _real()(*args, **kwargs)


def _real() -> type:
    """The real ``UrlRecognizer``, its module imported now (once) in the stand-in's place."""
    if isinstance(sys.modules.get(_NAME), _StandIn):
        del sys.modules[_NAME]
        real = getattr(importlib.import_module(_NAME), "UrlRecognizer")  # noqa: B009
        for package in (f"{_PACKAGE}.generic", _PACKAGE):
            module = sys.modules.get(package)
            if module is not None and getattr(module, "UrlRecognizer", None) is UrlRecognizer:
                setattr(module, "UrlRecognizer", real)  # noqa: B010
    found: type = getattr(sys.modules[_NAME], "UrlRecognizer")  # noqa: B009
    return found


def defer() -> None:
    """Install the stand-in, unless presidio is imported already or is not installed."""
    if "presidio_analyzer" in sys.modules or _NAME in sys.modules:
        return
    if importlib.util.find_spec("presidio_analyzer") is None:
        return
    stand_in = _StandIn(_NAME)
    stand_in.__package__ = f"{_PACKAGE}.generic"
    stand_in.UrlRecognizer = UrlRecognizer  # type: ignore[attr-defined]
    sys.modules[_NAME] = stand_in


defer()
