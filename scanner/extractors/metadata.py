"""The personal data files' metadata carries, as chunks located by field: images' EXIF, XMP and IPTC, and the
author properties of PDF and Office files (``meta:author``, see ``DocumentAuthors``).

Each image field that can identify a person becomes one small chunk that detection reads like any other text:

- GPS position (``exif:GPSInfo``, ``xmp:GPSLatitude``) as ``GPS position: 51.507400, -0.127800``, which the
  ``LOCATION_GPS`` recognizer (scanner.detect.metadata) reports;
- people (EXIF Artist, Copyright, CameraOwnerName, XPAuthor; XMP dc:creator, xmpRights:Owner; IPTC By-line,
  Writer, Copyright notice) as ``Author property: <name>``, which scanner.detect.metadata.AuthorRecognizer
  reports (the label is no name cue, so NER does not run on it);
- camera and lens serial numbers as ``Camera serial number: <serial>`` (``DEVICE_SERIAL``);
- free text (image description, user comment, caption, contact details) as it is.

Values are read from Pillow's parsed metadata; nothing here is stored or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from scanner.types import Chunk

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

MAX_FIELD_CHARS = 2000
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
PERSON_TAGS = {0x013B: "Artist", 0x8298: "Copyright", 0xA430: "CameraOwnerName", 0x9C9D: "XPAuthor"}
SERIAL_TAGS = {0xA431: "BodySerialNumber", 0xA435: "LensSerialNumber"}
TEXT_TAGS = {0x010E: "ImageDescription", 0x9286: "UserComment", 0x9C9C: "XPComment", 0x9C9F: "XPSubject"}
XMP_PEOPLE = {"creator", "Owner", "CameraOwnerName", "Artist", "Credit", "AuthorsPosition", "CaptionWriter"}
XMP_SERIALS = {"SerialNumber", "BodySerialNumber", "LensSerialNumber"}
XMP_TEXT = {"description", "title", "UserComment", "Headline", "Instructions"}
XMP_CONTACT = {"CiEmailWork", "CiTelWork", "CiAdrExtadr", "CiAdrCity", "CiAdrPcode", "CiUrlWork"}
IPTC_PEOPLE = {(2, 80): "By-line", (2, 116): "CopyrightNotice", (2, 122): "Writer", (2, 110): "Credit"}
IPTC_TEXT = {(2, 118): "Contact", (2, 120): "Caption", (2, 5): "ObjectName", (2, 105): "Headline"}


def metadata_chunks(image: Image.Image) -> Iterator[Chunk]:
    """Chunks for the identifying fields of ``image``'s EXIF, XMP and IPTC metadata. Never raises for damaged
    metadata (the image itself may still be readable)."""
    for reader in (_exif, _xmp, _iptc):
        try:
            yield from reader(image)
        except Exception as exc:  # damaged metadata is common; the pixels may still be read
            log.debug("image metadata not read: %s", type(exc).__name__)


def _chunk(kind: str, where: str, value: object) -> Chunk | None:
    text = _text(value)
    if not text:
        return None
    labels = {"person": "Author property: ", "serial": "Camera serial number: ", "gps": "GPS position: ", "text": ""}
    context = {"gps": ("gps", "location"), "serial": ("serial number",), "person": ("file property",)}.get(kind, ())
    return Chunk(labels[kind] + text, where, context)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        if len(value) >= 2 and value[1:2] == b"\x00":  # XP* tags are UTF-16LE
            value = value.decode("utf-16-le", "ignore")
        else:
            value = value.removeprefix(b"ASCII\x00\x00\x00").removeprefix(b"UNICODE\x00").decode("utf-8", "ignore")
    return " ".join(str(value).replace("\x00", " ").split())[:MAX_FIELD_CHARS]


def _exif(image: Image.Image) -> Iterator[Chunk]:
    exif = image.getexif()
    if not exif:
        return
    inner = exif.get_ifd(EXIF_IFD)
    for tags, kind in ((PERSON_TAGS, "person"), (SERIAL_TAGS, "serial"), (TEXT_TAGS, "text")):
        for tag, name in tags.items():
            value = exif.get(tag, inner.get(tag))
            if value is not None and (chunk := _chunk(kind, f"exif:{name}", value)):
                yield chunk
    position = _gps(exif.get_ifd(GPS_IFD))
    if position and (chunk := _chunk("gps", "exif:GPSInfo", position)):
        yield chunk


def _gps(ifd: dict[int, object]) -> str | None:
    """ "51.507400, -0.127800" from an EXIF GPS IFD (1/2: latitude ref and degrees-minutes-seconds, 3/4:
    longitude), or None when it holds no position."""
    lat, lon = _degrees(ifd.get(2), ifd.get(1)), _degrees(ifd.get(4), ifd.get(3))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return f"{lat:.6f}, {lon:.6f}"


def _degrees(dms: object, ref: object) -> float | None:
    if not isinstance(dms, tuple) or len(dms) != 3:
        return None
    degrees, minutes, seconds = (float(part) for part in dms)  # IFDRational
    value = degrees + minutes / 60 + seconds / 3600
    return -value if _text(ref).upper() in ("S", "W") else value


def _xmp(image: Image.Image) -> Iterator[Chunk]:
    from defusedxml import ElementTree

    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or image.info.get("XMP")
    if not packet:
        return
    root = ElementTree.fromstring(packet.encode() if isinstance(packet, str) else packet)
    position: dict[str, float | None] = {}
    for element in root.iter():
        pairs = [(element.tag, " ".join("".join(element.itertext()).split()) if len(element) else element.text)]
        pairs += list(element.attrib.items())
        for tag, value in pairs:
            name = tag.rpartition("}")[2]
            if name in ("GPSLatitude", "GPSLongitude"):
                position[name] = _xmp_degrees(_text(value))
            kind = _xmp_kind(name)
            if kind and (chunk := _chunk(kind, f"xmp:{name}", value)):
                yield chunk
    lat, lon = position.get("GPSLatitude"), position.get("GPSLongitude")
    if lat is not None and lon is not None and (chunk := _chunk("gps", "xmp:GPSLatitude", f"{lat:.6f}, {lon:.6f}")):
        yield chunk


def _xmp_kind(name: str) -> str | None:
    if name in XMP_PEOPLE:
        return "person"
    if name in XMP_SERIALS:
        return "serial"
    if name in XMP_TEXT or name in XMP_CONTACT:
        return "text"
    return None


def _xmp_degrees(value: str) -> float | None:
    """XMP's "51,30.444N" (degrees, decimal minutes, hemisphere) as signed decimal degrees."""
    if len(value) < 2 or value[-1].upper() not in "NSEW":
        return None
    try:
        parts = [float(p) for p in value[:-1].split(",")]
    except ValueError:
        return None
    result = sum(part / 60.0**i for i, part in enumerate(parts))
    return -result if value[-1].upper() in "SW" else result


