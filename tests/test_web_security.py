"""The web review's security: an IAO can neither read nor change another owner's asset through any page or API
route, forms without this session's CSRF token are refused, sessions expire, sign-in is rate-limited, and no page
or API response holds a planted raw value."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from web_world import PASSWORD, all_routes, client, csrf_of, leaks, sign_in

from inventory.findings.models import Finding
from inventory.owners.models import OwnerDecision
from inventory.risks.models import Risk
from inventory.store.engine import open_store
from inventory.web.models import AuditEntry, Comment, DisposalApproval, SignInFailure, User, WebSession

PARAMS = re.compile(r"\{(\w+)\}")
BODIES = {  # a valid body for each action, so only the scope check can refuse it
    "ownership": {"action": "confirm", "reason": "mine", "person": "alice"},
    "decision": {"verdict": "false_positive", "treatment": "tolerate", "reason": "no", "review_date": "2099-01-01"},
    "disposal-approvals": {"reason": "schedule"},
    "comments": {"text": "hello"},
}


def ids_of(world: Any, asset: str, db_factory: Any) -> dict[str, int]:
    with db_factory() as db:
        aid = world.asset_id(asset)
        finding = db.scalars(select(Finding.id).where(Finding.asset_id == aid, Finding.status == "open")).first()
        risk = db.scalars(select(Risk.id).where(Risk.asset_id == aid)).first()
        approval = db.scalars(select(DisposalApproval.id).where(DisposalApproval.asset_id == aid)).first()
        user = db.scalars(select(User.id).where(User.name == "bob")).one()
    return {"asset_id": aid, "finding_id": finding, "risk_id": risk, "approval_id": approval, "user_id": user}


def routes(app: Any) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, methods in all_routes(app)
        for method in sorted(methods)
        if method in ("GET", "POST") and PARAMS.search(path)
    ]


def state(factory: Any) -> tuple[Any, ...]:
    """Everything an action could change."""
    with factory() as db:
        return (
            tuple(db.execute(select(Finding.id, Finding.status, Finding.verdict).order_by(Finding.id))),
            tuple(db.execute(select(Risk.id, Risk.status, Risk.review_date).order_by(Risk.id))),
            db.scalar(select(func.count()).select_from(OwnerDecision)),
            db.scalar(select(func.count()).select_from(Comment)),
            db.scalar(select(func.count()).select_from(DisposalApproval)),
        )


def call(c: Any, method: str, path: str, csrf: str) -> Any:
    body = next((v for k, v in BODIES.items() if path.rstrip("/").endswith(k)), {})
    if method == "GET":
        return c.get(path, follow_redirects=False)
    if path.startswith("/api/"):
        return c.post(path, json=body, headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    return c.post(path, data={**body, "csrf_token": csrf}, follow_redirects=False)


@pytest.fixture
def bobs_approval(web: Any) -> None:
    """Bob approves Finance's disposal list, so the approval download route has something of his to guess at."""
    c = client(web)
    sign_in(c, "bob")
    page = c.get(f"/assets/{web.asset_id('Finance')}")
    r = c.post(
        f"/assets/{web.asset_id('Finance')}/disposal-approvals",
        data={"reason": "past schedule", "csrf_token": csrf_of(page.text)},
    )
    assert "approved" in r.text
    from inventory.risks import register
    from inventory.runs.record import utcnow

    with open_store(web.config.database)() as db:  # and a risk recorded by hand against Finance
        register.add(
            db,
            "Supplier list shared too widely",
            3,
            3,
            "Bob Baker",
            "carol",
            utcnow(),
            asset_id=web.asset_id("Finance"),
        )


