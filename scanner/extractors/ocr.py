"""OCR with Tesseract: page images (scanned PDF pages, image files) become located text chunks.

Tesseract runs in-process through tesserocr (one engine per process and thread, the model loaded once), with
``PSM.AUTO_OSD``: Tesseract detects each page's orientation (90/180/270 degrees) and reads slightly skewed
lines itself, so no separate deskew step is needed. Grey and colour pages are sharpened first (an unsharp
mask), and the text that comes back is laid out and repaired by ``scanner.extractors.ocr_text`` (misread
postcodes, split e-mail addresses, marks in NI numbers). Page images never touch the disk.

``read_pages`` is the one entry point for extractors: it takes pages as (locator, loader) pairs so a page is
rendered or decoded only when OCR gets to it, and enforces ``Limits.ocr``:

- ``max_pages`` per file and ``file_seconds`` per file: OCR stops, the file stays ``ok``, and the pages read
  are noted ("OCR read 3 of 12 pages (page limit)");
- ``page_seconds`` (or what is left of ``file_seconds``, if less): Tesseract abandons the page (noted);
- ``run_pages``: pages for the whole run, counted across worker processes in a small locked counter file; the
  pages of a file left when the budget is spent are *deferred* (``OcrFacts.deferred``): the file is recorded
  ``deferred`` with what was read so far, and read again by the next scan. A file needing more pages than the
  whole budget could never be read in one run: once some of its pages are read it is ``ok`` with a note.

What OCR did for the file being read is gathered by ``recording()`` (the pipeline wraps each file in it) and
returned as ``OcrFacts``: pages needing OCR, pages read, mean word confidence, low-confidence pages.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import Unsupported
from scanner.extractors.chunking import split
from scanner.extractors.ocr_text import page_text, repaired
from scanner.types import Chunk, Limits, OcrFacts, OcrLimits

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")
MIN_PIXELS = 100_000  # smaller images (icons, logos) cannot hold a page of text: not read
MAX_SIDE = 7000  # larger page images are scaled down first (an A4 page at 600 dpi is 4961 x 7016)
SHARPEN = (2, 100, 3)  # unsharp mask: radius (pixels), strength (%), threshold (grey levels)

PageLoader = Callable[[], "Image"]


@dataclass
class Tally:
    """What OCR did for one file (nested members included)."""

    pages: int = 0
    read: int = 0
    low: int = 0
    confidences: list[float] = field(default_factory=list)
    stopped: str | None = None
    abandoned: int = 0
    deferred: int = 0

    def facts(self) -> OcrFacts | None:
        if not self.pages:
            return None
        mean = round(sum(self.confidences) / len(self.confidences), 1) if self.confidences else None
        notes = []
        if self.deferred:
            notes.append(
                f"OCR deferred to the next scan: the run's OCR budget was spent (read {self.read} of {self.pages} "
                "pages)"
            )
        elif self.stopped:
            notes.append(f"OCR read {self.read} of {self.pages} pages ({self.stopped})")
        if self.abandoned:
            notes.append(f"{self.abandoned} page(s) over the OCR time limit per page")
        return OcrFacts(self.pages, self.read, mean, self.low, "; ".join(notes) or None, self.deferred)


_local = threading.local()


@contextmanager
def recording() -> Iterator[Tally]:
    """Gather what OCR does for the work inside (one file) into the yielded ``Tally``."""
    previous = getattr(_local, "tally", None)
    _local.tally = tally = Tally()
    try:
        yield tally
    finally:
        _local.tally = previous


def _tally() -> Tally:
    current: Tally | None = getattr(_local, "tally", None)
    return current if current is not None else Tally()  # outside recording(): counted nowhere


def tessdata() -> str:
    """The directory holding Tesseract's trained models (TESSDATA_PREFIX wins)."""
    for candidate in (os.environ.get("TESSDATA_PREFIX"), *TESSDATA_DIRS):
        if candidate and (Path(candidate) / "eng.traineddata").exists():
            return candidate
    raise Unsupported("OCR needs Tesseract's models (Debian packages tesseract-ocr, tesseract-ocr-eng)")


def models_installed() -> bool:
    try:
        tessdata()
    except Unsupported:
        return False
    return True


def _engine(language: str) -> Any:
    """This thread's Tesseract engine for ``language`` (built once: loading the model takes ~0.2 s)."""
    engines: dict[str, Any] = _local.__dict__.setdefault("engines", {})
    if language not in engines:
        import tesserocr

        engines[language] = tesserocr.PyTessBaseAPI(path=tessdata(), lang=language, psm=tesserocr.PSM.AUTO_OSD)
    return engines[language]


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    confidence: float | None  # mean word confidence 0-100; None when no word was found
    finished: bool  # False: Tesseract gave up at the time limit


def recognise(image: Image, settings: OcrLimits, seconds: float | None = None) -> PageText:
    """OCR one page image, giving up after ``seconds`` (default ``settings.page_seconds``; wall-clock time)."""
    api = _engine(settings.language)
    api.SetImage(prepared(image))
    finished = bool(api.Recognize(max(1, int((seconds or settings.page_seconds) * 1000))))
    text = repaired(page_text(api)) if finished else ""
    words = list(api.AllWordConfidences()) if finished else []
    api.Clear()
    return PageText(text, sum(words) / len(words) if words else None, finished)


