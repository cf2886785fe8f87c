"""Headway's one settings object, read from the environment (and `.env`).

Built by `load_settings()`, never at import time, so tests and the CLI can each build their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.outbound import parse_allow_list

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///headway.db"


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True, frozen=True)

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(DEFAULT_API_URL, validation_alias="SLACK_API_URL")
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HEADWAY_HOST"))
    port: int = Field(3000, ge=0, le=65535, validation_alias=AliasChoices("HEADWAY_PORT"))
    lifecycle_file: Path | None = Field(None, validation_alias="HEADWAY_LIFECYCLE")
    templates_dir: Path | None = Field(None, validation_alias="HEADWAY_TEMPLATES_DIR")
    scheduler_enabled: bool = Field(True, validation_alias="HEADWAY_SCHEDULER")
    slack_timeout_seconds: float = Field(10.0, gt=0, le=60, validation_alias="HEADWAY_SLACK_TIMEOUT_SECONDS")
    gate_stall_weeks: int = Field(4, ge=1, le=52, validation_alias="HEADWAY_GATE_STALL_WEEKS")
    public_url: str | None = Field(None, validation_alias="HEADWAY_PUBLIC_URL")
    slack_messages_per_second: float = Field(5.0, gt=0, le=1000, validation_alias="HEADWAY_SLACK_MESSAGES_PER_SECOND")
    slack_messages_burst: int = Field(20, ge=1, le=10000, validation_alias="HEADWAY_SLACK_MESSAGES_BURST")
    # Every pace (tiers, per-channel, the workspace budget) times this: for an emulator run with its limits scaled by
    # the same factor (the demo, tests whose subject is not pacing). 1 against real Slack.
    slack_pace_scale: float = Field(1.0, ge=1, le=1000, validation_alias="HEADWAY_SLACK_PACE_SCALE")
    blocker_escalate_days: int = Field(3, ge=1, le=60, validation_alias="HEADWAY_BLOCKER_ESCALATE_DAYS")
    outbox_lease_seconds: int = Field(60, ge=1, le=3600, validation_alias="HEADWAY_OUTBOX_LEASE_SECONDS")
    outbound_allow: str = Field("", validation_alias="HEADWAY_OUTBOUND_ALLOW")
    backlog_max_queued: int = Field(256, ge=0, le=100_000, validation_alias="HEADWAY_BACKLOG_MAX_QUEUED")
    backlog_max_delay_seconds: float = Field(1.0, gt=0, le=2.5, validation_alias="HEADWAY_BACKLOG_MAX_DELAY_SECONDS")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", validation_alias="HEADWAY_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field("text", validation_alias="HEADWAY_LOG_FORMAT")
    # "Add to Slack" for many workspaces (bot/oauth.py); Bolt's names for the app's credentials
    slack_client_id: str | None = Field(None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, validation_alias="SLACK_CLIENT_SECRET")
    slack_authorization_url: str = Field("https://slack.com/oauth/v2/authorize",
                                         validation_alias="SLACK_AUTHORIZATION_URL")
    token_rotation_minutes: int = Field(120, ge=1, le=720, validation_alias="HEADWAY_TOKEN_ROTATION_MINUTES")
    retention_days_after_uninstall: int = Field(30, ge=0, le=3650,
                                                validation_alias="HEADWAY_RETENTION_DAYS_AFTER_UNINSTALL")

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("slack_authorization_url")
    @classmethod
    def _authorization_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/oauth/v2/authorize")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        # slack_sdk joins method names onto base_url: without the trailing slash calls go astray.
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("outbound_allow")
    @classmethod
    def _outbound_allow(cls, value: str) -> str:
        parse_allow_list(value)  # ValueError names the entry
        return value

    @field_validator("lifecycle_file")
    @classmethod
    def _lifecycle_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file not found: {value}")
        return value

    @field_validator("templates_dir")
    @classmethod
    def _templates_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"directory not found: {value}")
        return value

    @property
    def base_url(self) -> str:
        """Where people and pipelines reach this Headway (for links in messages)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def oauth_enabled(self) -> bool:
        """Many workspaces installed with "Add to Slack" instead of one SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id and self.slack_client_secret
                    and self.slack_client_secret.get_secret_value().strip())

    @property
    def oauth_redirect_url(self) -> str:
        return f"{self.base_url}/slack/oauth_redirect"

    def require_slack(self, *, socket_mode: bool = False) -> None:
        """Serving needs credentials that migrating or the demo do not."""
        if self.oauth_enabled:
            return self._require_oauth(socket_mode=socket_mode)
        if self.slack_client_id or self.slack_client_secret:
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_id else "SLACK_CLIENT_ID"
            raise ConfigError(f"{missing} is not set: {_HINTS[missing]}")
        needed = {"SLACK_BOT_TOKEN": self.slack_bot_token}
        if socket_mode:
            needed["SLACK_APP_TOKEN"] = self.slack_app_token
        else:
            needed["SLACK_SIGNING_SECRET"] = self.slack_signing_secret
        for name, value in needed.items():
            if value is None or not value.get_secret_value().strip():
                raise ConfigError(f"{name} is not set: {_HINTS[name]}")
        token = self.slack_bot_token.get_secret_value()  # type: ignore[union-attr]
        if not token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN is invalid: a bot token starts with xoxb-")
        if socket_mode and not self.slack_app_token.get_secret_value().startswith("xapp-"):  # type: ignore[union-attr]
            raise ConfigError("SLACK_APP_TOKEN is invalid: an app-level token starts with xapp-")


    def _require_oauth(self, *, socket_mode: bool) -> None:
        if socket_mode:
            raise ConfigError("SLACK_CLIENT_ID is set: \"Add to Slack\" needs HTTP (its redirect URL), not Socket "
                              "Mode; unset SLACK_CLIENT_ID/SLACK_CLIENT_SECRET or serve without --socket")
        if self.slack_signing_secret is None or not self.slack_signing_secret.get_secret_value().strip():
            raise ConfigError(f"SLACK_SIGNING_SECRET is not set: {_HINTS['SLACK_SIGNING_SECRET']}")
        if not self.public_url:
            raise ConfigError("HEADWAY_PUBLIC_URL is not set: \"Add to Slack\" redirects people back to "
                              "HEADWAY_PUBLIC_URL/slack/oauth_redirect, so Headway must know its public address")


_HINTS = {
    "SLACK_CLIENT_ID": "copy the Client ID from your app's Basic Information page",
    "SLACK_CLIENT_SECRET": "copy the Client Secret from your app's Basic Information page",
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "copy the Signing Secret from your app's Basic Information page",
    "SLACK_APP_TOKEN": "create an app-level token (xapp-…) with connections:write for Socket Mode",
}


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, sqlite:///x.db) and pick the async driver."""
    url = url.strip()
    for prefix, replacement in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return replacement + url[len(prefix):]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ValueError("must be a PostgreSQL (postgresql://…) or SQLite (sqlite:///file.db) URL")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; raise ConfigError naming the variable on bad input."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        info = Settings.model_fields.get(field)
        alias = info.validation_alias if info else None
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]
        name = alias if isinstance(alias, str) else field
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{name} is invalid: {message}")
    return "; ".join(problems)
