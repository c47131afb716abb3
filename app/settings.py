"""The one settings object: every knob GPS has, read from `GPS_*` variables and `.env`."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Used only when GPS_ENV=development and no secret is configured. Production refuses it.
DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-in-production!"
MIN_SECRET_BYTES = 32
MIN_PASSWORD_LENGTH = 12
# Connections a process may open beyond GPS_DATABASE_POOL_SIZE when all of those are busy.
DATABASE_POOL_OVERFLOW = 10
# Requests one process serves at once on SQLite unless GPS_MAX_CONCURRENT_REQUESTS says:
# SQLite works in the process itself, so more at once only crowd the interpreter
# (benchmarks/RESULTS.md).
SQLITE_CONCURRENT_REQUESTS = 4


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


DeploySignal = Literal["push", "deployment_status"]


def _comma_list(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GPS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.development
    database_url: str = Field(default="sqlite:///./var/gps.db")
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # When the database is slow, down or cut off (README: "Running in production")
    database_connect_timeout_seconds: int = Field(default=5, ge=2, le=300)
    database_statement_timeout_seconds: int = Field(default=30, ge=1, le=3600)
    database_idle_transaction_timeout_seconds: int = Field(default=60, ge=1, le=3600)
    database_pool_timeout_seconds: int = Field(default=10, ge=1, le=300)
    # Requests served at once per process; unset: the pool size (PostgreSQL) or 4 (SQLite).
    max_concurrent_requests: int | None = Field(default=None, ge=1, le=200)
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_issuer: str = "gps"
    jwt_audience: str = "gps-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: str = "INFO"
    # Host names GPS answers to (README: "Configuration"); `*` answers any.
    allowed_hosts: str = "*"

    # Protection (README: "Configuration", "API conventions")
    login_attempts_per_account: int = Field(default=5, ge=1)
    login_attempts_per_address: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    login_backoff_seconds: int = Field(default=2, ge=1, le=3600)
    idempotency_key_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Separation of duties (README: "Passwords and roles")
    password_link_hours: int = Field(default=24, ge=1, le=24 * 7)
    local_passwords: bool = True

    # An external OpenID Connect issuer whose access tokens GPS also accepts (README:
    # "Configuration"). Unset issuer: only GPS's own tokens are accepted.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_jwks_file: Path | None = None
    oidc_email_claim: str = Field(default="email", min_length=1, max_length=100)
    oidc_jwks_refresh_seconds: int = Field(default=300, ge=1, le=24 * 60 * 60)

    # The department's calendar (README: "How people are evaluated"): periods end at midnight
    # in this time zone, and its public holidays are not working days.
    timezone: str = "Europe/London"
    holidays_country: str = Field(default="GB", min_length=2, max_length=3)
    holidays_subdivision: str | None = "ENG"

    # Integrations (README: "Integrations")
    jira_webhook_secret: SecretStr | None = None
    jira_sprint_field: str = "customfield_10020"
    github_webhook_secret: SecretStr | None = None
    github_production_branches: str = "main"
    github_deploy_signal: DeploySignal = Field(default="push")
    github_production_environments: str = "production"

    @property
    def allowed_host_names(self) -> frozenset[str]:
        return frozenset(name.lower() for name in _comma_list(self.allowed_hosts))

    @property
    def production_branches(self) -> frozenset[str]:
        return _comma_list(self.github_production_branches)

    @property
    def production_environments(self) -> frozenset[str]:
        return _comma_list(self.github_production_environments)

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Settings:
        if self.env is Environment.production:
            secret = self.jwt_secret.get_secret_value()
            if secret == DEVELOPMENT_JWT_SECRET or len(secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"GPS_JWT_SECRET must be set to a random value of at least {MIN_SECRET_BYTES} "
                    "bytes when GPS_ENV=production (for example: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        self._check_oidc()
        self._check_calendar()
        if not self.local_passwords and not self.oidc_enabled:
            raise ValueError("GPS_LOCAL_PASSWORDS=false needs GPS_OIDC_ISSUER: without an "
                             "external issuer nobody could sign in")
        if self.request_concurrency > self.database_pool_size + DATABASE_POOL_OVERFLOW:
            raise ValueError(
                "GPS_MAX_CONCURRENT_REQUESTS must be at most GPS_DATABASE_POOL_SIZE + "
                f"{DATABASE_POOL_OVERFLOW} ({self.database_pool_size + DATABASE_POOL_OVERFLOW}), "
                "so that every request being served can have a database connection")
        if self.bootstrap_admin_password is not None and \
                len(self.bootstrap_admin_password.get_secret_value()) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"GPS_BOOTSTRAP_ADMIN_PASSWORD must be at least "
                             f"{MIN_PASSWORD_LENGTH} characters")
        return self

    @property
    def request_concurrency(self) -> int:
        """How many requests a process serves at once (the rest wait their turn)."""
        if self.max_concurrent_requests is not None:
            return self.max_concurrent_requests
        return SQLITE_CONCURRENT_REQUESTS if self.is_sqlite else self.database_pool_size

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    def _check_oidc(self) -> None:
        if not self.oidc_issuer:
            if self.oidc_audience or self.oidc_jwks_url or self.oidc_jwks_file:
                raise ValueError("GPS_OIDC_ISSUER must be set when any other GPS_OIDC_* "
                                 "setting is")
            return
        if self.oidc_issuer == self.jwt_issuer:
            raise ValueError("GPS_OIDC_ISSUER must differ from GPS_JWT_ISSUER")
        if not self.oidc_audience:
            raise ValueError("GPS_OIDC_AUDIENCE must be set with GPS_OIDC_ISSUER")
        if bool(self.oidc_jwks_url) == bool(self.oidc_jwks_file):
            raise ValueError("set exactly one of GPS_OIDC_JWKS_URL and GPS_OIDC_JWKS_FILE with "
                             "GPS_OIDC_ISSUER")
        url = self.oidc_jwks_url or ""
        if url and not url.startswith(("https://", "http://")):
            raise ValueError("GPS_OIDC_JWKS_URL must be an https:// URL")
        if url.startswith("http://") and self.env is Environment.production:
            raise ValueError("GPS_OIDC_JWKS_URL must be an https:// URL when GPS_ENV=production")

    def _check_calendar(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"GPS_TIMEZONE {self.timezone!r} is not a time zone name (for "
                             "example Europe/London)") from None
        import holidays

        try:
            holidays.country_holidays(self.holidays_country,
                                      subdiv=self.holidays_subdivision or None)
        except NotImplementedError as exc:
            raise ValueError(f"GPS_HOLIDAYS_COUNTRY / GPS_HOLIDAYS_SUBDIVISION: {exc}") from None

    @property
    def sqlalchemy_url(self) -> str:
        return sqlalchemy_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        url = self.sqlalchemy_url
        if not url.startswith("sqlite:///") or url.endswith(":memory:"):
            return None
        return Path(url[len("sqlite:///") :])


def sqlalchemy_url(url: str) -> str:
    """Return a database URL with the psycopg 3 driver named for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
