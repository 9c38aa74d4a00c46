"""The web review in a real browser: headless Chromium (Playwright) against `steward serve` started as its own
process on a free port, with a copy of a small scanned council per test. Each test signs in through the form,
uses the pages as a person would, asserts what the page shows, and where useful re-reads the store afterwards.

The session cookie is `Secure` (the default, web.secure_cookies: true) and the server speaks plain HTTP: Chromium
keeps Secure cookies on http://127.0.0.1 because it treats loopback as a secure context, so the tests run with the
default setting."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from samba_server import free_port
from server_process import start_server, stop_server
from web_world import PASSWORD, World, make_world

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SESSION_COOKIE = "steward_session"


@dataclass
class Site:
    url: str
    world: World
    browser: Browser

    def context(self) -> BrowserContext:
        """A fresh browser profile (its own cookies), as a second person at another desk."""
        context = self.browser.new_context(base_url=self.url, accept_downloads=True)
        context.set_default_timeout(10_000)
        return context

    def store(self) -> Any:
        from inventory.store.engine import open_store

        return open_store(self.world.config.database)()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's Chromium at /usr/bin/chromium; scripts/setup.sh test installs it")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(web_store: Path, tmp_path: Path, browser: Browser) -> Iterator[Site]:
    world = make_world(web_store, tmp_path)
    port = free_port()
    process = start_server(
        [sys.executable, "-m", "inventory", "serve", "--config", str(world.config_path), "--port", str(port)],
        port,
        tmp_path / "serve.log",
        timeout=30,
    )
    try:
        yield Site(f"http://127.0.0.1:{port}", world, browser)
    finally:
        stop_server(process)


@pytest.fixture
def page(site: Site) -> Iterator[Page]:
    context = site.context()
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Account name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def notice(page: Page) -> Any:
    return page.locator("#notice")


def card_ids(page: Page, prefix: str) -> list[str]:
    return [str(i) for i in page.locator(f"div.card[id^={prefix}-]").evaluate_all("els => els.map(e => e.id)")]


def has_session(context: BrowserContext) -> bool:
    return any(c["name"] == SESSION_COOKIE for c in context.cookies())


def read_download(page: Page, link: Any) -> tuple[str, str]:
    """Click LINK and return the downloaded file's suggested name and text."""
    with page.expect_download() as info:
        link.click()
    download = info.value
    path = download.path()
    assert path is not None, download.failure()
    return download.suggested_filename, Path(path).read_text(encoding="utf-8")


