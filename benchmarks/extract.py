"""Extraction speed per format, today's extractors against those of an earlier commit, in one run.

    python benchmarks/extract.py                      # generated corpus, before = the last commit on openpyxl/pypdf
    python benchmarks/extract.py --scale 0.3          # quicker
    python benchmarks/extract.py --before <commit>    # compare with another commit's office/odf/pdf.py
    python benchmarks/extract.py --huge-line 100      # peak memory on one 100 MB line, per text format

Generates realistic council documents (workbooks of a few thousand rows, letters and reports with tables,
merged cells, hyperlinks, headers and footers in two sections, slide decks with tables, groups and notes,
OpenDocument minutes and spreadsheets, PDF reports printed by Chromium when it is installed), reads each file
into memory, then times the extractors alternately file by file (CPU time of this process, several rounds), so
both sides see the same load.

Prints, per format: files, MB, CPU seconds, MB/s and files/s for before and after, their ratio, and whether
the chunks are identical (locator, text, context, column, first row). For PDFs the three candidate engines
(pypdf, pypdfium2, pdfminer.six) are timed on the same files; their text differs in whitespace and
ligatures, so PDF chunks are compared by locator and by their words.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.memory import peak_rss_mb  # noqa: E402
from scanner.extractors import for_mime  # noqa: E402
from scanner.identify import identify  # noqa: E402
from scanner.samples.people import People  # noqa: E402
from scanner.types import Chunk, Limits  # noqa: E402

BEFORE = "8bff848"  # main before this change: openpyxl, python-docx, python-pptx, pypdf
Extract = Callable[[Any, Limits], Iterator[Chunk]]


# --- corpus ---------------------------------------------------------------------------------------------


def _people_rows(people: People, rng: random.Random, count: int) -> list[list[object]]:
    rows: list[list[object]] = [["Name", "NI number", "Date of birth", "Postcode", "Balance", "Active", "Notes"]]
    for _ in range(count):
        person = people.person()
        rows.append(
            [
                person.name,
                person.ni_number,
                dt.datetime(1950 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                person.postcode,
                round(rng.uniform(-500, 5000), 2),
                rng.random() < 0.8,
                people.prose(1) if rng.random() < 0.3 else None,
            ]
        )
    return rows


def make_xlsx(path: Path, people: People, rng: random.Random, rows: int) -> None:
    from scanner.samples.office import write_xlsx

    sheets = {"Clients": _people_rows(people, rng, rows), "Summary": [["Team", "Cases"], ["North", 12], ["South", 9]]}
    write_xlsx(path, sheets)


def make_docx(path: Path, people: People, rng: random.Random, paragraphs: int) -> None:
    import docx
    from docx.enum.section import WD_SECTION
    from docx.oxml import OxmlElement

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "OFFICIAL-SENSITIVE"
    document.sections[0].footer.paragraphs[0].text = "Northshire Council, Adult Social Care"
    for i in range(paragraphs):
        p = document.add_paragraph(people.prose(rng.randint(1, 4)))
        run = p.add_run(f" Ref {people.person().ni_number}.")
        run.bold = True
        if i % 7 == 0:
            run.add_break()
            p.add_run("Second line\tafter a tab")
        if i % 11 == 0:
            link = OxmlElement("w:hyperlink")
            inner = OxmlElement("w:r")
            text = OxmlElement("w:t")
            text.text = f" {people.person().email}"
            inner.append(text)
            link.append(inner)
            p._p.append(link)
        if i == paragraphs // 2:
            table = document.add_table(rows=12, cols=4)
            for r, row in enumerate(table.rows):
                for c, cell in enumerate(row.cells):
                    cell.text = ["Name", "NHS number", "Team", "Notes"][c] if r == 0 else people.person().name
            table.cell(1, 2).merge(table.cell(3, 2))  # vertical merge
            table.cell(5, 0).merge(table.cell(5, 1))  # horizontal merge
            section = document.add_section(WD_SECTION.NEW_PAGE)
            section.header.is_linked_to_previous = False
            section.header.paragraphs[0].text = "OFFICIAL"
    document.add_paragraph("")
    document.save(str(path))


def make_pptx(path: Path, people: People, rng: random.Random, slides: int) -> None:
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    for i in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Case review {i + 1}"
        body = slide.placeholders[1].text_frame
        body.text = people.prose(2)
        body.add_paragraph().text = f"Client {people.person().name}, NI {people.person().ni_number}"
        if i % 3 == 0:
            table = slide.shapes.add_table(4, 3, Inches(1), Inches(4), Inches(6), Inches(2)).table
            for r in range(4):
                for c in range(3):
                    table.cell(r, c).text = people.person().name if r else ["Name", "Team", "Phone"][c]
        if i % 4 == 0:
            group = slide.shapes.add_group_shape()
            group.shapes.add_textbox(Inches(1), Inches(1), Inches(2), Inches(1)).text_frame.text = "grouped\vline"
        slide.notes_slide.notes_text_frame.text = people.prose(1)
    deck.save(str(path))


def make_odt(path: Path, people: People, rng: random.Random, paragraphs: int) -> None:
    from scanner.samples.office import write_odt

    write_odt(path, [people.prose(rng.randint(1, 5)) for _ in range(paragraphs)], heading="Minutes", header="OFFICIAL")


def make_ods(path: Path, people: People, rng: random.Random, rows: int) -> None:
    from scanner.samples.office import write_ods

    table: list[list[object]] = [["Name", "NI number", "Postcode", "Amount", "Notes"]]
    for person in (people.person() for _ in range(rows)):
        note = people.prose(1) if rng.random() < 0.3 else None
        table.append([person.name, person.ni_number, person.postcode, rng.randint(1, 9999), note])
    write_ods(path, {"Clients": table, "Summary": [["Team", "Cases"], ["North", 12]]})


def make_pdf(path: Path, people: People, rng: random.Random, paragraphs: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        from scanner.samples.office import write_pdf

        write_pdf(path, [people.prose(8) for _ in range(max(1, paragraphs // 4))])
        return
    rows = "".join(
        f"<tr><td>{p.name}</td><td>{p.ni_number}</td><td>{p.postcode}</td></tr>"
        for p in (people.person() for _ in range(paragraphs))
    )
    text = "".join(f"<p>{people.prose(5)}</p>" for _ in range(paragraphs))
    html = path.with_suffix(".html")
    html.write_text(f"<html><body><h1>Case report</h1>{text}<table border=1>{rows}</table>{text}</body></html>")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={path}", str(html)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    html.unlink()


MAKERS: dict[str, tuple[Callable[[Path, People, random.Random, int], None], list[int]]] = {
    "xlsx": (make_xlsx, [200, 1000, 3000, 6000, 12000]),
    "docx": (make_docx, [30, 80, 150, 300]),
    "pptx": (make_pptx, [8, 20, 40]),
    "odt": (make_odt, [100, 400]),
    "ods": (make_ods, [1000, 4000]),
    "pdf": (make_pdf, [20, 60, 120]),
}


def make_corpus(root: Path, scale: float, copies: int) -> dict[str, list[Path]]:
    corpus: dict[str, list[Path]] = {}
    for kind, (maker, sizes) in MAKERS.items():
        corpus[kind] = []
        for copy in range(copies):
            for size in sizes:
                rng = random.Random(f"{kind}{size}{copy}")
                path = root / f"{kind}-{size}-{copy}.{kind}"
                maker(path, People(rng.randrange(1 << 30)), rng, max(2, int(size * scale)))
                corpus[kind].append(path)
    return corpus


# --- extractors -----------------------------------------------------------------------------------------


def load_before(rev: str, module: str, into: Path) -> ModuleType:
    """``scanner/extractors/<module>.py`` as it was at ``rev``, importable beside today's helpers."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:scanner/extractors/{module}.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = into / f"before_{module}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"before_{module}", path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def pdfminer_pages(fh: Any, limits: Limits) -> Iterator[Chunk]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    for number, page in enumerate(extract_pages(fh), start=1):
        text = "".join(e.get_text() for e in page if isinstance(e, LTTextContainer))
        if text.strip():
            yield Chunk(text, f"page {number}")


