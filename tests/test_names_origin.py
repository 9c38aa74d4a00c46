"""Names of every origin, in every layout a council file uses, read from real files by Steward's extractors:
each name is found, and located on its own line (or cell)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import Result

from inventory.rules import DEFAULT_DIR
from scanner.detect import Detector
from scanner.detect.masking import keyed_hash, mask
from scanner.extractors import for_mime
from scanner.types import Chunk, Limits
from tests.test_detect_api import cached_detector

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# (family, given, family name, family name written first). Several are not in benchmarks/names_origin_set.py.
FAMILIES = (
    ("British", "Marjorie", "Liversidge", False),
    ("Irish", "Clodagh", "Ní Fhlannagáin", False),
    ("Welsh", "Heledd", "ap Siencyn", False),
    ("Scottish", "Ishbel", "MacAskill", False),
    ("Polish", "Jadwiga", "Grzybowska", False),
    ("South Asian", "Manpreet Kaur", "Bhamra", False),
    ("Somali", "Ubah Cawaale", "Jaamac", False),
    ("West African", "Olamide", "Bankole-Ojo", False),
    ("Chinese", "Meiling", "Zhao", True),
    ("Vietnamese", "Thị Thảo", "Lương", True),
    ("Korean", "Su-bin", "Bae", True),
    ("Turkish", "Gökhan", "Erdoğan", False),
    ("Portuguese", "Graça", "Ribeiro", False),
    ("Caribbean", "Lascelles", "Moncrieffe", False),
)


@pytest.fixture(scope="session")
def detector() -> Detector:
    return cached_detector()


def _full(given: str, family: str, first: bool) -> str:
    return f"{family} {given}" if first else f"{given} {family}"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _read(path: Path, mime: str) -> list[Chunk]:
    extract = for_mime(mime)
    assert extract is not None
    with path.open("rb") as fh:
        return list(extract(fh, Limits()))


def _person_where(detector: Detector, chunks: list[Chunk]) -> tuple[str, ...]:
    found = {d.entity: d for d in detector.detect(chunks).detections}
    return found["PERSON"].where if "PERSON" in found else ()


def _layouts(given: str, family: str, first: bool) -> dict[str, tuple[str, str]]:
    """Layout -> (text file, the locator of the name's line)."""
    full = _full(given, family, first)
    called = given.split()[-1] if first else given.split()[0]
    return {
        "prose": (f"Case note\n\nSpoke to {full} on the phone about the missed collection.\n", "line 3"),
        "form field": (f"Contact record\nDate: 14/03/2024\nNext of kin: {full}\nOutcome: advice given\n", "line 3"),
        "register": (f"Allotment waiting list\n\n{family.upper()}, {given}\tplot 7\tjoined 2021\n", "line 3"),
        "salutation": (f"Housing Options\n\nDear Mrs {family},\n\nThank you for your letter.\n", "line 3"),
        "possessive": (f"Contact log\n\n{called}'s mother called to move the appointment.\n", "line 3"),
    }


@pytest.mark.parametrize(("origin", "given", "family", "first"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_a_name_of_each_family_in_every_layout(
    detector: Detector, tmp_path: Path, origin: str, given: str, family: str, first: bool
) -> None:
    missed = []
    for layout, (text, where) in _layouts(given, family, first).items():
        path = _file(tmp_path, f"{layout}.txt", text)
        if where not in _person_where(detector, _read(path, "text/plain")):
            missed.append(layout)
    csv = f"Ref,Client name,Date\nR1,Gary Whitehouse,2024-01-02\nR2,{_full(given, family, first)},2024-01-03\n"
    if "B3" not in _person_where(detector, _read(_file(tmp_path, "clients.csv", csv), "text/csv")):
        missed.append("csv column")
    assert not missed, f"{origin}: not found on its own line in {missed}"


def test_a_name_in_a_free_text_column_is_found_in_its_cell(detector: Detector, tmp_path: Path) -> None:
    rows = "\n".join(f"R{i},2024-01-{i:02d},Bin not collected - crew sent back" for i in range(1, 9))
    csv = f"Ref,Date,Notes\n{rows}\nR9,2024-01-09,Visited Lương Thị Thảo at home about the rent arrears\n"
    assert _person_where(detector, _read(_file(tmp_path, "log.csv", csv), "text/csv")) == ("C10",)


def test_hard_negatives_hold_no_person(detector: Detector, tmp_path: Path) -> None:
    text = (
        "Ward list\n\nCOVENTRY, Earlsdon\t4 polling districts\n\n"
        "Dear Sir or Madam,\n\nParks and Open Spaces agreed the scope of the review.\n"
        "Resurfacing works on Elizabeth Drive start next month.\n"
        "Sainsbury's car park will be used for the recycling drop-off.\n"
        "The enquiry was referred to Citizens Advice for specialist advice.\n"
    )
    assert _person_where(detector, _read(_file(tmp_path, "notices.txt", text), "text/plain")) == ()


def test_a_docx_letter_address_block_yields_its_postcode_and_name(detector: Detector, tmp_path: Path) -> None:
    document = docx.Document()
    for line in ("Jadwiga Grzybowska", "14 Mill Lane", "Bedworth", "CV12 8AB", "", "Dear Mrs Grzybowska,"):
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    path = tmp_path / "letter.docx"
    path.write_bytes(buf.getvalue())
    found = {d.entity: d for d in detector.detect(_read(path, DOCX)).detections}
    assert found["UK_POSTCODE"].where == ("p4",)
    assert found["UK_ADDRESS"].where == ("p2",)
    assert found["PERSON"].where[0] == "p1"


def test_names_are_compared_in_one_normalised_form() -> None:
    key = b"k" * 32
    digests = {keyed_hash(key, "PERSON", v) for v in ("Siobhán O'Neill", "Siobhan O’Neill", "SIOBHAN ONEILL")}
    assert len(digests) == 1
    assert keyed_hash(key, "PERSON", "Siobhán O'Neill") != keyed_hash(key, "PERSON", "Siobhán O'Neil")
    assert mask("PERSON", "Mrs Clodagh Ní Fhlannagáin") == "Mrs C****** N* F**********"


def test_rules_check_validates_the_name_cues(tmp_path: Path, steward: Callable[..., Result]) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, folder)
    result = steward("rules", "check", str(folder))
    assert result.exit_code == 0 and "name_cues.yaml" not in result.output, result.output
    (folder / "name_cues.yaml").write_text("version: 1\nforenames: [Jadwiga, Ubah]\nsurnames: [Grzybowska]\n")
    result = steward("rules", "check", str(folder))
    assert result.exit_code == 2
    assert "name_cues.yaml:3: surnames:" in result.output
