"""`dutybot run` as its own process against the fake Bot API over HTTP on 127.0.0.1:
starting, stopping, killing it, and waiting for what users would see. Shared by the
process tests and the kill sweep (tests/kill_sweep.py, bench/kill_sweep.py).

Different chats are served at once, so an answer in one chat proves nothing about
another: `settle()` waits until the inbox holds nothing unhandled and no answer is
waiting to be sent (read from the database), after a sentinel's /help has come back.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.fake_telegram import FakeTelegram, User
from bot.fake_telegram.api import CallbackAnswer, Chat, Sent
from bot.fake_telegram.server import FakeTelegramServer
from bot.services import errors as e
from messages.common import unregistered_group
from messages.refusals import refusal
from storage.inbox import inbox_path

DUTYBOT = Path(sys.executable).with_name("dutybot")
DEADLINE = 15.0  # seconds to wait for anything the bot should do
ADMIN_ID = 1
SENTINEL_ID = 990_001

# What users read, taken from messages/ (the one source of the texts); the tests also
# check a few words of each, so a reply that says something else entirely still fails.
UNREGISTERED_GROUP = unregistered_group()
STALE_BUTTON = refusal(e.StaleButton())
NOT_YOURS = refusal(e.NotYours())
NOT_BOUND_TOAST = refusal(e.NotBound())
INVITE_USED = refusal(e.InviteInvalid("used"))
ALREADY_BOUND_LI = refusal(e.AlreadyBound("李明"))
BIND_GROUP_REFUSED = refusal(e.NotAllowed("bind_group"))
NO_ITEMS = "目前没有清单事项。"
_SNAPSHOT_TABLES = ("units", "persons", "person_roles", "person_oversight", "invites",
                    "groups", "items", "events", "conversations")


# The process runs on the real clock: without this, its planning tick would add the
# yearly obligations of the people a test registers, in the middle of the test.
OBLIGATION_KEYS = ("annual_principal_report", "annual_supervision_report",
                   "accountability_statement", "written_accountability_statement",
                   "integrity_talk_secretary", "integrity_talk_members", "cascade_talk",
                   "accountability_quarterly", "typical_cases_bimonthly",
                   "democratic_life_meeting_report", "annual_work_plan", "annual_lists_members")
# nothing the clock makes by itself: no obligations, no weekly summary
NO_OBLIGATIONS = '[summary]\nweekday = ""\n\n' + "".join(
    f'[[obligation]]\nkey = "{k}"\nenabled = false\n\n' for k in OBLIGATION_KEYS)


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without any bot settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DUTYBOT_"))}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def db_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row that matters (not processed_updates): equal = nothing changed."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                for t in _SNAPSHOT_TABLES}


def unfinished(path: Path) -> int:
    """Updates stored in the inbox (its own file) and not handled, and answers queued and
    not sent."""
    box = inbox_path(path)
    if not box.exists():
        return 0
    with closing(sqlite3.connect(f"file:{box}?mode=ro", uri=True, timeout=5)) as conn:
        stored = [r[0] for r in conn.execute("SELECT update_id FROM inbox WHERE done = 0")]
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        handled = {r[0] for r in conn.execute("SELECT update_id FROM processed_updates")}
        (answers,) = conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'answer' "
                                  "AND status = 'pending'").fetchone()
    return len(set(stored) - handled) + answers


class BotProcess:
    """`dutybot run` in a subprocess, talking HTTP to a FakeTelegramServer."""

    def __init__(self, api: FakeTelegram, server: FakeTelegramServer, db_path: Path,
                 workdir: Path, admin_ids: str = str(ADMIN_ID),
                 rules: str = NO_OBLIGATIONS) -> None:
        self.api = api
        self.rules = rules
        self.server = server
        self.db_path = db_path
        self.workdir = workdir
        self.admin_ids = admin_ids
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "bot.log"
        self.sentinel = api.users.get(SENTINEL_ID) or api.user(SENTINEL_ID, "哨兵")
        self.extra_env: dict[str, str] = {}  # more settings (DUTYBOT_DATABASE_URL, say)

    # -- the process ------------------------------------------------------------------------

    def start(self, *args: str, **env: str) -> BotProcess:
        """`dutybot run [args]`, with `env` added to its environment (webhook mode:
        tests/test_webhook.py)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        rules_path = self.workdir / "rules.toml"
        rules_path.write_text(self.rules, encoding="utf-8")
        extra = env
        env = clean_env(TELEGRAM_BOT_TOKEN=self.api.token,
                        TELEGRAM_API_BASE_URL=self.server.root,
                        DUTYBOT_DB_PATH=str(self.db_path),
                        DUTYBOT_ADMIN_IDS=self.admin_ids,
                        DUTYBOT_RULES=str(rules_path), **{**self.extra_env, **extra})
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen([str(DUTYBOT), "run", *args], env=env,
                                         cwd=self.workdir,
                                         stdout=log, stderr=subprocess.STDOUT)
        self.wait_for(lambda: "Application started" in self.output(), "the bot to start polling")
        return self

    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr together)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, deadline: float = DEADLINE) -> tuple[int, str]:
        """SIGTERM, as a service manager would; (exit code, everything printed)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"the bot ignored SIGTERM for {deadline}s:\n{self.output()[-3000:]}")
        return self.proc.returncode, self.output()

    def kill_if_running(self) -> None:
        """Clean-up after a failed test: no process is left behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    # -- waiting ----------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], Any], what: str,
                 chats: Iterable[int] = ()) -> None:
        """Poll until `predicate()` holds; fail with the chats and the bot's log if not."""
        deadline = time.monotonic() + DEADLINE
        while True:
            if predicate():
                return
            died = self.proc is not None and self.proc.poll() is not None
            if died or time.monotonic() > deadline:
                why = (f"the bot exited with {self.proc.returncode}" if died
                       else f"not within {DEADLINE}s")
                lines = [f"waited for {what}: {why}"]
                for chat_id in chats:
                    lines.append(f"--- chat {chat_id} ---")
                    lines += self.api.transcript(chat_id)
                lines += ["--- bot log (tail) ---", self.output()[-3000:]]
                pytest.fail("\n".join(lines))
            time.sleep(0.03)

    def settle(self) -> None:
        """Return once every update sent so far has been handled and answered (see the
        module docstring)."""
        chat = self.sentinel.id
        before = len(self.api.bot_messages(chat))
        self.api.send_text(self.sentinel, "/help")
        self.wait_for(lambda: len(self.api.bot_messages(chat)) > before,
                      "the sentinel's /help to be answered", [chat])
        self.wait_for(lambda: self.api.pending_updates() == 0 and unfinished(self.db_path) == 0,
                      "the inbox to be handled and every answer sent")

    # -- what users do ----------------------------------------------------------------------

    def say(self, user: User, text: str, chat: Chat | None = None,
            replies: int = 1) -> list[Sent]:
        """`user` sends `text`; wait for `replies` new bot messages in that chat."""
        chat_id = chat.id if chat else user.id
        before = len(self.api.bot_messages(chat_id))
        update = self.api.send_text(user, text, chat)
        assert update is not None, f"Telegram would not deliver {text!r} to the bot"
        self.wait_for(lambda: len(self.api.bot_messages(chat_id)) >= before + replies,
                      f"{replies} reply(s) to {text!r}", [chat_id])
        return self.api.bot_messages(chat_id)[before:]

    def reply_to(self, user: User, text: str, chat: Chat | None = None) -> str:
        """The one reply's text as the user reads it."""
        sent = self.say(user, text, chat)
        return sent[0].plain

    def tap(self, user: User, message: Sent, data: str) -> CallbackAnswer:
        """`user` taps (or forges) a button with `data`; wait for that query's answer."""
        update = self.api.press(user, message, data)
        query_id = update["callback_query"]["id"]
        self.wait_for(lambda: any(a.callback_query_id == query_id
                                  for a in self.api.callback_answers),
                      f"an answer to the tap {data!r}", [message.chat_id])
        return next(a for a in self.api.callback_answers if a.callback_query_id == query_id)

    def tap_label(self, user: User, message: Sent, label: str) -> CallbackAnswer:
        data = next((d for text, d in message.buttons if label in text), None)
        assert data is not None, f"no button {label!r} in {message.buttons}"
        return self.tap(user, message, data)


def bot_message_counts(api: FakeTelegram) -> dict[int, int]:
    """How many bot messages each chat has, the sentinel's left out."""
    return {chat_id: len(api.bot_messages(chat_id)) for chat_id in list(api.messages)
            if chat_id != SENTINEL_ID}


def edit_counts(api: FakeTelegram) -> dict[tuple[int, int], int]:
    return {(m.chat_id, m.message_id): m.edits for chat_id in list(api.messages)
            if chat_id != SENTINEL_ID for m in api.bot_messages(chat_id)}


def assert_clean_exit(rc: int, output: str, token: str) -> None:
    assert rc == 0, f"exit code {rc} after SIGTERM:\n{output[-3000:]}"
    assert token not in output, "the bot token appears in the bot's output"
    assert "Traceback" not in output, output[-3000:]
