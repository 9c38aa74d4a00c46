"""The `web` section of config.yaml: where `steward serve` listens and how sign-in behaves."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from scanner.config import Strict


class SignInConfig(Strict):
    max_failures: PositiveInt = Field(default=5, description="Failed sign-ins for one account before it must wait.")
    window_minutes: PositiveInt = Field(default=15, description="The period failures are counted over, and the wait.")
    max_failures_per_address: PositiveInt = Field(
        default=20, description="Failed sign-ins from one network address (any account) before it must wait."
    )
    ldap: bool = Field(
        default=False,
        description="Accounts added with --ldap sign in by binding to the directory "
        "(key `directory`, kind ldap) with their own password.",
    )


class WebConfig(Strict):
    host: str = Field(default="127.0.0.1", description="Address `steward serve` listens on.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port `steward serve` listens on.")
    base_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="The address people open the web review at (behind the HTTPS proxy), for links in e-mails.",
    )
    secure_cookies: bool = Field(
        default=True,
        description="Send the session cookie over HTTPS only. Browsers also accept it on "
        "http://localhost; set false only for plain-HTTP test set-ups elsewhere.",
    )
    session_idle_minutes: PositiveInt = Field(default=30, description="A session ends after this long unused.")
    session_hours: PositiveInt = Field(default=10, description="A session ends this long after sign-in, used or not.")
    sign_in: SignInConfig = Field(default_factory=SignInConfig, description="Sign-in limits and LDAP bind.")
    forwarded_allow_ips: str | None = Field(
        default=None, description="Reverse proxies trusted for X-Forwarded-For/-Proto (e.g. 127.0.0.1)."
    )
