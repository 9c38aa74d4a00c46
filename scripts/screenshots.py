"""Screenshots of the web review for the README: builds the small scanned council of the web tests
(tests/web_world.py) in a scratch folder, starts `steward serve` on a free port, signs in as each role in headless
Chromium and saves full-page PNGs (viewport 1280x900) into docs/screenshots/.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--work /tmp/steward-council]

Run as root: the council's files are given their owners' uids, which is how Steward proposes the owners."""

from __future__ import annotations

import argparse
import io
import shutil
import sys
from pathlib import Path

from playwright.sync_api import Browser, FloatRect, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from samba_server import free_port  # type: ignore[import-not-found]  # noqa: E402
from server_process import start_server, stop_server  # type: ignore[import-not-found]  # noqa: E402
from web_world import PASSWORD, make_world, scanned_store  # type: ignore[import-not-found]  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--font-render-hinting=none",
]
VIEWPORT = ViewportSize(width=1280, height=900)
MAX_HEIGHT = 4000  # a taller page is clipped here, to keep each PNG small


def shoot(page: Page, out: Path, name: str) -> None:
    """A full-page PNG (clipped at MAX_HEIGHT), reduced to a 256-colour palette: text and flat colours stay sharp
    and the file is a third of the size."""
    from PIL import Image

    page.wait_for_load_state("networkidle")
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    clip = FloatRect(x=0, y=0, width=VIEWPORT["width"], height=MAX_HEIGHT) if height > MAX_HEIGHT else None
    shot = Image.open(io.BytesIO(page.screenshot(full_page=True, clip=clip)))
    path = out / name
    shot.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    print(f"{path} ({path.stat().st_size // 1024} KB, page {height}px high)")


def sign_in(browser: Browser, url: str, name: str) -> Page:
    context = browser.new_context(base_url=url, viewport=VIEWPORT, locale="en-GB")
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Account name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/sign-in" not in u)
    return page


def take(browser: Browser, url: str, housing: int, out: Path) -> None:
    context = browser.new_context(base_url=url, viewport=VIEWPORT, locale="en-GB")
    page = context.new_page()
    page.goto("/sign-in")
    shoot(page, out, "sign-in.png")
    context.close()

    alice = sign_in(browser, url, "alice")
    shoot(alice, out, "my-assets.png")
    alice.goto(f"/assets/{housing}")
    form = alice.locator("#ownership-form")
    form.get_by_label("Ownership decision", exact=True).select_option("confirm")
    form.get_by_label("Reason for the ownership decision", exact=True).fill("I manage the housing team's files")
    form.get_by_role("button", name="Record").click()
    alice.locator("#notice").wait_for()
    card = alice.locator("div.card[id^=finding-]").filter(has_text="stale-files").filter(has_text="rota.txt")
    card.get_by_label("Verdict", exact=True).select_option("false_positive")
    card.get_by_label("Reason for the verdict", exact=True).fill("the rota is a template, kept on purpose")
    card.get_by_role("button", name="Record").click()
    alice.locator("#notice").wait_for()
    alice.goto(f"/assets/{housing}")  # the page from the top, without the one-time notice
    shoot(alice, out, "asset.png")
    alice.context.close()

    carol = sign_in(browser, url, "carol")
    shoot(carol, out, "siro-summary.png")
    carol.goto("/audit")
    shoot(carol, out, "audit-log.png")
    carol.context.close()

    dan = sign_in(browser, url, "dan")
    shoot(dan, out, "accounts.png")
    dan.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/steward-council"),
        help="scratch folder for the council's share and store (emptied first)",
    )
    args = parser.parse_args()
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    (work / "store").mkdir(parents=True)
    (work / "site").mkdir()
    args.out.mkdir(parents=True, exist_ok=True)

    store = scanned_store(work / "store")
    world = make_world(store, work / "site")
    housing = world.asset_id("Housing")
    port = free_port()
    server = start_server(
        [sys.executable, "-m", "inventory", "serve", "--config", str(world.config_path), "--port", str(port)],
        port,
        work / "serve.log",
        timeout=30,
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                take(browser, f"http://127.0.0.1:{port}", housing, args.out)
            finally:
                browser.close()
    finally:
        stop_server(server)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
