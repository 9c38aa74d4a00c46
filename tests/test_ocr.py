"""OCR of scanned paper and the personal data in photos' metadata, read through the scanner's pipeline.

Every file is generated here: pages rendered like a scanner would (benchmarks/scans.py), wrapped as image-only
PDFs and TIFFs, photos with EXIF written by Pillow. Tesseract (Debian tesseract-ocr, tesseract-ocr-eng) reads
them for real.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import pypdf
import pytest
from click.testing import Result
from PIL import Image, ImageDraw, ImageFont

from benchmarks.scans import render, save_pdf, save_tiff
from scanner.config import LocalSource
from scanner.crawlers.local import LocalCrawler
from scanner.detect import Detector
from scanner.extractors.ocr import counter_path
from scanner.pipeline import observe
from scanner.samples.office import pdf_bytes
from scanner.types import FileObservation, Limits, OcrLimits, Status
from tests.test_detect_api import cached_detector

LETTER = """Occupational Health Service
Private and confidential

Dear Mrs Sarah Thompson,
Patient: Sarah Thompson, NHS number 943 476 5919
Your GP confirmed a diagnosis of diabetes and depression.
Please bring your medication to the appointment.

Yours sincerely,
Dr Priya Shah"""


@pytest.fixture(scope="module")
def detector() -> Detector:
    return cached_detector()


def scan_file(path: Path, detector: Detector, limits: Limits | None = None) -> FileObservation:
    """Observe one file as a scan would (identify, extract, detect)."""
    crawler = LocalCrawler(LocalSource(id="s", kind="local", root=path.parent))
    (entry,) = [e for e in crawler.iter_entries() if e.path == path.name]
    return observe(entry, crawler, detector, limits or Limits(), key=b"k" * 32)


def text_image(lines: list[str], size: tuple[int, int] = (1400, 500), angle: float = 0.0) -> Image.Image:
    """A small white image with black text at about 300 dpi (12 pt)."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 46)
    for i, line in enumerate(lines):
        draw.text((60, 60 + i * 80), line, font=font, fill=0)
    return image.rotate(angle, expand=True, fillcolor=255) if angle else image


def entities(obs: FileObservation) -> dict[str, tuple[str, ...]]:
    return {d.entity: d.where for d in obs.detections}


def test_image_only_pdf_letter_is_read_with_nhs_number_health_and_page_locator(
    tmp_path: Path, detector: Detector
) -> None:
    pdf = save_pdf([render(LETTER, 300, seed=3)], tmp_path / "letter.pdf", 300)
    assert not (pypdf.PdfReader(pdf).pages[0].extract_text() or "").strip()  # no text layer: a scan
    obs = scan_file(pdf, detector)
    assert obs.status is Status.OK and obs.mime == "application/pdf"
    found = entities(obs)
    assert found["UK_NHS"] == ("page 1",)
    assert "PERSON" in found
    assert "health" in obs.special_category
    assert obs.ocr is not None and (obs.ocr.pages, obs.ocr.read) == (1, 1)
    assert obs.ocr.mean_confidence is not None and obs.ocr.mean_confidence > 70
    assert obs.reason is None


@pytest.mark.parametrize("profile", ["fax", "200-noisy"])
def test_a_faxed_or_noisy_letter_wrapped_as_pdf_is_read(tmp_path: Path, detector: Detector, profile: str) -> None:
    pdf = save_pdf([render(LETTER, 200, seed=1, profile=profile)], tmp_path / "fax.pdf", 200)
    obs = scan_file(pdf, detector)
    assert obs.status is Status.OK
    assert entities(obs)["UK_NHS"] == ("page 1",) and "health" in obs.special_category


