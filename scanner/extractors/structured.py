"""JSON and XML: values with the key or tag that names them.

Both are read as streams, never loaded whole. Each value becomes a line ``"key: value"`` (the key helps a
recognizer as much as a column header does); lines are grouped into chunks of a few kilobytes whose
``context`` holds the keys or tags in them. A JSON chunk is located by the path of its first value
("$.patients[3].nhs"); an XML chunk by its first line ("line 12").

XML is parsed with expat, with internal entities left unexpanded (a "billion laughs" file costs nothing)
and external entities never fetched. An element's text longer than ``MAX_VALUE`` (one huge line) goes out
in pieces, so memory stays bounded whatever the file.
"""

from __future__ import annotations

import json
import logging
import re
import xml.parsers.expat
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from scanner.errors import Corrupt, TooLarge
from scanner.extractors.chunking import bounded, split
from scanner.extractors.notes import note
from scanner.extractors.text import TARGET_CHARS, decoded_blocks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

MAX_CONTEXT = 20
MAX_VALUE = 1 << 20  # characters of one element's text held before it is passed on
_TOKEN = re.compile(r'[\s]*(?:([{}\[\]:,])|"([^"\\]*(?:\\.[^"\\]*)*)"|(-?[0-9][0-9.eE+-]*|true|false|null))', re.S)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def grouped(values: Iterable[tuple[str, str, str]], limits: Limits) -> Iterator[Chunk]:
    """Group ``(where, key, value)`` triples into chunks of ``"key: value"`` lines."""
    target = min(TARGET_CHARS, max(1, limits.max_chunk_chars))
    lines: list[str] = []
    keys: dict[str, None] = {}
    length, first = 0, ""
    for where, key, value in values:
        line = f"{key}: {value}" if key else value
        if lines and length + len(line) + 1 > target:
            yield from split("\n".join(lines), first, tuple(keys), limits)
            lines, keys, length = [], {}, 0
        if not lines:
            first = where
        lines.append(line)
        length += len(line) + 1
        if key and len(keys) < MAX_CONTEXT:
            keys[key] = None
    if lines:
        yield from split("\n".join(lines), first, tuple(keys), limits)


# --- JSON -------------------------------------------------------------------------------------------


def _json_tokens(blocks: Iterator[str], max_token: int) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` tokens: kind is the punctuation itself, "s" (a string) or "v" (number or literal)."""
    buf, pos, done = "", 0, False
    while True:
        match = _TOKEN.match(buf, pos)
        # a token that touches the end of the buffer may continue in the next block
        if match is None or (match.end() == len(buf) and not done):
            rest = buf[pos:].lstrip()
            if done:
                if rest:
                    raise Corrupt("not valid JSON")
                return
            if match is None and rest and rest[0] not in '"-0123456789tfn':
                raise Corrupt("not valid JSON")
            block = next(blocks, None)
            if block is None:
                done = True
            else:
                buf = buf[pos:] + block
                pos = 0
                if len(buf) > max_token + len(block):
                    raise TooLarge(f"a JSON value is longer than {max_token} characters")
            continue
        pos = match.end()
        punct, string, scalar = match.groups()
        if punct:
            yield punct, punct
        elif string is not None:
            yield "s", string
        else:
            yield "v", scalar


def _json_values(tokens: Iterator[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """``(path, key, value)`` for every string and number, with a bounded stack of open containers."""
    # each frame: [is_object, key_or_index, expecting_key]
    stack: list[list[object]] = []
    for kind, text in tokens:
        top = stack[-1] if stack else None
        if kind in "{[":
            stack.append([kind == "{", None if kind == "{" else 0, kind == "{"])
        elif kind in "}]":
            if not stack:
                raise Corrupt("not valid JSON")
            stack.pop()
        elif kind == ":" and top is not None:
            top[2] = False
        elif kind == "," and top is not None:
            if top[0]:
                top[2] = True
            else:
                top[1] = int(top[1]) + 1  # type: ignore[call-overload]
        elif kind == "s" and top is not None and top[0] and top[2]:
            top[1] = _unescape(text)
        elif kind == "s" or (kind == "v" and text not in ("true", "false", "null")):
            value = _unescape(text) if kind == "s" else text
            if value.strip():
                yield _path(stack), _leaf(stack), value
    if stack:
        raise Corrupt("truncated JSON")


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        value: str = json.loads(f'"{raw}"')
    except ValueError as exc:
        raise Corrupt("not valid JSON: bad string escape") from exc
    return value


def _path(stack: list[list[object]]) -> str:
    parts = ["$"]
    for is_object, key, _ in stack:
        if not is_object:
            parts.append(f"[{key}]")
        elif key is not None:
            parts.append(f".{key}" if _KEY.fullmatch(str(key)) else f"[{json.dumps(key)}]")
    return "".join(parts)


def _leaf(stack: list[list[object]]) -> str:
    for is_object, key, _ in reversed(stack):
        if is_object and key is not None:
            return str(key)
    return ""


def extract_json(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    """Every string and number with its key path; keys are context."""
    blocks = decoded_blocks(fh, limits.max_file_bytes)
    tokens = _json_tokens(blocks, max(limits.max_chunk_chars, 1 << 20))
    yield from bounded(grouped(_json_values(tokens), limits), limits)


# --- XML --------------------------------------------------------------------------------------------


def _xml_values(fh: BinaryIO, limits: Limits) -> Iterator[tuple[str, str, str]]:
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.DefaultHandler = lambda _data: None  # also stops expat from expanding internal entities
    parser.buffer_text = True
    tags: list[str] = []
    texts: list[list[str]] = []
    sizes: list[int] = []
    lines: list[int] = []
    out: list[tuple[str, str, str]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(":")[2]
        tags.append(tag)
        texts.append([])
        sizes.append(0)
        lines.append(parser.CurrentLineNumber)
        line = f"line {parser.CurrentLineNumber}"
        for attr, value in attrs.items():
            if value.strip():
                out.append((line, f"{tag}@{attr.rpartition(':')[2]}", value.strip()))

    def end(_name: str) -> None:
        text = " ".join("".join(texts.pop()).split())
        tag, line = tags.pop(), lines.pop()
        sizes.pop()
        if text:
            out.append((f"line {line}", tag, text))

    def data(text: str) -> None:
        if texts:
            texts[-1].append(text)
            sizes[-1] += len(text)
            if sizes[-1] > MAX_VALUE:  # one huge text node goes out in pieces, each with its tag
                note(f"an element's text longer than {MAX_VALUE} characters was read in pieces")
                value = " ".join("".join(texts[-1]).split())
                out.append((f"line {lines[-1]}", tags[-1], value))
                texts[-1], sizes[-1] = [], 0

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    read = 0
    while True:
        block = fh.read(256 * 1024)
        read += len(block)
        try:
            parser.Parse(block, not block)
        except xml.parsers.expat.ExpatError as exc:
            raise Corrupt(f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)}") from exc
        yield from out
        out.clear()
        if not block:
            return
        if read >= limits.max_file_bytes:
            log.debug("XML read up to the file size limit; the rest is not read")
            return


def extract_xml(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    """Element text and attribute values, each with its tag name; located by line."""
    yield from bounded(grouped(_xml_values(fh, limits), limits), limits)
