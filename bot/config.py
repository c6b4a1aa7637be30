"""Configuration from the environment or `.env`, validated once at start-up."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_ROOT = "https://api.telegram.org"


class ConfigError(Exception):
    """A bad or missing setting; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default=DEFAULT_API_ROOT, alias="TELEGRAM_API_BASE_URL")
    db_path: Path = Field(default=Path("dutybot.db"), alias="DUTYBOT_DB_PATH")
    timezone: str = Field(default="Asia/Shanghai", alias="DUTYBOT_TIMEZONE")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="DUTYBOT_ADMIN_IDS"
    )
    rules: Path | None = Field(default=None, alias="DUTYBOT_RULES")
    invite_days: int = Field(default=7, ge=1, le=365, alias="DUTYBOT_INVITE_DAYS")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError(
                    f"DUTYBOT_ADMIN_IDS must be Telegram user ids separated by commas, "
                    f"got {value!r}"
                ) from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"DUTYBOT_TIMEZONE {value!r} is not a known time zone") from exc
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        root = value.strip().rstrip("/")
        root = root.removesuffix("/bot")
        if not root.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return root

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def api_url(self) -> str:
        """What PTB appends the token to: `<root>/bot`."""
        return f"{self.telegram_api_base_url}/bot"

    @property
    def file_url(self) -> str:
        return f"{self.telegram_api_base_url}/file/bot"

    def require_token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather")
        return self.telegram_bot_token.get_secret_value()

    def check_db_writable(self) -> None:
        folder = self.db_path.resolve().parent
        if not folder.is_dir():
            raise ConfigError(f"DUTYBOT_DB_PATH: folder {folder} does not exist")
        target = self.db_path if self.db_path.exists() else folder
        if not os.access(target, os.W_OK):
            raise ConfigError(f"DUTYBOT_DB_PATH: {self.db_path} is not writable")


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; any problem becomes one ConfigError line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _env_name(first)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}" if name not in message else message) from None


def _env_name(error: dict) -> str:
    loc = error.get("loc") or ("?",)
    field = str(loc[0])
    info = Settings.model_fields.get(field)
    return (info.alias if info and info.alias else field).upper()
