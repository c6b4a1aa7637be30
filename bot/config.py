"""Configuration from the environment or `.env`, validated once at start-up."""

from __future__ import annotations

import os
import re
from datetime import time
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
# setWebhook's secret_token: 1–256 of these, sent back by Telegram in every request
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# a bot's @username: letters, digits and _, 5 to 32 of them, ending in "bot"
BOT_USERNAME_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]")
WEBHOOK_PORTS = (443, 80, 88, 8443)  # the only ports Telegram posts to
DEFAULT_LISTEN = "127.0.0.1:8443"


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
    # the daily backup `dutybot run` takes (bot/services/backups.py): where, when, how many
    backup_dir: Path | None = Field(default=None, alias="DUTYBOT_BACKUP_DIR")
    backup_time: str = Field(default="02:30", alias="DUTYBOT_BACKUP_TIME")
    backup_keep_daily: int = Field(default=7, ge=1, le=366, alias="DUTYBOT_BACKUP_KEEP_DAILY")
    backup_keep_weekly: int = Field(default=4, ge=0, le=520, alias="DUTYBOT_BACKUP_KEEP_WEEKLY")
    # webhook mode (issue 23): the public https address Telegram posts to, the address the
    # reverse proxy passes it on to, and the secret token (none: made once, kept in the db)
    webhook_url: str | None = Field(default=None, alias="DUTYBOT_WEBHOOK_URL")
    listen: str = Field(default=DEFAULT_LISTEN, alias="DUTYBOT_LISTEN")
    webhook_secret: SecretStr | None = Field(default=None, alias="DUTYBOT_WEBHOOK_SECRET")
    # the bot's @username, for invite links printed without a token (`dutybot invite`,
    # `dutybot import`); unset: one getMe when a token is set
    bot_username: str | None = Field(default=None, alias="DUTYBOT_BOT_USERNAME")
    # the 纪委 看板 (issue 24 §3): where its web server listens (off when unset), and the
    # public base URL its one-time login links are built from (the reverse proxy's address)
    board_listen: str | None = Field(default=None, alias="DUTYBOT_BOARD_LISTEN")
    board_url: str | None = Field(default=None, alias="DUTYBOT_BOARD_URL")
    # several `run` processes on one PostgreSQL (issue 23): how long a process's claim on an
    # update or a message holds unless renewed (a killed process's claims run out after it)
    worker_lease: float = Field(default=30.0, ge=1.0, le=3600.0, alias="DUTYBOT_WORKER_LEASE")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError(
                    f"应为 Telegram 用户 ID（数字），多个用英文逗号分隔，如 123456789,987654321；"
                    f"现为 {value!r}"
                ) from exc
        return value

    @field_validator("backup_time")
    @classmethod
    def _check_backup_time(cls, value: str) -> str:
        match = re.fullmatch(r"\s*([01]?[0-9]|2[0-3])[:：]([0-5][0-9])\s*", value)
        if match is None:
            raise ValueError(f"应为办公时区的时:分（如 02:30），现为 {value!r}")
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"DUTYBOT_TIMEZONE {value!r} 不是已知的时区：请写成 Asia/Shanghai "
                             "这样的时区名") from exc
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

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip()
        if _TOKEN_INSIDE.search(url):
            raise ValueError("网址里不要带机器人令牌（任何能看到访问日志的人都会看到它）；"
                             "请求由 DUTYBOT_WEBHOOK_SECRET 的密钥验证")
        if not url.startswith("https://"):
            raise ValueError(f"必须以 https:// 开头（Telegram 只向 HTTPS 地址推送），现为 {url!r}")
        if _BAD_URL_CHARS.search(url) or not url.isascii():
            raise ValueError(f"含有空格、控制字符、全角或网址中不允许的字符：{url!r}")
        parts = urlsplit(url)
        try:
            port = parts.port or 443
        except ValueError:
            raise ValueError(f"端口不对：{url!r}") from None
        if not parts.hostname:
            raise ValueError(f"缺少服务器地址（主机名）：{url!r}")
        if port not in WEBHOOK_PORTS:
            raise ValueError(f"Telegram 只向 443、80、88 或 8443 端口推送，现为 {port}")
        if parts.fragment or "#" in url:
            raise ValueError(f"不能带 # 之后的部分：{url!r}")
        return url

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        host, port = _split_listen(value)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @field_validator("board_listen")
    @classmethod
    def _check_board_listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host, port = _split_listen(value)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @field_validator("board_url")
    @classmethod
    def _check_board_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"必须以 https:// 或 http:// 开头（如 https://dutybot.example.gov.cn/board），"
                             f"现为 {url!r}")
        if _BAD_URL_CHARS.search(url) or not url.isascii():
            raise ValueError(f"含有空格、控制字符、全角或网址中不允许的字符：{url!r}")
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked)
        except ValueError:
            raise ValueError(f"端口不对（应为 1–65535 的数字）：{url!r}") from None
        if not parts.hostname:
            raise ValueError(f"缺少服务器地址（主机名或 IP）：{url!r}")
        if parts.query or parts.fragment or "?" in url or "#" in url:
            raise ValueError(f"不能带 ? 或 # 之后的部分：{url!r}")
        return url

    @property
    def board_address(self) -> tuple[str, int] | None:
        """(host, port) the 看板 binds, or None: no board."""
        return _split_listen(self.board_listen) if self.board_listen else None

    @property
    def board_path(self) -> str:
        """The path the board's pages live under (the base URL's path, '' for the root)."""
        return urlsplit(self.board_url or "").path.rstrip("/")

    @property
    def board_hosts(self) -> frozenset[str]:
        """The Host headers the board answers: the base URL's host (with its port, and
        without it when it is the scheme's default), else the listen address itself."""
        if self.board_url:
            parts = urlsplit(self.board_url)
            host = (parts.hostname or "").lower()
            shown = f"[{host}]" if ":" in host else host
            default = 443 if parts.scheme == "https" else 80
            port = parts.port or default
            names = {f"{shown}:{port}"}
            if port == default:
                names.add(shown)
            return frozenset(names)
        if self.board_listen:
            host, port = _split_listen(self.board_listen)
            return frozenset({f"{host}:{port}", f"localhost:{port}"})
        return frozenset()

    @property
    def board_secure(self) -> bool:
        return (self.board_url or "").startswith("https://")

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError("应为 1–256 个字母、数字、_ 或 -"
                             "（Telegram 的 secret_token 只接受这些）")
        return value

    @field_validator("bot_username")
    @classmethod
    def _check_bot_username(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        name = value.strip().removeprefix("@")
        if not BOT_USERNAME_SHAPE.fullmatch(name):
            raise ValueError(f"应为机器人的用户名（@BotFather 给出的 5–32 个字母、数字或 _，"
                             f"以 bot 结尾，如 dutybot_office_bot），现为 {value!r}")
        return name

    @property
    def listen_address(self) -> tuple[str, int]:
        """(host, port) the webhook server binds (port 0: any free one)."""
        return _split_listen(self.listen)

    @property
    def webhook_path(self) -> str:
        """The path of the webhook URL: what the reverse proxy passes on unchanged."""
        return urlsplit(self.webhook_url or "").path or "/"
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
    def backup_folder(self) -> Path:
        """Where the daily backups go: DUTYBOT_BACKUP_DIR, else `backups/` beside the
        database."""
        return self.backup_dir or self.db_path.absolute().parent / "backups"

    @property
    def backup_at(self) -> time:
        hour, minute = self.backup_time.split(":")
        return time(int(hour), int(minute))

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
            raise ConfigError("没有设置 TELEGRAM_BOT_TOKEN：请向 @BotFather 申请机器人令牌，"
                              "写在 .env 或环境变量 TELEGRAM_BOT_TOKEN 里")
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
            raise ConfigError(f"DUTYBOT_DB_PATH: 文件夹 {folder} 不存在：请先建好，"
                              "或把 DUTYBOT_DB_PATH 改到已有的文件夹")
        target = self.db_path if self.db_path.exists() else folder
        if not os.access(target, os.W_OK):
            raise ConfigError(f"DUTYBOT_DB_PATH: {self.db_path} 没有写入权限：请换一个位置，"
                              "或用有权限的用户运行")


def _split_listen(value: str) -> tuple[str, int]:
    """`127.0.0.1:8443`, `[::1]:8443` or `:8443` (every address): (host, port)."""
    text = value.strip()
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]") if host.startswith("[") else host
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"应为“地址:端口”，如 127.0.0.1:8443，现为 {value!r}")
    if _BAD_URL_CHARS.search(host) or "/" in host:
        raise ValueError(f"地址不对（应为 IP 或主机名，如 127.0.0.1）：{value!r}")
    return host or "0.0.0.0", int(port)


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; any problem becomes one ConfigError line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _env_name(first)
        message = _in_words(first)
        raise ConfigError(f"{name}: {message}" if name not in message else message) from None


# pydantic's own refusals of a setting's type or range, in the console's words
_REFUSALS = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "bool_parsing": "应为 true 或 false（也可写 1/0、yes/no、on/off）",
    "path_type": "应为文件路径",
    "string_type": "应为文字",
}


def _in_words(error: dict) -> str:
    """One refusal in Chinese: our validators' own words, or pydantic's type and range
    checks by their kind, with the value given."""
    if error.get("type") == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    text = _REFUSALS.get(str(error.get("type")))
    if text is None:
        return str(error["msg"])
    text = text.format(**(error.get("ctx") or {}))
    given = error.get("input")
    return f"{text}，现为 {given!r}" if isinstance(given, str | int | float) else text


def _env_name(error: dict) -> str:
    loc = error.get("loc") or ("?",)
    field = str(loc[0])
    info = Settings.model_fields.get(field)
    return (info.alias if info and info.alias else field).upper()