def test_iao_reviews_an_asset_end_to_end(site: Site, page: Page) -> None:
    from sqlalchemy import select

    from inventory.findings.models import Finding
    from inventory.risks.models import Risk
    from inventory.store.models import Asset
    from inventory.web.models import Comment, DisposalApproval

    housing = site.world.asset_id("Housing")
    sign_in(page, "alice")
    expect(page).to_have_url(f"{site.url}/my-assets")
    assert has_session(page.context), "Chromium dropped the Secure session cookie on http://127.0.0.1"
    expect(page.locator("h1")).to_have_text("My assets")
    queue = page.locator("#queue tbody tr")
    expect(queue).to_have_count(1)
    expect(queue.first).to_contain_text("Housing")
    expect(page.locator("#queue")).not_to_contain_text("Finance")
    expect(queue.first.locator(".badge.todo")).to_have_text("confirm ownership")

    page.get_by_role("link", name="Housing").click()
    expect(page).to_have_url(f"{site.url}/assets/{housing}")
    expect(page.locator("#asset-name")).to_have_text("Housing")
    expect(page.locator("#owner")).to_contain_text("Alice Archer (proposed")

    # Ownership: confirmed, with a reason.
    form = page.locator("#ownership-form")
    form.get_by_label("Ownership decision", exact=True).select_option("confirm")
    form.get_by_label("Reason for the ownership decision", exact=True).fill("I run the housing team")
    form.get_by_role("button", name="Record").click()
    expect(notice(page)).to_contain_text("confirmed")
    expect(page.locator("#owner")).to_contain_text("confirmed")
    expect(page.locator("#ownership").locator("xpath=following-sibling::div[1]")).to_contain_text(
        "I run the housing team"
    )

    # Findings: one dismissed as test data, another confirmed as a true match.
    findings = card_ids(page, "finding")
    assert len(findings) >= 2, findings
    dismissed, confirmed = findings[0], findings[1]
    card = page.locator(f"#{dismissed}")
    card.get_by_label("Verdict", exact=True).select_option("test_data")
    card.get_by_label("Reason for the verdict", exact=True).fill("a training copy, not real tenants")
    card.get_by_role("button", name="Record").click()
    expect(notice(page)).to_contain_text("test data")
    expect(page.locator(f"#{dismissed}")).to_have_attribute("data-status", "dismissed")
    expect(page.locator(f"#{dismissed}")).to_contain_text("[dismissed, test data]")
    expect(page.locator(f"#{dismissed}")).to_contain_text("Decided by alice")
    expect(page.locator(f"#{dismissed} form")).to_have_count(0)

    card = page.locator(f"#{confirmed}")
    card.get_by_label("Verdict", exact=True).select_option("confirmed")
    card.get_by_label("Reason for the verdict", exact=True).fill("real tenant records, open to everyone")
    card.get_by_role("button", name="Record").click()
    expect(notice(page)).to_contain_text("confirmed")
    expect(page.locator(f"#{confirmed}")).to_contain_text("[open, confirmed]")
    expect(page.locator(f"#{confirmed}")).to_contain_text("real tenant records, open to everyone")

    # Risk: accepted (tolerated) with a reason and a review date in the future.
    review = datetime.now(UTC).date() + timedelta(days=90)
    risks = card_ids(page, "risk")
    assert risks, "Housing should carry a risk"
    card = page.locator(f"#{risks[0]}")
    card.get_by_label("Treatment", exact=True).select_option("tolerate")
    card.get_by_label("Reason for the risk decision", exact=True).fill("files are being moved this quarter")
    card.get_by_label("Review date", exact=True).fill(f"{review:%d/%m/%Y}")  # typed day first, as in the UK
    card.get_by_role("button", name="Record").click()
    expect(notice(page)).to_contain_text(f"accepted, review on {review:%d %b %Y}")
    expect(page.locator(f"#{risks[0]}")).to_contain_text("tolerated, tolerate by alice")
    expect(page.locator(f"#{risks[0]}")).to_contain_text(f"review {review:%d %b %Y}")  # shown day first

    # Disposal: the list approved, and the approved list downloaded as CSV.
    expect(page.locator("#disposal-list tbody tr")).to_have_count(2)
    page.get_by_label("Reason for approving disposal", exact=True).fill("retention schedule, team documents")
    page.get_by_role("button", name="Approve disposal of 2 files").click()
    expect(notice(page)).to_contain_text("disposal of 2 files approved")
    expect(page.locator("#all-approved")).to_be_visible()  # nothing left to approve twice
    expect(page.locator("#disposal-list")).to_contain_text("yes, awaiting disposal")
    approval = page.locator("#approvals li")
    expect(approval).to_have_count(1)
    expect(approval).to_contain_text("2 files")
    expect(approval).to_contain_text("approved by alice")
    name, text = read_download(page, approval.get_by_role("link", name="download the list"))
    assert name.endswith(".csv"), name
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["path"] for r in rows) == ["Housing/repairs-2017.txt", "Housing/rota.txt"]
    assert {r["approved_by"] for r in rows} == {"alice"}
    assert {r["approval_reason"] for r in rows} == {"retention schedule, team documents"}

    # A comment.
    page.get_by_label("Comment", exact=True).fill("Asked IT to move the 2017 repairs log to the archive.")
    page.get_by_role("button", name="Add comment").click()
    expect(notice(page)).to_have_text("comment added")
    expect(page.locator(".comment")).to_have_count(1)
    expect(page.locator(".comment")).to_contain_text("Asked IT to move the 2017 repairs log to the archive.")
    expect(page.locator(".comment")).to_contain_text("alice")

    # History: each action, by alice.
    history = page.locator("#history + table tbody tr")
    expect(history).to_have_count(6)
    actions = history.locator("td:nth-child(3)").all_inner_texts()
    assert sorted(actions) == sorted(
        ["ownership.confirm", "finding.test_data", "finding.confirmed", "risk.tolerate", "disposal.approve", "comment"]
    )
    assert set(history.locator("td:nth-child(2)").all_inner_texts()) == {"alice"}
    expect(page.locator("#history + table")).to_contain_text("files are being moved this quarter")

    # The store holds what the page showed.
    with site.store() as db:
        a = db.get(Asset, housing)
        assert (a.owner, a.owner_status) == ("Alice Archer", "confirmed")
        f1 = db.get(Finding, int(dismissed.removeprefix("finding-")))
        assert (f1.status, f1.verdict, f1.decided_by) == ("dismissed", "test_data", "alice")
        f2 = db.get(Finding, int(confirmed.removeprefix("finding-")))
        assert (f2.status, f2.verdict) == ("open", "confirmed")
        r = db.get(Risk, int(risks[0].removeprefix("risk-")))
        assert (r.status, r.treatment, r.review_date) == ("tolerated", "tolerate", review)
        assert [p.files for p in db.scalars(select(DisposalApproval))] == [2]
        assert [c.by for c in db.scalars(select(Comment))] == ["alice"]

    # Signing out ends the session: the next page asks for sign-in again.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{site.url}/sign-in")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert not has_session(page.context)
    page.goto("/my-assets")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/my-assets$"))
    expect(page.get_by_role("heading", name="Sign in to Steward")).to_be_visible()


