"""Keyed digests of identifiers for the subject-access index: the one normalisation shared by detection (which
digests what it finds) and the search (which digests what a handler types), so both sides agree.

A digest is HMAC-SHA256 under the installation's key of ``entity`` + a separator + the normalised value; nothing
here returns or keeps a value. Normalisation per type is documented in docs/sar.md. Names give several digests:
the full name ("PERSON") and initial + surname ("PERSON_INITIAL"), weak evidence ranked below identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers
from stdnum.gb import nhs

from scanner.memo import MISSING, Recent
from scanner.picklable import by_fields

# Entities the index holds. Addresses and free text are not identifiers of one person.
INDEXED = frozenset(
    {
        "UK_NHS",
        "UK_NINO",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "UK_BANK_ACCOUNT",
        "UK_PASSPORT",
        "UK_DRIVING_LICENCE",
        "DATE_OF_BIRTH",
        "UK_POSTCODE",
        "PERSON",
    }
)
NAME_INITIAL = "PERSON_INITIAL"  # initial + surname: "j smith"

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "rev", "cllr", "prof", "lady", "lord"})
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]")
_GMAIL = frozenset({"gmail.com", "googlemail.com"})


@by_fields
@dataclass(frozen=True, slots=True)
class IdentifierDigest:
    """One identifier found in a file: its type, keyed digest (hex) and where it was (a locator, no value)."""

    entity: str
    digest: str
    where: str = ""


def fold(text: str) -> str:
    """Diacritics dropped, lower case, single spaces: 'Zoë  Ó Briain' -> 'zoe o briain'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def _phone(value: str) -> str | None:
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", value)
        return digits or None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str) -> str | None:
    address = value.strip().strip("<>").lower()
    if address.startswith("mailto:"):
        address = address[7:]
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain:
        return None
    if domain in _GMAIL:  # the one large provider documented to ignore dots in the local part
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d/%m/%y", "%Y%m%d")
# What a text must hold for strptime to take it with each format: the format's separator, or (%Y%m%d) four
# digits first. A format whose need is missing is not tried: the first format that parses is the same.
_DATE_NEEDS = ("/", "-", ".", "-", " ", " ", "/", "")
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.I)


# The commonest forms, read without strptime (20-25 µs a value) where it would read them alike: day, month and a
# four-digit year with one separator (what "%d/%m/%Y", "%d-%m-%Y" and "%d.%m.%Y", tried first, take), and ISO.
_DMY = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def _date(value: str) -> str | None:
    text = _ORDINAL.sub(r"\1", " ".join(value.replace(",", " ").split()))
    if found := _DMY.fullmatch(text):
        day, month, year = found[1], found[3], found[4]
    elif found := _YMD.fullmatch(text):
        year, month, day = found[1], found[2], found[3]
    if found:
        try:
            return date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            pass  # not a date ("31/02/2010"): strptime refuses it too, and the other formats are tried as before
    for fmt, need in zip(_DATE_FORMATS, _DATE_NEEDS, strict=True):
        if need not in text if need else not text[:4].isdigit():
            continue
        try:
            parsed: date = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return parsed.isoformat()
    return None


def name_parts(value: str) -> tuple[str, str] | None:
    """(forename, surname) of a full name, titles dropped and 'Surname, Forename' turned round; None for one word."""
    text = fold(value)
    if "," in text:
        surname, _, forenames = text.partition(",")
        text = f"{forenames} {surname}"
    words = [w for w in re.split(r"[^a-z'\-]+", text) if w and w.strip("'-")]
    words = [w.strip("'-") for w in words if w.rstrip(".") not in _TITLES]
    if len(words) < 2:
        return None
    return words[0], words[-1]


def normalise(entity: str, value: str) -> str | None:
    """The canonical form digested for ``entity``, or None when the value cannot be one."""
    if entity == "EMAIL_ADDRESS":
        return _email(value)
    if entity == "PHONE_NUMBER":
        return _phone(value)
    if entity == "DATE_OF_BIRTH":
        return _date(value)
    if entity == "PERSON":
        parts = name_parts(value)
        return f"{parts[0]} {parts[1]}" if parts else None
    compact = _NON_ALNUM.sub("", value).upper()
    return compact or None