def test_multi_page_tiff_locates_each_page(tmp_path: Path, detector: Detector) -> None:
    pages = [
        text_image(["Minutes of the estates meeting", "The roof repairs are agreed."]),
        text_image(["Tenant: Mr Oliver Grant", "NI number: JE 51 15 54 A"]),
    ]
    tiff = save_tiff(pages, tmp_path / "scan.tif", 300)
    obs = scan_file(tiff, detector)
    assert obs.status is Status.OK and obs.mime == "image/tiff"
    assert entities(obs)["UK_NINO"] == ("page 2",)
    assert obs.ocr is not None and (obs.ocr.pages, obs.ocr.read) == (2, 2)


@pytest.mark.parametrize(("name", "fmt"), [("a.png", "PNG"), ("a.jpg", "JPEG"), ("a.bmp", "BMP"), ("a.gif", "GIF")])
def test_each_image_format_is_read_by_ocr(tmp_path: Path, detector: Detector, name: str, fmt: str) -> None:
    text_image(["Please reply to", "jo.bloggs@example.co.uk"]).convert("RGB").save(tmp_path / name, fmt)
    obs = scan_file(tmp_path / name, detector)
    assert obs.status is Status.OK
    assert entities(obs).get("EMAIL_ADDRESS") == ("page 1",)
    assert obs.ocr is not None and obs.ocr.read == 1


def test_a_page_turned_on_its_side_is_read(tmp_path: Path, detector: Detector) -> None:
    text_image(["Patient NHS number", "943 476 5919", "Referral for diabetes"], angle=90).save(tmp_path / "side.png")
    obs = scan_file(tmp_path / "side.png", detector)
    assert "UK_NHS" in entities(obs)


def test_an_image_with_no_text_is_ok_with_no_detections(tmp_path: Path, detector: Detector) -> None:
    Image.linear_gradient("L").resize((800, 600)).save(tmp_path / "sky.png")
    obs = scan_file(tmp_path / "sky.png", detector)
    assert obs.status is Status.OK and obs.detections == ()
    assert obs.ocr is not None and obs.ocr.read == 1 and obs.chars == 0


def test_a_pdf_with_a_text_layer_is_not_given_to_ocr_and_only_its_scanned_pages_are(
    tmp_path: Path, detector: Detector
) -> None:
    scanned = save_pdf([render(LETTER, 200, seed=1, profile="fax")], tmp_path / "scanned.pdf", 200)
    mixed = tmp_path / "mixed.pdf"
    writer = pypdf.PdfWriter()
    writer.append(io.BytesIO(pdf_bytes(["Committee report on highway maintenance.", "Nothing personal here."])))
    writer.append(str(scanned))
    writer.write(mixed)
    obs = scan_file(mixed, detector)
    assert obs.ocr is not None and (obs.ocr.pages, obs.ocr.read) == (1, 1)  # pages 1-2 have text: not OCR'd
    assert entities(obs)["UK_NHS"] == ("page 3",)


def test_ocr_off_reads_no_page_images(tmp_path: Path, detector: Detector) -> None:
    pdf = save_pdf([render(LETTER, 300, seed=3)], tmp_path / "letter.pdf", 300)
    limits = Limits(ocr=OcrLimits(enabled=False))
    obs = scan_file(pdf, detector, limits)
    assert obs.status is Status.OK and obs.detections == () and obs.ocr is None and obs.chars == 0


def test_page_limit_keeps_the_pages_read_and_says_so(tmp_path: Path, detector: Detector) -> None:
    pages = [text_image([f"Page {n}", "Tenant: Mr Oliver Grant", "NHS number 943 476 5919"]) for n in (1, 2, 3)]
    tiff = save_tiff(pages, tmp_path / "three.tif", 300)
    obs = scan_file(tiff, detector, Limits(ocr=OcrLimits(max_pages=1)))
    assert obs.status is Status.OK
    assert obs.reason == "OCR read 1 of 3 pages (page limit)"
    assert obs.ocr is not None and (obs.ocr.pages, obs.ocr.read) == (3, 1)
    assert entities(obs)["UK_NHS"] == ("page 1",)