def _iptc(image: Image.Image) -> Iterator[Chunk]:
    from PIL import ImageFile, IptcImagePlugin

    if not isinstance(image, ImageFile.ImageFile):
        return
    info = IptcImagePlugin.getiptcinfo(image) or {}
    for fields, kind in ((IPTC_PEOPLE, "person"), (IPTC_TEXT, "text")):
        for key, name in fields.items():
            values = info.get(key)
            for value in values if isinstance(values, list) else [values] if values else []:
                if chunk := _chunk(kind, f"iptc:{name}", value):
                    yield chunk


class DocumentAuthors:
    """A PDF's or Office file's author properties (scanner.extractors.properties), read once: as chunks after
    the file's text, so detection reports them as personal data located ``meta:author``, and as names for the
    keyed author digests the owner inference uses."""

    def __init__(self, fh: BinaryIO, mime: str | None) -> None:
        self._fh, self._mime = fh, mime
        self._names: tuple[str, ...] | None = None

    def names(self) -> tuple[str, ...]:
        if self._names is None:
            from scanner.extractors.properties import document_authors

            self._names = document_authors(self._fh, self._mime)
        return self._names

    def chunks(self) -> Iterator[Chunk]:
        for name in self.names():
            yield Chunk(f"Author property: {name}", "meta:author", ("file property",))
