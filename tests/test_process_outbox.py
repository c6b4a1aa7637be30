"""A kill -9 in the middle of draining a large outbox, then a restart (SPEC §9, issue 3).

`dutybot run` runs as its own process against the fake Bot API over HTTP, on a database
seeded with one ready digest for each of N people. The first process is killed with
SIGKILL once about a third of the digests have reached Telegram; a second process on the
same database sends the rest. Every person must end up with their digest exactly once,
except at most one (the message in flight when the first process died), and every
outbox row must be marked sent.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.model import Role, UnitKind
from bot.domain.target import Target
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.api import Sent
from bot.fake_telegram.server import FakeTelegramServer
from storage.db import Database
from tests.botprocess import (
    ADMIN_ID,
    NO_OBLIGATIONS,
    BotProcess,
    assert_clean_exit,
)

TZ = ZoneInfo("Asia/Shanghai")  # the bot's default DUTYBOT_TIMEZONE
N = 240  # at the bot's ~30 messages/s, about 8 s of sending
FIRST_USER = 700_001
QUEUED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=TZ)  # long past: every row is ready at once
DRAIN_DEADLINE = 60.0
# No quiet hours: the real time of day must not hold the outbox back.
RULES = '[reminders]\nquiet_hours = ""\n\n' + NO_OBLIGATIONS
HEADING = "今日提醒"


def name_of(index: int) -> str:
    return f"测试人员{index:03d}"


def digest_payload(index: int) -> dict[str, Any]:
    return {"name": name_of(index), "entries": [{
        "item": 50_000 + index, "code": f"Z-{index:03d}", "kind": "problem",
        "title": f"整改事项{index:03d}", "due": "2026-01-08", "stage": "T-3",
        "owner": name_of(index), "unit": "某局党委", "own": True,
    }]}


async def seed(db_path: Path, api: FakeTelegram, day: date) -> list[int]:
    """N bound people, each with one ready digest; returns their chat ids in order."""
    chats = []
    db = await Database.open(db_path)
    try:
        await db.migrate()
        async with db.transaction() as tx:
            unit = await tx.units.add("某局党委", UnitKind.COMMITTEE, None, QUEUED_AT)
            for index in range(N):
                chat_id = FIRST_USER + index
                person = await tx.persons.add(name_of(index), unit.id,
                                              frozenset({Role.MEMBER}), frozenset(), QUEUED_AT)
                await tx.persons.bind(person.id, chat_id)
                api.user(chat_id, name_of(index))
                api.started.add(chat_id)
                queued = await tx.outbox.add(
                    dedup_key=f"digest:p:{person.id}:{day.isoformat()}", target=Target.telegram(chat_id),
                    person_id=person.id, kind="digest", day=day,
                    payload=digest_payload(index), now=QUEUED_AT)
                assert queued is not None
                chats.append(chat_id)
    finally:
        await db.close()
    return chats


def outbox_rows(db_path: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)) as conn:
        return conn.execute("SELECT id, address, kind, status, parts_sent, message_id, "
                            "last_error FROM outbox ORDER BY id").fetchall()


def digests(api: FakeTelegram, chat_id: int) -> list[Sent]:
    return [m for m in api.bot_messages(chat_id) if HEADING in m.plain]


def delivered(api: FakeTelegram, chats: list[int]) -> int:
    return sum(len(api.bot_messages(c)) for c in chats)


def wait_until(bot: BotProcess, predicate: Callable[[], bool], what: str,
               timeout: float, progress: Callable[[], str]) -> None:
    """Poll until `predicate()` holds; fail with the progress and the bot's log if not."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert bot.proc is not None
        died = bot.proc.poll() is not None
        if died or time.monotonic() > deadline:
            why = (f"the bot exited with {bot.proc.returncode}" if died
                   else f"not within {timeout:.0f}s")
            pytest.fail(f"waited for {what}: {why}; {progress()}\n"
                        f"--- bot log (tail) ---\n{bot.output()[-4000:]}")
        time.sleep(0.01)


def kill_9(bot: BotProcess) -> None:
    """SIGKILL: no shutdown code runs, whatever was in flight is cut off."""
    assert bot.proc is not None and bot.proc.poll() is None, bot.output()[-3000:]
    bot.proc.send_signal(signal.SIGKILL)
    try:
        bot.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the bot survived SIGKILL:\n{bot.output()[-3000:]}")
    assert bot.proc.returncode == -signal.SIGKILL, bot.proc.returncode