def run(extract: Extract, data: bytes) -> tuple[float, list[Chunk]]:
    start = time.process_time()
    chunks = list(extract(io.BytesIO(data), Limits()))
    return time.process_time() - start, chunks


def same(a: list[Chunk], b: list[Chunk], loose: bool) -> bool:
    if loose:  # PDF engines: same pages, same words
        pages = lambda chunks: sorted({c.where for c in chunks})  # noqa: E731
        words = lambda chunks: " ".join(" ".join(c.text for c in chunks).replace("ﬃ", "ffi").split())  # noqa: E731
        return pages(a) == pages(b) and words(a).split()[:50] == words(b).split()[:50]
    key = lambda chunks: [(c.where, c.text, c.context, c.column, c.first_row) for c in chunks]  # noqa: E731
    return key(a) == key(b)


HUGE_LINE = {  # format -> (head, tail) around one line of words
    "text/plain": ("", ""),
    "text/csv": ('Name,Notes\nAnn,"', '"\n'),
    "application/json": ('{"notes": "', '"}'),
    "text/xml": ("<notes><note>", "</note></notes>"),
    "text/html": ("<html><body><p>", "</p></body></html>"),
}


def huge_line(megabytes: int) -> None:
    """Each text format on one line of ``megabytes`` MB, in a fresh process: status, time, peak RSS."""
    print(f"one line of {megabytes} MB; limits as shipped except max_file_bytes (peak RSS of a fresh process)")
    with tempfile.TemporaryDirectory(prefix="steward-line-") as tmp:
        for mime, (head, tail) in HUGE_LINE.items():
            path = Path(tmp) / "line"
            with path.open("w") as out:
                out.write(head)
                for _ in range(megabytes):
                    out.write("word " * 209_715)
                out.write(tail)
            result = subprocess.run(
                [sys.executable, __file__, "--probe", mime, str(path)], capture_output=True, text=True, check=True
            )
            print(result.stdout.strip())


