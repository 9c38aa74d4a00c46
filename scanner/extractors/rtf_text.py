"""RTF to plain text exactly as striprtf gives it, reading a run of plain characters at a time.

striprtf's ``rtf_to_text`` matches every character of a document's text, and of the hex data of the themes,
pictures and objects Word embeds, as one regular-expression match handled in Python: about 2 µs a byte, 30 ms
for a 100 KB letter saved by Word, 340 ms for a 750 KB one. ``rtf_to_text`` here keeps striprtf's rules and
takes its tables and pre-processing from it (destinations, special characters, code pages, the font table,
hyperlink fields). What differs is how the work is done: a run of plain characters, or of ``\\'xx`` escapes, is
one match handled once, and pictures with binary data are cut out with ``str.find`` rather than a loop over every
character. The text is striprtf's, character for character: ``tests/test_extract_rtf.py`` compares the two on
generated documents, and ``docs/performance.md`` gives the comparison on third-party ones.
"""

from __future__ import annotations

import codecs
import re

from striprtf.striprtf import (
    FONTTABLE,
    HYPERLINKS,
    charset_map,
    destinations,
    font_table_group,
    sectionchars,
    specialchars,
)

# striprtf's pattern, with two of its alternatives widened: a run of ``\\'xx`` escapes is one match rather than one
# each, and "any one character" is split in two, a run of plain characters and then any one character (a backslash
# that ends the text).
_TOKEN = re.compile(
    r"\\([a-z]{1,32})(-?\d{1,10})?[ ]?|((?:\\'[0-9a-f]{2})+)|\\([^a-z])|([{}])|[\r\n]+|([^\\{}\r\n]+)|(.)",
    re.IGNORECASE,
)
_State = tuple[int, bool, bool, str | None]  # ucskip, ignorable, suppress_output, current_font


def rtf_to_text(text: str, encoding: str = "cp1252", errors: str = "strict") -> str:
    """The plain text of RTF ``text`` (bytes decoded as Latin-1), as ``striprtf.striprtf.rtf_to_text`` gives it."""
    text = HYPERLINKS.sub("\\1(\\2)", _without_binary_pictures(text))
    fonts = {
        font_id: charset_map.get(int(charset), encoding)
        for font_id, charset, _ in FONTTABLE.findall(font_table_group(text))  # type: ignore[no-untyped-call]
    }
    stack: list[_State] = []
    default_font: str | None = None
    current_font: str | None = None
    ignorable = suppress_output = in_document = False
    ucskip, curskip, depth = 1, 0, 0
    hexes = ""
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        word, arg, hexed, char, brace, run, other = match.groups()
        if hexes and not hexed:  # the escaped bytes before this token, decoded together
            out.append(bytes.fromhex(hexes).decode(fonts.get(current_font, encoding), errors=errors))
            hexes = ""
        if word:  # a control word: \par, \u8217, \f1 ... (the most common token, so tested first)
            curskip = 0
            if word in destinations:
                ignorable = True
            elif word == "ansicpg":
                encoding = f"cp{arg}"
                try:
                    codecs.lookup(encoding)
                except LookupError:
                    encoding = "utf8"
            if ignorable or suppress_output:
                pass
            elif word in specialchars:
                out.append(specialchars[word])
            elif word == "uc":
                ucskip = int(arg)
            elif word == "u":
                if arg is not None:
                    code = int(arg)
                    out.append(chr(code + 0x10000 if code < 0 else code))
                curskip = ucskip  # the characters that stand in for it in older readers are skipped
            elif word == "f":
                current_font = arg
            elif word == "deff":
                default_font = arg
            elif word in ("fonttbl", "colortbl"):
                suppress_output = True
        elif brace:
            curskip = 0
            if brace == "{":
                depth += 1
                in_document = True
                stack.append((ucskip, ignorable, suppress_output, current_font))
            else:
                depth -= 1
                if stack:
                    ucskip, ignorable, suppress_output, current_font = stack.pop()
                else:  # a closing brace with no group open: what follows is ignored, as striprtf does
                    ucskip, ignorable = 0, True
                if in_document and depth <= 0:
                    break  # the document's outer group is closed: anything after it is discarded
        elif char:  # a control symbol: \~, \-, \*, \{ ...
            curskip = 0
            if char in specialchars:
                if char in sectionchars:
                    current_font = default_font
                if not ignorable:
                    out.append(specialchars[char])
            elif char == "*":
                ignorable = True
        elif hexed:  # \'xx escapes, bytes in the current font's code page (four characters each)
            skipped = min(curskip, len(hexed) // 4)  # the first ``curskip`` stand in for a \u character
            curskip -= skipped
            if not ignorable and 4 * skipped < len(hexed):
                hexes += hexed[4 * skipped :].replace("\\'", "")
        elif plain := run or other:  # plain characters: the first ``curskip`` stand in for a \u character
            if curskip > 0:
                skipped = min(curskip, len(plain))
                curskip -= skipped
                plain = plain[skipped:]
            if plain and not ignorable and not suppress_output:
                out.append(plain)
    return "".join(out)


def _without_binary_pictures(text: str) -> str:
    """``text`` as striprtf's ``remove_pict_groups`` leaves it: when the document holds both ``\\pict`` and
    ``\\bin``, every ``\\pict`` is cut out with what follows it up to the next ``}`` (that brace too), skipping
    the number of characters each ``\\bin<N>`` on the way announces."""
    if "\\pict" not in text or "\\bin" not in text:
        return text
    kept: list[str] = []
    at, end = 0, len(text)
    # The next "}" and "\\bin" at or after ``at`` (-1: there is none), each searched for again only once ``at`` has
    # passed it, so a picture of many \bin parts, or many pictures before one far brace, cost no more than one pass.
    close = binary = -2
    while (start := text.find("\\pict", at)) >= 0:
        kept.append(text[at:start])
        at = start + len("\\pict")
        while at < end:
            if close != -1 and close < at:
                close = text.find("}", at)
            if binary != -1 and binary < at:
                binary = text.find("\\bin", at)
            if binary < 0 or 0 <= close < binary:
                at = end if close < 0 else close + 1
                break
            digits = at = binary + len("\\bin")
            while digits < end and text[digits].isdigit():
                digits += 1
            at = digits + int(text[at:digits])  # no digits raises ValueError, as striprtf does
    kept.append(text[at:])
    return "".join(kept)
