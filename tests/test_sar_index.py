"""The identifier index follows the files: a changed file replaces its rows, a deleted one loses them, rows per
file are bounded, and a new hash key empties the index, says so, and a full scan rebuilds it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from sqlalchemy import create_engine, text

from inventory.sar.index import MAX_ROWS_PER_FILE
from scanner.samples import office
from scanner.samples import text as samples_text
from scanner.samples.people import People

NHS, EMAIL = "943 476 5919", "jo.bloggs@example.org"


def found(steward: Callable[..., Result], config: Path, *args: str) -> tuple[list[str], dict[str, object]]:
    result = steward("sar", "--config", str(config), "--reference", "R1", "--by", "dpo", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    return [r["path"] for r in doc["results"]], doc


def index_rows(store: Path) -> int:
    engine = create_engine(f"sqlite:///{store}")
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM identifier_index")).scalar_one())
    engine.dispose()
    return n


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    root.mkdir()
    office.write_docx(root / "letter.docx", [f"Dear Jo Bloggs, NHS number {NHS}, e-mail {EMAIL}."])
    samples_text.write_text(root / "note.txt", f"Reply to {EMAIL} about the repairs.\n")
    return root


def test_changed_and_deleted_files_leave_the_index(
    share: Path, tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    config = write_config(share, detection={"spacy_model": "none"})
    assert steward("scan", "--config", str(config)).exit_code == 0
    assert found(steward, config, "--email", EMAIL)[0] == ["letter.docx", "note.txt"]  # two identifiers first
    samples_text.write_text(share / "note.txt", "Nothing about anyone here, just the repairs.\n")
    (share / "letter.docx").unlink()
    assert steward("scan", "--config", str(config)).exit_code == 0
    assert found(steward, config, "--email", EMAIL)[0] == []
    assert found(steward, config, "--nhs", NHS)[0] == []
    assert index_rows(tmp_path / "steward.db") == 0


def test_rows_per_file_are_bounded(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    root = tmp_path / "share"
    root.mkdir()
    people = People(5)
    rows = [["NHS number", "Email"]] + [[p.nhs_number, p.email] for p in (people.person() for _ in range(1500))]
    samples_text.write_csv(root / "everyone.csv", rows)
    # Tables are indexed from the rows detection analyses (detection.table_sample_rows): all of them here.
    config = write_config(root, detection={"spacy_model": "none", "table_sample_rows": 2000})
    assert steward("scan", "--config", str(config)).exit_code == 0
    assert index_rows(tmp_path / "steward.db") == MAX_ROWS_PER_FILE  # 3000 identifiers, cut at the bound
    assert found(steward, config, "--nhs", str(rows[1][0]))[0] == ["everyone.csv"]
    assert found(steward, config, "--nhs", str(rows[900][0]))[0] == ["everyone.csv"]


def test_a_new_hash_key_empties_the_index_until_a_full_scan(
    share: Path,
    tmp_path: Path,
    write_config: Callable[..., Path],
    steward: Callable[..., Result],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = write_config(share, detection={"spacy_model": "none"})
    assert steward("scan", "--config", str(config)).exit_code == 0
    assert found(steward, config, "--nhs", NHS)[0] == ["letter.docx"]
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "hash_key": "a-new-key"}))
    with caplog.at_level(logging.WARNING):
        assert steward("scan", "--config", str(config)).exit_code == 0
    assert "the hash key has changed" in caplog.text and "steward scan --full" in caplog.text
    paths, doc = found(steward, config, "--nhs", NHS)
    assert paths == [] and doc["not_covered_since_key_change"] == 2
    table = steward("sar", "--config", str(config), "--reference", "R2", "--by", "dpo", "--nhs", NHS).output
    assert "The hash key changed: 2 file(s) read before then are not covered" in table
    assert steward("scan", "--config", str(config), "--full").exit_code == 0
    paths, doc = found(steward, config, "--nhs", NHS)
    assert paths == ["letter.docx"] and doc["not_covered_since_key_change"] == 0


def test_the_same_identifier_written_differently_digests_alike() -> None:
    from scanner.identifiers import digests

    def same(entity: str, *values: str) -> bool:
        return len({digests(b"k", entity, v) for v in values}) == 1 and digests(b"k", entity, values[0]) != ()

    assert same("UK_NHS", "943 476 5919", "943-476-5919", "9434765919")
    assert same("UK_NINO", "ab 12 34 56 c", "AB123456C")
    assert same("PHONE_NUMBER", "07911 123456", "+44 7911 123456", "0044 7911 123456", "(07911) 123-456")
    assert same("EMAIL_ADDRESS", "Sarah.Thompson@Example.co.uk", " sarah.thompson@example.co.uk ")
    assert same("EMAIL_ADDRESS", "sarah.thompson@gmail.com", "SarahThompson@googlemail.com")
    assert not same("EMAIL_ADDRESS", "sarah.thompson@example.co.uk", "sarahthompson@example.co.uk")  # conservative
    assert same("DATE_OF_BIRTH", "03/03/1980", "3rd March 1980", "1980-03-03")
    assert same("PERSON", "Sarah Thompson", "THOMPSON, Sarah", "Mrs Sarah Jane Thompson")
    assert same("PERSON", "Zoë Ó Briain", "Zoe O Briain")
    assert digests(b"k", "PERSON", "S. Thompson")[0] == digests(b"k", "PERSON", "Sarah Thompson")[1]  # initial form
    assert digests(b"k", "PERSON", "Thompson") == ()  # one word is not a name to search by
    assert digests(b"k", "UK_NHS", "943 476 5919") != digests(b"other", "UK_NHS", "943 476 5919")


def test_an_erasure_search_names_the_holds_and_retention_over_each_file(
    share: Path, tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).parent.parent / "rules", rules)
    schedule = yaml.safe_load((rules / "retention.yaml").read_text())
    schedule["holds"] = [
        {"id": "sar-2026-0142", "reason": "subject_access", "paths": ["letter.docx"], "since": "2026-01-05"}
    ]
    (rules / "retention.yaml").write_text(yaml.safe_dump(schedule))
    config = write_config(share, detection={"spacy_model": "none"}, rules={"dir": str(rules)})
    assert steward("scan", "--config", str(config)).exit_code == 0
    _, doc = found(steward, config, "--email", EMAIL, "--purpose", "erasure")
    by_path = {r["path"]: r for r in doc["results"]}
    assert by_path["letter.docx"]["holds"] == "sar-2026-0142" and by_path["note.txt"]["holds"] == ""
    assert all(r["retention"] for r in doc["results"])  # every file falls in a class
    _, plain = found(steward, config, "--email", EMAIL)
    assert "holds" not in plain["results"][0]  # a subject-access search does not list them


def test_dates_normalise_as_every_format_tried_in_order() -> None:
    """Trying only the formats whose separator a text holds, and reading day-month-year and ISO forms without
    strptime, gives what trying every format in order gives (impossible dates among them)."""
    import random
    import re
    from datetime import datetime

    from scanner.identifiers import _DATE_FORMATS, _date

    def every_format(value: str) -> str | None:
        text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", " ".join(value.replace(",", " ").split()), flags=re.I)
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        return None

    rng = random.Random(5)
    pieces = ["1", "2", "3", "0", "9", "12", "31", "1981", "2024", "/", "-", ".", " ", ",", "March", "mar", "st", "TH"]
    pieces += ["00", "02", "13", "29", "30", "0000", "2023", "٣"]  # no such day or month; 29/02 of a common year
    for _ in range(40000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 7)))
        assert _date(value) == every_format(value), value
    for value in (
        "03/04/1981",
        "1981-04-03",
        "3rd March 1981",
        "12 Sept 1990",
        "19810403",
        "3.4.1981",
        "3/4/81",
        "29/02/2024",
        "29/02/2023",
        "2023-02-29",
        "31-04-1990",
        "00/01/2000",
        "1/13/2000",
        "1-2/2000",
    ):
        assert _date(value) == every_format(value), value
