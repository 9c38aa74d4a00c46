"""Scanned-paper generator: born-digital council documents (Faker en_GB, planted personal data) rendered to page
images the way a scanner or fax would, and wrapped as image-only PDFs and multi-page TIFFs. Pages are set in
11 pt DejaVu Sans or DejaVu Serif (even and odd seeds).

A document is its text (the born-digital original, one string per page) plus its planted entity types. Profiles:

- ``300``: 300 dpi greyscale, slight rotation (up to 1 degree), light sensor noise, slight blur;
- ``200-noisy``: 200 dpi, up to 2 degrees, heavy noise, JPEG compression at quality 45;
- ``fax``: 200 dpi 1-bit (thresholded, no greys), up to 1.5 degrees, salt-and-pepper specks, CCITT G4 in TIFF.

    python -m benchmarks.scans --out /tmp/scans --docs 4       # write a few, to look at
"""

from __future__ import annotations

import argparse
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from benchmarks.corpus_values import DIAGNOSES, SERVICES, Gen

FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
A4_INCHES = (8.27, 11.69)
PROFILES = ("300", "200-noisy", "fax")


@dataclass(frozen=True, slots=True)
class Paper:
    name: str
    pages: tuple[str, ...]  # the born-digital text of each page
    labels: frozenset[str]


def letter(g: Gen, index: int) -> Paper:
    """A one-page referral letter holding a name, address and postcode, NHS and NI numbers and an e-mail."""
    name, writer = g.name(), g.name()
    service = g.r.choice(SERVICES)
    body = [
        f"{service}",
        "",
        "Referral - OFFICIAL-SENSITIVE",
        f"Name: {name}",
        "Address:",
        g.address_block(),
        f"NHS number: {g.nhs()}",
        f"National Insurance number: {g.nino()}",
        f"Email: {g.email(name)}",
        "",
        f"Dear {g.r.choice(['Mr', 'Mrs', 'Ms'])} {name.split()[-1]},",
        "",
        f"Following your assessment, the clinic confirmed a diagnosis of {g.r.choice(DIAGNOSES)}.",
        g.filler(900),
        "",
        "Yours sincerely,",
        "",
        writer,
        g.r.choice(["Social Worker", "Occupational Health Adviser", "Team Manager"]),
    ]
    labels = {"PERSON", "UK_POSTCODE", "UK_NHS", "UK_NINO", "EMAIL_ADDRESS"}
    return Paper(f"{index:04d}-letter", ("\n".join(body),), frozenset(labels))


def papers(count: int, seed: int = 1) -> list[Paper]:
    g = Gen(seed)
    return [letter(g, i) for i in range(count)]


def _font(size: int, serif: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path(FONTS[1] if serif else FONTS[0])
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def render(text: str, dpi: int = 300, seed: int = 0, profile: str = "300") -> Image.Image:
    """One page of ``text`` as a scanner would capture it (``profile`` as in the module docstring)."""
    rng = np.random.default_rng(seed)
    width, height = (round(side * dpi) for side in A4_INCHES)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = _font(round(11 / 72 * dpi), serif=seed % 2 == 1)  # a sans letter, a serif letter, ...
    margin, leading = round(0.9 * dpi), round(16 / 72 * dpi)
    y = margin
    for paragraph in text.split("\n"):
        for line in textwrap.wrap(paragraph, 80) or [""]:
            draw.text((margin, y), line, font=font, fill=25)
            y += leading
    angle = {"300": 1.0, "200-noisy": 2.0, "fax": 1.5}[profile] * (rng.random() * 2 - 1)
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.5 if dpi >= 300 else 0.4))
    pixels = np.asarray(page, dtype=np.float32)
    sigma = {"300": 6.0, "200-noisy": 22.0, "fax": 4.0}[profile]
    pixels = pixels + rng.normal(0.0, sigma, pixels.shape)
    if profile == "fax":
        specks = rng.random(pixels.shape)
        pixels = np.where(specks < 0.0015, 0.0, np.where(specks > 0.9985, 255.0, pixels))
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).point(lambda v: 255 if v > 150 else 0, "1")
    page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if profile == "200-noisy":
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=45)
        page = Image.open(io.BytesIO(buffer.getvalue()))
    return page


def dpi_of(profile: str) -> int:
    return 300 if profile == "300" else 200


def scan(paper: Paper, profile: str, seed: int = 0) -> list[Image.Image]:
    return [render(text, dpi_of(profile), seed + i, profile) for i, text in enumerate(paper.pages)]


def save_pdf(pages: list[Image.Image], path: Path, dpi: int) -> Path:
    """An image-only PDF: each page one image, no text layer (what a scanner's scan-to-PDF writes)."""
    first, *rest = [p if p.mode in ("1", "L", "RGB") else p.convert("L") for p in pages]
    first.save(path, "PDF", save_all=True, append_images=rest, resolution=float(dpi))
    return path


def save_tiff(pages: list[Image.Image], path: Path, dpi: int) -> Path:
    """A multi-page TIFF; 1-bit pages with CCITT Group 4 compression (fax), others with LZW."""
    compression = "group4" if pages[0].mode == "1" else "tiff_lzw"
    pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:], dpi=(dpi, dpi), compression=compression)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--docs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for paper in papers(args.docs, args.seed):
        for profile in PROFILES:
            pages = scan(paper, profile)
            save_pdf(pages, args.out / f"{paper.name}-{profile}.pdf", dpi_of(profile))
            save_tiff(pages, args.out / f"{paper.name}-{profile}.tif", dpi_of(profile))
    print(f"wrote {args.docs * len(PROFILES) * 2} files to {args.out}")


if __name__ == "__main__":
    main()
