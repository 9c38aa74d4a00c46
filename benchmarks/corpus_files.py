"""The scan benchmark's trees of files, rendered from the labelled corpus (``benchmarks.corpus``), deterministic.

- ``small``: many small files (about 1–2 KB): plain text, CSV, HTML and e-mail, in nested service folders.
- ``mixed``: documents of every format Steward reads at realistic sizes: PDF, DOCX, XLSX, PPTX, ODT, ODS, RTF,
  CSV, e-mail, HTML and text.

    python -m benchmarks.corpus_files small /tmp/tree --files 1000
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

from benchmarks.corpus import Doc, generate
from scanner.samples import office, text

POOL = 1000  # distinct documents a small-files tree cycles through (each file also gets a line of its own)


def _folder(root: Path, i: int) -> Path:
    return root / f"Service {i // 10_000:02d}" / f"Team {i // 1_000 % 10}" / f"Case {i // 100 % 10}"


def _prose(doc: Doc) -> str:
    return "\n".join(c.text for c in doc.chunks)


def _rows(doc: Doc) -> list[list[str]]:
    columns = [(c.column or c.where, c.text.split("\n")) for c in doc.chunks]
    height = max(len(values) for _, values in columns)
    rows = [[header for header, _ in columns]]
    rows += [[values[r] if r < len(values) else "" for _, values in columns] for r in range(height)]
    return rows


def _is_table(doc: Doc) -> bool:
    return any(c.column for c in doc.chunks)


def write_small(root: Path, files: int, seed: int = 1) -> None:
    """``files`` small text, CSV, HTML and e-mail files in folders of 100."""
    docs = list(generate(POOL, seed=seed))
    for i in range(files):
        folder = _folder(root, i)
        if i % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        doc = docs[i % POOL]
        own = f"Reference {seed}-{i:07d}."
        if _is_table(doc):
            text.write_csv(folder / f"extract {i:06d}.csv", [*_rows(doc)[:25], [own]])
            continue
        body = _prose(doc)[:1500] + "\n" + own
        kind = i % 5
        if kind == 3:
            text.write_html(folder / f"page {i:06d}.html", f"Page {i}", body.split("\n"))
        elif kind == 4:
            to = f"case.team{i % 7}@council.example.gov.uk"
            text.write_eml(folder / f"mail {i:06d}.eml", f"Case {i}", body, "officer@council.example.gov.uk", to)
        else:
            text.write_text(folder / f"note {i:06d}.txt", body)


def _pages(doc: Doc, per: int = 2500) -> list[str]:
    body = _prose(doc)
    return [body[i : i + per] for i in range(0, max(len(body), 1), per)]


PROSE: list[tuple[str, Callable[[Path, Doc], object]]] = [
    ("pdf", lambda p, d: office.write_pdf(p, _pages(d))),
    ("docx", lambda p, d: office.write_docx(p, _prose(d).split("\n"))),
    ("odt", lambda p, d: office.write_odt(p, _prose(d).split("\n"))),
    ("pptx", lambda p, d: office.write_pptx(p, _pages(d, 800))),
    ("rtf", lambda p, d: office.write_rtf(p, _prose(d).split("\n"))),
    ("eml", lambda p, d: text.write_eml(p, d.name, _prose(d), "officer@council.example.gov.uk", "team@example.org")),
    ("html", lambda p, d: text.write_html(p, d.name, _prose(d).split("\n"))),
    ("txt", lambda p, d: text.write_text(p, _prose(d))),
]
TABLES: list[tuple[str, Callable[[Path, Doc], object]]] = [
    ("xlsx", lambda p, d: office.write_xlsx(p, {"Sheet1": list(_rows(d))})),
    ("ods", lambda p, d: office.write_ods(p, {"Sheet1": list(_rows(d))})),
    ("csv", lambda p, d: text.write_csv(p, _rows(d))),
]


def write_mixed(root: Path, files: int, seed: int = 1) -> None:
    """``files`` documents of every format, 2–40 KB of text each (tables of 20–200 rows)."""
    rng = random.Random(seed)
    made = 0
    while made < files:
        scale = rng.choice((1, 1, 2, 3, 5, 10))
        for doc in generate(min(30, files - made), seed=seed + made, scale=scale):
            formats = TABLES if _is_table(doc) else PROSE
            suffix, write = formats[made % len(formats)]
            folder = root / f"Service {made // 200:02d}" / f"Folder {made // 20 % 10}"
            folder.mkdir(parents=True, exist_ok=True)
            write(folder / f"{doc.name}.{suffix}", doc)
            made += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", choices=("small", "mixed"))
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    (write_small if args.corpus == "small" else write_mixed)(args.root, args.files)


if __name__ == "__main__":
    main()
