"""A pattern recognizer whose matches pass one more check on the text around them.

``CheckedPatternRecognizer.analyze`` is ``PatternRecognizer.analyze`` followed by ``keep`` on each result, and
nothing else, so the confirm tier's direct pass (``scanner.detect.patterns``) can run it as it runs a plain
pattern recognizer, with the same check, without presidio's per-call machinery.
"""

from __future__ import annotations

from presidio_analyzer import PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class CheckedPatternRecognizer(PatternRecognizer):
    def keep(self, text: str, start: int, end: int) -> bool:
        """Whether the match text[start:end], already validated, is kept (what is around it can drop it)."""
        return True

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        found = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [r for r in found if self.keep(text, r.start, r.end)]
