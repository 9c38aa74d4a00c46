"""Special-category and criminal-offence terms (UK GDPR Art. 9 and 10), from editable term packs.

Terms are matched as whole words, case-insensitively, with their senses checked: a term directly followed by a
digit is part of an identifier ("GP 12 34 56 A" is an NI number, not a GP), one joined to an e-mail address or
path is part of that, and a term the pack lists under ``also_names`` ("Christian", "Faith") does not count
where it is a person's name: capitalised next to another capitalised word or after a title, or in a column of
names.

Terms alone flag nothing: a category is reported for a file only when its terms occur together with personal
data about someone (see ``FileRun``: the same table row, the same prose chunk or the one next to it, or, at
``special_category_scope: file``, anywhere in the file), so a policy about health that names no one, or a table
with no personal data in it, is not special-category data.
"""

from __future__ import annotations

import re
from collections import Counter

import re2

from scanner.detect.rules import SpecialCategoryFile
from scanner.memo import MISSING, Recent

_IN_IDENTIFIER_AFTER = re.compile(r"[ \t]?\d|[.@/\\_][A-Za-z0-9]")
_IN_IDENTIFIER_BEFORE = re.compile(r"[@./\\_]$")
_NAME_AFTER = re.compile(r"[ \t]+(?:[A-Z][a-z'’-]+|[A-Z]\.?\s)")
_SEEN = 4096  # texts whose term hits a process remembers
_SEEN_CHARS = 2000  # ... each at most this long
_NAME_BEFORE = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Dear|Rev|Cllr)\.?|\b[A-Z][a-z'’-]+)[ \t]+$")


class TermMatcher:
    def __init__(self, packs: SpecialCategoryFile):
        options = re2.Options()
        options.case_sensitive = False
        options.max_mem = 64 << 20
        self.categories = tuple(packs.categories)
        self._set = re2.Set.SearchSet(options)
        self._patterns = []
        self._names = {n.strip().lower() for pack in packs.categories.values() for n in pack.also_names}
        for pack in packs.categories.values():
            terms = {t.strip() for t in (*pack.terms, *pack.also_names)}
            alternation = "|".join(re2.escape(t) for t in sorted(terms, key=len, reverse=True))
            pattern = rf"\b(?:{alternation})\b"
            self._set.Add(pattern)
            self._patterns.append(re2.compile(pattern, options))
        self._set.Compile()
        self._seen: Recent[tuple[str, bool], tuple[tuple[str, int], ...]] = Recent(_SEEN)

    def hits(self, text: str, names_column: bool = False) -> list[tuple[str, int]]:
        """(category, offset) of every term occurrence in ``text`` used in its special-category sense. A short
        text's answer is remembered by the process (the same column or line in a copy of a file)."""
        if len(text) > _SEEN_CHARS:
            return self._hits(text, names_column)
        key = (text, names_column)
        seen = self._seen.recall(key)
        if seen is MISSING:
            seen = self._seen.keep(key, tuple(self._hits(text, names_column)))
        return list(seen)

    def forget(self) -> None:
        """Empty the remembered answers."""
        self._seen.clear()

    def _hits(self, text: str, names_column: bool) -> list[tuple[str, int]]:
        found = self._set.Match(text) or []
        out = []
        for i in found:
            for m in self._patterns[i].finditer(text):
                if not self._rejected(text, m.start(), m.end(), names_column):
                    out.append((self.categories[i], m.start()))
        return out

    def categories_in(self, text: str) -> dict[str, int]:
        """Category -> number of term occurrences in ``text``."""
        return dict(Counter(category for category, _ in self.hits(text)))

    def _rejected(self, text: str, start: int, end: int, names_column: bool) -> bool:
        if _IN_IDENTIFIER_AFTER.match(text, end) or _IN_IDENTIFIER_BEFORE.search(text[max(0, start - 1) : start]):
            return True
        word = text[start:end]
        if word.lower() not in self._names:
            return False
        if names_column:
            return True
        if not word[:1].isupper():
            return False
        return bool(_NAME_AFTER.match(text, end) or _NAME_BEFORE.search(text[max(0, start - 30) : start]))
