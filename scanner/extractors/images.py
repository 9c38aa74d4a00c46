"""Images (TIFF, PNG, JPEG, BMP, GIF): the personal data in their metadata, then their text by OCR.

Metadata first (cheap): EXIF, XMP and IPTC fields become chunks located by field (``exif:GPSInfo``), see
``scanner.extractors.metadata``. Then each page is read by Tesseract (``scanner.extractors.ocr``): every
frame of a multi-page TIFF is a page ("page 2"), an animated GIF is read by its first frame. An image with no
text is ``ok`` with no detections; an image too small to hold a page of text is not given to OCR.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from scanner.errors import TooLarge
from scanner.extractors import ocr
from scanner.extractors.chunking import bounded
from scanner.extractors.guards import corrupt_on
from scanner.extractors.metadata import metadata_chunks
from scanner.types import Chunk, Limits

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

MULTI_PAGE = ("TIFF",)  # formats whose frames are pages; other formats are read by their first frame


def extract_image(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    from PIL import Image

    with corrupt_on("image"):
        try:
            image = Image.open(fh)
            yield from bounded(_read(image, limits), limits)
        except Image.DecompressionBombError as exc:
            raise TooLarge("image has more pixels than the decompression-bomb limit") from exc


def _read(image: Image.Image, limits: Limits) -> Iterator[Chunk]:
    if limits.metadata:
        yield from metadata_chunks(image)
    frames = getattr(image, "n_frames", 1) if image.format in MULTI_PAGE else 1
    readable = []
    for number in range(1, frames + 1):
        image.seek(number - 1)
        if ocr.worth_reading(image.size):
            readable.append(number)
    yield from ocr.read_pages(((f"page {n}", _loader(image, n)) for n in readable), len(readable), limits)


def _loader(image: Image.Image, number: int) -> ocr.PageLoader:
    def load() -> Image.Image:
        image.seek(number - 1)
        image.load()
        return image

    return load
