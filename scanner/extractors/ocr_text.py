"""OCR text: the page's lines as Tesseract laid them out, and repairs for the misreadings OCR makes in
postcodes, e-mail addresses and National Insurance numbers. Applied to OCR'd text only: text from a file's own
text layer is never changed.

**Layout.** Tesseract takes every line of a double-spaced letter for a paragraph of its own and puts a blank
line after each, which separates a postcode from the town above it and a signature from "Yours sincerely". The
blank lines are dropped: the page reads one printed line a line, as a PDF's own text layer does.

**Postcodes.** Tesseract reads the characters of a short code without a dictionary to help it: ``B1 0DJ`` as
``B1 ODJ``, ``EC1A 2RL`` as ``ECIA 2RL``, ``B15 9TE`` as ``Bi5 STE``. A UK postcode's shape says which places
hold a digit and which a letter, so a candidate is corrected when

- it ends its line (a postcode ends its line in an address block) and begins one, or follows a comma or a
  capitalised word (the town);
- it has an outward code of 2 to 4 characters and an inward code of 3 (separated by a space, a full stop or
  nothing), holding at least one real digit;
- swapping at most two look-alike characters (O/0, I/l/i/|/1, S/$/5, Z/2, B/8, G/6, and small letters shaped
  like their capitals, x for X) in the places where the shape wants the other kind gives exactly one valid
  postcode shape, whose area (the leading letters) is one of the UK's postcode areas.

Nothing else is rewritten: arbitrary text never becomes a postcode, and a code that needs more than two repairs
is left as read.

**E-mail addresses.** A space Tesseract puts before or after the ``@`` ("jo.bloggs1 @example.co.uk") is removed
when a domain with a dot follows.

**National Insurance numbers.** On a fax, the gaps between a number's pairs come back as stops, colons or degree
signs ("AM 78:71 96 C", "NZ.07.21 90D"); in a run of exactly two capitals, three pairs of digits and a letter A-D,
those marks become spaces. Letters and digits are never changed.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# UK postcode areas (including the Crown Dependencies and the non-geographic BF and BX).
_AREA_CODES = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN EX "
    "FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG "
    "NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS "
    "TW UB W WA WC WD WF WN WR WS WV YO ZE"
)
AREAS = frozenset(_AREA_CODES.split())
# Outward code shapes (A letter, 9 digit); the inward code is always 9AA.
OUTWARD_SHAPES = ("A9", "A99", "A9A", "AA9", "AA99", "AA9A")
AS_DIGIT = {"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "i": "1", "|": "1", "!": "1", "S": "5"}
AS_DIGIT |= {"s": "5", "$": "5", "Z": "2", "z": "2", "B": "8", "G": "6"}
AS_LETTER = {"0": "O", "1": "I", "5": "S", "$": "S", "2": "Z", "8": "B", "6": "G", "|": "I"}
AS_LETTER |= {c: c.upper() for c in "copsuvwxz"}  # small letters shaped like their capitals
MAX_REPAIRS = 2
_CHAR = r"[A-Za-z0-9$|!]"
# A candidate at the end of a line: outward code, a space, full stop or nothing, inward code.
_AT_END = re.compile(rf"(?:^|(?<=[\s,]))(?P<out>{_CHAR}{{2,4}})(?P<sep>[ .]?)(?P<in>{_CHAR}{{3}})(?P<end>[ \t.,]*)$")
_TOWN = re.compile(r"(?:^|,|\b[A-Z][A-Za-z'’-]*[a-z])[ \t]*$")  # before it: nothing, a comma or a capitalised word
_GAP = r"[ \t]?[.:°·,][ \t]?|[ \t]?"  # a mark OCR put where a space was, or a space, or nothing
_NINO = re.compile(
    rf"(?<![\w.:°·,])(?P<n>[A-Z]{{2}}(?:{_GAP})\d{{2}}(?:{_GAP})\d{{2}}(?:{_GAP})\d{{2}}(?:{_GAP})[A-D])(?![\w])"
)
_EMAIL_GAP = re.compile(r"(?<=[\w.+-])(?: @ ?|@ )(?=[\w-]+(?:\.[\w-]+)+\b)")


@cache
def _whole_postcode() -> re.Pattern[str]:
    """The postcode recognizer's own pattern (imported when OCR first runs: the detection package loads
    presidio, which a scan that reads nothing never needs)."""
    from scanner.detect.addresses import POSTCODE

    return re.compile(rf"(?-i:{POSTCODE})")


def page_text(api: Any) -> str:
    """The recognised page from ``api`` (a tesserocr engine after ``Recognize``), one line of print a line."""
    return "\n".join(line for line in (api.GetUTF8Text() or "").splitlines() if line.strip())


def repaired(text: str) -> str:
    """``text`` (OCR'd) with misread postcodes, split e-mail addresses and marks in the gaps of NI numbers put
    right (see the module docstring)."""
    text = "\n".join(_line_repaired(line) for line in text.split("\n"))
    return _NINO.sub(_nino, _EMAIL_GAP.sub("@", text))


def _nino(match: re.Match[str]) -> str:
    found = match["n"]
    if not any(mark in found for mark in ".:°·,"):
        return found
    plain = [c for c in found if c.isalnum()]
    return f"{''.join(plain[:2])} {''.join(plain[2:4])} {''.join(plain[4:6])} {''.join(plain[6:8])} {plain[8]}"


def _line_repaired(line: str) -> str:
    match = _AT_END.search(line)
    if match is None or not _TOWN.search(line[: match.start()]):
        return line
    code = postcode(match["out"], match["in"])
    return line if code is None else f"{line[: match.start()]}{code}{match['end']}"


def postcode(outward: str, inward: str) -> str | None:
    """The one valid UK postcode that ``outward`` and ``inward`` (as OCR read them) can be with at most
    ``MAX_REPAIRS`` look-alike characters swapped; None when there is none, or more than one."""
    if not any(c.isdigit() for c in outward + inward):
        return None
    inner, inner_repairs = _shaped(inward, "9AA")
    if inner is None:
        return None
    options: dict[str, int] = {}
    for shape in OUTWARD_SHAPES:
        if len(shape) != len(outward):
            continue
        code, repairs = _shaped(outward, shape)
        area = re.match(r"[A-Z]+", code or "")
        whole, total = f"{code} {inner}", repairs + inner_repairs
        if code and area and area[0] in AREAS and total <= MAX_REPAIRS and _whole_postcode().fullmatch(whole):
            options[whole] = min(total, options.get(whole, total))
    fewest = min(options.values(), default=None)
    chosen = [code for code, repairs in options.items() if repairs == fewest]
    return chosen[0] if len(chosen) == 1 else None


def _shaped(text: str, shape: str) -> tuple[str | None, int]:
    """``text`` read as ``shape`` (A letter, 9 digit) with look-alikes swapped, and how many were swapped."""
    out, repairs = [], 0
    for char, want in zip(text, shape, strict=True):
        if want == "9":
            fixed = char if char.isdigit() else AS_DIGIT.get(char)
        else:
            fixed = char if char.isupper() else AS_LETTER.get(char)
        if fixed is None:
            return None, 0
        repairs += fixed != char
        out.append(fixed)
    return "".join(out), repairs
