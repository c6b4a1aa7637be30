"""bot.config.load_settings: validated once, every problem one ConfigError line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import DEFAULT_API_ROOT, ConfigError, load_settings

TOKEN = "123456:AAH-very-secret-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No TELEGRAM_*/DUTYBOT_* from the outside, no .env from the working folder."""
    for key in list(os.environ):
        if key.upper().startswith(("TELEGRAM_", "DUTYBOT_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def config_error(**overrides: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(**overrides)
    message = str(info.value)
    assert "\n" not in message, f"not one line: {message!r}"
    return message


def test_defaults():
    s = load_settings()
    assert s.telegram_bot_token is None
    assert s.telegram_api_base_url == DEFAULT_API_ROOT
    assert s.api_url == "https://api.telegram.org/bot"
    assert s.file_url == "https://api.telegram.org/file/bot"
    assert s.timezone == "Asia/Shanghai"
    assert s.tz.key == "Asia/Shanghai"
    assert s.admin_ids == frozenset()
    assert s.db_path == Path("dutybot.db")
    assert s.invite_days == 7


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("1, 2", {1, 2}),
        ("1,2", {1, 2}),
        ("1 2", {1, 2}),
        (" 1 ,  2 ,3 ", {1, 2, 3}),
        ("1;2", {1, 2}),
        ("42", {42}),
        ("1,,2,", {1, 2}),
        ("", set()),
        ("7, 7", {7}),
    ],
)
def test_admin_ids_separated_by_commas_or_spaces(raw, ids):
    assert load_settings(DUTYBOT_ADMIN_IDS=raw).admin_ids == frozenset(ids)


def test_admin_ids_from_the_environment(monkeypatch):
    monkeypatch.setenv("DUTYBOT_ADMIN_IDS", "5, 6")
    assert load_settings().admin_ids == frozenset({5, 6})


def test_settings_read_from_env_file_in_working_folder(tmp_path):
    (tmp_path / ".env").write_text("DUTYBOT_ADMIN_IDS=8 9\nDUTYBOT_TIMEZONE=UTC\n", encoding="utf-8")
    s = load_settings()
    assert s.admin_ids == frozenset({8, 9})
    assert s.timezone == "UTC"


@pytest.mark.parametrize("raw", ["1, x", "abc", "1.5", "@admin"])
def test_bad_admin_ids_are_one_line_naming_the_setting(raw):
    message = config_error(DUTYBOT_ADMIN_IDS=raw)
    assert "DUTYBOT_ADMIN_IDS" in message
    assert message.count("DUTYBOT_ADMIN_IDS") == 1


def test_bad_admin_ids_from_the_environment(monkeypatch):
    monkeypatch.setenv("DUTYBOT_ADMIN_IDS", "one,two")
    assert "DUTYBOT_ADMIN_IDS" in config_error()


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "Europe/Berlin"])
def test_known_time_zones_are_accepted(tz):
    assert load_settings(DUTYBOT_TIMEZONE=tz).tz.key == tz


@pytest.mark.parametrize("tz", ["Mars/Base", "Asia/Beijing", "", "../etc/passwd"])
def test_bad_timezone_is_one_line_naming_the_setting(tz):
    message = config_error(DUTYBOT_TIMEZONE=tz)
    assert "DUTYBOT_TIMEZONE" in message


@pytest.mark.parametrize(
    "raw",
    [
        "http://127.0.0.1:8081",
        "http://127.0.0.1:8081/",
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/bot/",
        "  http://127.0.0.1:8081/  ",
    ],
)
def test_api_base_url_root_handling(raw):
    s = load_settings(TELEGRAM_API_BASE_URL=raw)
    assert s.telegram_api_base_url == "http://127.0.0.1:8081"
    assert s.api_url == "http://127.0.0.1:8081/bot"
    assert s.file_url == "http://127.0.0.1:8081/file/bot"


def test_https_base_url_with_a_path_prefix_is_kept():
    s = load_settings(TELEGRAM_API_BASE_URL="https://proxy.example.org/telegram/bot")
    assert s.api_url == "https://proxy.example.org/telegram/bot"
    assert s.file_url == "https://proxy.example.org/telegram/file/bot"


@pytest.mark.parametrize("raw", ["ftp://127.0.0.1:8081", "127.0.0.1:8081", "api.telegram.org", ""])
def test_non_http_base_url_is_refused(raw):
    message = config_error(TELEGRAM_API_BASE_URL=raw)
    assert "TELEGRAM_API_BASE_URL" in message


def test_invite_days_out_of_range_names_the_setting():
    assert "DUTYBOT_INVITE_DAYS" in config_error(DUTYBOT_INVITE_DAYS="0")
    assert "DUTYBOT_INVITE_DAYS" in config_error(DUTYBOT_INVITE_DAYS="many")