def prepared(image: Image) -> Image:
    """A mode Tesseract reads, transparent areas on white, no side over ``MAX_SIDE``, and grey or colour
    pages sharpened (an unsharp mask: a scanner's optics soften the strokes that tell T from 1 and 0 from O)."""
    from PIL import Image as PILImage
    from PIL import ImageFilter

    if image.mode not in ("1", "L", "RGB"):
        rgba = image.convert("RGBA")
        image = PILImage.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode != "1":
        image = image.filter(ImageFilter.UnsharpMask(*SHARPEN))
    return image


def worth_reading(size: tuple[int, int]) -> bool:
    """An image large enough to hold a page of text."""
    return size[0] * size[1] >= MIN_PIXELS


def read_pages(pages: Iterable[tuple[str, PageLoader]], total: int, limits: Limits) -> Iterator[Chunk]:
    """OCR ``pages`` (``total`` of them) in order within ``limits.ocr``, yielding each page's text as chunks
    located by the page's locator ("page 3")."""
    settings, tally = limits.ocr, _tally()
    if not settings.enabled or total <= 0:
        return
    tessdata()  # Unsupported when the models are missing, even where an engine was built earlier
    tally.pages += total
    started, read = time.monotonic(), 0
    # A file needing more pages than a whole run's budget could never be read in one run: once some of it is
    # read it is kept as read rather than deferred again every night.
    fits = settings.run_pages <= 0 or min(total, settings.max_pages) <= settings.run_pages
    for where, load in pages:
        if read >= settings.max_pages:
            tally.stopped = "page limit"
            return
        left = settings.file_seconds - (time.monotonic() - started)
        if left <= 0:
            tally.stopped = "time limit per file"
            return
        if not _run_budget_allows(settings):
            tally.stopped = "OCR budget for the run"
            tally.deferred += total - read if fits or not read else 0
            return
        page = recognise(load(), settings, min(settings.page_seconds, left))
        read += 1
        if not page.finished:
            tally.abandoned += 1
            continue
        tally.read += 1
        if page.confidence is not None:
            tally.confidences.append(page.confidence)
            tally.low += page.confidence < settings.low_confidence
        yield from split(page.text, where, (), limits)


# -- the run budget --------------------------------------------------------------------------------------------
_process_pages: dict[str, int] = {}


def _run_budget_allows(settings: OcrLimits) -> bool:
    """Take one page from the run's budget; False when it is spent."""
    if settings.run_pages <= 0:
        return True
    if not settings.run_token:  # no shared counter: this process counts alone
        used = _process_pages.get("", 0)
        _process_pages[""] = used + 1
        return used < settings.run_pages
    path = counter_path(settings.run_token)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = os.pread(fd, 32, 0).strip()
        used = int(raw) if raw.isdigit() else 0
        if used >= settings.run_pages:
            return False
        data = str(used + 1).encode()
        os.pwrite(fd, data.ljust(32), 0)
        return True
    finally:
        os.close(fd)  # closing releases the lock


def counter_path(token: str) -> Path:
    """The file counting a run's OCR pages (in the temporary directory, private to this account)."""
    safe = "".join(c for c in token if c.isalnum() or c in "-_")[:64]
    return Path(tempfile.gettempdir()) / f"steward-ocr-{safe}.count"


# -- scanned PDF pages -----------------------------------------------------------------------------------------
MIN_TEXT_CHARS = 20  # a PDF page with less text than this in its text layer may be a scan
MIN_IMAGE_SHARE = 0.25  # ... and is read by OCR when images cover at least this share of it


def needs_ocr(text: str) -> bool:
    """True when a PDF page's text layer is (almost) empty, so the page may be a scanned image."""
    return len("".join(text.split())) < MIN_TEXT_CHARS


def pdf_pages(document: Any, numbers: list[int], limits: Limits) -> Iterator[Chunk]:
    """OCR the pages ``numbers`` (1-based) of the open PDFium ``document`` that are mostly image, rendered at
    ``limits.ocr.dpi``; called after the PDF's text layer has been read."""
    if not numbers or not limits.ocr.enabled:
        return
    scanned = [n for n in numbers if _with_page(document, n, _mostly_image)]
    if scanned and not models_installed():  # the text layer was read: keep it, note the pages left
        tally = _tally()
        tally.pages, tally.stopped = tally.pages + len(scanned), "Tesseract's models are not installed"
        return
    loaders = ((f"page {n}", _renderer(document, n, limits.ocr.dpi)) for n in scanned)
    yield from read_pages(loaders, len(scanned), limits)


def _with_page(document: Any, number: int, use: Callable[[Any], Any]) -> Any:
    page = document[number - 1]
    try:
        return use(page)
    finally:
        page.close()


def _mostly_image(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        covered += max(0.0, right - left) * max(0.0, top - bottom)
    return bool(width * height > 0 and covered / (width * height) >= MIN_IMAGE_SHARE)


def _renderer(document: Any, number: int, dpi: int) -> PageLoader:
    """The page rendered in grey; a page whose images are all black and white (a fax, a 1-bit scan) is made
    black and white again, so its edges are not sharpened as a grey scan's would be (specks would grow)."""

    def render() -> Image:
        def draw(page: Any) -> Image:
            image: Image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            return image.point(lambda v: 255 if v >= 128 else 0, "1") if _bilevel(page) else image

        rendered: Image = _with_page(document, number, draw)
        return rendered

    return render


def _bilevel(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    depths = {obj.get_metadata().bits_per_pixel for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])}
    return depths == {1}
