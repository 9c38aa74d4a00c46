"""Context-word scoring that works without lemmas, so pattern-only mode and NER mode score alike.

presidio's LemmaContextAwareEnhancer needs a full spaCy pipeline (lemmas) for every text it scores; Steward's
confirm stage runs on small windows with no pipeline at all. This enhancer looks for a recognizer's context
words
(whole words or phrases, case-insensitive) in the characters before and just after each match, and in the
chunk's external context (column header, sheet name). A hit raises the score and is recorded in the result's
metadata for explanations; a recognizer marked ``requires_context`` loses matches that have none.
"""

from __future__ import annotations

import functools
import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

from scanner.detect.protocol import extras

CONTEXT_KEY = "steward_context_words"


@functools.cache
def context_regex(words: tuple[str, ...]) -> re.Pattern[str] | None:
    words = tuple(w for w in words if w)
    if not words:
        return None
    alternation = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])")


class WindowContextEnhancer(ContextAwareEnhancer):
    def __init__(self, before: int = 60, after: int = 20, factor: float = 0.35, min_with_context: float = 0.6):
        super().__init__(
            context_similarity_factor=factor,
            min_score_with_context_similarity=min_with_context,
            context_prefix_count=0,
            context_suffix_count=0,
        )
        self.before = before
        self.after = after

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        by_id = {r.id: r for r in recognizers}
        external = " ".join(context or ()).lower()
        kept: list[RecognizerResult] = []
        for result in raw_results:
            recognizer = by_id.get(result.recognition_metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            words = tuple(recognizer.context or ()) if recognizer is not None else ()
            pattern = context_regex(words)
            steward = extras(recognizer)
            before = steward.context_before or self.before
            after = self.after if steward.context_after is None else steward.context_after
            found = find_context(pattern, text, result.start, result.end, external, before, after)
            score = self.rescore(recognizer, result.score, bool(found))
            if score is None:
                continue
            if found:
                result.recognition_metadata[CONTEXT_KEY] = tuple(found)
            result.score = score
            kept.append(result)
        return kept

    def rescore(self, recognizer: object, score: float, has_context: bool) -> float | None:
        """A match's score after context: raised with a context word; dropped (None) when the recognizer
        requires one and there is none; capped at ``bare_score`` without one when the recognizer sets it."""
        if has_context:
            if score < EntityRecognizer.MAX_SCORE:
                score = min(
                    EntityRecognizer.MAX_SCORE,
                    max(score + self.context_similarity_factor, self.min_score_with_context_similarity),
                )
            return score
        steward = extras(recognizer)
        if steward.requires_context:
            return None
        bare = steward.bare_score
        return min(score, bare) if bare is not None else score


def find_context(
    pattern: re.Pattern[str] | None, text: str, start: int, end: int, external: str, before: int, after: int
) -> list[str]:
    """Context words found near text[start:end] (same line preferred) or in the external context."""
    if pattern is None:
        return []
    window = text[max(0, start - before) : start].lower() + " " + text[end : end + after].lower()
    found = [m.group(0) for m in pattern.finditer(window)]
    if external:
        found += [m.group(0) for m in pattern.finditer(external)]
    return list(dict.fromkeys(found))[:3]
