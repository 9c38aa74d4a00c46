"""Each reviewer action through the pages and the JSON API, and what it leaves in the store, the audit log and
later scans; the CLI that manages accounts; the OpenAPI description."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import select
from web_world import all_routes, client, csrf_of, make_world, sign_in

from inventory.findings.models import Finding
from inventory.risks.models import Risk
from inventory.store.engine import open_store
from inventory.store.models import Asset


def signed_in(world: Any, name: str, app: Any = None) -> tuple[Any, str]:
    c = client(world, app)
    sign_in(c, name)
    return c, csrf_of(c.get("/my-assets" if name != "dan" else "/admin/users").text)


def asset_row(world: Any, name: str) -> Asset:
    with open_store(world.config.database)() as db:
        return db.scalars(select(Asset).where(Asset.name == name)).one()


def notice(page: Any) -> str:
    import re

    found = re.search(r'id="notice">([^<]*)<', page.text)
    return found.group(1) if found else ""


def rescan(world: Any) -> None:
    from inventory.cli.main import cli

    assert CliRunner().invoke(cli, ["scan", "--config", str(world.config_path)]).exit_code == 0


def test_the_queue_puts_ownership_to_confirm_first_and_counts_what_is_open(web: Any) -> None:
    c, _ = signed_in(web, "alice")
    rows = c.get("/api/v1/assets").json()
    assert [r["name"] for r in rows] == ["Housing"]
    assert rows[0]["ownership_to_review"] and rows[0]["owner_status"] == "proposed"
    assert rows[0]["findings"]["high"] >= 3 and rows[0]["past_retention_files"] == 2
    page = c.get("/my-assets")
    assert "confirm ownership" in page.text and "Finance" not in page.text
    carol, _ = signed_in(web, "carol")
    assert {r["name"] for r in carol.get("/api/v1/assets").json()} == {"Housing", "Finance"}


def test_confirming_ownership_survives_a_rescan(web: Any) -> None:
    c, csrf = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    page = c.post(
        f"/assets/{housing}/ownership", data={"action": "confirm", "reason": "I manage housing", "csrf_token": csrf}
    )
    assert notice(page) == "Housing: owner confirmed as Alice Archer"
    rescan(web)
    a = asset_row(web, "Housing")
    assert (a.owner, a.owner_status) == ("Alice Archer", "confirmed")
    review = c.get(f"/api/v1/assets/{housing}").json()
    assert review["ownership"]["decisions"][0]["by"] == "alice"
    assert review["history"][0]["action"] == "ownership.confirm"
    assert review["history"][0]["reason"] == "I manage housing"
    assert not c.get("/api/v1/assets").json()[0]["ownership_to_review"]


def test_declining_hands_the_asset_back_and_it_stays_declined(web: Any) -> None:
    c, csrf = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    page = c.post(
        f"/assets/{housing}/ownership", data={"action": "decline", "reason": "not my service", "csrf_token": csrf}
    )
    assert notice(page) == "Housing: Alice Archer declined ownership"
    assert c.get(f"/assets/{housing}").status_code == 404  # no longer hers
    rescan(web)
    a = asset_row(web, "Housing")
    assert a.owner_status == "none" and a.owner is None  # never proposed to her again
    carol, _ = signed_in(web, "carol")
    notes = carol.get(f"/api/v1/assets/{housing}").json()["ownership"]["notes"]
    assert any("Alice Archer declined ownership" in n and "not my service" in n for n in notes)


def test_reassigning_moves_the_asset_to_the_new_owners_queue(web: Any) -> None:
    app = web.app()
    c, csrf = signed_in(web, "alice", app)
    housing = web.asset_id("Housing")
    bad = c.post(
        f"/assets/{housing}/ownership",
        data={"action": "reassign", "person": "nobody@else.example", "reason": "moved", "csrf_token": csrf},
    )
    assert "is not in the directory" in notice(bad)
    done = c.post(
        f"/api/v1/assets/{housing}/ownership",
        headers={"X-CSRF-Token": csrf},
        json={
            "action": "reassign",
            "person": "erin.evans@council.example.gov.uk",
            "reason": "Erin took over tenancy services",
        },
    )
    assert done.status_code == 200 and done.json()["message"] == "Housing: owner corrected as Erin Evans"
    erin, _ = signed_in(web, "erin", app)
    assert [r["name"] for r in erin.get("/api/v1/assets").json()] == ["Housing"]
    assert c.get("/api/v1/assets").json() == []


def test_finding_verdicts_are_kept_with_who_and_why(web: Any) -> None:
    c, csrf = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    findings = [f for f in c.get(f"/api/v1/assets/{housing}").json()["findings"] if f["status"] == "open"]
    first, second = findings[0]["id"], findings[1]["id"]
    page = c.post(
        f"/findings/{first}/decision", data={"verdict": "test_data", "reason": "training copy", "csrf_token": csrf}
    )
    assert "test data" in notice(page)
    r = c.post(
        f"/api/v1/findings/{second}/decision",
        headers={"X-CSRF-Token": csrf},
        json={"verdict": "confirmed", "reason": "real tenants"},
    )
    assert r.status_code == 200
    missing = c.post(
        f"/api/v1/findings/{second}/decision",
        headers={"X-CSRF-Token": csrf},
        json={"verdict": "confirmed", "reason": "   "},
    )
    assert missing.status_code == 400 and "say why" in missing.json()["detail"]
    with open_store(web.config.database)() as db:
        one, two = db.get(Finding, first), db.get(Finding, second)
        assert (one.status, one.verdict, one.decided_by, one.decision_reason) == (
            "dismissed",
            "test_data",
            "alice",
            "training copy",
        )
        assert (two.status, two.verdict, two.decided_by) == ("open", "confirmed", "alice")
    rescan(web)
    with open_store(web.config.database)() as db:
        assert db.get(Finding, first).status == "dismissed"  # unchanged file: the dismissal holds


def test_treating_and_accepting_a_risk_needs_a_reason_and_a_future_review_date(web: Any) -> None:
    c, csrf = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    risk = c.get(f"/api/v1/assets/{housing}").json()["risks"][0]
    url = f"/api/v1/risks/{risk['id']}/decision"
    past = c.post(
        url,
        headers={"X-CSRF-Token": csrf},
        json={"treatment": "tolerate", "reason": "low value", "review_date": "2020-01-01"},
    )
    assert past.status_code == 400 and "future" in past.json()["detail"]
    review = (date.today() + timedelta(days=90)).isoformat()
    page = c.post(
        f"/risks/{risk['id']}/decision",
        data={"treatment": "tolerate", "reason": "within appetite", "review_date": review, "csrf_token": csrf},
    )
    assert notice(page).startswith(f"risk {risk['id']}: accepted, review on")
    with open_store(web.config.database)() as db:
        r = db.get(Risk, risk["id"])
        assert (r.status, r.treatment, r.decided_by, r.review_date.isoformat()) == (
            "tolerated",
            "tolerate",
            "alice",
            review,
        )
    assert c.get(f"/api/v1/risks/{risk['id']}").json()["status"] == "tolerated"


def test_approving_disposal_records_and_exports_the_list_and_deletes_nothing(web: Any) -> None:
    c, csrf = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    page = c.post(f"/assets/{housing}/disposal-approvals", data={"reason": "retention schedule 3y", "csrf_token": csrf})
    assert notice(page) == "disposal of 2 files approved; the list is ready to download"
    approval = c.get(f"/api/v1/assets/{housing}").json()["approvals"][0]
    download = c.get(f"/assets/{housing}/disposal-approvals/{approval['id']}.csv")
    assert download.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert sorted(r["path"] for r in rows) == ["Housing/repairs-2017.txt", "Housing/rota.txt"]
    assert {r["approved_by"] for r in rows} == {"alice"}
    share = web.config.sources[0].root
    assert (share / "Housing" / "repairs-2017.txt").exists() and (share / "Housing" / "rota.txt").exists()


def test_comments_and_the_audit_log_the_siro_exports(web: Any, steward: Callable[..., Result]) -> None:
    app = web.app()
    c, csrf = signed_in(web, "alice", app)
    housing = web.asset_id("Housing")
    c.post(f"/assets/{housing}/comments", data={"text": "Archive folder moves in March.", "csrf_token": csrf})
    assert "Archive folder moves in March." in c.get(f"/assets/{housing}").text
    assert c.get("/audit").status_code == 403
    carol, _ = signed_in(web, "carol", app)
    exported = carol.get("/audit.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["actor"], r["action"]) for r in rows if r["action"] != "sign-in"] == [("alice", "comment")]
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)  # oldest first
    out = steward("audit", "--config", str(web.config_path)).output
    assert "alice,iao,comment,asset" in out


def test_a_spreadsheet_formula_in_a_reason_is_neutralised_in_exports(web: Any) -> None:
    c, csrf = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    c.post(f"/assets/{housing}/disposal-approvals", data={"reason": '=HYPERLINK("x")', "csrf_token": csrf})
    carol, _ = signed_in(web, "carol")
    assert "'=HYPERLINK" in carol.get("/audit.csv").text


def test_user_commands_and_api_tokens(web: Any, steward: Callable[..., Result]) -> None:
    from inventory.cli.main import cli

    cfg = str(web.config_path)
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "user",
            "add",
            "Fay",
            "--email",
            "fay@council.example.gov.uk",
            "--role",
            "siro",
            "--password-stdin",
            "--config",
            cfg,
        ],
        input="a long enough secret\n",
    )
    assert added.exit_code == 0 and "added fay (siro, local sign-in)" in added.output
    short = runner.invoke(
        cli,
        [
            "user",
            "add",
            "gus",
            "--email",
            "gus@council.example.gov.uk",
            "--role",
            "iao",
            "--password-stdin",
            "--config",
            cfg,
        ],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    again = runner.invoke(
        cli,
        [
            "user",
            "add",
            "fay",
            "--email",
            "f@council.example.gov.uk",
            "--role",
            "iao",
            "--password-stdin",
            "--config",
            cfg,
        ],
        input="a long enough secret\n",
    )
    assert "there is already an account 'fay'" in again.output
    listed = steward("user", "list", "--config", cfg).output
    assert "fay" in listed and "alice" in listed and "a long enough secret" not in listed
    token = steward("user", "token", "alice", "--config", cfg).output.strip()
    api = client(web)
    assert api.get("/api/v1/assets").status_code == 401
    assert [r["name"] for r in api.get("/api/v1/assets", headers={"Authorization": f"Bearer {token}"}).json()] == [
        "Housing"
    ]
    finance = web.asset_id("Finance")
    assert api.get(f"/api/v1/assets/{finance}", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert steward("user", "disable", "alice", "--config", cfg).exit_code == 0
    assert api.get("/api/v1/assets", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert steward("user", "role", "bob", "siro", "--config", cfg).output.strip() == "bob is now siro"
    # A new password ends the account's API tokens as well as its sessions.
    bobs = steward("user", "token", "bob", "--config", cfg).output.strip()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {bobs}"}).status_code == 200
    changed = runner.invoke(cli, ["user", "passwd", "bob", "--password-stdin", "--config", cfg], input="x" * 16 + "\n")
    assert changed.exit_code == 0, changed.output
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {bobs}"}).status_code == 401


def test_the_api_is_described_by_openapi_and_every_route_needs_sign_in(web: Any) -> None:
    app = web.app()
    c = client(web, app)
    spec = c.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    assert {
        "/api/v1/assets",
        "/api/v1/assets/{asset_id}",
        "/api/v1/assets/{asset_id}/ownership",
        "/api/v1/findings/{finding_id}/decision",
        "/api/v1/risks/{risk_id}/decision",
        "/api/v1/assets/{asset_id}/disposal-approvals",
        "/api/v1/assets/{asset_id}/comments",
        "/api/v1/audit",
        "/api/v1/summary",
        "/api/v1/risks",
        "/api/v1/me",
    } <= paths
    assert not any(p.startswith("/assets") or p == "/sign-in" for p in paths)  # pages are not API
    for path, methods in all_routes(app):
        if path.startswith("/api/v1/"):
            url = path.replace("{asset_id}", "1").replace("{finding_id}", "1").replace("{risk_id}", "1")
            for method in methods - {"HEAD"}:
                r = c.request(method, url, json={})
                assert r.status_code == 401, (method, url, r.status_code)


def test_the_siro_sees_the_summary_and_downloads_the_report(web: Any) -> None:
    c, _ = signed_in(web, "carol")
    page = c.get("/siro")
    assert "Headline figures" in page.text and "Information assets" in page.text
    report = c.get("/siro/report.html")
    assert report.headers["content-disposition"].startswith('attachment; filename="steward-risk-summary-')
    assert report.text.startswith("<!DOCTYPE html>") and "Headline figures" in report.text
    assert c.get("/api/v1/summary").json()["assets"] == 2


def test_admin_adds_and_disables_accounts_and_starts_a_scan(web: Any) -> None:
    app = web.app()
    c, csrf = signed_in(web, "dan", app)
    page = c.post(
        "/admin/users",
        data={
            "name": "hana",
            "email": "hana@council.example.gov.uk",
            "role": "iao",
            "auth": "local",
            "password": "another long secret",
            "csrf_token": csrf,
        },
    )
    assert notice(page) == "account hana added (iao)"
    assert sign_in(client(web, app), "hana", "another long secret").url.path == "/my-assets"
    with open_store(web.config.database)() as db:
        from inventory.web.models import User

        bob = db.scalars(select(User).where(User.name == "bob")).one()
    page = c.post(f"/admin/users/{bob.id}", data={"change": "disable", "csrf_token": csrf})
    assert notice(page) == "account bob: disabled"
    assert sign_in(client(web, app), "bob").status_code == 401
    from inventory.store.models import ScanRun

    with open_store(web.config.database)() as db:
        runs = len(db.scalars(select(ScanRun)).all())
    started = c.post("/admin/scans", data={"source": "share", "csrf_token": csrf})
    assert notice(started).startswith("scan of share started")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the scan runs in its own process; wait for it to finish
        with open_store(web.config.database)() as db:
            last = db.scalars(select(ScanRun).order_by(ScanRun.id.desc())).first()
        if last is not None and last.id > runs and last.status == "completed":
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the scan started from the Scans page did not complete")
    assert f"run {last.id} (manual)" in c.get("/admin/scans").text


def test_the_review_works_on_postgresql(web_store: Any, tmp_path: Any, pg_url: str) -> None:
    world = make_world(web_store, tmp_path, database=pg_url)
    c, csrf = signed_in(world, "alice")
    housing = world.asset_id("Housing")
    r = c.post(
        f"/api/v1/assets/{housing}/ownership",
        headers={"X-CSRF-Token": csrf},
        json={"action": "confirm", "reason": "mine"},
    )
    assert r.status_code == 200
    assert c.get(f"/api/v1/assets/{world.asset_id('Finance')}").status_code == 404
    assert json.loads(c.get("/api/v1/me").text)["role"] == "iao"
    assert asset_row(world, "Housing").owner_status == "confirmed"


def test_a_disposal_list_is_never_approved_twice(web: Any) -> None:
    c, csrf = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    url = f"/api/v1/assets/{housing}/disposal-approvals"
    first = c.post(url, headers={"X-CSRF-Token": csrf}, json={"reason": "schedule"})
    assert first.status_code == 200 and first.json()["files"] == 2
    again = c.post(url, headers={"X-CSRF-Token": csrf}, json={"reason": "schedule"})
    assert again.status_code == 400 and "approved already" in again.json()["detail"]
    review = c.get(f"/api/v1/assets/{housing}").json()
    assert review["disposal_total"] == 2 and review["disposal_awaiting_approval"] == 0
    assert all(r["approved"] for r in review["disposal"])
    listed = c.get(f"{url}/{first.json()['id']}").json()
    assert (listed["by"], listed["files"]) == ("alice", 2)
    assert sorted(r["path"] for r in listed["rows"]) == ["Housing/repairs-2017.txt", "Housing/rota.txt"]


def test_ownership_decisions_wait_for_a_readable_directory(web: Any) -> None:
    app = web.app()
    c, csrf = signed_in(web, "alice", app)
    housing = web.asset_id("Housing")
    hr = web.folder / "hr.csv"
    saved = hr.read_text()
    hr.unlink()  # the HR export is being replaced
    body = {"action": "reassign", "person": "anyone at all", "reason": "moved"}
    refused = c.post(f"/api/v1/assets/{housing}/ownership", headers={"X-CSRF-Token": csrf}, json=body)
    assert refused.status_code == 400 and "the directory cannot be read just now" in refused.json()["detail"]
    assert asset_row(web, "Housing").owner == "Alice Archer"  # not handed to an unchecked name
    hr.write_text(saved)
    body["person"] = "erin"
    assert c.post(f"/api/v1/assets/{housing}/ownership", headers={"X-CSRF-Token": csrf}, json=body).status_code == 200
    assert asset_row(web, "Housing").owner == "Erin Evans"


def test_an_owner_declared_in_the_config_can_decline_too(web_store: Any, tmp_path: Any) -> None:
    declared = {"threshold": 0.35, "declared": [{"path": "share:Housing", "owner": "alice"}]}
    world = make_world(web_store, tmp_path, owners=declared)
    rescan(world)
    assert asset_row(world, "Housing").owner_status == "declared"
    c, csrf = signed_in(world, "alice")
    housing = world.asset_id("Housing")
    r = c.post(
        f"/api/v1/assets/{housing}/ownership",
        headers={"X-CSRF-Token": csrf},
        json={"action": "decline", "reason": "Housing moved to the new directorate"},
    )
    assert r.status_code == 200
    rescan(world)
    a = asset_row(world, "Housing")
    assert (a.owner, a.owner_status) == (None, "none")  # the mapping no longer names her, nor does inference
    assert c.get(f"/assets/{housing}").status_code == 404


def test_long_asset_pages_come_in_pages_of_fifty(web: Any) -> None:
    from inventory.web.views import PAGE, pages

    assert pages(0, 1) == {"page": 1, "last": 1, "first": 0, "to": 0}
    assert pages(120, 3) == {"page": 3, "last": 3, "first": 101, "to": 120}
    assert pages(120, 99)["page"] == 3 and pages(120, -4)["page"] == 1  # out of range: the nearest page
    c, _ = signed_in(web, "alice")
    housing = web.asset_id("Housing")
    with open_store(web.config.database)() as db:  # enough findings on Housing for three pages
        asset = db.get(Asset, housing)
        assert asset is not None
        for i in range(2 * PAGE + 5):
            db.add(
                Finding(
                    rule="naming-convention",
                    kind="naming",
                    severity="info",
                    source=asset.source,
                    subject="file",
                    subject_id=9_000_000 + i,
                    asset_id=asset.id,
                    path=f"Generated/{i:03d}.txt",
                    message=f"generated finding {i:03d}",
                    evidence={},
                    status="open",
                    first_seen=asset.last_scanned,
                    last_seen=asset.last_scanned,
                )
            )
        db.commit()
    first = c.get(f"/assets/{housing}")
    assert (
        first.status_code == 200
        and "page 1 of 3" in first.text
        and first.text.count('class="card" id="finding-') == PAGE
    )
    last = c.get(f"/assets/{housing}?findings=3")
    assert (
        "page 3 of 3" in last.text
        and "previous" in last.text
        and "next ›" not in last.text.split("findings-pager")[1][:400]
    )
    assert c.get(f"/assets/{housing}?findings=99").status_code == 200  # a page past the end shows the last
