"""Content workers: a file that needs more memory than a worker may take is too_large and the scan goes on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from scanner.samples import text
from tests.test_scan import files_by_path, scan


def test_a_file_beyond_the_worker_memory_limit_is_too_large(
    tmp_path: Path, write_config: Callable[..., Path], steward: Callable[..., Result]
) -> None:
    root = tmp_path / "share"
    root.mkdir()
    text.write_text(root / "huge.txt", "Contact jo.bloggs@example.co.uk about case 123. " * 100_000)
    for i in range(20):
        text.write_text(root / f"note {i}.txt", f"Contact case.worker{i}@example.co.uk")
    config = write_config(root, scan={"workers": 2}, limits={"worker_memory": "8MB"}, detection={"spacy_model": "none"})
    out = scan(steward, config)
    assert "21 entries" in out.output
    exported = files_by_path(steward("export", "files", "--config", str(config)).output)
    assert exported["huge.txt"]["status"] == "too_large"
    assert "worker" in exported["huge.txt"]["reason"]
    assert all(exported[f"note {i}.txt"]["entities"] == {"EMAIL_ADDRESS": 1} for i in range(20))