def test_sigkill_while_draining_then_restart_sends_each_digest_once(tmp_path: Path) -> None:
    api = FakeTelegram()
    api.user(ADMIN_ID, "办公室郑晓")  # any admin notice the tick queues can be delivered
    api.started.add(ADMIN_ID)
    server = FakeTelegramServer(api).start()
    db_path = tmp_path / "dutybot.db"
    # The digests are for the bot's today: a digest of an earlier day that never went out
    # is folded into today's by the planning tick (on a workday after the send time).
    today = datetime.now(TZ).date()
    chats = asyncio.run(seed(db_path, api, today))
    first = BotProcess(api, server, db_path, tmp_path / "first", rules=RULES)
    second = BotProcess(api, server, db_path, tmp_path / "second", rules=RULES)

    def progress() -> str:
        reached = sum(1 for c in chats if api.bot_messages(c))
        return f"{reached}/{N} chats have a message, {delivered(api, chats)} messages in all"

    try:
        # 1. the first run: killed once about a third of the digests went out
        started = time.monotonic()
        first.start()
        wait_until(first, lambda: delivered(api, chats) >= N // 3,
                   f"{N // 3} digests from the first run", DRAIN_DEADLINE, progress)
        kill_9(first)
        time.sleep(0.3)  # a request the dead process had already written is still answered
        before_kill = delivered(api, chats)
        first_run = time.monotonic() - started
        assert 0 < before_kill < N, (
            f"the kill came too late to interrupt anything: {before_kill}/{N} delivered")
        assert "Traceback" not in first.output(), first.output()[-3000:]

        # 2. the restart on the same database finishes the job
        started = time.monotonic()
        second.start()
        wait_until(second, lambda: all(api.bot_messages(c) for c in chats),
                   "every chat to have its digest", DRAIN_DEADLINE, progress)
        # the sender works in order: once the last chat has its digest, nothing is left
        # to send; give a stray resend a moment to show before counting
        time.sleep(0.5)
        rc, output = second.stop()
        second_run = time.monotonic() - started
        assert_clean_exit(rc, output, api.token)

        # 3. what the people got: their own digest, once (one duplicate at most overall)
        counts = {c: len(api.bot_messages(c)) for c in chats}
        for index, chat_id in enumerate(chats):
            own = digests(api, chat_id)
            assert len(own) == counts[chat_id], (
                f"chat {chat_id} got something other than a digest: "
                f"{api.transcript(chat_id)}")
            for message in own:
                assert f"{name_of(index)}，您有 1 项事项需要关注" in message.plain, message.plain
                assert f"整改事项{index:03d}" in message.plain, message.plain
                assert message.buttons[0] == (f"收到 Z-{index:03d}", f"it:ack:{50_000 + index}:d")
        missing = [c for c, n in counts.items() if n == 0]
        twice = [c for c, n in counts.items() if n == 2]
        more = {c: n for c, n in counts.items() if n > 2}
        assert not missing, f"{len(missing)} chats never got their digest: {missing[:10]}"
        assert not more, f"chats that got their digest three times or more: {more}"
        assert len(twice) <= 1, (
            f"{len(twice)} chats got their digest twice (only the one in flight may): "
            f"{twice}; {before_kill} were delivered before the kill")
        assert sum(counts.values()) == N + len(twice)

        # 4. the database agrees: every row sent, pointing at a message its chat holds
        rows = outbox_rows(db_path)
        digest_rows = [r for r in rows if r[2] == "digest"]
        assert len(digest_rows) == N
        not_sent = [r for r in rows if r[3] != "sent"]
        assert not not_sent, f"{len(not_sent)} outbox rows not sent: {not_sent[:10]}"
        for _id, chat_id, _kind, _status, parts_sent, message_id, _error in digest_rows:
            assert parts_sent == 1, (chat_id, parts_sent)
            held = [m.message_id for m in api.bot_messages(chat_id)]
            assert message_id in held, (chat_id, message_id, held)

        print(f"\nN={N}: first run {first_run:.1f}s, killed after {before_kill} digests; "
              f"restart {second_run:.1f}s; duplicates {len(twice)}")
    finally:
        for process in (first, second):
            process.kill_if_running()
        server.stop()
