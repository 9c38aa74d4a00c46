"""What a person's name looks like, in any script Steward reads: the name-word patterns shared by triage cues,
layout rules (``people.py``) and the sanity checks on NER output; words that are never names; and the
normalised form used wherever names are compared, counted or digested.

Names are Unicode throughout: upper- and lower-case letters of any script (``\\p{Lu}``, ``\\p{Ll}``, combining
marks), apostrophes ' and ’, hyphens, and particles such as Ó, Ní, Nic, Mac, Mc, ap, ab, al-, bin, van, de, da.
spaCy's small model also tags numbers, headings and labels as people (presidio issues #786, #1173, #1352), so a
name here is 1-4 name words, at least two unless a title, salutation or possessive marks a single one, and none
of them a word that does not appear in names.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import regex

TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Rev", "Cllr", "Lady", "Lord")
# Particles written as words of their own before (or inside) a family name.
PARTICLES = (
    "Ó|Ní|Nic|Mac|Mc|Ua|Uí|Ap|ap|ab|ferch|verch|al|el|Al|El|bin|Bin|bint|ibn|van|Van|von|Von|der|den|de|De|"
    "del|Del|della|da|Da|das|do|dos|Dos|du|Du|di|Di|la|La|le|Le|ter|ten"
)
_LOWER = r"[\p{Ll}\p{M}]"
# One capitalised name word: Grzybowska, O'Neill, O’Driscoll, McGettigan, NicDhòmhnaill, al-Khatib, Min-jun.
WORD = rf"(?:(?:[Aa]l|[Ee]l)-)?(?:Mc|Mac|Nic|Fitz|O['’]|D['’])?\p{{Lu}}{_LOWER}+(?:['’-]\p{{L}}{_LOWER}*)*"
# A word of a family name, with any particles before it: "Ní Fhlannagáin", "de la Cruz", "ap Siencyn".
NAME_PART = rf"(?:(?:{PARTICLES})[ \t]+){{0,2}}{WORD}"
# Two to four name words: "Jadwiga Grzybowska", "Manpreet Kaur Bhamra", "Lương Thị Thảo".
FULL = rf"{WORD}(?:[ \t]+{NAME_PART}){{1,3}}"
# A family name in capitals, as registers write it: "GRZYBOWSKA", "O'SULLIVAN", "NÍ FHLANNAGÁIN".
UPPER = r"\p{Lu}[\p{Lu}\p{M}]*(?:['’-]\p{Lu}[\p{Lu}\p{M}]*)*"

_WORD_RE = regex.compile(rf"(?:{WORD}|{PARTICLES}|\p{{Lu}}\.?)")
_TITLE_BEFORE = regex.compile(rf"(?:\b(?:{'|'.join(TITLES)}|Dear|Hi|Hello)\.?\s*)$")
_POSSESSIVE_AFTER = regex.compile(r"^['’]s\b")
_TITLE_SET = frozenset(TITLES)
_CUE_WORDS = frozenset({t.lower() for t in TITLES} | {"dear", "hello"})

_NOT_NAME_WORDS = """
    email e-mail tel phone mobile dob address postcode name nhs number no ref reference date council street road
    lane avenue team service services department unit manager officer report policy form data protection act the
    and of for to in on at by with from dear regards sincerely yours kind thanks hello monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august september october november
    december account sort code iban card visa bank ltd limited plc llp inc group city county borough district
    centre center school academy hospital trust care social adult children client patient pupil tenant resident
    case notes summary total page section appendix version draft official sensitive secret restricted
    confidential protect court police birth passport licence national insurance gmail outlook yahoo hotmail
    standards trading public highways transport waste planning legal democratic libraries heritage parks housing
    options board committee cabinet agency authority strategy plan panel governance finance revenues benefits
    environment sir madam colleague colleagues customer customers all everyone member members councillor
    councillors applicant applicants neighbour neighbours friends friend parent parents carer carers partner
    partners residents tenants staff managers supplier head chair director drive close way crescent place
    gardens grove terrace square mews parade meadow fields croft wharf yard approach boulevard station ward
    library forum groups association society foundation charity chapel mosque temple gurdwara synagogue farm
    estate partnership company advice aid water power energy homes health network centres college university
    council's spa upon under next steps accounts agenda minutes action points item assessment programme calendar
    challenge review meeting business other terms annual northern southern eastern western upper lower new old
    saint st open spaces space orchestra choir ensemble club institute museum theatre gallery league federation
    union corporation common circle plaza vista esplanade promenade embankment quay british scottish
    irish european african american asian ocean territory territories islands island republic kingdom
    emirates states
