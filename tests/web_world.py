"""A small council for the web review tests: two services whose files belong to two Information Asset Owners
(by the files' owner uid, matched through an HR CSV), planted personal data, files past retention, and accounts
for both owners, the SIRO and an administrator. Scanned once; each test gets its own copy of the store."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from scanner.samples import text

PASSWORD = "correct horse battery"
PLANTED = {
    "nhs": "943 476 5919",
    "nino": "AB 12 34 56 C",
    "email": "sarah.thompson@example.co.uk",
    "phone": "07700 900123",
    "postcode": "CV1 5RR",
    "name": "Sarah Thompson",
}
PEOPLE = {  # account: (uid, name, e-mail, role)
    "alice": (4201, "Alice Archer", "alice.archer@council.example.gov.uk", "iao"),
    "bob": (4202, "Bob Baker", "bob.baker@council.example.gov.uk", "iao"),
    "carol": (4203, "Carol Chief", "carol.chief@council.example.gov.uk", "siro"),
    "dan": (4204, "Dan Admin", "dan.admin@council.example.gov.uk", "admin"),
    "erin": (4205, "Erin Evans", "erin.evans@council.example.gov.uk", "iao"),
}
OLD = time.mktime((2018, 3, 1, 12, 0, 0, 0, 0, -1))


def build_share(root: Path) -> None:
    p = PLANTED
    line = (
        f"Tenant {p['name']}, NHS number {p['nhs']}, NI number {p['nino']}, email {p['email']}, "
        f"telephone {p['phone']}, postcode {p['postcode']}."
    )
    housing, finance = root / "Housing", root / "Finance"
    housing.mkdir(parents=True)
    finance.mkdir(parents=True)
    text.write_csv(
        housing / "tenants.csv",
        [["Name", "NHS number", "NI number", "Email"], [p["name"], p["nhs"], p["nino"], p["email"]]],
    )
    (housing / "case-notes.txt").write_text(f"Visit notes. {line}\n")
    (housing / "repairs-2017.txt").write_text(f"Old repairs log. {line}\n")
    (housing / "rota.txt").write_text("Team rota, nothing personal.\n")
    (finance / "suppliers.txt").write_text(f"Supplier contact {p['name']}, telephone {p['phone']}.\n")
    (finance / "budget.txt").write_text("Budget lines 2017/18.\n")
    for f in (housing, *housing.iterdir()):
        os.chown(f, PEOPLE["alice"][0], 4200)
    for f in (finance, *finance.iterdir()):
        os.chown(f, PEOPLE["bob"][0], 4200)
    for old in (housing / "repairs-2017.txt", housing / "rota.txt", finance / "budget.txt"):
        os.utime(old, (OLD, OLD))


def write_directory(path: Path) -> None:
    rows = ["account,uid,name,email,department,manager,status"]
    rows += [f"{k},{uid},{name},{email},Council,,active" for k, (uid, name, email, _) in PEOPLE.items()]
    path.write_text("\n".join(rows) + "\n")


def write_config(folder: Path, root: Path, database: str, **extra: Any) -> Path:
    data: dict[str, Any] = {
        "database": database,
        "hash_key": "test-key",
        "sources": [{"id": "share", "kind": "local", "root": str(root)}],
        "scan": {"workers": 1},
        "directory": {"kind": "csv", "path": str(folder / "hr.csv")},
        "owners": {"threshold": 0.35},  # one owner of every byte, and nothing else, gives 40%
        "web": {"secure_cookies": True, **extra.pop("web", {})},
        **extra,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def scanned_store(base: Path) -> Path:
    """Build, scan and return the folder holding share/, hr.csv and steward.db (with the accounts)."""
    from inventory.cli.main import cli

    build_share(base / "share")
    write_directory(base / "hr.csv")
    config = write_config(base, base / "share", f"sqlite:///{base / 'steward.db'}")
    result = CliRunner().invoke(cli, ["scan", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    add_accounts(config)
    return base


def add_accounts(config_path: Path) -> None:
    from inventory.config import load_config
    from inventory.runs.record import utcnow
    from inventory.store.engine import open_store
    from inventory.web.users import add_user

    config = load_config(config_path)[0]
    with open_store(config.database)() as db:
        for account, (_, _, email, role) in PEOPLE.items():
            add_user(db, config, account, email, role, PASSWORD, False, utcnow())


@dataclass
class World:
    folder: Path
    config_path: Path

    @property
    def config(self) -> Any:
        from inventory.config import load_config

        return load_config(self.config_path)[0]

    def app(self) -> Any:
        from inventory.web.app import create_app

        app = create_app(self.config)
        app.state.config_path = self.config_path
        return app

    def asset_id(self, name: str) -> int:
        from sqlalchemy import select

        from inventory.store.engine import open_store
        from inventory.store.models import Asset

        with open_store(self.config.database)() as db:
            return int(db.scalars(select(Asset.id).where(Asset.name == name)).one())


def make_world(store: Path, folder: Path, database: str | None = None, **extra: Any) -> World:
    """A copy of the scanned store with its accounts (or, given DATABASE, a fresh scan into it and the accounts)."""
    shutil.copy(store / "hr.csv", folder / "hr.csv")
    if database is None:
        shutil.copy(store / "steward.db", folder / "steward.db")
        for suffix in ("-wal", "-shm"):
            if (store / f"steward.db{suffix}").exists():
                shutil.copy(store / f"steward.db{suffix}", folder / f"steward.db{suffix}")
    config_path = write_config(folder, store / "share", database or f"sqlite:///{folder / 'steward.db'}", **extra)
    world = World(folder, config_path)
    if database is not None:
        from inventory.cli.main import cli

        result = CliRunner().invoke(cli, ["scan", "--config", str(config_path)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        add_accounts(config_path)
    return world


CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: Any, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"name": name, "password": password, "csrf_token": csrf_of(page.text)})


def forms(value: str) -> set[str]:
    """A planted value as written, without separators, and in upper and lower case."""
    return {value, value.replace(" ", ""), value.upper(), value.lower()}


def leaks(body: str) -> list[str]:
    """The planted values (any form) that appear in BODY."""
    return [key for key, value in PLANTED.items() if any(f in body for f in forms(value))]


def client(world: World, app: Any = None) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(app or world.app(), base_url="https://testserver")


def all_routes(app: Any) -> list[tuple[str, set[str]]]:
    """Every (path, methods) the application answers, whether FastAPI lists included routers flat or nested."""
    out: list[tuple[str, set[str]]] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
            elif getattr(route, "methods", None):
                out.append((prefix + route.path, set(route.methods)))

    walk(app.routes, "")
    return out