def test_run_budget_is_shared_and_the_pages_it_cannot_cover_are_deferred(tmp_path: Path, detector: Detector) -> None:
    pages = [text_image([f"Page {n}", "NHS number 943 476 5919"]) for n in (1, 2)]
    first = save_tiff(pages, tmp_path / "first.tif", 300)
    second = save_tiff(pages, tmp_path / "second.tif", 300)
    third = save_tiff(pages, tmp_path / "third.tif", 300)
    token = uuid4().hex
    limits = Limits(ocr=OcrLimits(run_pages=3, run_token=token))
    try:
        one, two, three = (scan_file(path, detector, replace(limits)) for path in (first, second, third))
    finally:
        counter_path(token).unlink(missing_ok=True)
    assert one.status is Status.OK and one.reason is None
    # Part read: what was read is reported, the file is read again by the next scan.
    assert two.status is Status.DEFERRED and entities(two)["UK_NHS"] == ("page 1",)
    assert two.reason == "OCR deferred to the next scan: the run's OCR budget was spent (read 1 of 2 pages)"
    assert two.ocr is not None and (two.ocr.read, two.ocr.deferred) == (1, 1)
    assert three.status is Status.DEFERRED and "UK_NHS" not in entities(three)
    assert three.reason == "OCR deferred to the next scan: the run's OCR budget was spent (read 0 of 2 pages)"


def test_a_file_larger_than_the_whole_run_budget_is_kept_as_read(tmp_path: Path, detector: Detector) -> None:
    pages = [text_image([f"Page {n}", "Reference 1234"]) for n in (1, 2)]
    tiff = save_tiff(pages, tmp_path / "long.tif", 300)
    token = uuid4().hex
    try:
        obs = scan_file(tiff, detector, Limits(ocr=OcrLimits(run_pages=1, run_token=token)))
    finally:
        counter_path(token).unlink(missing_ok=True)
    assert obs.status is Status.OK and obs.reason == "OCR read 1 of 2 pages (OCR budget for the run)"


def test_a_photo_with_gps_exif_reports_location_gps_and_its_owner(tmp_path: Path, detector: Detector) -> None:
    photo = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    exif = Image.Exif()
    exif[0x013B] = "Margaret Okafor"  # Artist
    exif.get_ifd(0x8769)[0xA431] = "AB123456789"  # BodySerialNumber
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 26.64), 3: "W", 4: (0.0, 7.0, 39.84)})
    photo.save(tmp_path / "site-visit.jpg", "JPEG", exif=exif)
    obs = scan_file(tmp_path / "site-visit.jpg", detector)
    found = {d.entity: d for d in obs.detections}
    assert found["LOCATION_GPS"].where == ("exif:GPSInfo",)
    assert "51.507" not in found["LOCATION_GPS"].example  # masked
    assert found["PERSON"].where == ("exif:Artist",)
    assert found["DEVICE_SERIAL"].where == ("exif:BodySerialNumber",)


def test_a_damaged_image_is_corrupt_and_the_scan_goes_on(tmp_path: Path, detector: Detector) -> None:
    buffer = io.BytesIO()
    text_image(["Hello"]).save(buffer, "PNG")
    (tmp_path / "broken.png").write_bytes(buffer.getvalue()[:300])
    obs = scan_file(tmp_path / "broken.png", detector)
    assert obs.status is Status.CORRUPT


def test_extract_settings_reach_the_ocr_bounds(tmp_path: Path) -> None:
    from inventory.config import load_config

    path = tmp_path / "config.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path}/s.db\nsources: [{{id: s, kind: local, root: {tmp_path}}}]\n"
        "extract: {ocr: 'off', ocr_limits: {max_pages: 3, run_pages: 10, language: eng+cym}}\n"
    )
    config, _ = load_config(path)
    bounds = config.limits.to_limits(config.extract.ocr_settings()).ocr
    assert (bounds.enabled, bounds.max_pages, bounds.run_pages, bounds.language) == (False, 3, 10, "eng+cym")
    assert bounds.run_token and bounds.run_token != config.extract.ocr_settings().run_token  # one per run
    path.write_text(path.read_text().replace("'off'", "sometimes"))
    with pytest.raises(Exception, match=r"extract\.ocr"):
        load_config(path)