def _hmac(key: bytes, entity: str, canonical: str) -> str:
    return hmac.digest(key, f"{entity}\x1f{canonical}".encode(), "sha256").hex()  # = hmac.new(...).hexdigest()


# A value recurs within a file (a column, a signature) and across a share's files: 16,384 values (a few MB) keep
# the generated small-files tree's 8,700 distinct values, where 4,096 let them push each other out; where values
# seldom recur the memory keeps far fewer (``scanner.memo``).
_DIGESTS: Recent[tuple[bytes, str, str], tuple[tuple[str, str], ...]] = Recent(16384)


def digests(key: bytes, entity: str, value: str) -> tuple[tuple[str, str], ...]:
    """(entity, digest) pairs for one value: one for an identifier; for a name, the full name and, when the
    forename is longer than an initial, initial + surname too. Empty when the value does not normalise."""
    memo = (key, entity, value)
    found = _DIGESTS.recall(memo)
    return _DIGESTS.keep(memo, _digests(key, entity, value)) if found is MISSING else found


def _digests(key: bytes, entity: str, value: str) -> tuple[tuple[str, str], ...]:
    if entity not in INDEXED:
        return ()
    if entity == "PERSON":
        parts = name_parts(value)
        if parts is None:
            return ()
        forename, surname = parts
        initial = (NAME_INITIAL, _hmac(key, NAME_INITIAL, f"{forename[0]} {surname}"))
        if len(forename.rstrip(".")) == 1:  # "J. Smith": an initial only
            return (initial,)
        return (("PERSON", _hmac(key, "PERSON", f"{forename} {surname}")), initial)
    canonical = normalise(entity, value)
    return ((entity, _hmac(key, entity, canonical)),) if canonical else ()


def key_fingerprint(key: bytes) -> str:
    """Tells one key from another without revealing it (an HMAC of a fixed label, first 16 hex digits)."""
    return hmac.new(key, b"steward identifier index", hashlib.sha256).hexdigest()[:16]


_NAME_PATTERNS = (
    ("EMAIL_ADDRESS", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("UK_NHS", re.compile(r"(?<![0-9])\d{3}[ _-]?\d{3}[ _-]?\d{4}(?![0-9])")),
    (
        "UK_NINO",
        re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[ _-]?\d{2}[ _-]?\d{2}[ _-]?\d{2}[ _-]?[A-Da-d](?![A-Za-z0-9])"),
    ),
    ("PHONE_NUMBER", re.compile(r"(?<![0-9+])(?:\+44[ _-]?|0)\d{2,4}[ _-]?\d{3,4}[ _-]?\d{3,4}(?![0-9])")),
)


def _checked(entity: str, value: str) -> bool:
    if entity == "UK_NHS":
        return bool(nhs.is_valid(re.sub(r"\D", "", value)))
    if entity == "PHONE_NUMBER":
        try:
            return bool(phonenumbers.is_valid_number(phonenumbers.parse(re.sub(r"[_]", " ", value), "GB")))
        except phonenumbers.NumberParseException:
            return False
    return True


def in_file_name(name: str, key: bytes | None) -> tuple[IdentifierDigest, ...]:
    """Digests of identifiers written in a file's name ("Referral 943 476 5919.docx"), locator "file name".
    Names of people in file names are not indexed: a word pair in a file name is too often not a person."""
    if key is None:
        return ()
    found: dict[str, IdentifierDigest] = {}
    for entity, pattern in _NAME_PATTERNS:
        for m in pattern.finditer(name):
            if _checked(entity, m.group()):
                for ent, digest in digests(key, entity, m.group().replace("_", " ")):
                    found.setdefault(digest, IdentifierDigest(ent, digest, "file name"))
    return tuple(found.values())
