"""Sign-in for the web review against a real OpenLDAP: the right password gives the directory key, nothing else does."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ldap_server import ADMIN_DN, ADMIN_PASSWORD, SUFFIX, LdapServer, have_slapd
from samba_server import free_port

from inventory.owners.config import LdapDirectory
from inventory.web.ldapauth import ldap_authenticate
from scanner.errors import StewardError

PEOPLE: list[dict[str, object]] = [
    {
        "account": "ahill",
        "name": "Ann Hill",
        "email": "ann.hill@council.example",
        "department": "Finance",
        "title": "Accountant",
        "enabled": True,
        "password": "Corr3ct-horse",
    },
    {
        "account": "bleft",
        "name": "Bob Left",
        "email": "bob.left@council.example",
        "department": "Leavers",
        "title": "Clerk",
        "enabled": False,
        "password": "0ld-pass",
    },
    {
        "account": "cnopass",
        "name": "Cat Nopass",
        "email": "cat.nopass@council.example",
        "department": "Planning",
        "title": "Planner",
        "enabled": True,
    },
]


@pytest.fixture(scope="module")
def ldap_people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LdapServer]:
    if not have_slapd():
        pytest.fail("OpenLDAP (slapd, slapadd) is needed for sign-in tests; scripts/setup.sh test installs it")
    server = LdapServer(tmp_path_factory.mktemp("ldapauth"), free_port())
    server.start(PEOPLE)
    try:
        yield server
    finally:
        server.stop()


def directory(url: str, **extra: Any) -> LdapDirectory:
    attributes = {
        "account": "uid",
        "name": "cn",
        "department": "departmentNumber",
        "sid": "objectSid",
        "account_control": "userAccountControl",
        **extra.pop("attributes", {}),
    }
    return LdapDirectory.model_validate(
        {
            "kind": "ldap",
            "url": url,
            "bind_dn": ADMIN_DN,
            "password": ADMIN_PASSWORD,
            "base": f"ou=people,{SUFFIX}",
            "timeout": 2,
            "attributes": attributes,
            **extra,
        }
    )


def test_right_password_gives_the_directory_key(ldap_people: LdapServer) -> None:
    cfg = directory(ldap_people.url)
    assert ldap_authenticate(cfg, "ahill", "Corr3ct-horse") == "ahill"
    assert ldap_authenticate(cfg, " AHill ", "Corr3ct-horse") == "ahill"  # the key, whatever case was typed


def test_anonymous_search_bind_works_too(ldap_people: LdapServer) -> None:
    cfg = directory(ldap_people.url, bind_dn=None, password=None)
    assert ldap_authenticate(cfg, "ahill", "Corr3ct-horse") == "ahill"
    assert ldap_authenticate(cfg, "ahill", "wrong") is None


@pytest.mark.parametrize("password", ["wrong", "corr3ct-horse", "Corr3ct-horse ", "", "*"])
def test_wrong_or_empty_password_is_refused(ldap_people: LdapServer, password: str) -> None:
    assert ldap_authenticate(directory(ldap_people.url), "ahill", password) is None


def test_account_without_a_password_cannot_sign_in(ldap_people: LdapServer) -> None:
    cfg = directory(ldap_people.url)
    assert ldap_authenticate(cfg, "cnopass", "anything") is None
    assert ldap_authenticate(cfg, "cnopass", "") is None


@pytest.mark.parametrize(
    "account",
    ["nobody", "", "*", "a*", "a)(uid=*", "ahill)(uid=*", "*)(|(uid=*", "ahill\\2a", "uid=ahill,ou=people," + SUFFIX],
)
def test_unknown_or_injected_account_is_refused(ldap_people: LdapServer, account: str) -> None:
    assert ldap_authenticate(directory(ldap_people.url), account, "Corr3ct-horse") is None


def test_disabled_account_is_refused_by_user_account_control(ldap_people: LdapServer) -> None:
    assert ldap_authenticate(directory(ldap_people.url), "bleft", "0ld-pass") is None
    # without the attribute configured, nothing marks the account disabled and its password is accepted
    cfg = directory(ldap_people.url, attributes={"account_control": None})
    assert ldap_authenticate(cfg, "bleft", "0ld-pass") == "bleft"


def test_disabled_account_is_refused_by_disabled_filter(ldap_people: LdapServer) -> None:
    cfg = directory(ldap_people.url, disabled_filter="(departmentNumber=Leavers)", attributes={"account_control": None})
    assert ldap_authenticate(cfg, "bleft", "0ld-pass") is None
    assert ldap_authenticate(cfg, "ahill", "Corr3ct-horse") == "ahill"


def test_people_filter_limits_who_can_sign_in(ldap_people: LdapServer) -> None:
    cfg = directory(ldap_people.url, filter="(departmentNumber=Planning)")
    assert ldap_authenticate(cfg, "ahill", "Corr3ct-horse") is None


def test_unreachable_server_is_an_error_naming_the_url(tmp_path: Path) -> None:
    url = f"ldap://127.0.0.1:{free_port()}"
    with pytest.raises(StewardError, match=f"^the directory at {url} did not answer: "):
        ldap_authenticate(directory(url), "ahill", "Corr3ct-horse")


def test_wrong_service_password_is_an_error(ldap_people: LdapServer) -> None:
    with pytest.raises(StewardError, match=f"the directory at {ldap_people.url} refused the bind as {ADMIN_DN}"):
        ldap_authenticate(directory(ldap_people.url, password="nope"), "ahill", "Corr3ct-horse")


def test_password_is_never_logged(ldap_people: LdapServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    cfg = directory(ldap_people.url)
    ldap_authenticate(cfg, "ahill", "Wr0ng-secret-xyz")
    ldap_authenticate(cfg, "ahill", "Corr3ct-horse")
    assert "Wr0ng-secret-xyz" not in caplog.text and "Corr3ct-horse" not in caplog.text


def test_a_server_that_does_not_speak_ldap_is_an_error_naming_the_url() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"ldap://127.0.0.1:{listener.getsockname()[1]}"

    def answer_http() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(
                b"HTTP/1.0 426 Upgrade Required\r\nserver: web\r\nconnection: close\r\n"
                b"content-length: 0\r\ndate: Wed, 25 Nov 2026 16:24:11 GMT\r\n\r\n"
            )

    thread = threading.Thread(target=answer_http, daemon=True)
    thread.start()
    try:
        with pytest.raises(StewardError, match=f"^the directory at {url} did not answer"):
            ldap_authenticate(directory(url), "ahill", "Corr3ct-horse")
    finally:
        thread.join(5)
        listener.close()


def test_a_directory_account_signs_in_to_the_web_review_by_ldap_bind(ldap_people: LdapServer, tmp_path: Path) -> None:
    import yaml
    from click.testing import CliRunner
    from web_world import client, sign_in

    from inventory.cli.main import cli

    (tmp_path / "share").mkdir()
    cfg = directory(ldap_people.url).model_dump(mode="json")
    cfg["password"] = ADMIN_PASSWORD
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'steward.db'}",
                "hash_key": "k",
                "sources": [{"id": "share", "kind": "local", "root": str(tmp_path / "share")}],
                "directory": cfg,
                "web": {"sign_in": {"ldap": True}},
            }
        )
    )
    added = CliRunner().invoke(
        cli,
        [
            "user",
            "add",
            "ahill",
            "--email",
            "ann.hill@council.example",
            "--role",
            "iao",
            "--ldap",
            "--config",
            str(config),
        ],
    )
    assert added.exit_code == 0 and "added ahill (iao, ldap sign-in); directory person ahill" in added.output
    from web_world import World

    world = World(tmp_path, config)
    assert sign_in(client(world), "ahill", "wrong").status_code == 401
    assert sign_in(client(world), "ahill", "Corr3ct-horse").url.path == "/my-assets"
    outsider = CliRunner().invoke(
        cli, ["user", "add", "zed", "--email", "zed@else.example", "--role", "iao", "--ldap", "--config", str(config)]
    )
    assert "is not in the directory" in outsider.output
    data = yaml.safe_load(config.read_text())
    data["directory"]["url"] = f"ldap://127.0.0.1:{free_port()}"  # the directory goes away
    config.write_text(yaml.safe_dump(data))
    down = sign_in(client(World(tmp_path, config)), "ahill", "Corr3ct-horse")
    assert down.status_code == 503 and "The directory cannot be reached" in down.text
