"""The `notify:` section of the config: who sends, through which SMTP server, and how often each role hears."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from scanner.config import Strict


class SmtpConfig(Strict):
    host: str = Field(min_length=1, description="SMTP server.")
    port: int = Field(default=587, ge=1, le=65535, description="587 for STARTTLS, 465 for SMTPS.")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="STARTTLS (default), SMTPS (ssl) or none (a relay on the same host only)."
    )
    username: str | None = Field(default=None, description="Account to authenticate as; use an ${ENV} reference.")
    password: SecretStr | None = Field(default=None, description="Its password; use an ${ENV} reference.")
    ca_file: Path | None = Field(default=None, description="CA certificates to trust for the server (PEM).")
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the server.")


class NotifyConfig(Strict):
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="From address of the digests.")
    smtp: SmtpConfig = Field(description="The SMTP server that sends them.")
    iao: Literal["weekly", "monthly", "never"] = Field(default="weekly", description="How often IAOs hear.")
    siro: Literal["weekly", "monthly", "never"] = Field(default="monthly", description="How often the SIRO hears.")
    templates: Path | None = Field(
        default=None, description="A folder whose iao.txt, iao.html, siro.txt or siro.html replace the shipped ones."
    )