def test_iao_cannot_open_another_owners_asset(site: Site, page: Page) -> None:
    finance = site.world.asset_id("Finance")
    sign_in(page, "alice")
    response = page.goto(f"/assets/{finance}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("#problem")).to_have_text("Not found.")
    expect(page.locator("body")).not_to_contain_text("Bob Baker")
    expect(page.locator("body")).not_to_contain_text("suppliers")


def test_wrong_password_is_refused(site: Site, page: Page) -> None:
    sign_in(page, "alice", "not the password")
    expect(page).to_have_url(f"{site.url}/sign-in")
    expect(page.locator("#sign-in-problem")).to_have_text("The name or password is not right.")
    expect(page.get_by_label("Account name", exact=True)).to_have_value("alice")
    assert not has_session(page.context)
    page.goto("/my-assets")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/my-assets$"))


def test_siro_summary_report_and_audit_log(site: Site, page: Page) -> None:
    # First alice, at her own desk, dismisses a finding.
    alice_context = site.context()
    try:
        alice = alice_context.new_page()
        sign_in(alice, "alice")
        alice.goto(f"/assets/{site.world.asset_id('Housing')}")
        card = alice.locator(f"#{card_ids(alice, 'finding')[0]}")
        card.get_by_label("Verdict", exact=True).select_option("false_positive")
        card.get_by_label("Reason for the verdict", exact=True).fill("synthetic sample, checked with IT")
        card.get_by_role("button", name="Record").click()
        expect(notice(alice)).to_contain_text("false positive")
    finally:
        alice_context.close()

    sign_in(page, "carol")
    expect(page).to_have_url(f"{site.url}/siro")
    headline = page.locator("#headline")
    expect(headline).to_be_visible()
    figures = dict(
        zip(
            headline.locator(".figure span").all_inner_texts(),
            headline.locator(".figure b").all_inner_texts(),
            strict=True,
        )
    )
    assert "Open risks" in figures and "Past retention" in figures, figures
    expect(page.get_by_role("img", name=re.compile("Heat map of open risks"))).to_be_visible()
    assert page.locator("svg g.cell").count() == 25

    name, report = read_download(page, page.locator("#download-report"))
    assert name.startswith("steward-risk-summary-") and name.endswith(".html"), name
    assert "Headline figures" in report
    for label, value in figures.items():
        assert label in report and value.replace("&", "&amp;") in report, (label, value)

    page.get_by_role("banner").get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{site.url}/audit")
    alice_rows = page.locator("#audit tbody tr", has_text="finding.false_positive")
    expect(alice_rows).to_have_count(1)
    expect(alice_rows).to_contain_text("alice")
    expect(alice_rows).to_contain_text("synthetic sample, checked with IT")
    expect(page.locator("#audit tbody tr", has_text="sign-in").first).to_be_visible()

    name, exported = read_download(page, page.get_by_role("link", name="Export all (CSV)"))
    assert name.endswith(".csv"), name
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert any(r["actor"] == "alice" and r["action"] == "finding.false_positive" for r in rows), rows
    assert any(r["actor"] == "carol" and r["action"] == "sign-in" for r in rows), rows


def test_admin_manages_accounts(site: Site, page: Page) -> None:
    from sqlalchemy import select

    from inventory.web.models import User

    erin_context = site.context()
    try:
        erin = erin_context.new_page()
        sign_in(erin, "erin")
        expect(erin).to_have_url(f"{site.url}/my-assets")

        sign_in(page, "dan")
        expect(page).to_have_url(f"{site.url}/admin/users")
        expect(page.locator("#users tbody tr")).to_have_count(5)
        for account in ("alice", "bob", "carol", "dan", "erin"):
            expect(page.locator(f"#users tr[data-user={account}]")).to_be_visible()
        expect(page.locator("#users tr[data-user=carol] td:nth-child(3)")).to_have_text("siro")

        form = page.locator("#add-user")
        form.get_by_label("Account name", exact=True).fill("frank")
        form.get_by_label("E-mail", exact=True).fill("frank.fisher@council.example.gov.uk")
        form.get_by_label("Role", exact=True).select_option("iao")
        form.get_by_label("Password", exact=True).fill("a long enough password")
        form.get_by_role("button", name="Add").click()
        expect(notice(page)).to_have_text("account frank added (iao)")
        expect(page.locator("#users tbody tr")).to_have_count(6)
        expect(page.locator("#users tr[data-user=frank]")).to_contain_text("frank.fisher@council.example.gov.uk")

        page.locator("#users tr[data-user=erin]").get_by_role("button", name="Disable").click()
        expect(notice(page)).to_have_text("account erin: disabled")
        expect(page.locator("#users tr[data-user=erin] .badge")).to_have_text("disabled")
        expect(page.locator("#users tr[data-user=erin]").get_by_role("button", name="Enable")).to_be_visible()

        # Erin's open session has ended, and she cannot sign in again.
        erin.goto("/my-assets")
        expect(erin).to_have_url(re.compile(r"/sign-in\?next=/my-assets$"))
        sign_in(erin, "erin")
        expect(erin.locator("#sign-in-problem")).to_have_text("The name or password is not right.")
        erin.goto("/my-assets")
        expect(erin).to_have_url(re.compile(r"/sign-in\?next=/my-assets$"))
    finally:
        erin_context.close()

    frank_context = site.context()
    try:
        frank = frank_context.new_page()
        sign_in(frank, "frank", "a long enough password")
        expect(frank).to_have_url(f"{site.url}/my-assets")
        expect(frank.locator("#empty")).to_be_visible()
    finally:
        frank_context.close()

    with site.store() as db:
        enabled = {u.name: u.enabled for u in db.scalars(select(User))}
    assert enabled == {"alice": True, "bob": True, "carol": True, "dan": True, "erin": False, "frank": True}


def test_iao_declines_ownership(site: Site, page: Page) -> None:
    from sqlalchemy import select

    from inventory.owners.models import OwnerDecision
    from inventory.store.models import Asset

    finance = site.world.asset_id("Finance")
    sign_in(page, "bob")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Finance").click()
    expect(page).to_have_url(f"{site.url}/assets/{finance}")
    form = page.locator("#ownership-form")
    form.get_by_label("Ownership decision", exact=True).select_option("decline")
    form.get_by_label("Reason for the ownership decision", exact=True).fill("I left finance in March")
    form.get_by_role("button", name="Record").click()
    # The asset is no longer his: he is back on his list, with the notice, not on a "Not found" page.
    expect(page).to_have_url(f"{site.url}/my-assets")
    expect(notice(page)).to_have_text("Finance: Bob Baker declined ownership")
    expect(page.locator("#queue")).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    page.reload()
    expect(notice(page)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Finance")
    page.goto(f"/assets/{finance}")
    expect(page.locator("h1")).to_have_text("Not found")
    with site.store() as db:
        a = db.get(Asset, finance)
        assert a.owner != "Bob Baker" or a.owner_status != "proposed", (a.owner, a.owner_status)
        decisions = [(d.action, d.by, d.reason) for d in db.scalars(select(OwnerDecision))]
    assert decisions == [("decline", "bob", "I left finance in March")], decisions


def test_siro_acts_on_any_asset(site: Site, page: Page) -> None:
    from inventory.risks.models import Risk
    from inventory.store.models import Asset

    finance = site.world.asset_id("Finance")
    sign_in(page, "carol")
    page.get_by_role("link", name="Assets", exact=True).click()
    expect(page.locator("#queue tbody tr")).to_have_count(2)  # the SIRO sees every asset
    page.get_by_role("link", name="Finance").click()
    form = page.locator("#ownership-form")
    form.get_by_label("Ownership decision", exact=True).select_option("reassign")
    form.get_by_label("Reassign to", exact=True).fill("erin")
    form.get_by_label("Reason for the ownership decision", exact=True).fill("Erin leads finance from April")
    form.get_by_role("button", name="Record").click()
    expect(notice(page)).to_have_text("Finance: owner corrected as Erin Evans")
    expect(page.locator("#owner")).to_contain_text("Erin Evans")
    housing = site.world.asset_id("Housing")
    page.goto(f"/assets/{housing}")
    risk = page.locator("[id^=risk-]").first
    risk.get_by_label("Treatment", exact=True).select_option("treat")
    risk.get_by_label("Reason for the risk decision", exact=True).fill("Move old files to the records store")
    review = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    risk.get_by_label("Review date", exact=True).fill(review)
    risk.get_by_role("button", name="Record").click()
    expect(notice(page)).to_contain_text("treat, review on")
    with site.store() as db:
        assert (db.get(Asset, finance).owner, db.get(Asset, finance).owner_status) == ("Erin Evans", "confirmed")
        treated = [r for r in db.query(Risk).all() if r.asset_id == housing]
        assert [(r.status, r.decided_by, r.review_date.isoformat()) for r in treated] == [("treated", "carol", review)]
    other = site.context()
    try:
        erin = other.new_page()
        sign_in(erin, "erin")
        expect(erin.locator("#queue")).to_contain_text("Finance")
    finally:
        other.close()
