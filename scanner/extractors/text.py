"""Plain text, CSV/TSV and JSON, in whatever encoding the file was saved in.

Decoding: a byte-order mark wins (UTF-8, UTF-16, UTF-32); otherwise UTF-8 if the head is valid UTF-8;
otherwise charset-normalizer's guess on the head, except that any Western single-byte guess becomes
Windows-1252, the encoding of almost every non-UTF-8 council file (charset-normalizer tends to say cp1250
for English with "£" in it). Undecodable bytes become U+FFFD rather than stopping the file.

Files are read as a stream: at most ``limits.max_text_chars`` characters of plain text or CSV are decoded,
and memory stays bounded by the chunk size, whatever the file's size. A line longer than a chunk is read
in chunk-sized pieces (in a CSV file each piece reads as a row of its own). A quoted CSV field may be up to
``MAX_FIELD`` characters long (the csv module's default limit, 128 KB, would call a well-formed file with
one long note damaged); a longer one raises ``TooLarge``, never ``Corrupt``.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from charset_normalizer import from_bytes

from scanner.errors import Corrupt, TooLarge
from scanner.extractors.chunking import bounded, split
from scanner.extractors.notes import note
from scanner.extractors.tables import columns_to_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

HEAD_BYTES = 64 * 1024
BLOCK_BYTES = 256 * 1024
TARGET_CHARS = 4096  # a chunk closes at the first paragraph break past this size
MAX_FIELD = 16 * 1024 * 1024  # characters in one CSV field
DELIMITERS = ",\t;|"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WESTERN = {
    "cp1252",
    "cp1250",
    "latin_1",
    "iso8859_15",
    "iso8859_2",
    "cp850",
    "mac_roman",
    "mac_latin2",
    "cp1257",
    "iso8859_4",
    "iso8859_13",
    "iso8859_10",
    "iso8859_3",
}
_NEWLINE = re.compile(r"\r\n|\r|\n")


def detect_encoding(head: bytes) -> str:
    """The Python codec name to decode a file whose first bytes are ``head``."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\0" not in head:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    best = from_bytes(head).best()
    if best is None:
        return "cp1252"
    encoding = codecs.lookup(best.encoding).name.replace("-", "_")
    return "cp1252" if encoding in _WESTERN else best.encoding


def decode_bytes(data: bytes) -> str:
    """Decode a whole (small) byte string, such as a mail body without a declared charset."""
    return data.decode(detect_encoding(data[:HEAD_BYTES]), errors="replace")


def decoded_blocks(fh: BinaryIO, max_chars: int) -> Iterator[str]:
    """The stream decoded, as blocks of text, up to ``max_chars`` characters; newlines become "\\n"."""
    head = fh.read(HEAD_BYTES)
    encoding = detect_encoding(head)
    log.debug("decoding as %s", encoding)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    remaining, data, held_cr = max_chars, head, ""
    while remaining > 0:
        final = not data
        text = held_cr + decoder.decode(data, final=final)
        held_cr = ""
        if text.endswith("\r") and not final:
            text, held_cr = text[:-1], "\r"
        text = _NEWLINE.sub("\n", text)[:remaining]
        remaining -= len(text)
        if text:
            yield text
        if final:
            return
        data = fh.read(BLOCK_BYTES)
    log.debug("text limit of %d characters reached; the rest of the file is not read", max_chars)


def numbered_lines(blocks: Iterable[str], max_line: int) -> Iterator[tuple[int, str]]:
    """``(line_number, line)`` from decoded blocks, without the newline; a line longer than ``max_line``
    comes out in pieces that share its number."""
    number, carry = 1, ""
    for block in blocks:
        lines = (carry + block).split("\n")
        carry = lines.pop()
        for line in lines:
            yield number, line
            number += 1
        while len(carry) > max_line:
            note(f"a line longer than {max_line} characters was read in pieces")
            yield number, carry[:max_line]
            carry = carry[max_line:]
    if carry:
        yield number, carry


def line_chunks(
    lines: Iterable[tuple[int, str]], limits: Limits, where: str = "line {}", context: tuple[str, ...] = ()
) -> Iterator[Chunk]:
    """Group numbered lines into chunks that end at paragraph breaks; ``where`` gets the first line number."""
    size = max(1, limits.max_chunk_chars)
    target = min(TARGET_CHARS, size)
    buf: list[str] = []
    length, start = 0, 1

    def flush() -> Iterator[Chunk]:
        text = "\n".join(buf).strip("\n")
        if text.strip():
            yield from split(text, where.format(start), context, limits)

    for number, line in lines:
        if not line.strip():
            if length >= target:
                yield from flush()
                buf, length = [], 0
            elif buf:
                buf.append("")
            continue
        if buf and (length + len(line) + 1 > size or length >= 4 * target):
            yield from flush()
            buf, length = [], 0
        if not buf:
            start = number
        buf.append(line)
        length += len(line) + 1
    yield from flush()


