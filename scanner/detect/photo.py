"""Recognizers for what photos' metadata identifies: a GPS position (``LOCATION_GPS``) and a camera's serial
number (``DEVICE_SERIAL``).

Both need a context word next to them (``requires_context``): the image extractor writes metadata fields as
``GPS position: 51.507400, -0.127800`` and ``Camera serial number: 123456``, and a decimal coordinate pair in
prose counts only where the text says it is a position (latitude, longitude, GPS, coordinates).
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer

# A decimal latitude and longitude pair with at least three decimals (a position to ~100 m or better).
COORDINATES = r"(?<![\d.])[-+]?(?:[0-8]?\d|90)\.\d{3,}\s*,\s*[-+]?(?:1[0-7]\d|0?\d?\d|180)\.\d{3,}(?![\d.])"
SERIAL = r"(?i:(?<=serial number: ))[A-Za-z0-9][A-Za-z0-9-]{3,31}\b"

# Triage patterns (RE2): looser supersets of the recognizers' patterns.
TRIAGE = (
    ("LOCATION_GPS", r"\d\.\d{3,}\s*,\s*[-+]?\d{1,3}\.\d{3,}"),
    ("DEVICE_SERIAL", r"(?i)serial number: [A-Za-z0-9]"),
)
ENTITIES = ("LOCATION_GPS", "DEVICE_SERIAL")


class GpsRecognizer(PatternRecognizer):
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


class DeviceSerialRecognizer(PatternRecognizer):
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


def photo_recognizers() -> list[EntityRecognizer]:
    return [GpsRecognizer(), DeviceSerialRecognizer()]
