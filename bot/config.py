"""Configuration from the environment or `.env`, validated once at start-up."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_ROOT = "https://api.telegram.org"
# What @BotFather hands out: the bot's id, a colon, and a secret of 35 characters today
TOKEN_SHAPE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,200}")
_TOKEN_INSIDE = re.compile(r"[0-9]{3,20}:[A-Za-z0-9_-]{30,}")
_BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")


class ConfigError(Exception):
    """A bad or missing setting; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default=DEFAULT_API_ROOT, alias="TELEGRAM_API_BASE_URL")
    db_path: Path = Field(default=Path("dutybot.db"), alias="DUTYBOT_DB_PATH")
    # PostgreSQL instead of the SQLite file (issue 23): postgresql://user:password@host/db
    database_url: str | None = Field(default=None, alias="DUTYBOT_DATABASE_URL")
    timezone: str = Field(default="Asia/Shanghai", alias="DUTYBOT_TIMEZONE")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="DUTYBOT_ADMIN_IDS"
    )
    rules: Path | None = Field(default=None, alias="DUTYBOT_RULES")
    invite_days: int = Field(default=7, ge=1, le=365, alias="DUTYBOT_INVITE_DAYS")
    # 保密 mode: pushes to office group robots carry codes, statuses and dates only
    confidential: bool = Field(default=False, alias="DUTYBOT_CONFIDENTIAL")

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
        """The Bot API server's root, checked before anything is sent to it."""
        root = value.strip().rstrip("/")
        root = root.removesuffix("/bot")
        if _TOKEN_INSIDE.search(root):  # the whole method URL pasted: never echo it
            raise ValueError("只填 Bot API 服务器的根地址（如 https://api.telegram.org），"
                             "不要带令牌；令牌写在 TELEGRAM_BOT_TOKEN 里")
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError(f"必须以 http:// 或 https:// 开头（如 https://api.telegram.org 或 "
                             f"http://127.0.0.1:8081），现为 {value!r}")
        if _BAD_URL_CHARS.search(root):
            raise ValueError(f"含有空格、控制字符或网址中不允许的字符：{value!r}")
        if not root.isascii():
            raise ValueError(f"含有全角符号或其他非 ASCII 字符（中文域名请写成 xn-- 形式）："
                             f"{value!r}")
        parts = urlsplit(root)
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked)
        except ValueError:
            raise ValueError(f"端口不对（应为 1–65535 的数字）：{value!r}") from None
        if not parts.hostname:
            raise ValueError(f"缺少服务器地址（主机名或 IP）：{value!r}")
        if parts.query or parts.fragment or "?" in root or "#" in root:
            raise ValueError(f"不能带 ? 或 # 之后的部分，只填服务器的根地址：{value!r}")
        return root

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("只支持 PostgreSQL，应以 postgresql:// 开头"
                             "（如 postgresql://dutybot:密码@127.0.0.1:5432/dutybot）；"
                             "用 SQLite 时不要设置它，改用 DUTYBOT_DB_PATH")
        return value

    @property
    def database(self) -> str | Path:
        """What `Database.open` takes: the PostgreSQL URL when one is set, else the file."""
        return self.database_url or self.db_path

    @property
    def database_name(self) -> str:
        """The database as a log or an answer names it (never with a password)."""
        if self.database_url is None:
            return str(self.db_path)
        parts = urlsplit(self.database_url)
        if parts.password is None:
            return self.database_url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

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

    def has_token(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_bot_token.get_secret_value())

    def require_token(self) -> str:
        """The token, refused before any network call unless it has Telegram's shape (the
        refusal never repeats the token)."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather")
        token = self.telegram_bot_token.get_secret_value()
        if not TOKEN_SHAPE.fullmatch(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN 格式不对：应为 @BotFather 给出的“数字:字符串”"
                "（如 123456789:AAF…，冒号后至少 30 位字母、数字、_ 或 -），"
                "请检查是否复制完整、有无多余的空格或引号")
        return token

    def check_db_writable(self) -> None:
        if self.database_url is not None:  # the server says, when connected
            return
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