def extract_text(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    """Plain text: chunks of whole paragraphs, located by their first line ("line 12")."""
    lines = numbered_lines(decoded_blocks(fh, limits.max_text_chars), limits.max_chunk_chars)
    yield from bounded(line_chunks(lines, limits), limits)


def extract_delimited(fh: BinaryIO, limits: Limits, default: str = ",") -> Iterator[Chunk]:
    """CSV or TSV, one chunk per column per batch of rows; a cell's locator reads like "C7"."""
    blocks = decoded_blocks(fh, limits.max_text_chars)
    lines = (line + "\n" for _, line in numbered_lines(blocks, limits.max_chunk_chars))
    sample: list[str] = []
    for line in lines:
        sample.append(line)
        if sum(map(len, sample)) > 16 * 1024 or len(sample) >= 50:
            break
    try:
        dialect: type[csv.Dialect] | csv.Dialect = _Sniffer().sniff("".join(sample), delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel_tab if default == "\t" else csv.excel
    if csv.field_size_limit() < MAX_FIELD:
        csv.field_size_limit(MAX_FIELD)  # process-wide; only ever raised
    rows = csv.reader(_chain(sample, lines), dialect)
    try:
        yield from bounded(columns_to_chunks(rows, "", (), limits), limits)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise TooLarge(f"a CSV field longer than {MAX_FIELD} characters") from exc
        raise Corrupt(f"unreadable delimited text: {type(exc).__name__}") from exc


class _Sniffer(csv.Sniffer):
    """``csv.Sniffer`` with its delimiter vote counted for the candidate delimiters only.

    The standard vote counts every 7-bit character on every sampled line, then keeps only the candidates: the
    same decision from the same counts, at a thirtieth of the cost (it was most of the time spent on a small CSV).
    """

    def _guess_quote_and_delimiter(self, data: str, delimiters: str | None) -> tuple[str, bool, str | None, int]:
        # Each of the standard guess's patterns needs text between two identical quotes: with fewer than two
        # of each quote character none can match, and the standard answer is this one.
        if data.count('"') < 2 and data.count("'") < 2:
            return ("", False, None, 0)
        found: tuple[str, bool, str | None, int] = super()._guess_quote_and_delimiter(data, delimiters)  # type: ignore[misc]
        return found

    def _guess_delimiter(self, data: str, delimiters: str | None) -> tuple[str, bool]:
        candidates = delimiters if delimiters is not None else "".join(map(chr, range(127)))
        lines = [line for line in data.split("\n") if line]
        step = min(10, len(lines))
        frequency: dict[str, dict[int, int]] = {}
        modes: dict[str, tuple[int, int]] = {}
        found: dict[str, tuple[int, int]] = {}
        rounds, start, end = 0, 0, step
        while start < len(lines):
            rounds += 1
            for line in lines[start:end]:
                for char in candidates:
                    counts = frequency.setdefault(char, {})
                    n = line.count(char)
                    counts[n] = counts.get(n, 0) + 1
            for char, counts in frequency.items():
                items = list(counts.items())
                if len(items) == 1 and items[0][0] == 0:
                    continue
                if len(items) > 1:
                    mode = max(items, key=lambda item: item[1])  # the first most frequent, as the standard vote
                    items.remove(mode)
                    modes[char] = (mode[0], mode[1] - sum(item[1] for item in items))
                else:
                    modes[char] = items[0]
            total = float(min(step * rounds, len(lines)))
            consistency = 1.0
            while not found and consistency >= 0.9:
                for char, (count, rows) in modes.items():
                    if count > 0 and rows > 0 and rows / total >= consistency:
                        found[char] = (count, rows)
                consistency -= 0.01
            if len(found) == 1:
                return _with_space(next(iter(found)), lines[0])
            start, end = end, end + step
        if not found:
            return ("", False)
        for char in self.preferred:
            if len(found) > 1 and char in found:
                return _with_space(char, lines[0])
        return _with_space(max((v, k) for k, v in found.items())[1], lines[0])


def _with_space(delimiter: str, first: str) -> tuple[str, bool]:
    return delimiter, first.count(delimiter) == first.count(delimiter + " ")


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def extract_csv(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    return extract_delimited(fh, limits, ",")


def extract_tsv(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    return extract_delimited(fh, limits, "\t")
