"""Names of files and folders are text too: an NHS number or a person's name in a name is detected with the
locator ``name`` (or ``folder``), and the shipped policy ``identifier-in-name`` raises a finding for it, higher
where anyone can list and read the file. Names that only look like identifiers are left alone."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from scanner.config import DetectionConfig
from scanner.detect import build_detector
from scanner.detect.filenames import name_detections
from scanner.samples import text


def test_identifiers_and_names_in_file_and_folder_names() -> None:
    detector = build_detector(DetectionConfig(spacy_model="none"))

    def found(path: str) -> dict[str, tuple[str, ...]]:
        return {d.entity: d.where for d in name_detections(detector, path)}

    assert found("Housing/Tenancy 401 023 2137.txt") == {"UK_NHS": ("name",)}
    assert found("Children/J Smith - safeguarding referral.docx") == {"PERSON": ("name",)}
    assert found("HR/AB123456C payslip.pdf") == {"UK_NINO": ("name",)}
    assert found("Clients/Sarah Thompson/notes.txt") == {"PERSON": ("folder",)}
    for clean in ("Finance/Invoice 4010232137.pdf", "Minutes 2024-03-12.docx", "Policies/Data Protection v2.docx"):
        assert found(clean) == {}, clean
    examples = [d.example for d in name_detections(detector, "Housing/Tenancy 401 023 2137.txt")]
    assert examples == ["401 *** ****"]  # masked like any other finding


def test_a_name_in_a_file_name_raises_its_finding(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    share = tmp_path / "share"
    (share / "Housing").mkdir(parents=True)
    (share / "Children").mkdir()
    text.write_text(share / "Housing/Tenancy 401 023 2137.txt", "Tenancy agreement, standard terms.")
    text.write_text(share / "Children/J Smith - safeguarding referral.txt", "Referral form (blank).")
    text.write_text(share / "Housing/Rent policy.txt", "Rents rise with CPI each April.")
    os.chmod(share / "Housing/Tenancy 401 023 2137.txt", 0o644)  # other-readable
    os.chmod(share / "Children/J Smith - safeguarding referral.txt", 0o640)
    os.chmod(share / "Housing/Rent policy.txt", 0o644)
    config = write_config(share, detection={"spacy_model": "none"})
    result = steward("scan", "--config", str(config))
    assert result.exit_code == 0, result.output

    files = {
        f["path"]: f for f in map(json.loads, steward("export", "files", "--config", str(config)).output.splitlines())
    }
    tenancy = files["Housing/Tenancy 401 023 2137.txt"]
    assert tenancy["entities"] == {"UK_NHS": 1}
    assert tenancy["detections"][0]["where"] == ["name"] and tenancy["detections"][0]["example"] == "401 *** ****"
    assert files["Children/J Smith - safeguarding referral.txt"]["entities"] == {"PERSON": 1}
    assert files["Housing/Rent policy.txt"]["entities"] == {}

    rows = json.loads(steward("findings", "--config", str(config), "--format", "json").output)
    named = {r["path"]: r for r in rows if r["rule"] == "identifier-in-name"}
    assert set(named) == {"Housing/Tenancy 401 023 2137.txt", "Children/J Smith - safeguarding referral.txt"}
    assert named["Housing/Tenancy 401 023 2137.txt"]["severity"] == "critical"  # high, and readable by everyone
    assert named["Children/J Smith - safeguarding referral.txt"]["severity"] == "medium"
    assert "UK_NHS in the file's name" in named["Housing/Tenancy 401 023 2137.txt"]["message"]


def test_names_are_split_as_pathlib_splits_them() -> None:
    """Paths split and names stemmed without building a PurePosixPath give pathlib's parts and stems."""
    import random
    from pathlib import PurePosixPath

    from scanner.detect.filenames import _parts, _stem

    rng = random.Random(3)
    atoms = ["a", "b.c", ".", "..", "", "x.", ".y", "d.e.f", " ", "Case 1"]
    for _ in range(20000):
        path = ("/" if rng.random() < 0.2 else "") + "/".join(rng.choice(atoms) for _ in range(rng.randint(0, 5)))
        assert _parts(path) == PurePosixPath(path).parts, path
        name = "".join(rng.choice(["a", ".", "b", "..", " ", "/"]) for _ in range(rng.randint(1, 5)))
        assert _stem(name) == PurePosixPath(name).stem, name
