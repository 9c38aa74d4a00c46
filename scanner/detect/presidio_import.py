"""presidio imported without compiling its own predefined patterns only to check them.

presidio's ``Pattern`` compiles its regular expression when it is constructed, to check it, and throws the
compiled form away (a recognizer compiles its patterns again, with its flags, when it is first used). Its
predefined recognizers construct their patterns when presidio is imported (the URL recognizer's four, each an
alternation of 1,500 top-level domains, the largest): ``import scanner.detect`` took 1.06–1.57 s with the checks
and 0.83–1.11 s without, alternated six times, on the loader's start, which every first scan waits for
(``docs/performance.md``). Those patterns are presidio's constants, the same for every installation, and are
compiled when a recognizer is used as they always were. So, imported before presidio, this module loads
presidio's ``pattern`` module first, leaves the check out while the rest of presidio is imported, and puts it
back at once: every ``Pattern`` made after the import (Steward's own, a deployment's custom recognizers) is
checked as before. Nothing is done when presidio is already imported, cannot be found, or no longer has the
check by that name.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from scanner.detect import spacy_cli  # noqa: F401  (spaCy, which presidio imports, without its command line)

_PACKAGE, _PATTERN = "presidio_analyzer", "presidio_analyzer.pattern"
_CHECK = "_Pattern__validate_regex"  # ``Pattern.__validate_regex``, name-mangled


def _skip(pattern: str) -> None:
    """The check left out (while presidio's own modules are imported)."""


def import_presidio() -> None:
    """Import presidio, its predefined patterns unchecked; the check back in place afterwards."""
    if _PACKAGE in sys.modules or _PATTERN in sys.modules:
        return
    package = importlib.util.find_spec(_PACKAGE)
    if package is None or not package.submodule_search_locations:
        return
    path = Path(next(iter(package.submodule_search_locations)), "pattern.py")
    spec = importlib.util.spec_from_file_location(_PATTERN, path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[_PATTERN] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_PATTERN]
        raise
    cls = getattr(module, "Pattern", None)
    check = vars(cls).get(_CHECK) if isinstance(cls, type) else None
    if not isinstance(check, staticmethod):
        importlib.import_module(_PACKAGE)
        return
    setattr(cls, _CHECK, staticmethod(_skip))
    try:
        presidio = importlib.import_module(_PACKAGE)
    finally:
        setattr(cls, _CHECK, check)
    presidio.pattern = module  # type: ignore[attr-defined]  # as importing it through the package would


import_presidio()
