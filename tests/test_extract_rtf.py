"""RTF text is striprtf's, character for character, though Steward reads it a run of characters at a time."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from striprtf.striprtf import rtf_to_text as striprtf_text

from scanner.extractors.rtf import extract_rtf
from scanner.extractors.rtf_text import rtf_to_text
from scanner.types import Limits

Piece = Callable[[random.Random], str]

# What documents hold, as Word, WordPad, TextEdit and letter templates write it: text (accented, with tabs and
# separators), paragraph and table marks, \uN characters with their stand-ins (plain or \'xx, under \ucN), bytes
# in a font's code page, ignorable destinations (themes, generators, document properties), nested groups, control
# symbols, pictures with and without binary data, hyperlink fields, and a few malformed runs.
PIECES: list[Piece] = [
    lambda r: r.choice(["Dear Ms Jo Bloggs,", " 12 High St ", "café naïve", "tab\there", "x" * r.randint(1, 99)]),
    lambda r: r.choice(["\\par ", "\\par\n", "\\line ", "\\tab ", "\\cell ", "\\row\r\n", "\\sect ", "\\page "]),
    lambda r: f"\\u{r.choice([8217, 233, -4064, 20013, -25536, 0])}" + r.choice(["?", "??", "\\'92", "\\'e9", ""]),
    lambda r: r.choice([f"\\uc{r.randint(0, 3)} ", "\\u", "\\u 1"]),
    lambda r: "".join(f"\\'{r.randint(0, 255):02x}" for _ in range(r.randint(1, 6))),
    lambda r: "{\\*\\themedata " + "0a1b2c3d" * r.randint(1, 40) + "}",
    lambda r: r.choice(["{\\*\\generator Riched20 10.0;}", "{\\info{\\author Jo Bloggs}{\\title Secret}}"]),
    lambda r: "{\\b bold " + r.choice(["text", "\\u233?", "\\'e9"]) + "}",
    lambda r: r.choice(["{", "}", "\\~", "\\-", "\\_", "\\{", "\\}", "\\\\", "\\*", "\\\n", "\\ ", "\\'zz"]),
    lambda r: r.choice([f"\\f{r.randint(0, 3)} ", "\\deff1 ", "\\ansicpg1250 ", "\\ansicpg1251 ", "\\ansicpg999 "]),
    lambda r: r.choice(["\\emdash ", "\\lquote ", "\\bullet ", "\\fs22 ", "\\pard\\plain ", "\\b0", "\\x123 "]),
    lambda r: r.choice(["{\\pict\\pngblip\\bin4 ab}c}", "{\\pict\\wmetafile8 0102030405}", "\\pict", "\\bin7 "]),
    lambda r: "{\\pict\\bin" + r.choice(["0", "3", "12"]) + r.choice([" xyz}", "}}", "ab\\bin2 }}}"]),
    lambda r: '{\\field{\\*\\fldinst{HYPERLINK "https://example.org/x"}}{\\fldrslt{\\ul link text}}}',
]


def document(r: random.Random) -> str:
    head = r.choice(["{\\rtf1\\ansi\\ansicpg1252\\deff0", "{\\rtf1\\ansi", "{\\rtf1\\ansi\\ansicpg1250\\deff0"])
    charsets = [0, 238, 204, 161, 128, 77]
    fonts = "".join(f"{{\\f{i}\\fswiss\\fcharset{r.choice(charsets)} Font{i};}}" for i in range(r.randint(0, 3)))
    body = "".join(r.choice(PIECES)(r) for _ in range(r.randint(0, 80)))
    return head + "{\\fonttbl" + fonts + "}" + body + r.choice(["}", "}\n", "", "}}", "} after the end \\par"])


def outcome(read: Callable[..., str], text: str, encoding: str) -> object:
    try:
        return read(text, encoding=encoding, errors="replace")
    except Exception as exc:  # a malformed escape fails both the same way
        return type(exc)


@pytest.mark.parametrize("seed", range(4))
def test_same_text_as_striprtf_on_generated_documents(seed: int) -> None:
    r = random.Random(seed)
    read = 0
    for _ in range(1500):
        text, encoding = document(r), r.choice(["cp1252", "cp1250", "utf8"])
        expected = outcome(striprtf_text, text, encoding)
        assert outcome(rtf_to_text, text, encoding) == expected, text
        read += isinstance(expected, str)
    assert read > 1000  # most documents are read, not refused


def test_stand_in_characters_hex_bytes_and_pictures(tmp_path: Path) -> None:
    rtf = (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fcharset0 Arial;}{\\f1\\fcharset238 Arial CE;}}"
        "{\\*\\themedata 504b0304}{\\info{\\author Jo Bloggs}}"
        "\\pard Caf\\'e9 \\u8217\\'92s \\uc2\\u8211\\'96\\'96 end\\par"
        "{\\f1 P\\'f8\\'edli\\'9a}\\par"
        "{\\pict\\pngblip\\bin6 \x89PNG\x1a\x00}after\\par}"
    )
    path = tmp_path / "letter.rtf"
    path.write_bytes(rtf.encode("latin-1"))
    with path.open("rb") as fh:
        lines = [chunk.text for chunk in extract_rtf(fh, Limits())]
    assert lines == ["Café ’s – end", "Příliš", "after"]
    assert rtf_to_text(rtf) == striprtf_text(rtf)


@pytest.mark.parametrize(
    "body",
    [
        "{\\pict" + "\\bin1 x" * 5000 + " no closing brace",  # one picture of many binary parts
        "{\\pict" + "\\bin1 }" * 5000,  # each part's byte is a brace
        "{\\pict ab}" * 5000 + "text \\bin",  # many pictures, one \\bin far after them
        "\\pict}\\bin2 ab\\pict\\bin1 }} after",
    ],
)
def test_binary_pictures_cut_as_striprtf_cuts_them(body: str) -> None:
    text = "{\\rtf1\\ansi " + body + "}"
    assert rtf_to_text(text) == striprtf_text(text)
