"""UK street addresses (UK_ADDRESS): the patterns and the recognizer.

An address is reported once, as one match from its first line (a flat, unit or named house, or a house number)
to its street, with or without a postcode:

* an **address block** ending in a postcode within three lines or comma-separated parts ("Flat 3\\n12 Station
  Road\\nCoventry\\nCV1 2GN", "Studio 8, Leigh Fort, Port Kelly BA6 2NE") scores 0.7, whatever the street's
  words;
* a **street line** with a UK street-type word, ending its line or sentence or followed by a town ("45 Mill
  Lane, Bedworth", "... transferred to 100 Church Court."), or after a flat or unit ("Flat 3, 12a Station
  Road"), scores 0.5 on its own; inside a sentence ("the 3 Park Road options") it scores 0.35 and needs an
  address cue;
* a **house number and two or three capitalised words** ("921 Higgins Spring") scores 0.3 and is reported only
  after an address cue ("lives at", "address:", "moved to", "deliver to").

Dates ("12 March 2025"), quantities and headings ("Year 4", "Room 2") are not house numbers.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

from scanner.detect.protocol import StewardRecognizer

POSTCODE = (
    r"(?:[A-PR-UWYZ][0-9][ABCDEFGHJKPSTUW]?|[A-PR-UWYZ][0-9]{2}|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{2})\s?[0-9][ABD-HJLNP-UW-Z]{2}"
)
# Street types seen in UK addresses (case-sensitive, capitalised).
STREET_TYPES = (
    "Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|Dr|Close|Cl|Way|Crescent|Cres|Court|Ct|Place|Pl|Gardens|Gdns|"
    "Grove|Gr|Terrace|Tce|Hill|Park|Square|Sq|Row|Mews|Walk|View|Rise|Green|Parade|Vale|Meadow|Meadows|Fields|"
    "Croft|Chase|Wharf|Yard|Approach|Boulevard|Bank|Brow|End|Gate|Hollow|Wynd|Glen|Broadway|Circus|Cottages|"
    "Embankment|Esplanade|Grange|Heights|Lawn|Passage|Promenade|Quay|Ridge|Side|Villas|Crossway|Bypass"
)
_NOT_FIRST = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|"
    r"Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?|Year|Years|Room|Floor|Item|Items|Appendix|Section|Page|Pages|"
    r"Table|Figure|Chapter|Ward|Day|Days|Week|Weeks|Month|Months|Hours?|Minutes?|Members?|Staff|People|"
    r"Councillors?|Children|Adults|Families|Pupils|Units|Beds|Bedrooms?|Per|Of|The|And|Or|To|In|On|At|For)\b"
)
_WORD = r"[A-Z][A-Za-z'’-]*[a-z][A-Za-z'’-]*"
_SUB = (
    r"(?:(?:Flat|Apartment|Apt\.?|Unit|Studio|Room|Suite|Maisonette)[ \t]+\d{1,4}[A-Za-z]?"
    rf"|{_WORD}[ \t]+(?:House|Court|Cottage|Farm|Lodge|Barn|Hall|Manor|Villa|Buildings|Mansions|Towers))"
)
_NUMBER_ANY = r"\d{1,4}[A-Za-z]?(?:-\d{1,4})?,?[ \t]+"
_NUMBER = rf"{_NUMBER_ANY}(?!{_NOT_FIRST})"
_SEP = r"[ \t]*(?:,[ \t]*|(?:\n[ \t>?*]*){1,2})"
# Flat/house line, optional; then a numbered street (or a named building) of one to four words.
_LINE = rf"(?:{_SUB}{_SEP})?(?:{_NUMBER}{_WORD}(?:[ \t]+{_WORD}){{0,3}}|{_SUB}(?:[ \t]+{_WORD}){{0,2}})"
BLOCK = (  # the postcode anchors it: any first word will do ("187 Day Way")
    rf"(?-i:\b{_LINE.replace(_NUMBER, _NUMBER_ANY)})"
    rf"(?=(?:{_SEP}[A-Za-z0-9'’ ().-]{{1,40}}){{0,3}}(?:{_SEP}|[ \t]+)(?-i:{POSTCODE})\b)"
)
STREET = rf"(?-i:\b(?:{_SUB}{_SEP})?{_NUMBER}(?:{_WORD}[ \t-]+){{0,3}}(?:{STREET_TYPES}))\b"
STREET_LINE = rf"{STREET}(?=[ \t]*(?:,[ \t]*[A-Z][a-z]|[.;](?:\s|\Z)|\r?\n|\Z))"
FLAT_STREET = rf"(?-i:\b{_SUB}{_SEP}{_NUMBER}(?:{_WORD}[ \t-]+){{0,3}}(?:{STREET_TYPES}))\b"
NUMBERED = rf"(?-i:\b(?:{_SUB}{_SEP})?{_NUMBER}{_WORD}(?:[ \t]+{_WORD}){{1,2}})\b"


class UkAddressRecognizer(StewardRecognizer, PatternRecognizer):
    """UK_ADDRESS (street address), one match per address; see the module docstring."""

    steward_validator = None
    requires_context = False
    PATTERNS = (
        Pattern("address block with postcode", BLOCK, 0.7),
        Pattern("street line and town", STREET_LINE, 0.5),
        Pattern("flat and street", FLAT_STREET, 0.5),
        Pattern("street", STREET, 0.35),
        Pattern("house number and street", NUMBERED, 0.3),
    )
    CONTEXT = (
        "address",
        "lives at",
        "living at",
        "lived at",
        "live at",
        "resides",
        "residing",
        "moved to",
        "moving to",
        "moved from",
        "transferred to",
        "staying at",
        "sent to",
        "send to",
        "deliver to",
        "delivered to",
        "located at",
        "home",
        "flat",
        "property",
    )
    context_before = 40

    def __init__(self) -> None:
        super().__init__(
            supported_entity="UK_ADDRESS",
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            name="UkAddressRecognizer",
        )
