"""The SIRO's summary as PDF, printed by the system's headless Chromium (Debian package ``chromium``) from the
self-contained HTML: no browser is downloaded, and the page needs nothing from the network."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from scanner.errors import StewardError

log = logging.getLogger(__name__)
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise StewardError("--pdf needs Chromium (Debian package 'chromium'); the HTML report needs nothing")


def print_pdf(html: str, out: Path, timeout: float = 120) -> None:
    exe = browser()
    with tempfile.TemporaryDirectory(prefix="steward-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        args = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise StewardError(f"Chromium did not print the report within {timeout:.0f} s") from None
        if not target.exists():
            log.debug("chromium said: %s", done.stderr[-2000:])
            raise StewardError(f"Chromium could not print the report (exit {done.returncode})")
        shutil.move(str(target), out)