def test_a_pdf_author_is_personal_data_located_in_the_properties(tmp_path: Path, detector: Detector) -> None:
    writer = pypdf.PdfWriter()
    writer.append(io.BytesIO(pdf_bytes(["Highway maintenance programme 2026."])))
    writer.add_metadata({"/Author": "Grace Adeyemi"})
    writer.write(tmp_path / "programme.pdf")
    obs = scan_file(tmp_path / "programme.pdf", detector)
    assert {d.entity: d.where for d in obs.detections} == {"PERSON": ("meta:author",)}
    assert len(obs.authors) == 1 and "Grace" not in obs.authors[0]  # still a keyed digest


def test_xmp_and_iptc_name_the_photographer_and_place(tmp_path: Path, detector: Detector) -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        'exif:GPSLatitude="52,24.6000N" exif:GPSLongitude="1,30.3000W">'
        "<dc:creator><rdf:Seq><rdf:li>Tomasz Nowak</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    Image.new("RGB", (320, 240), "grey").save(tmp_path / "xmp.png", "PNG", pnginfo=_png_xmp(xmp))
    obs = scan_file(tmp_path / "xmp.png", detector)
    found = {d.entity: d.where for d in obs.detections}
    assert found == {"PERSON": ("xmp:creator",), "LOCATION_GPS": ("xmp:GPSLatitude",)}
    assert obs.ocr is None  # 320 x 240 is too small to hold a page of text: not given to OCR


def _png_xmp(xmp: str) -> object:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    return info


def test_coordinates_in_prose_need_a_word_saying_they_are_a_position(detector: Detector) -> None:
    from scanner.types import Chunk

    plain = detector.detect([Chunk("Budget lines 12.345, 67.890 and 1.5000, 2.2500 were agreed.", "p1")])
    placed = detector.detect([Chunk("The child was seen at latitude and longitude 53.480950, -2.237430.", "p1")])
    assert "LOCATION_GPS" not in {d.entity for d in plain.detections}
    assert "LOCATION_GPS" in {d.entity for d in placed.detections}


def test_images_are_read_after_the_cheaper_files_of_their_batch_riskiest_first() -> None:
    from scanner.risk import by_risk
    from scanner.types import FileEntry

    def entry(path: str, mode: int) -> FileEntry:
        return FileEntry("s", path, path, 1000, None, mode=mode)

    files = [
        entry("HR/sickness/scan.tif", 0o644),  # world-readable, sensitive folder: the riskiest image
        entry("misc/photo.jpg", 0o600),
        entry("misc/notes.txt", 0o600),
        entry("HR/sickness/return.docx", 0o644),
    ]
    order = [e.path for e in by_risk(files, batch=10)]
    assert order == ["HR/sickness/return.docx", "misc/notes.txt", "HR/sickness/scan.tif", "misc/photo.jpg"]