"""
NOT_NAME_WORDS = frozenset(_NOT_NAME_WORDS.split())
# Towns and cities a council's documents name often; a register entry "COVENTRY, Earlsdon" is not a person.
_PLACES = """
    london birmingham coventry leeds manchester liverpool bristol sheffield nottingham leicester bradford
    cardiff swansea newport glasgow edinburgh aberdeen dundee belfast derry york hull wakefield warwick rugby
    nuneaton solihull wolverhampton walsall dudley sandwell stoke derby northampton oxford cambridge norwich
    ipswich exeter plymouth southampton portsmouth brighton reading luton milton keynes peterborough lincoln
    gloucester worcester hereford shrewsbury telford chester preston blackpool bolton wigan stockport oldham
    salford sunderland newcastle durham middlesbrough carlisle lancaster kendal bath swindon cheltenham bedworth
    kenilworth leamington stratford redditch bromsgrove tamworth lichfield hinckley bury barnsley doncaster
    rotherham huddersfield halifax harrogate scarborough grimsby wrexham bangor aberystwyth llanelli
"""
PLACES = frozenset(_PLACES.split())
# A first word that makes a place of the words after it ("North Walsham", "Port Talbot", "Fort William"); none
# of them is a forename, though West and North are family names ("Fred West" is still a name).
_PLACE_FIRST = frozenset({"north", "south", "east", "west", "port", "fort", "mount", "lake", "isle", "cape"})


@functools.cache
def countries() -> frozenset[str]:
    """Countries and territories by their English names, from phonenumbers' region names ("Burkina Faso",
    "Saint Pierre And Miquelon"), case-folded; a detector loads them once, when it is built.

    Only ``phonenumbers/geodata/locale.py`` is executed, and not kept: importing it as a module would first run
    its package's ``__init__``, which loads the whole geocoding database (about 90 MB), held by every process."""
    import importlib.util

    import phonenumbers

    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no phonenumbers region names at {path}")
    module = importlib.util.module_from_spec(spec)  # not put in sys.modules: dropped once read
    spec.loader.exec_module(module)
    locale: dict[str, dict[str, str]] = module.LOCALE_DATA
    return frozenset(names["aa"].casefold() for names in locale.values() if not names["aa"].startswith("*"))


def place_name(words: list[str]) -> bool:
    """Two or more capitalised words that name a place rather than a person: a country or territory ("Sierra
    Leone"), or a place whose first word is a compass point, Port, Fort, Mount, ... A single word is never
    ruled out here: Georgia, Jordan, Chad and India are forenames too."""
    if len(words) < 2:
        return False
    return words[0].lower() in _PLACE_FIRST or " ".join(words).casefold() in countries()


def is_name_word(word: str) -> bool:
    return bool(_WORD_RE.fullmatch(word)) and word.lower().strip(".") not in NOT_NAME_WORDS


def plausible_name(value: str, text: str, start: int) -> bool:
    """Whether an NER span ``value`` at ``text[start:]`` can be a person's name."""
    words = value.replace(",", " ").split()
    if not words or len(words) > 5 or any(ch.isdigit() or ch in "@/\\_:;()[]{}<>|=#&" for ch in value):
        return False
    if words[0].rstrip(".") in _TITLE_SET:
        words = words[1:]
        marked = True
    else:
        marked = bool(_TITLE_BEFORE.search(text[max(0, start - 10) : start]))
    if not words or not all(is_name_word(w) for w in words):
        return False
    if all(w.isupper() and len(w) > 1 for w in words):
        return False
    if any(w.lower() in PLACES for w in words) or place_name(words):
        return False
    marked = marked or bool(_POSSESSIVE_AFTER.match(text[start + len(value) : start + len(value) + 3]))
    return len(words) >= 2 or marked


_CELL = regex.compile(
    rf"(?:(?:{'|'.join(TITLES)})\.?[ \t]+)?(?:(?:{UPPER}(?:[ \t]+{UPPER}){{0,2}}),[ \t]*)?"
    rf"(?:\p{{Lu}}\.[ \t]?)*{WORD}(?:[ \t]+(?:{NAME_PART}|{UPPER}|\p{{Lu}}\.?)){{0,4}}"
)


def name_cell(value: str) -> bool:
    """A table cell that holds a name and nothing else: "Jadwiga Grzybowska", "GRZYBOWSKA, Jadwiga",
    "Mrs Lương Thị Thảo", "J. Smith" (a name column's header already says it holds names)."""
    value = value.strip()
    return (
        bool(value)
        and bool(_CELL.fullmatch(value))
        and all(w.lower() not in NOT_NAME_WORDS for w in value.replace(",", " ").split())
    )


def organisation_pair(cue: str) -> bool:
    """A name cue whose capitalised pair is made of words that are not names ("Public Health agreed",
    "from Trading Standards"): no reason to run NER there."""
    caps = [w.strip(".,:;'’").lower() for w in cue.split() if w[:1].isupper() and len(w) > 2]
    caps = [w for w in caps if w not in _CUE_WORDS]
    return len(caps) >= 2 and any(w in NOT_NAME_WORDS for w in caps[-2:])


def normalise_name(value: str) -> str:
    """The form names are compared, counted and digested in: diacritics and case folded, apostrophes and
    hyphens dropped, spaces single: "O'Neill" = "O’Neill" = "ONEILL" -> "oneill"; "Ní Fhlannagáin" ->
    "ni fhlannagain". Titles are dropped, so "Mrs Jane Smith" = "Jane Smith"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’‘`-.")
    words = [w for w in letters.replace(",", " ").split() if w not in {t.lower() for t in TITLES}]
    return " ".join(words)
