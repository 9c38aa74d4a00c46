"""Content workers: a file that needs more memory than a worker may take is too_large, the worker is replaced
and the scan goes on."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from scanner.samples import office, text


def test_a_file_beyond_the_worker_memory_limit_is_too_large(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    root = tmp_path / "share"
    root.mkdir()
    # a 17 MB PDF page: the PDF library holds the file and its content stream in memory
    office.write_pdf(root / "huge.pdf", ["\n".join(["Contact jo.bloggs@example.co.uk about case 123."] * 300_000)])
    for i in range(20):
        text.write_text(root / f"note {i}.txt", f"Contact case.worker{i}@example.co.uk")
    config = write_config(root, scan={"workers": 2}, limits={"worker_memory": "32MB"}, detection={"names": False})
    steward = [sys.executable, "-m", "inventory"]
    scan = subprocess.run([*steward, "scan", "--config", str(config)], capture_output=True, text=True, timeout=600)
    assert scan.returncode == 0, scan.stderr
    assert "21 entries" in scan.stdout
    export = subprocess.run(
        [*steward, "export", "files", "--config", str(config)], capture_output=True, text=True, check=True
    )
    exported = {line["path"]: line for line in map(json.loads, export.stdout.splitlines())}
    assert exported["huge.pdf"]["status"] == "too_large"
    assert "worker" in exported["huge.pdf"]["reason"]
    assert all(exported[f"note {i}.txt"]["entities"] == {"EMAIL_ADDRESS": 1} for i in range(20))