def test_steward_asset_and_export_say_what_ocr_read(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    import json

    share = tmp_path / "share" / "Occupational Health"
    share.mkdir(parents=True)
    save_pdf([render(LETTER, 300, seed=3)], share / "referral-scan.pdf", 300)
    (share / "minutes.txt").write_text("Minutes of the team meeting. Nothing personal.\n")
    config = write_config(tmp_path / "share")
    assert steward("scan", "--config", str(config)).exit_code == 0
    shown = steward("asset", "share:Occupational Health", "--config", str(config)).output
    assert "Read by OCR (1):" in shown
    assert "referral-scan.pdf  ocr: 1 of 1 pages read, mean confidence" in shown
    assert "UK_NHS" in shown and "page 1" in shown and "[special: health]" in shown
    lines = [json.loads(line) for line in steward("export", "files", "--config", str(config)).output.splitlines()]
    by_name = {Path(line["path"]).name: line for line in lines}
    scanned, plain = by_name["referral-scan.pdf"], by_name["minutes.txt"]
    assert scanned["ocr"] is True and scanned["ocr_pages_read"] == 1 and scanned["ocr_mean_confidence"] > 70
    assert scanned["entities"]["UK_NHS"] == 1
    assert plain["ocr"] is False and plain["ocr_pages_read"] is None


def test_files_deferred_by_the_run_budget_are_read_by_the_next_scans(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import tempfile

    counters = tmp_path / "tmp"
    counters.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(counters))  # where the runs' OCR page counters are kept

    share = tmp_path / "share" / "Scanned referrals"
    share.mkdir(parents=True)
    for n in (1, 2, 3):
        text_image([f"Referral {n}", "NHS number 943 476 5919"]).save(share / f"referral-{n}.png")
    config = write_config(tmp_path / "share", extract={"ocr_limits": {"run_pages": 1}})

    def night() -> tuple[str, list[tuple[str, int]]]:
        said = steward("scan", "--config", str(config))
        assert said.exit_code == 0
        lines = [json.loads(line) for line in steward("export", "files", "--config", str(config)).output.splitlines()]
        return said.output, sorted((line["status"], line["entities"].get("UK_NHS", 0)) for line in lines)

    said, files = night()
    assert "3 read" in said and "not fully read: deferred 2" in said
    assert files == [("deferred", 0), ("deferred", 0), ("ok", 1)]
    said, files = night()  # nothing changed: the file read stays as it was, one deferred file is read
    assert "2 read, 1 unchanged" in said and "deferred 1" in said
    assert files == [("deferred", 0), ("ok", 1), ("ok", 1)]
    said, files = night()
    assert "1 read, 2 unchanged" in said and "deferred" not in said
    assert files == [("ok", 1), ("ok", 1), ("ok", 1)]
    said, _ = night()
    assert "0 read, 3 unchanged" in said
    assert list(counters.iterdir()) == []  # each run's page counter is removed when the run ends


def test_without_tesseract_models_a_pdf_keeps_its_text_pages_and_an_image_is_unsupported(
    tmp_path: Path, detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.extractors.ocr as ocr_module

    mixed = tmp_path / "mixed.pdf"
    writer = pypdf.PdfWriter()
    writer.append(io.BytesIO(pdf_bytes(["Contact jo.bloggs@example.co.uk about the claim."])))
    writer.append(save_pdf([render(LETTER, 200, seed=1, profile="fax")], tmp_path / "scanned.pdf", 200))
    writer.write(mixed)
    text_image(["Please reply to", "jo.bloggs@example.co.uk"]).save(tmp_path / "reply.png")
    monkeypatch.setattr(ocr_module, "TESSDATA_DIRS", (str(tmp_path / "no-models"),))
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    pdf = scan_file(mixed, detector)
    assert pdf.status is Status.OK and "EMAIL_ADDRESS" in entities(pdf)
    assert pdf.reason == "OCR read 0 of 1 pages (Tesseract's models are not installed)"
    assert scan_file(tmp_path / "reply.png", detector).status is Status.UNSUPPORTED


def test_metadata_off_reads_no_gps_or_author(tmp_path: Path, detector: Detector) -> None:
    exif = Image.Exif()
    exif[0x013B] = "Margaret Okafor"
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 26.64), 3: "W", 4: (0.0, 7.0, 39.84)})
    Image.new("RGB", (200, 150), "grey").save(tmp_path / "visit.jpg", "JPEG", exif=exif)
    on = scan_file(tmp_path / "visit.jpg", detector)
    off = scan_file(tmp_path / "visit.jpg", detector, Limits(metadata=False))
    assert {d.entity for d in on.detections} == {"LOCATION_GPS", "PERSON"}
    assert off.status is Status.OK and off.detections == ()
