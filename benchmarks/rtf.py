"""RTF text: striprtf's ``rtf_to_text`` against Steward's (``scanner.extractors.rtf_text``), same files, same run.

    python benchmarks/rtf.py                       # generated letters
    python benchmarks/rtf.py --dir DIR [--dir ...]  # and every .rtf under DIR (third-party documents)

Generated letters are written as Steward's sample builder writes them (``\\pard`` paragraphs, ``\\uN`` escapes)
and laid out as Word saves them (a stylesheet, a theme and a picture as hex, table borders, ``\\'xx`` bytes).
Prints, per set, the CPU time per file of each (best of ``--rounds``, alternated) and how many files give the
same text (or fail the same way).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from faker import Faker
from striprtf.striprtf import rtf_to_text as striprtf_text

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from scanner.extractors.rtf_text import rtf_to_text  # noqa: E402
from scanner.samples.office import write_rtf  # noqa: E402

_CODEPAGE = re.compile(r"\\ansicpg(\d+)")


def word_letter(fake: Faker, rnd: random.Random) -> str:
    """A letter laid out as Word saves one: most of the bytes are styles, a theme and a picture, not text."""
    styles = "".join(f"{{\\s{i}\\ql\\li0\\ri0\\widctlpar\\fs22\\lang2057 Style {i};}}" for i in range(60))
    theme = "{\\*\\themedata " + "".join(f"{rnd.getrandbits(32):08x}" for _ in range(3000)) + "}"
    picture = "{\\pict\\pngblip\\picw200\\pich80 " + "".join(f"{rnd.getrandbits(32):08x}" for _ in range(1500)) + "}"
    paragraphs = [fake.name(), *fake.address().split("\n"), "", f"Dear {fake.name()},", *fake.paragraphs(6)]
    body = "".join(
        "\\pard\\plain\\s0\\ql\\widctlpar\\fs22 " + p.replace("é", "\\'e9").replace("’", "\\u8217\\'92") + "\\par\n"
        for p in paragraphs
    )
    cells = "".join(
        "\\trowd\\clbrdrt\\brdrs\\brdrw10\\clbrdrl\\brdrs\\brdrw10\\cellx3000\\cellx6000 "
        f"{fake.name()}\\cell {fake.date()}\\cell\\row\n"
        for _ in range(20)
    )
    return (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}}{\\stylesheet" + styles + "}"
        + theme + picture + body + cells + "}"
    )  # fmt: skip


def measure(name: str, texts: list[tuple[str, str]], rounds: int) -> None:
    def run(read: Callable[..., str]) -> float:
        started = time.process_time()
        for text, encoding in texts:
            try:
                read(text, encoding=encoding, errors="replace")
            except Exception:
                continue
        return time.process_time() - started

    theirs = ours = float("inf")
    for _ in range(rounds):
        theirs, ours = min(theirs, run(striprtf_text)), min(ours, run(rtf_to_text))
    same = sum(_outcome(striprtf_text, *t) == _outcome(rtf_to_text, *t) for t in texts)
    size = sum(len(t) for t, _ in texts) / max(1, len(texts)) / 1024
    print(
        f"{name:34s} {len(texts):5d} files, {size:7.1f} KB each: striprtf {1000 * theirs / len(texts):7.2f} ms/file, "
        f"Steward {1000 * ours / len(texts):6.2f} ms/file ({theirs / ours:4.1f}x); same text: {same}/{len(texts)}"
    )


def _outcome(read: Callable[..., str], text: str, encoding: str) -> object:
    try:
        return read(text, encoding=encoding, errors="replace")
    except Exception as exc:
        return type(exc)


def _encoding(text: str) -> str:
    match = _CODEPAGE.search(text[:4096])
    encoding = f"cp{match.group(1)}" if match else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        return "cp1252"
    return encoding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="generated letters of each kind")
    parser.add_argument("--dir", action="append", default=[], type=Path, help="also every .rtf under this folder")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fake, rnd = Faker("en_GB"), random.Random(1)
    fake.seed_instance(1)
    samples = []
    with tempfile.TemporaryDirectory() as work:
        for number in range(args.files):
            path = write_rtf(Path(work) / f"{number}.rtf", fake.paragraphs(rnd.randint(5, 40)))
            samples.append(path.read_text(encoding="latin-1"))
    measure("letters (Steward's sample builder)", [(t, "cp1252") for t in samples], args.rounds)
    letters = [(word_letter(fake, rnd), "cp1252") for _ in range(args.files)]
    measure("letters laid out as Word saves them", letters, args.rounds)
    for folder in args.dir:
        texts = [p.read_bytes().decode("latin-1") for p in sorted(folder.rglob("*.rtf"))]
        measure(str(folder)[-34:], [(t, _encoding(t)) for t in texts], args.rounds)


if __name__ == "__main__":
    main()
