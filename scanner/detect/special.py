"""Special-category and criminal-offence terms (UK GDPR Art. 9 and 10), from editable term packs.

Terms alone flag nothing: a category is reported for a file only when its terms occur together with a personal
identifier (in the same chunk by default, see DetectionConfig.special_category_scope), so a policy document
about health that names no one is not special-category data.
"""

from __future__ import annotations

import re2

from scanner.detect.rules import SpecialCategoryFile


class TermMatcher:
    def __init__(self, packs: SpecialCategoryFile):
        options = re2.Options()
        options.case_sensitive = False
        options.max_mem = 64 << 20
        self.categories = tuple(packs.categories)
        self._set = re2.Set.SearchSet(options)
        self._patterns = []
        for pack in packs.categories.values():
            alternation = "|".join(re2.escape(t.strip()) for t in pack.terms)
            pattern = rf"\b(?:{alternation})\b"
            self._set.Add(pattern)
            self._patterns.append(re2.compile(pattern, options))
        self._set.Compile()

    def categories_in(self, text: str) -> dict[str, int]:
        """Category -> number of term occurrences in ``text``."""
        hits = self._set.Match(text) or []
        return {self.categories[i]: sum(1 for _ in self._patterns[i].finditer(text)) for i in hits}
