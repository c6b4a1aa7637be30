"""`dutybot run` and `dutybot migrate` as an operator runs them: one clear line on failure.

Every run gets a clean copy of the environment (no TELEGRAM_* or DUTYBOT_* from this
machine) and runs in tmp_path, because the settings also come from a `.env` in the cwd.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer

DUTYBOT = Path(sys.executable).with_name("dutybot")
TIMEOUT = 30  # seconds; a failing start must not hang
TOKEN = "123456:CLI-TEST-TOKEN-0123456789abcdefghij"
WRONG_TOKEN = "999999:WRONG-TOKEN-abcdefghijklmnopqrstuvwxyz"


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DUTYBOT_"))}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    env.update(settings)
    return env


def dutybot(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DUTYBOT), *args], cwd=cwd, env=clean_env(**settings),
                          capture_output=True, text=True, timeout=TIMEOUT)


def closed_port() -> int:
    """A local port nothing listens on (free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lines(text: str) -> list[str]:
    return text.strip("\n").splitlines()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeTelegramServer]:
    api = FakeTelegram(token=TOKEN)
    srv = FakeTelegramServer(api).start()
    yield srv
    srv.stop()


# -- configuration refused before anything starts ---------------------------------------------


CONFIG_FAILURES = {
    "missing token": ({}, "TELEGRAM_BOT_TOKEN"),
    "admin ids not numbers": ({"DUTYBOT_ADMIN_IDS": "1,abc"}, "DUTYBOT_ADMIN_IDS"),
    "unknown time zone": ({"DUTYBOT_TIMEZONE": "Mars/Olympus"}, "DUTYBOT_TIMEZONE"),
    "db folder missing": ({"DUTYBOT_DB_PATH": "no/such/folder/bot.db"}, "DUTYBOT_DB_PATH"),
    "rules file missing": ({"DUTYBOT_RULES": "no-such-rules.toml"}, "DUTYBOT_RULES"),
    "rules file wrong": ({"DUTYBOT_RULES": "rules.toml"}, "第 2 行 reminders.lead_dayz"),
}


@pytest.mark.parametrize("case", list(CONFIG_FAILURES))
def test_run_refuses_bad_config_in_one_line(tmp_path: Path, case: str) -> None:
    overrides, setting = CONFIG_FAILURES[case]
    settings = {"TELEGRAM_BOT_TOKEN": TOKEN, "DUTYBOT_DB_PATH": str(tmp_path / "bot.db"),
                # nothing listens here: a config check that let the bot start would fail loud
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    settings.update(overrides)
    (tmp_path / "rules.toml").write_text("[reminders]\nlead_dayz = [3]\n", encoding="utf-8")
    if case == "missing token":
        del settings["TELEGRAM_BOT_TOKEN"]
    result = dutybot(tmp_path, "run", **settings)
    assert result.returncode != 0
    assert len(lines(result.stderr)) == 1, result.stderr
    assert setting in result.stderr
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr + result.stdout
    assert result.stdout == ""
    assert not (tmp_path / "bot.db").exists()  # refused before touching the database


def test_a_bad_setting_in_dotenv_is_reported_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DUTYBOT_TIMEZONE=Mars/Olympus\n", encoding="utf-8")
    result = dutybot(tmp_path, "migrate", DUTYBOT_DB_PATH=str(tmp_path / "bot.db"))
    assert result.returncode != 0
    assert lines(result.stderr) == ["dutybot: DUTYBOT_TIMEZONE 'Mars/Olympus' 不是已知的时区：请写成 Asia/Shanghai 这样的时区名"]


def test_migrate_refuses_a_missing_db_folder_in_one_line(tmp_path: Path) -> None:
    result = dutybot(tmp_path, "migrate", DUTYBOT_DB_PATH=str(tmp_path / "nope" / "bot.db"))
    assert result.returncode != 0
    assert len(lines(result.stderr)) == 1, result.stderr
    assert "DUTYBOT_DB_PATH" in result.stderr and "不存在" in result.stderr


# -- the Bot API refuses or cannot be reached -------------------------------------------------


@pytest.fixture(scope="module")
def wrong_token_run(server: FakeTelegramServer,
                    tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One `dutybot run` with a token the (fake) Bot API answers 401 to."""
    cwd = tmp_path_factory.mktemp("wrong-token")
    return dutybot(cwd, "run", TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
                   TELEGRAM_API_BASE_URL=server.root, DUTYBOT_DB_PATH=str(cwd / "bot.db"))


@pytest.fixture(scope="module")
def unreachable_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    cwd = tmp_path_factory.mktemp("unreachable")
    return dutybot(cwd, "run", TELEGRAM_BOT_TOKEN=TOKEN,
                   TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{closed_port()}",
                   DUTYBOT_DB_PATH=str(cwd / "bot.db"))


def test_wrong_token_exits_non_zero_with_a_clear_last_line(wrong_token_run) -> None:
    assert wrong_token_run.returncode != 0
    last = lines(wrong_token_run.stderr)[-1]
    assert last.startswith("dutybot: Bot API（http://127.0.0.1:")
    assert "拒绝了 TELEGRAM_BOT_TOKEN" in last and last.endswith("TELEGRAM_API_BASE_URL 是否正确。")


def test_wrong_token_prints_exactly_one_line(wrong_token_run) -> None:
    assert len(lines(wrong_token_run.stderr)) == 1, wrong_token_run.stderr


def test_wrong_token_is_never_printed(wrong_token_run) -> None:
    assert WRONG_TOKEN not in wrong_token_run.stderr + wrong_token_run.stdout


def test_unreachable_api_exits_non_zero_with_a_clear_last_line(unreachable_run) -> None:
    assert unreachable_run.returncode != 0
    assert lines(unreachable_run.stderr)[-1].startswith("dutybot: 连不上 Bot API（http://127.0.0.1:")
    assert TOKEN not in unreachable_run.stderr + unreachable_run.stdout


def test_unreachable_api_prints_exactly_one_line(unreachable_run) -> None:
    assert len(lines(unreachable_run.stderr)) == 1, unreachable_run.stderr


# -- migrate ----------------------------------------------------------------------------------


def test_migrate_applies_then_reports_up_to_date(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    first = dutybot(tmp_path, "migrate", DUTYBOT_DB_PATH=str(db))
    assert first.returncode == 0, first.stderr
    assert len(lines(first.stdout)) == 1, first.stdout
    assert re.fullmatch(rf"{re.escape(str(db))}：已执行数据库迁移 \[1(, \d+)*\]，结构已是最新。",
                        lines(first.stdout)[0]), first.stdout
    assert first.stderr == "" and db.exists()
    second = dutybot(tmp_path, "migrate", DUTYBOT_DB_PATH=str(db))
    assert second.returncode == 0, second.stderr
    assert lines(second.stdout) == [f"{db}：数据库结构已是最新，没有改动。"]
    assert second.stderr == ""


def test_log_lines_and_tracebacks_never_show_the_token() -> None:
    import io
    import logging

    from bot.cli import setup_logging

    token = "424242:SECRET-token"
    setup_logging(token)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    try:
        raise RuntimeError(f"The token `{token}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("request to /bot%s/getMe failed", token)
    output = stream.getvalue()
    assert "getMe failed" in output and "was rejected" in output
    assert token not in output and "<token>" in output
