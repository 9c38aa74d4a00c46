"""The whole config.yaml: the scanner's parts plus the store, asset and scan settings.

``load_config`` expands ``${ENV}`` references, validates strictly and turns any problem into one
sentence naming the file, the key and the reason.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, PositiveInt, ValidationError, ValidationInfo, field_validator
from sqlalchemy.engine import make_url

from inventory.notify.config import NotifyConfig
from inventory.owners.config import Directory, OwnersConfig
from inventory.runs.config import ScheduleConfig, WatchConfig
from inventory.web.config import WebConfig
from scanner import yamltext
from scanner.config import DetectionConfig, ExtractConfig, LimitsConfig, ScanConfig, Source, Strict, check_driver
from scanner.errors import ConfigError

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
DEFAULT_CONFIG = Path("config.yaml")


class AssetsConfig(Strict):
    depth: PositiveInt = Field(default=1, description="Folder depth under a source root that makes an asset.")
    services: dict[str, str] = Field(
        default_factory=dict,
        description="Folder -> the service it belongs to ('Social Care': Adult Social Care, or 'share:Social Care' "
        "for one source); an asset takes the longest folder that holds it. A declared owner's service wins; "
        "without either, the owner's department is the service.",
    )

    def service_for(self, source: str, key: str) -> str | None:
        """The service the mapping gives the asset at ``key`` of ``source`` (the longest matching folder)."""
        best: tuple[int, str] | None = None
        for folder, service in self.services.items():
            named, _, rest = folder.partition(":")
            if rest and named != source:
                continue  # another source's folder
            prefix = (rest if rest else folder).strip("/")
            holds = not prefix or key == prefix or key.startswith(prefix + "/")
            if holds and (best is None or len(prefix) > best[0]):
                best = (len(prefix), service)
        return best[1] if best else None


class ReportsConfig(Strict):
    storage_price_per_tb_month: float = Field(
        default=18.0, ge=0, description="What a TB of cloud storage costs a month, for the migration triage."
    )
    currency: str = Field(default="£", max_length=5, description="The currency sign prices are shown with.")


RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


class RulesConfig(Strict):
    dir: Path = Field(default=RULES_DIR, description="Folder of rule files; relative to the config file's folder.")
    broad_groups: tuple[int | str, ...] = Field(
        default=("Everyone", "Authenticated Users", "Domain Users", "Users"),
        description="Groups (names, SIDs, or numeric local gids) whose access counts as broad exposure; "
        "'other' permission bits always count (as Everyone).",
    )
    decisions_lapse_on: Literal["content", "never"] = Field(
        default="content",
        description="When a dismissal or acceptance stops applying: when its file's content changes, or never.",
    )


class StewardConfig(Strict):
    version: Literal[1] = Field(default=1, description="Config format version.")
    database: str = Field(description="SQLAlchemy URL of Steward's store (sqlite:///... or postgresql+psycopg://...).")
    hash_key: str | None = Field(
        default=None,
        description="Secret key for keyed hashes; default: a key file created beside a SQLite store.",
    )
    sources: tuple[Source, ...] = Field(min_length=1, description="What to scan.")
    assets: AssetsConfig = Field(default_factory=AssetsConfig, description="How files roll up into assets.")
    limits: LimitsConfig = Field(default_factory=LimitsConfig, description="Per-file size, time and archive limits.")
    extract: ExtractConfig = Field(default_factory=ExtractConfig, description="OCR of scanned pages and images.")
    detection: DetectionConfig = Field(default_factory=DetectionConfig, description="Personal-data detection.")
    scan: ScanConfig = Field(default_factory=ScanConfig, description="Scan execution.")
    directory: Directory | None = Field(default=None, description="Where people are looked up (LDAP or CSV).")
    owners: OwnersConfig = Field(default_factory=OwnersConfig, description="Owner inference.")
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig, description="When `steward schedule` scans.")
    watch: WatchConfig = Field(default_factory=WatchConfig, description="How `steward watch` follows live folders.")
    rules: RulesConfig = Field(default_factory=RulesConfig, description="Retention and policy rules.")
    web: WebConfig = Field(default_factory=WebConfig, description="The web review (`steward serve`).")
    reports: ReportsConfig = Field(default_factory=ReportsConfig, description="Settings of the reports.")
    notify: NotifyConfig | None = Field(default=None, description="E-mail digests for IAOs and the SIRO.")

    @field_validator("database")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        url = make_url(value)
        check_driver(url.get_backend_name(), url.get_driver_name())
        return value

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, sources: tuple[Source, ...]) -> tuple[Source, ...]:
        ids = [s.id for s in sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"source id {dupes[0]!r} is used more than once")
        return sources

    @field_validator("scan")
    @classmethod
    def _cluster_store(cls, scan: ScanConfig, info: ValidationInfo) -> ScanConfig:
        if scan.engine == "dask" and str(info.data.get("database", "")).startswith("sqlite"):
            raise ValueError("engine: dask needs a PostgreSQL store (`database` is SQLite, which one machine owns)")
        return scan

    @field_validator("schedule")
    @classmethod
    def _scheduled_sources(cls, schedule: ScheduleConfig, info: ValidationInfo) -> ScheduleConfig:
        known = {s.id for s in info.data.get("sources", ())}
        for sid in schedule.sources:
            if known and sid not in known:
                raise ValueError(f"sources.{sid}: no source with this id")
        return schedule

    def source(self, source_id: str) -> Source:
        for src in self.sources:
            if src.id == source_id:
                return src
        raise ConfigError(f"no source with id {source_id!r} in the config (have: {', '.join(self.source_ids)})")

    @property
    def source_ids(self) -> list[str]:
        return [s.id for s in self.sources]


def config_path(explicit: str | Path | None) -> Path:
    """--config, else $STEWARD_CONFIG, else ./config.yaml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("STEWARD_CONFIG") or DEFAULT_CONFIG)


def _expand(value: Any, path: Path, key: str) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, path, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, path, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{path}: {key}: environment variable {name} is not set")

        return ENV_REF.sub(sub, value)
    return value


def _key(loc: tuple[int | str, ...]) -> str:
    out, previous = "", None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(previous, int) and part in ("local", "smb", "database", "ldap", "csv"):
            pass  # the tag pydantic adds for a member of a discriminated union is not a key
        else:
            out += f".{part}" if out else str(part)
        previous = part
    return out or "(top level)"


def load_config(explicit: str | Path | None = None) -> tuple[StewardConfig, str]:
    """Read and validate the config; returns it with a hash of its content before ``${ENV}`` references are
    expanded (for provenance: a secret never enters the hash, so the store holds nothing to test a guess against)."""
    path = config_path(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: (file): not found; pass --config FILE or set STEWARD_CONFIG") from None
    except OSError as exc:
        raise ConfigError(f"{path}: (file): cannot be read ({exc.strerror})") from None
    try:
        raw = yamltext.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise ConfigError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: (top level): must be a mapping of settings")
    expanded = _expand(raw, path, "")
    try:
        config = StewardConfig.model_validate(expanded)
    except ValidationError as exc:
        err = exc.errors()[0]
        reason = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        elif err["type"] == "missing":
            reason = "is required"
        raise ConfigError(f"{path}: {_key(tuple(err['loc']))}: {reason}") from None
    if not config.rules.dir.is_absolute():
        rules = config.rules.model_copy(update={"dir": (path.parent / config.rules.dir).resolve()})
        config = config.model_copy(update={"rules": rules})
    digest = hashlib.sha256(repr(sorted(raw.items(), key=str)).encode()).hexdigest()[:16]
    return config, digest
