"""HTML: the text a reader sees, located by the line of the page it starts on ("line 12").

The standard library's tolerant parser is used, fed as the file is decoded. Script, style and template
content is skipped; ``alt``, ``title`` and form ``value`` attributes count as visible text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import BinaryIO

from scanner.extractors.chunking import bounded
from scanner.extractors.notes import note
from scanner.extractors.text import decoded_blocks, line_chunks
from scanner.types import Chunk, Limits

log = logging.getLogger(__name__)

_HIDDEN = {"script", "style", "template"}
_BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
}
_VISIBLE_ATTRS = {"alt", "title", "value"}
MAX_BLOCK = 1 << 20  # characters of one block of text held before it is passed on
MAX_PENDING = 4 << 20  # characters of a script or style held while looking for its end


class _Visible(HTMLParser):
    """Collects ``(line, text)`` blocks of visible text as the page is fed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.blocks: list[tuple[int, str]] = []
        self._parts: list[str] = []
        self._size = 0
        self._line = 1

    def _close_block(self) -> None:
        text = " ".join("".join(self._parts).split())
        if text:
            self.blocks.append((self._line, text))
        self._parts, self._size = [], 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
            return
        if tag in _BLOCKS:
            self._close_block()
        for name, value in attrs:
            if name in _VISIBLE_ATTRS and value and value.strip() and not self.hidden:
                self.blocks.append((self.getpos()[0], value.strip()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self._close_block()

    def handle_data(self, data: str) -> None:
        if self.hidden or not data.strip():
            return
        if not self._parts:  # only text with something visible in it is kept
            self._line = self.getpos()[0] + (len(data) - len(data.lstrip("\n")))
        self._parts.append(data)
        self._size += len(data)
        if self._size > MAX_BLOCK:  # a block without end (one huge line of text) goes out in pieces
            note(f"a block of text longer than {MAX_BLOCK} characters was read in pieces")
            self._close_block()

    def finish(self) -> None:
        self.close()
        self._close_block()

    def drop_hidden(self) -> None:
        """Inside a huge script or style, drop what is held (never shown, and rescanned on every feed)."""
        if self.cdata_elem is not None and len(self.rawdata) > MAX_PENDING:
            cut = len(self.rawdata) - 64  # keep enough to see a closing tag cut in two
            self.updatepos(0, cut)  # line numbers stay right
            self.rawdata = self.rawdata[cut:]


def visible_blocks(blocks: Iterator[str]) -> Iterator[tuple[int, str]]:
    """``(line, text)`` for each block of visible text in the decoded page."""
    parser = _Visible()
    for block in blocks:
        parser.feed(block)
        parser.drop_hidden()
        yield from parser.blocks
        parser.blocks.clear()
    parser.finish()
    yield from parser.blocks


def html_text(html: str) -> str:
    """The visible text of a page, one block per line (for HTML mail bodies)."""
    return "\n".join(text for _, text in visible_blocks(iter([html])))


def extract_html(fh: BinaryIO, limits: Limits) -> Iterator[Chunk]:
    blocks = visible_blocks(decoded_blocks(fh, limits.max_file_bytes))
    yield from bounded(line_chunks(_paragraphs(blocks), limits), limits)


def _paragraphs(blocks: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Blocks as lines separated by blank lines, so ``line_chunks`` can break between them."""
    for line, text in blocks:
        yield line, text
        yield line, ""
