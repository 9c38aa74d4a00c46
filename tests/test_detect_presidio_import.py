"""presidio is imported without compiling its own predefined patterns to check them (``presidio_import``): the
check is back for every pattern made afterwards, and presidio's recognizers and registry work as before."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys, regex
compiled = []
real = regex.compile
regex.compile = lambda pattern, *a, **k: (compiled.append(pattern), real(pattern, *a, **k))[1]
import scanner.detect
regex.compile = real
import presidio_analyzer
from presidio_analyzer import AnalyzerEngine, Pattern, RecognizerRegistry
from presidio_analyzer.predefined_recognizers import UrlRecognizer
try:
    Pattern("broken", "(", 0.5)
    checked = False
except ValueError:
    checked = True
registry = RecognizerRegistry()
registry.load_predefined_recognizers()
found = UrlRecognizer().analyze("see https://www.example.gov.uk/page and bbc.co.uk", ["URL"])
print(json.dumps({
    "url_patterns_compiled_at_import": sum(p in compiled for p in (q.regex for q in UrlRecognizer.PATTERNS)),
    "checked_after": checked,
    "one_pattern_module": presidio_analyzer.Pattern is presidio_analyzer.pattern.Pattern
    and sys.modules["presidio_analyzer.pattern"] is presidio_analyzer.pattern,
    "predefined": "UrlRecognizer" in {type(r).__name__ for r in registry.recognizers},
    "urls": sorted((r.start, r.end) for r in found),
    "spacy_cli_deferred": type(sys.modules.get("spacy.cli")).__name__,
}))
"""


def test_presidio_imports_without_checking_its_own_patterns_and_checks_every_later_one() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen == {
        "url_patterns_compiled_at_import": 0,  # the four URL patterns (0.12-0.19 s) were not compiled
        "checked_after": True,  # a pattern made after the import is checked as ever
        "one_pattern_module": True,
        "predefined": True,  # presidio's registry finds its predefined recognizers (subclasses) as before
        "urls": [[4, 35], [40, 49]],  # and they compile their patterns when used
        "spacy_cli_deferred": "_StandIn",  # spaCy, imported by presidio, still without its command line
    }


def test_presidio_imported_first_is_left_as_it_is() -> None:
    script = (
        "import presidio_analyzer, sys\n"
        "import scanner.detect\n"
        "from presidio_analyzer import Pattern\n"
        "try:\n    Pattern('broken', '(', 0.5)\n    print('unchecked')\nexcept ValueError:\n    print('checked')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["checked"]
