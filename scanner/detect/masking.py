"""Masked examples and keyed hashes. The only place a raw value is turned into something that may leave
``scanner.detect``: a masked example keeps at most a few non-identifying characters, a hash is HMAC-SHA256."""

from __future__ import annotations

import hmac
import re

from scanner.detect.names import normalise_name
from scanner.memo import MISSING, Recent

_ALNUM = re.compile(r"[A-Za-z0-9]")


def _mask_from(value: str, keep: int) -> str:
    """Keep the first ``keep`` letters/digits, star the others, keep separators."""
    out: list[str] = []
    seen = 0
    for ch in value:
        if ch.isalnum():
            out.append(ch if seen < keep else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


_TITLES = frozenset({"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Sir", "Dame", "Rev", "Cllr"})


def _mask_words(value: str) -> str:
    """'Jane Smith' -> 'J*** S****'; a title stays: 'Mrs J*** S****'."""
    return " ".join(w if w.rstrip(".") in _TITLES else w[:1] + "*" * (len(w) - 1) for w in value.split())


def mask(entity: str, value: str) -> str:
    value = " ".join(value.split())[:80]
    if entity == "UK_NINO":
        compact = re.sub(r"[^A-Za-z0-9]", "", value).upper()
        return f"{compact[:2]} ** ** ** {compact[-1:]}" if len(compact) == 9 else _mask_from(value, 2)
    if entity == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}****@{domain}"
    if entity in {"PERSON", "UK_ADDRESS"}:
        return _mask_words(value) if entity == "PERSON" else _mask_from(value, 0)
    if entity == "CREDIT_CARD":
        digits = re.sub(r"\D", "", value)
        return "**** **** **** " + digits[-4:] if len(digits) >= 12 else _mask_from(value, 0)
    if entity == "UK_POSTCODE":
        parts = value.upper().split()
        return f"{parts[0]} ***" if len(parts) == 2 else value[: max(len(value) - 3, 2)].upper() + "***"
    if entity == "IBAN_CODE":
        return _mask_from(value.upper(), 4)
    if entity in {"UK_NHS", "PHONE_NUMBER", "UK_UPN"}:
        return _mask_from(value, 3)
    if entity == "IP_ADDRESS":
        return value.split(".")[0] + ".*.*.*" if "." in value else _mask_from(value, 2)
    return _mask_from(value, 1) if len(_ALNUM.findall(value)) > 4 else _mask_from(value, 0)


def normalise(entity: str, value: str) -> str:
    """Canonical form used for hashing, so '943 476 5919' and '9434765919' hash alike, and "O'Neill",
    "O’Neill" and "ONEILL" (diacritics, case, apostrophes and titles folded) do too."""
    if entity == "PERSON":
        return normalise_name(value)
    if entity in {"EMAIL_ADDRESS", "UK_ADDRESS"}:
        return " ".join(value.lower().split())
    return re.sub(r"[^A-Za-z0-9]", "", value).upper()


_HASHES: Recent[tuple[bytes, str, str], str] = Recent(8192)  # values recur as identifiers' do (``scanner.memo``)


def keyed_hash(key: bytes, entity: str, value: str) -> str:
    """The digest of a value of a type that is not indexed."""
    memo = (key, entity, value)
    found = _HASHES.recall(memo)
    if found is MISSING:
        found = _HASHES.keep(memo, hmac.digest(key, f"{entity}\x1f{normalise(entity, value)}".encode(), "sha256").hex())
    return found