def test_no_route_shows_or_changes_another_owners_asset(web: Any, bobs_approval: None) -> None:
    app = web.app()
    factory = app.state.factory
    theirs, mine = ids_of(web, "Finance", factory), ids_of(web, "Housing", factory)
    c = client(web, app)
    sign_in(c, "alice")
    csrf = csrf_of(c.get("/my-assets").text)
    checked = routes(app)
    assert len(checked) >= 12, checked  # every page and API route that takes an id
    before = state(factory)
    for method, path in checked:
        url = PARAMS.sub(lambda m: str(theirs[m.group(1)]), path)
        r = call(c, method, url, csrf)
        assert r.status_code == (403 if path.startswith("/admin/") else 404), (method, url, r.status_code)
        assert "Finance" not in r.text and "suppliers" not in r.text and "Bob" not in r.text, (method, url)
    assert state(factory) == before
    # The same routes with her own asset do answer: the refusals above are the scope check, not broken routes.
    for method, path in checked:
        if method == "GET" and "approval_id" not in path and not path.startswith("/admin/"):
            url = PARAMS.sub(lambda m: str(mine[m.group(1)]), path)
            assert c.get(url).status_code == 200, url
    for listing in ("/my-assets", "/risks", "/api/v1/assets", "/api/v1/risks"):
        r = c.get(listing)
        assert r.status_code == 200 and "Housing" in r.text and "Finance" not in r.text, listing
    # An id no row can have (0, negative, 2**63 and beyond) names nothing: 404 on every route, never a 500.
    for huge in (0, -1, 2**63, 2**64 + 5):
        for method, path in checked:
            r = call(c, method, PARAMS.sub(lambda m, n=huge: str(n), path), csrf)
            assert r.status_code == (403 if path.startswith("/admin/") else 404), (method, path, huge, r.status_code)
    assert state(factory) == before


@pytest.mark.parametrize(
    "path",
    [
        "/siro",
        "/siro/report.html",
        "/audit",
        "/audit.csv",
        "/admin/users",
        "/admin/scans",
        "/api/v1/summary",
        "/api/v1/audit",
    ],
)
def test_an_iao_cannot_open_the_siro_or_admin_pages(web: Any, path: str) -> None:
    c = client(web)
    sign_in(c, "alice")
    r = c.get(path)
    assert r.status_code == 403
    assert "Not allowed" in r.text


def test_an_administrator_reads_no_asset(web: Any) -> None:
    c = client(web)
    sign_in(c, "dan")
    assert c.get(f"/assets/{web.asset_id('Housing')}").status_code == 403
    assert c.get(f"/api/v1/assets/{web.asset_id('Housing')}").status_code == 403
    assert c.get("/api/v1/assets").status_code == 403
    assert c.get("/admin/users").status_code == 200


def test_a_form_without_this_sessions_csrf_token_is_refused(web: Any) -> None:
    app = web.app()
    housing = web.asset_id("Housing")
    c, other = client(web, app), client(web, app)
    sign_in(c, "alice")
    sign_in(other, "alice")
    before = state(app.state.factory)
    url = f"/assets/{housing}/comments"
    assert c.post(url, data={"text": "no token"}).status_code == 403
    assert c.post(url, data={"text": "forged", "csrf_token": "x" * 43}).status_code == 403
    foreign = csrf_of(other.get("/my-assets").text)  # a real token, of another session
    r = c.post(url, data={"text": "another session's token", "csrf_token": foreign})
    assert r.status_code == 403 and "security token" in r.text
    assert c.post(f"/api/v1/assets/{housing}/comments", json={"text": "api, no header"}).status_code == 403
    assert state(app.state.factory) == before
    mine = csrf_of(c.get("/my-assets").text)
    assert c.post(url, data={"text": "with the token", "csrf_token": mine}).status_code == 200
    assert (
        c.post(f"/api/v1/assets/{housing}/comments", json={"text": "api"}, headers={"X-CSRF-Token": mine}).status_code
        == 200
    )
    assert state(app.state.factory)[3] == before[3] + 2
    # Signing in needs the sign-in form's own token too (no login CSRF).
    fresh = client(web, app)
    r = fresh.post("/sign-in", data={"name": "alice", "password": PASSWORD, "csrf_token": "guess"})
    assert r.status_code == 403 and "steward_session" not in fresh.cookies


def _age_sessions(factory: Any, **delta: timedelta) -> None:
    with factory() as db:
        for row in db.scalars(select(WebSession)):
            if "idle" in delta:
                row.last_seen -= delta["idle"]
            if "age" in delta:
                row.created_at -= delta["age"]
        db.commit()


@pytest.mark.parametrize("delta", [{"idle": timedelta(minutes=31)}, {"age": timedelta(hours=11)}])
def test_sessions_expire_when_idle_and_after_their_lifetime(web: Any, delta: dict[str, timedelta]) -> None:
    app = web.app()
    c = client(web, app)
    sign_in(c, "alice")
    assert c.get("/my-assets").url.path == "/my-assets"
    _age_sessions(app.state.factory, **delta)
    r = c.get("/my-assets")
    assert r.url.path == "/sign-in" and "Your session has expired" in r.text
    assert c.get("/api/v1/assets").status_code == 401
    with app.state.factory() as db:
        assert db.scalar(select(func.count()).select_from(WebSession)) == 0


