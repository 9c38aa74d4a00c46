"""The web subject-access search: only the dpo role searches (IAOs and the SIRO are refused, and the refusal is
audited), every search is audited with its reference and never a value, results and the CSV name the files, the
page says what is covered, and searches per account are limited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from web_world import PASSWORD, client, csrf_of, leaks, sign_in

from inventory.runs.record import utcnow
from inventory.store.engine import open_store
from inventory.web import pages_sar
from inventory.web.models import AuditEntry
from inventory.web.users import add_user

NHS = "943 476 5919"


@pytest.fixture
def dpo(web: Any) -> Any:
    with open_store(web.config.database)() as db:
        add_user(db, web.config, "fay", "fay.fox@council.example.gov.uk", "dpo", PASSWORD, False, utcnow())
    c = client(web)
    assert sign_in(c, "fay").status_code in (200, 303)
    return c


def audit_rows(web: Any, action: str) -> list[AuditEntry]:
    with open_store(web.config.database)() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def post(c: Any, **fields: str) -> Any:
    page = c.get("/sar")
    return c.post("/sar", data={"csrf_token": csrf_of(page.text), **fields})


def test_a_dpo_searches_and_every_search_is_audited_without_values(web: Any, dpo: Any) -> None:
    page = dpo.get("/sar")
    assert page.status_code == 200 and "Only files Steward has read are covered" in page.text
    assert "Last scanned" in page.text and "share" in page.text
    found = post(dpo, reference="SAR-2026-17", nhs=NHS, purpose="erasure")
    assert found.status_code == 200
    assert "Housing/tenants.csv" in found.text and "Housing/case-notes.txt" in found.text
    assert "Finance/budget.txt" not in found.text and "Retention" in found.text
    assert leaks(found.text) == []
    csv = post(dpo, reference="SAR-2026-17", email="Sarah.Thompson@example.co.uk", download="csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Housing/tenants.csv" in csv.text and leaks(csv.text) == []
    rows = audit_rows(web, "sar.search")
    assert [(r.actor, r.role, r.reason) for r in rows] == [("fay", "dpo", "SAR-2026-17")] * 2
    assert rows[0].detail["results"] >= 2 and rows[0].detail["searched"] == ["NHS number"]
    assert all(leaks(str(r.detail)) == [] for r in rows)


@pytest.mark.parametrize("account", ["alice", "carol"])
def test_iao_and_siro_cannot_search_and_are_audited(web: Any, account: str) -> None:
    c = client(web)
    sign_in(c, account)
    assert c.get("/sar").status_code == 403
    home = c.get("/")
    token = csrf_of(home.text) if 'name="csrf_token"' in home.text else ""
    assert c.post("/sar", data={"csrf_token": token, "reference": "X", "nhs": NHS}).status_code == 403
    assert audit_rows(web, "sar.search") == []
    refused = audit_rows(web, "sar.refused")
    assert [r.actor for r in refused] == [account, account]


def test_searches_per_account_are_limited(web: Any, dpo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages_sar, "SEARCHES_PER_HOUR", 2)
    assert post(dpo, reference="R1", nhs=NHS).status_code == 200
    assert post(dpo, reference="R2", nhs=NHS).status_code == 200
    third = post(dpo, reference="R3", nhs=NHS)
    assert third.status_code == 429 and "At most 2 searches an hour" in third.text
    assert len(audit_rows(web, "sar.search")) == 2 and len(audit_rows(web, "sar.limited")) == 1
