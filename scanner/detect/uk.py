"""UK recognizers: presidio's shipped ones, configured and extended, plus Steward's own additions.

Checksums come from python-stdnum (NHS, UPN, Luhn, IBAN) and phonenumbers (via presidio's PhoneRecognizer).
A recognizer with ``requires_context = True`` only reports a match when a context word is near it (see
``context.py``); ``steward_validator`` names the check that validated it, for explanations.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
    UkDrivingLicenceRecognizer,
    UkNinoRecognizer,
    UkPassportRecognizer,
    UkPostcodeRecognizer,
)
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.gb import nhs as stdnum_nhs
from stdnum.gb import upn as stdnum_upn

from scanner.detect.dates import DATE, plausible_birth_date
from scanner.detect.protocol import StewardRecognizer

# Street types seen in UK addresses; used by the street-address recognizer (case-sensitive).
STREET_TYPES = (
    "Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|Dr|Close|Cl|Way|Crescent|Cres|Court|Ct|Place|Pl|Gardens|Gdns|"
    "Grove|Gr|Terrace|Tce|Hill|Park|Square|Sq|Row|Mews|Walk|View|Rise|Green|Parade|Vale|Meadow|Meadows|Fields|"
    "Croft|Chase|Wharf|Yard|Approach|Boulevard|Bank|Brow|End|Gate|Hollow|Wynd|Glen"
)
# "12 Priory Street", "Flat 3, 12a Mill Lane": a house number and capitalised words ending in a street type.
STREET = rf"(?-i:\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'’]*[a-z][ -]){{1,3}}(?:{STREET_TYPES}))\b"
# A street line whose address block ends, within two more lines, in a postcode (any street type).
POSTCODE = (
    r"(?:[A-PR-UWYZ][0-9][ABCDEFGHJKPSTUW]?|[A-PR-UWYZ][0-9]{2}|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{2})\s?[0-9][ABD-HJLNP-UW-Z]{2}"
)
STREET_BLOCK = (
    r"(?-i:\b\d{1,4}[A-Za-z]?,?[ \t]+(?:[A-Z][A-Za-z'’]*[a-z][ \t]){1,3}[A-Z][A-Za-z'’]*[a-z])"
    rf"(?=[^\n]{{0,60}}?\b(?-i:{POSTCODE})\b|[ \t,]*\n(?:[^\n]{{0,40}}\n){{0,2}}[ \t]*(?-i:{POSTCODE})\b)"
)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isalnum()).upper()


class StewardNhsRecognizer(StewardRecognizer, NhsRecognizer):
    """presidio's NHS number pattern, validated by ``stdnum.gb.nhs`` (mod 11)."""

    steward_validator = "stdnum.gb.nhs"
    requires_context = False
    # One random 10-digit number in 11 passes mod 11 (references, "+44 113 496 0000"): without an NHS context
    # word a valid number scores 0.4, under the default threshold; a column full of them is still typed.
    bare_score = 0.4

    def __init__(self) -> None:
        super().__init__(
            context=[*NhsRecognizer.CONTEXT, "nhs no", "nhs number", "patient", "health"],
            name="StewardNhsRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        return stdnum_nhs.is_valid(_digits(pattern_text))


class StewardNinoRecognizer(StewardRecognizer, UkNinoRecognizer):
    """presidio's NINO pattern (HMRC prefix rules: never-issued prefixes BG, GB, NK, KN, TN, NT, ZZ and the
    letters D, F, I, Q, U, V rejected), with or without spaces, with more context words."""

    steward_validator = "hmrc-prefix-rules"
    requires_context = False

    def __init__(self) -> None:
        super().__init__(
            context=[*UkNinoRecognizer.CONTEXT, "ni no", "nat ins", "insurance number", "ni"],
            name="StewardNinoRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        text = _digits(pattern_text)
        # Temporary (TN) and administrative (OO, CR, FY, MW, NC, PP, PY, PZ) prefixes are never issued.
        return False if text[:2] in {"OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ"} else None


class StewardPostcodeRecognizer(StewardRecognizer, UkPostcodeRecognizer):
    """presidio's postcode pattern (0.1 on its own) plus an address-block pattern: a postcode after a town
    or street on the previous line or after a comma scores 0.6."""

    steward_validator = None
    requires_context = False

    def __init__(self) -> None:
        block = Pattern(
            "UK Postcode (address block)",
            rf"(?<=(?-i:[A-Z][a-z]+)(?:,[ \t]*|[ \t]*\n[ \t]*|[ \t]+))(?-i:{POSTCODE})\b",
            0.6,
        )
        upper = Pattern("UK Postcode (upper case)", rf"\b(?-i:{POSTCODE})\b", 0.3)
        super().__init__(
            patterns=[block, upper],
            context=[*UkPostcodeRecognizer.CONTEXT, "post code", "lives", "resides", "home", "flat"],
            name="StewardPostcodeRecognizer",
        )


class StewardPassportRecognizer(StewardRecognizer, UkPassportRecognizer):
    """UK passport numbers (presidio's 2 letters + 7 digits, and the older 9 digits); needs a context word."""

    steward_validator = None
    requires_context = True

    def __init__(self) -> None:
        patterns = [*UkPassportRecognizer.PATTERNS, Pattern("UK Passport (9 digits)", r"\b\d{9}\b", 0.1)]
        super().__init__(patterns=patterns, context=[*UkPassportRecognizer.CONTEXT], name="StewardPassportRecognizer")


class StewardDrivingLicenceRecognizer(StewardRecognizer, UkDrivingLicenceRecognizer):
    steward_validator = "dvla-structure"
    requires_context = False

    def __init__(self) -> None:
        super().__init__(
            context=[*UkDrivingLicenceRecognizer.CONTEXT, "licence", "license"],
            name="StewardDrivingLicenceRecognizer",
        )


class StewardPhoneRecognizer(StewardRecognizer, PhoneRecognizer):
    """presidio's phonenumbers-based recognizer for GB numbers (mobile and landline, +44 and 0 forms)."""

    steward_validator = "phonenumbers"
    requires_context = False

    def __init__(self) -> None:
        super().__init__(
            context=[
                "phone",
                "telephone",
                "tel",
                "mobile",
                "mob",
                "landline",
                "call",
                "contact",
                "ring",
                "text",
                "fax",
                "home",
                "work",
                "direct",
                "dial",
            ],
            supported_regions=("GB",),
            name="StewardPhoneRecognizer",
        )


class StewardCreditCardRecognizer(StewardRecognizer, CreditCardRecognizer):
    steward_validator = "stdnum.luhn"
    requires_context = False

    def __init__(self) -> None:
        super().__init__(name="StewardCreditCardRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        digits = _digits(pattern_text)
        return digits.isdigit() and 13 <= len(digits) <= 19 and luhn.is_valid(digits)


class StewardIbanRecognizer(StewardRecognizer, IbanRecognizer):
    steward_validator = "stdnum.iban"
    requires_context = False

    def __init__(self) -> None:
        super().__init__(name="StewardIbanRecognizer")

    def validate_result(self, pattern_text: str) -> bool:
        return stdnum_iban.is_valid(_digits(pattern_text))


class StewardEmailRecognizer(StewardRecognizer, EmailRecognizer):
    steward_validator = "tldextract"
    requires_context = False

    def __init__(self) -> None:
        super().__init__(name="StewardEmailRecognizer")


class StewardIpRecognizer(StewardRecognizer, IpRecognizer):
    """presidio's IPv4 pattern. Its IPv6 patterns are slow (3 MB/s even with no match), so they are a separate
    recognizer that runs only where triage saw colon-separated hex."""

    steward_validator = "ipaddress"
    requires_context = False

    def __init__(self) -> None:
        v4 = [p for p in IpRecognizer.PATTERNS if p.name == "IPv4"]
        super().__init__(patterns=v4, name="StewardIpRecognizer")

    def invalidate_result(self, pattern_text: str) -> bool:
        parts = pattern_text.split(".")
        if len(parts) != 4:  # an IPv6 pattern's match: presidio's own check
            return super().invalidate_result(pattern_text)
        # Octets 0-255; version-like dotted numbers ("1.2.3.4", one digit each) are not addresses.
        return not all(p.isdigit() and int(p) <= 255 for p in parts) or all(len(p) == 1 for p in parts)


class StewardIpv6Recognizer(StewardIpRecognizer):
    """presidio's IPv6 patterns, reported as IP_ADDRESS (the internal entity name only routes triage)."""

    def __init__(self) -> None:
        v6 = [p for p in IpRecognizer.PATTERNS if p.name != "IPv4"]
        IpRecognizer.__init__(self, patterns=v6, supported_entity="IP_ADDRESS_V6", name="StewardIpv6Recognizer")


class UkBankAccountRecognizer(StewardRecognizer, PatternRecognizer):
    """UK_BANK_ACCOUNT: a sort code with an account number near it, in either order; needs a bank context
    word. No public checksum exists (Vocalink modulus tables are licensed), so it is never 'validated'."""

    steward_validator = None
    requires_context = True
    SORT = r"\d{2}[- ]\d{2}[- ]\d{2}"
    PATTERNS = (
        Pattern("sort code then account", rf"\b{SORT}\b[^\d\n]{{1,40}}\b\d{{8}}\b", 0.5),
        Pattern("account then sort code", rf"\b\d{{8}}\b[^\d\n]{{1,40}}\b{SORT}\b", 0.5),
        Pattern("sort code and account", r"\b\d{6}[ /-]\d{8}\b", 0.3),
    )
    CONTEXT = ("sort code", "sortcode", "account", "acc no", "a/c", "bank", "bacs", "building society")

    def __init__(self) -> None:
        super().__init__(
            supported_entity="UK_BANK_ACCOUNT",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            name="UkBankAccountRecognizer",
        )


class UkSortCodeRecognizer(StewardRecognizer, PatternRecognizer):
    """UK_BANK_ACCOUNT from a sort code on its own, only next to the words "sort code" (or in a "Sort code"
    column): dates look the same."""

    steward_validator = None
    requires_context = True
    PATTERNS = (Pattern("sort code", r"\b\d{2}-\d{2}-\d{2}\b", 0.1),)
    CONTEXT = ("sort code", "sortcode", "sort-code")

    def __init__(self) -> None:
        super().__init__(
            supported_entity="UK_BANK_ACCOUNT",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            name="UkSortCodeRecognizer",
        )


class UkUpnRecognizer(StewardRecognizer, PatternRecognizer):
    """UK_UPN: the Unique Pupil Number (check letter, LA number, school, year, serial), validated by
    ``stdnum.gb.upn`` (check letter and local authority number)."""

    steward_validator = "stdnum.gb.upn"
    requires_context = False
    PATTERNS = (Pattern("UPN", r"\b(?-i:[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z])\b", 0.3),)
    CONTEXT = ("upn", "unique pupil number", "pupil number", "pupil")

    def __init__(self) -> None:
        super().__init__(
            supported_entity="UK_UPN",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            name="UkUpnRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        return stdnum_upn.is_valid(pattern_text)


class DateOfBirthRecognizer(StewardRecognizer, PatternRecognizer):
    """DATE_OF_BIRTH: a plausible past date with a birth context word before it (or a DOB column)."""

    steward_validator = "date"
    requires_context = True
    context_before = 30  # "Date of birth: ", "born on ": close before the date, not a sentence earlier
    context_after = 0
    PATTERNS = (Pattern("date", DATE, 0.3),)
    CONTEXT = ("date of birth", "dob", "d.o.b", "d/o/b", "born", "birth", "birthday", "birthdate")

    def __init__(self) -> None:
        super().__init__(
            supported_entity="DATE_OF_BIRTH",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            name="DateOfBirthRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if plausible_birth_date(pattern_text) else False


class UkAddressRecognizer(StewardRecognizer, PatternRecognizer):
    """UK_ADDRESS (street address): a house number and street with a known street type, or any street line
    in an address block that ends in a postcode."""

    steward_validator = None
    requires_context = False
    PATTERNS = (Pattern("street in address block", STREET_BLOCK, 0.7), Pattern("street", STREET, 0.35))
    CONTEXT = ("address", "lives at", "living at", "resides", "residing", "home", "flat", "moved to")

    def __init__(self) -> None:
        super().__init__(
            supported_entity="UK_ADDRESS",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            name="UkAddressRecognizer",
        )


class TitledNameRecognizer(StewardRecognizer, PatternRecognizer):
    """PERSON from a title and capitalised name ("Mrs Sarah Thompson", "Dr Patel"): cheap, so names are
    found in pattern-only mode too."""

    steward_validator = None
    requires_context = False
    PATTERNS = (
        Pattern(
            "title and name",
            r"(?-i:\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Dame|Rev|Cllr)\.?[ \t]+"
            r"[A-Z][a-z'’-]+(?:[ \t]+[A-Z][a-z'’-]+)?)\b",
            0.6,
        ),
    )

    def __init__(self) -> None:
        super().__init__(supported_entity="PERSON", patterns=list(self.PATTERNS), name="TitledNameRecognizer")


def uk_recognizers() -> list[EntityRecognizer]:
    """Fresh instances of every built-in Steward pattern recognizer (presidio objects are mutable)."""
    return [
        StewardNhsRecognizer(),
        StewardNinoRecognizer(),
        StewardPostcodeRecognizer(),
        StewardPassportRecognizer(),
        StewardDrivingLicenceRecognizer(),
        StewardPhoneRecognizer(),
        StewardCreditCardRecognizer(),
        StewardIbanRecognizer(),
        StewardEmailRecognizer(),
        StewardIpRecognizer(),
        StewardIpv6Recognizer(),
        UkBankAccountRecognizer(),
        UkSortCodeRecognizer(),
        UkUpnRecognizer(),
        DateOfBirthRecognizer(),
        UkAddressRecognizer(),
        TitledNameRecognizer(),
    ]