def test_signing_out_ends_the_session_on_the_server(web: Any) -> None:
    app = web.app()
    c = client(web, app)
    sign_in(c, "alice")
    cookie = c.cookies.get("steward_session")
    c.post("/sign-out", data={"csrf_token": csrf_of(c.get("/my-assets").text)})
    replay = client(web, app)  # the old cookie, presented again from elsewhere
    assert replay.get("/api/v1/me", headers={"Cookie": f"steward_session={cookie}"}).status_code == 401


def test_failed_sign_ins_are_rate_limited(web: Any) -> None:
    app = web.app()
    c = client(web, app)
    for _ in range(5):
        r = sign_in(c, "alice", "wrong password!")
        assert r.status_code == 401 and "The name or password is not right." in r.text
    r = sign_in(c, "alice")  # the right password, but too late
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    assert "steward_session" not in c.cookies
    assert sign_in(client(web, app), "bob").url.path == "/my-assets"  # other accounts are not locked out
    with app.state.factory() as db:
        db.execute(update(SignInFailure).values(at=SignInFailure.at - timedelta(minutes=16)))
        db.commit()
        refused = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "sign-in.refused"))
        assert refused == 6
    assert sign_in(c, "alice").url.path == "/my-assets"


def test_a_password_typed_into_the_name_field_is_not_kept(web: Any) -> None:
    app = web.app()
    assert sign_in(client(web, app), PASSWORD, "x").status_code == 401
    assert all(PASSWORD not in str(v) for row in _dump(app.state.factory) for v in row)
    carol = client(web, app)
    sign_in(carol, "carol")
    assert "(unknown account)" in carol.get("/audit.csv").text


def test_unknown_accounts_and_disabled_accounts_cannot_sign_in(web: Any) -> None:
    from inventory.web.users import get_user, set_enabled

    app = web.app()
    c = client(web, app)
    assert sign_in(c, "mallory").status_code == 401
    sign_in(c, "erin")
    with app.state.factory() as db:
        set_enabled(db, get_user(db, "erin"), False)
    assert c.get("/my-assets").url.path == "/sign-in"  # her open session ended with the account
    assert sign_in(client(web, app), "erin").status_code == 401


def test_passwords_and_tokens_are_kept_only_as_hashes(web: Any) -> None:
    from inventory.runs.record import utcnow
    from inventory.web.models import ApiToken
    from inventory.web.users import get_user, issue_token

    factory = open_store(web.config.database)
    with factory() as db:
        token = issue_token(db, get_user(db, "alice"), "test", utcnow())
        for u in db.scalars(select(User)):
            assert u.password_hash and u.password_hash.startswith("$argon2id$") and PASSWORD not in u.password_hash
        assert token not in {t.digest for t in db.scalars(select(ApiToken))}
    c = client(web)
    sign_in(c, "alice")
    assert all(token not in str(v) and PASSWORD not in str(v) for row in _dump(factory) for v in row)


def _dump(factory: Any) -> list[tuple[Any, ...]]:
    with factory() as db:
        return [
            tuple(r)
            for name in ("users", "web_sessions", "api_tokens", "audit_log", "sign_in_failures")
            for r in db.execute(text(f"SELECT * FROM {name}"))
        ]


def test_cookies_headers_and_redirects_are_safe(web: Any) -> None:
    c = client(web)
    page = c.get("/sign-in")
    r = c.post(
        "/sign-in?next=//evil.example/",
        follow_redirects=False,
        data={"name": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "//evil.example"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/my-assets"
    cookie = r.headers["set-cookie"].lower()
    assert "steward_session=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    page = c.get("/my-assets")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_no_page_or_api_response_holds_a_planted_value(web: Any, bobs_approval: None) -> None:
    app = web.app()
    seen = 0
    for name in ("alice", "bob", "carol", "dan"):
        c = client(web, app)
        sign_in(c, name)
        csrf = csrf_of(c.get("/").text)
        housing = web.asset_id("Housing")
        if name == "alice":  # decisions and an approval put evidence into more pages
            c.post(f"/assets/{housing}/disposal-approvals", data={"reason": "ok", "csrf_token": csrf})
        ids = ids_of(web, "Finance" if name == "bob" else "Housing", app.state.factory)
        for path, methods in all_routes(app):
            if "GET" not in methods or path == "/siro/report.pdf":
                continue
            url = PARAMS.sub(lambda m, ids=ids: str(ids[m.group(1)]), path)
            r = c.get(url)
            seen += r.status_code == 200
            assert not leaks(r.text), (name, url, leaks(r.text))
    assert seen >= 30
