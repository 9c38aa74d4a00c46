"""E-mail digests through a real SMTP server (STARTTLS and authentication): who gets what, links, counts only,
never the same digest twice, and a failed send tried again next run."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from smtp_server import PASSWORD, USER, SmtpServer
from web_world import PLANTED, forms


def _configure(web: Any, smtp: SmtpServer, password_var: str = "STEWARD_TEST_SMTP_PASSWORD") -> str:
    data = yaml.safe_load(web.config_path.read_text())
    data["web"] = {**data.get("web", {}), "base_url": "https://steward.council.example"}
    data["notify"] = {
        "sender": "steward@council.example",
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp.port,
            "security": "starttls",
            "username": "${STEWARD_TEST_SMTP_USER}",
            "password": "${" + password_var + "}",
            "ca_file": str(smtp.cert),
            "timeout": 10,
        },
    }
    web.config_path.write_text(yaml.safe_dump(data))
    return str(web.config_path)


def test_digests_are_sent_once_to_the_right_people_with_counts_and_links(
    web: Any, tmp_path: Path, steward: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_TEST_SMTP_USER", USER)
    monkeypatch.setenv("STEWARD_TEST_SMTP_PASSWORD", "not the password")
    with SmtpServer(tmp_path) as smtp:
        cfg = _configure(web, smtp)
        dry = steward("notify", "--dry-run", "--config", cfg)
        assert dry.exit_code == 0 and "would send iao digest" in dry.output and not smtp.inbox.messages

        refused = steward("notify", "--send", "--config", cfg)  # a wrong password: nothing sent, nothing recorded
        assert refused.exit_code == 1 and "NOT sent" in refused.output and not smtp.inbox.messages

        monkeypatch.setenv("STEWARD_TEST_SMTP_PASSWORD", PASSWORD)
        sent = steward("notify", "--send", "--config", cfg)  # tried again: this time they go
        assert sent.exit_code == 0, sent.output
        by_to = {m["To"]: m for m in smtp.inbox.messages}
        alice = by_to["alice.archer@council.example.gov.uk"]
        carol = by_to["carol.chief@council.example.gov.uk"]
        assert "dan.admin@council.example.gov.uk" not in by_to  # administrators get no digest
        assert alice["From"] == "steward@council.example" and alice["Subject"].startswith("Steward: your information")
        text = alice.get_body(("plain",)).get_content()
        html = alice.get_body(("html",)).get_content()
        housing = web.asset_id("Housing")
        assert f"https://steward.council.example/assets/{housing}" in text and "Housing" in text
        assert f'href="https://steward.council.example/assets/{housing}"' in html
        assert "Finance" not in text  # only the assets she looks after
        # The count is the Housing disposal list's, as `export disposal` and the asset page show it.
        listed = list(csv.DictReader(io.StringIO(steward("export", "disposal", "--config", cfg).output)))
        housing_due = sum(r["asset"] == "Housing" for r in listed)
        assert housing_due and re.search(rf"\b{housing_due} files? past retention awaiting your approval", text)
        report = [p for p in carol.iter_attachments() if p.get_filename() == "siro-report.html"]
        assert report and "Information risk" in report[0].get_content()
        for m in smtp.inbox.messages:  # counts and names only: no value found in a file, no file name
            raw = m.as_string()
            for value in PLANTED.values():
                for form in forms(value):
                    assert form not in raw, (m["To"], value)
            assert "tenants.csv" not in raw and "case-notes" not in raw

        received = len(smtp.inbox.messages)
        again = steward("notify", "--send", "--config", cfg)
        assert again.output.strip() == "no digest is due" and len(smtp.inbox.messages) == received  # never twice
    audit = steward("audit", "--config", cfg).output
    assert audit.count("notify.sent") == received and PASSWORD not in audit
