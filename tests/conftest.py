"""Shared fixtures: generated shares, config files, the CLI, and a PostgreSQL database when one is reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

PG_URL = os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sample_share(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small copy of the bundled sample share (every format, planted personal data), built once."""
    from scanner.samples.share import build_share

    root = tmp_path_factory.mktemp("share") / "share"
    build_share(root, files=60, seed=7)
    return root


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config.yaml for ``root`` (and optional overrides) into tmp_path; returns its path."""

    def write(root: Path, database: str | None = None, **extra: object) -> Path:
        data: dict[str, object] = {
            "database": database or f"sqlite:///{tmp_path / 'steward.db'}",
            "hash_key": "test-key",
            "sources": [{"id": "share", "kind": "local", "root": str(root)}],
            "scan": {"workers": 1, "checkpoint_every": 50},
            **extra,
        }
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    return write


@pytest.fixture
def steward() -> Callable[..., Result]:
    """Run a `steward` command in-process, as a user would type it."""
    from inventory.cli.main import cli

    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"steward_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is part of the test set-up; say why it is missing
        pytest.fail(f"PostgreSQL at {PG_URL} is not usable ({type(exc).__name__}); scripts/setup.sh test starts one")
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# -- SMB and directory servers (ownership and access) ---------------------------------------------------------

COUNCIL_PEOPLE = ("stwasmith", "stwbjones", "stwdhead", "stwcdavis", "stwpgreen", "stwsvcbackup", "stwxunknown")


@pytest.fixture(scope="session")
def samba(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real Samba server on 127.0.0.1 holding a small council share with Windows ACLs (see council_share)."""
    import shutil
    import tempfile

    from samba_server import SambaServer, free_port, have_samba

    if not have_samba():
        pytest.fail("Samba (smbd, pdbedit) and root are needed for SMB tests; scripts/setup.sh test installs them")
    base = Path(tempfile.mkdtemp(prefix="steward-smb-"))
    server = SambaServer(base, free_port())
    server.write_conf("stwadmin", "stwscan", list(COUNCIL_PEOPLE))
    for account in ("stwadmin", "stwscan", *COUNCIL_PEOPLE):
        server.add_account(account)
    server.read_sids()
    from council_share import build_council_share

    build_council_share(server)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def ldap_directory(samba: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real OpenLDAP server holding the council's people, with the SIDs the Samba server gave them."""
    from council_share import write_people
    from ldap_server import LdapServer, have_slapd
    from samba_server import free_port

    if not have_slapd():
        pytest.fail("OpenLDAP (slapd, slapadd) is needed for directory tests; scripts/setup.sh test installs it")
    server = LdapServer(tmp_path_factory.mktemp("ldap"), free_port())
    server.start(write_people(samba))  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


MARIA_URL = os.environ.get("STEWARD_TEST_MARIA_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


@pytest.fixture
def maria_url() -> Iterator[str]:
    """A fresh, empty MariaDB database for one test (dropped afterwards), as the server's admin account."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(MARIA_URL, isolation_level="AUTOCOMMIT")
    name = f"steward_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}`"))
    except Exception as exc:  # the server is part of the test set-up; say why it is missing
        pytest.fail(f"MariaDB at {MARIA_URL} is not usable ({type(exc).__name__}); scripts/setup.sh test starts one")
    yield make_url(MARIA_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("SET SESSION lock_wait_timeout = 10"))
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


# -- The web review ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small council (two owners' services, planted personal data, files past retention), scanned once."""
    from web_world import scanned_store

    return scanned_store(tmp_path_factory.mktemp("web-store"))


@pytest.fixture
def web(web_store: Path, tmp_path: Path) -> object:
    """A private copy of the scanned council with accounts alice and bob (IAOs), carol (SIRO), dan (admin), erin."""
    from web_world import make_world

    return make_world(web_store, tmp_path)
