"""Recognizers for what file metadata identifies: a GPS position (``LOCATION_GPS``), a camera's serial number
(``DEVICE_SERIAL``) and a person named in an author field (reported as ``PERSON``).

All need a context word next to them (``requires_context``): scanner.extractors.metadata writes metadata
fields as ``GPS position: 51.507400, -0.127800``, ``Camera serial number: 123456`` and ``Author property: Jane
Smith`` (with the chunk context "file property"), and a decimal coordinate pair in prose counts only where the
text says it is a position (latitude, longitude, GPS, coordinates).
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer

from scanner.detect.protocol import StewardRecognizer

# A decimal latitude and longitude pair with at least three decimals (a position to ~100 m or better).
COORDINATES = r"(?<![\d.])[-+]?(?:[0-8]?\d|90)\.\d{3,}\s*,\s*[-+]?(?:1[0-7]\d|0?\d?\d|180)\.\d{3,}(?!\.?\d)"
SERIAL = r"(?i:(?<=serial number: ))[A-Za-z0-9][A-Za-z0-9-]{3,31}\b"

AUTHOR = r"(?<=^Author property: )[^\n]{2,100}"
PROPERTY = "file property"  # the chunk context metadata fields carry
# Words of an author field that name an account, a product or a team rather than a person.
NOT_PEOPLE = frozenset(
    {"user", "admin", "administrator", "microsoft", "office", "windows", "owner", "team", "department", "service"}
    | {"services", "council", "unit", "section", "staff", "scanner", "copier", "printer", "canon", "xerox", "ricoh"}
)

# Triage patterns (RE2): looser supersets of the recognizers' patterns.
TRIAGE = (
    ("LOCATION_GPS", r"\d\.\d{3,}\s*,\s*[-+]?\d{1,3}\.\d{3,}"),
    ("DEVICE_SERIAL", r"(?i)serial number: [A-Za-z0-9]"),
    ("METADATA_PERSON", r"(?m)^Author property: \S"),
)
ENTITIES = ("LOCATION_GPS", "DEVICE_SERIAL")
ALIASES = {"METADATA_PERSON": "PERSON"}  # internal entity -> the type reported


class GpsRecognizer(StewardRecognizer, PatternRecognizer):
    """LOCATION_GPS: a latitude, longitude pair next to a word saying it is a position."""

    steward_validator = None
    requires_context = True
    CONTEXT = ("gps", "latitude", "longitude", "lat", "long", "coordinates", "position", "location", "geotag")

    def __init__(self) -> None:
        super().__init__(
            supported_entity="LOCATION_GPS",
            patterns=[Pattern("latitude, longitude", COORDINATES, 0.5)],
            context=list(self.CONTEXT),
            name="GpsRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        lat, _, lon = pattern_text.partition(",")
        try:
            in_range = -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
        except ValueError:
            return False
        return None if in_range else False


class DeviceSerialRecognizer(StewardRecognizer, PatternRecognizer):
    """DEVICE_SERIAL: a camera or lens serial number from image metadata (links photos to one owner)."""

    steward_validator = None
    requires_context = True
    CONTEXT = ("serial number",)

    def __init__(self) -> None:
        super().__init__(
            supported_entity="DEVICE_SERIAL",
            patterns=[Pattern("serial number", SERIAL, 0.5)],
            context=list(self.CONTEXT),
            name="DeviceSerialRecognizer",
        )


class AuthorRecognizer(StewardRecognizer, PatternRecognizer):
    """A person named in an author field of a file's properties (``Author property: Jane Smith``, context "file
    property"): two to five capitalised words, none naming an account, product or team."""

    steward_validator = None
    requires_context = True
    CONTEXT = (PROPERTY,)

    def __init__(self) -> None:
        super().__init__(
            supported_entity="METADATA_PERSON",
            patterns=[Pattern("author field", AUTHOR, 0.5)],
            context=list(self.CONTEXT),
            name="AuthorRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        words = pattern_text.replace(",", " ").split()
        if not 2 <= len(words) <= 5 or any(w.lower().strip(".") in NOT_PEOPLE for w in words):
            return False
        return None if all(w[:1].isupper() and w.replace("-", "").replace("'", "").isalpha() for w in words) else False


def metadata_recognizers() -> list[EntityRecognizer]:
    return [GpsRecognizer(), DeviceSerialRecognizer(), AuthorRecognizer()]