def test_require_token_without_token_raises_config_error():
    s = load_settings()
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        s.require_token()


def test_require_token_with_empty_token_raises_config_error():
    s = load_settings(TELEGRAM_BOT_TOKEN="")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        s.require_token()


def test_require_token_returns_the_token():
    assert load_settings(TELEGRAM_BOT_TOKEN=TOKEN).require_token() == TOKEN


def test_token_from_the_environment(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert load_settings().require_token() == TOKEN


def test_repr_and_str_never_show_the_token():
    s = load_settings(TELEGRAM_BOT_TOKEN=TOKEN)
    for text in (repr(s), str(s), repr(s.telegram_bot_token), str(s.telegram_bot_token),
                 s.model_dump_json()):
        assert TOKEN not in text
        assert "very-secret" not in text


def test_config_error_does_not_echo_the_token():
    with pytest.raises(ConfigError) as info:
        load_settings(TELEGRAM_BOT_TOKEN=TOKEN, DUTYBOT_TIMEZONE="Mars/Base")
    assert TOKEN not in str(info.value)


def test_check_db_writable_refuses_a_missing_folder(tmp_path):
    s = load_settings(DUTYBOT_DB_PATH=tmp_path / "no-such-folder" / "bot.db")
    with pytest.raises(ConfigError, match="DUTYBOT_DB_PATH"):
        s.check_db_writable()


def test_check_db_writable_accepts_a_writable_folder(tmp_path):
    load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db").check_db_writable()


# -- malformed values are refused before any network call (issue 20, item 8) -----------------


@pytest.mark.parametrize("raw", [
    "123456:short",  # cut off when copied
    "123456:AAH-very-secret-token-0123456789abcdef ",  # a trailing space
    " 123456:AAH-very-secret-token-0123456789abcdef",
    "'123456:AAH-very-secret-token-0123456789abcdef'",  # quoted twice
    "123456 AAH-very-secret-token-0123456789abcdef",
    "bot123456:AAH-very-secret-token-0123456789abcdef",
    ":AAH-very-secret-token-0123456789abcdef",
    "١٢٣:AAH-very-secret-token-0123456789abcdef",  # digits, but not ASCII ones
    "123456:AAH-very-secret-token-0123456789abcdé",
    "123456:AAH-very-secret/token-0123456789abcdef",
])
def test_a_malformed_token_is_refused_in_one_line_that_never_repeats_it(raw):
    s = load_settings(TELEGRAM_BOT_TOKEN=raw)
    with pytest.raises(ConfigError) as info:
        s.require_token()
    message = str(info.value)
    assert message.startswith("TELEGRAM_BOT_TOKEN 格式不对") and "\n" not in message
    assert raw.strip(" '") not in message and "very-secret" not in message


@pytest.mark.parametrize(("raw", "reason"), [
    ("http://", "缺少服务器地址"),
    ("https://:8081", "缺少服务器地址"),
    ("http://127.0.0.1 :8081", "含有空格"),
    ("http://exa mple.org", "含有空格"),
    ("http://127.0.0.1:8081\x00", "控制字符"),
    ("http://127.0.0.1\u3000:8081", "含有空格"),  # a full-width space
    ("http://127.0.0.1：8081", "非 ASCII"),
    ("http://127.0.0.1:99999", "端口不对"),
    ("http://127.0.0.1:80a", "端口不对"),
    ("http://127.0.0.1:8081/?proxy=1", "不能带 ? 或 #"),
    ("http://127.0.0.1:8081#top", "不能带 ? 或 #"),
    ("mailto:ops@example.org", "必须以 http:// 或 https:// 开头"),
    ("HTTPS//api.telegram.org", "必须以 http:// 或 https:// 开头"),
])
def test_an_invalid_base_url_is_refused_in_one_chinese_line(raw, reason):
    message = config_error(TELEGRAM_API_BASE_URL=raw)
    assert message.startswith("TELEGRAM_API_BASE_URL: ") and reason in message


def test_a_base_url_carrying_the_token_is_refused_without_echoing_it():
    raw = f"https://api.telegram.org/bot{TOKEN}/getMe"
    message = config_error(TELEGRAM_API_BASE_URL=raw)
    assert "不要带令牌" in message and TOKEN not in message and "very-secret" not in message


@pytest.mark.parametrize("raw", ["https://api.telegram.org", "http://[::1]:8081",
                                 "http://bot-api.internal:8081/", "https://xn--fiqs8s.example/tg"])
def test_good_base_urls_still_pass(raw):
    assert load_settings(TELEGRAM_API_BASE_URL=raw).telegram_api_base_url == raw.rstrip("/")