def probe(mime: str, path: str) -> None:

    extract = for_mime(mime)
    assert extract is not None
    start, chars, status = time.monotonic(), 0, "ok"
    try:
        with open(path, "rb") as fh:
            chars = sum(len(chunk.text) for chunk in extract(fh, Limits(max_file_bytes=2**40)))
    except Exception as exc:  # the status Steward would record
        status = type(exc).__name__
    peak = peak_rss_mb()  # VmHWM: ru_maxrss would also hold the peak of the process that started this one
    print(f"{mime:<18} {status:<9} {chars:>11,} chars {time.monotonic() - start:>7.1f} s {peak:>7.0f} MB peak RSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge-line", type=int, metavar="MB", help="measure memory on one huge line instead")
    parser.add_argument("--probe", nargs=2, metavar=("MIME", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0, help="document sizes relative to the defaults")
    parser.add_argument("--copies", type=int, default=2, help="files of each size")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="commit whose office.py and pdf.py are 'before'")
    args = parser.parse_args()
    if args.probe:
        return probe(*args.probe)
    if args.huge_line:
        return huge_line(args.huge_line)
    with tempfile.TemporaryDirectory(prefix="steward-extract-") as tmp:
        root = Path(tmp)
        print(f"generating the corpus in {root} ...", flush=True)
        corpus = make_corpus(root, args.scale, args.copies)
        office, pdf = load_before(args.before, "office", root), load_before(args.before, "pdf", root)
        odf = load_before(args.before, "odf", root)
        candidates: dict[str, dict[str, Extract]] = {}
        for kind, paths in corpus.items():
            with paths[0].open("rb") as fh:
                after = for_mime(identify(fh, paths[0].name).mime)
            assert after is not None
            before = {"xlsx": office.extract_xlsx, "docx": office.extract_docx, "pptx": office.extract_pptx}
            before |= {"odt": odf.extract_odt, "ods": odf.extract_ods}
            candidates[kind] = {"before": before.get(kind, pdf.extract_pdf), "after": after}
            if kind == "pdf":
                candidates[kind] = {"pypdf (before)": pdf.extract_pdf, "pypdfium2 (after)": after}
                candidates[kind]["pdfminer.six"] = pdfminer_pages
        print("CPU time of this process; a shared, loaded 2-core machine: compare ratios within one run.\n")
        header = f"{'format':<6} {'extractor':<20} {'files':>5} {'MB':>6} {'CPU s':>7} {'MB/s':>7} {'files/s':>8}"
        print(f"{header} {'speed-up':>8}  same chunks")
        for kind, paths in corpus.items():
            blobs = [p.read_bytes() for p in paths]
            megabytes = sum(map(len, blobs)) / 1e6
            spent = dict.fromkeys(candidates[kind], 0.0)
            identical = dict.fromkeys(candidates[kind], 0)
            for _ in range(args.rounds):
                for data in blobs:
                    reference: list[Chunk] | None = None
                    for name, extract in candidates[kind].items():
                        seconds, chunks = run(extract, data)
                        spent[name] += seconds
                        reference = chunks if reference is None else reference
                        identical[name] += same(reference, chunks, kind == "pdf")
            baseline = next(iter(spent.values()))
            for name, seconds in spent.items():
                per = seconds / args.rounds
                same_chunks = f"{identical[name] // args.rounds}/{len(blobs)}"
                print(
                    f"{kind:<6} {name:<20} {len(blobs):>5} {megabytes:>6.1f} {per:>7.2f} {megabytes / per:>7.2f} "
                    f"{len(blobs) / per:>8.1f} {baseline / seconds:>7.1f}x  {same_chunks}"
                )


if __name__ == "__main__":
    main()
