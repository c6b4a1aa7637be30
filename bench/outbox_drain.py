"""Bench (a): drain a large outbox through the real bot, over HTTP, into a fake Bot API
that enforces Telegram's overall flood limit with 429s.

    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/outbox_drain.py [--count 10000]
        [--ceiling 30]

The outbox is filled the real way: `count` bound people each own one item due on
Thursday 2026-11-26, and `ReminderService.plan_day()` at Monday 2026-11-23 09:00 (their
T-3 day) queues one digest per person. The real Application (`build_application`, with
the bot's SlidingWindowRateLimiter) then sends them with an `OutboxSender`, waiting out every
`RetryAfter` as the scheduler does. The ManualClock is moved along with real time, so a
message put back for "1 s later" comes due 1 s later.

Prints what was delivered, how fast (as a fraction of the ceiling; goal ≥ 0.95), how
many 429s came back, and who got nothing or more than one message (goal 0 and 0).

`--window N --window-period P` tries another overall window of the bot's limiter
(bot/scheduling/rate_limit.py: at most N sends in any P seconds), and `--aio-rate R
--aio-period P` PTB's AIORateLimiter(overall_max_rate=R, overall_time_period=P) instead,
without touching the bot's code: experiments for choosing a setting, not what the bot does.
(`--aio-rate 1 --aio-period 0.0345` is what the bot used before the sliding window.)
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# the bot's folder first: bench/handlers.py must not hide the bot's `handlers` package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.ext import AIORateLimiter

import bot.app
from bot.app import build_application, running
from bot.clock import ManualClock
from bot.config import load_settings
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer
from bot.scheduling.rate_limit import OVERALL, SlidingWindowRateLimiter
from bot.scheduling.sender import OutboxSender
from storage.db import Database

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DUE = date(2026, 11, 26)  # Thursday: its T-3 reminder is due on Monday
FIRST_USER_ID = 500_000_000  # Telegram user ids of the people, counting up
BATCH = 20  # messages per drain call, as the scheduler does


@dataclass
class TimedTelegram(FakeTelegram):
    """The fake Bot API, also noting when each sendMessage came and what it got."""

    sends: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, status)

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = super().handle(method, params)
        if method.lower() == "sendmessage":
            self.sends.append((time.monotonic(), status))
        return status, body


def seed(path: Path, count: int) -> None:
    """One unit, `count` bound 支部书记 and one open item each, due on DUE.

    Raw executemany rather than the repositories: PersonRepo.add and ItemRepo.add cost
    a few aiosqlite round trips per row, which is a minute of set-up at 10 000 people
    for nothing the bench measures. The reminders and digests are planned for real."""
    now = MONDAY.isoformat()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("INSERT INTO units (id, name, kind, parent_id, created_at) "
                     "VALUES (1, '某局党委', 'committee', NULL, ?)", (now,))
        conn.execute("INSERT INTO units (id, name, kind, parent_id, created_at) "
                     "VALUES (2, '机关党支部', 'branch', 1, ?)", (now,))
        people = range(1, count + 1)
        conn.executemany(
            "INSERT INTO persons (id, name, unit_id, telegram_user_id, created_at) "
            "VALUES (?, ?, 2, ?, ?)",
            ((p, f"支书{p:05d}", FIRST_USER_ID + p, now) for p in people))
        conn.executemany("INSERT INTO person_roles (person_id, role) "
                         "VALUES (?, 'branch_secretary')", ((p,) for p in people))
        conn.executemany(
            "INSERT INTO items (id, code, kind, title, duty, owner_id, unit_id, due_date, "
            "status, created_at, updated_at) VALUES (?, ?, 'measure', ?, 'principal', ?, 2, "
            "?, 'open', ?, ?)",
            ((p, f"C{p:05d}", f"整改措施第{p}项", p, DUE.isoformat(), now, now)
             for p in people))


def limiter_override(window: int | None, period: float | None, aio_rate: float | None,
                     aio_period: float | None) -> str:
    """Swap the limiter build_application makes (a bench experiment only)."""
    if aio_rate is not None or aio_period is not None:
        kwargs = {"overall_max_rate": aio_rate or 30, "overall_time_period": aio_period or 1}
        bot.app.SlidingWindowRateLimiter = functools.partial(AIORateLimiter, **kwargs)
        return (f"EXPERIMENT AIORateLimiter(overall_max_rate={kwargs['overall_max_rate']}, "
                f"overall_time_period={kwargs['overall_time_period']}), max_retries=0")
    if window is None and period is None:
        limit, seconds = OVERALL
        return (f"as build_application makes it (bot/app.py): SlidingWindowRateLimiter, "
                f"at most {limit} in any {seconds:g} s")
    overall = (window or OVERALL[0], period or OVERALL[1])
    bot.app.SlidingWindowRateLimiter = functools.partial(SlidingWindowRateLimiter,
                                                         overall=overall)
    return (f"EXPERIMENT SlidingWindowRateLimiter(overall={overall}): at most {overall[0]} "
            f"in any {overall[1]:g} s")


def busiest_second(times: list[float]) -> int:
    """The most accepted sends in any one-second window (what the fake's limit counts)."""
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def bench(count: int, ceiling: float, limiter: str) -> None:
    api = TimedTelegram(send_rate_limit=ceiling)
    for p in range(1, count + 1):
        api.user(FIRST_USER_ID + p, f"支书{p:05d}")
        api.started.add(FIRST_USER_ID + p)  # each of them has opened the bot
    server = FakeTelegramServer(api).start()
    with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as tmp:
        db_path = Path(tmp) / "bench.db"
        db = await Database.open(db_path)
        await db.migrate()
        await db.close()
        seed(db_path, count)
        settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=api.token,
                                 TELEGRAM_API_BASE_URL=server.root, DUTYBOT_DB_PATH=db_path,
                                 DUTYBOT_ADMIN_IDS="", DUTYBOT_RULES=None)
        clock = ManualClock(MONDAY)
        app = build_application(settings, api.token, clock=clock, rate_limited=True)
        try:
            async with running(app):
                services = app.bot_data.services
                planned = await services.reminders.plan_day()
                queued = await services.delivery.pending()
                print(f"planned {planned} reminders; outbox holds {queued} digests")
                print(f"limiter: {limiter}")
                print(f"fake Bot API at {server.root}: sendMessage ceiling {ceiling:g}/s "
                      "(sliding 1 s window, 429 retry_after=1)")
                sender = OutboxSender(app.bot, services.delivery, clock)
                deadline = count / ceiling * 3 + 60
                pauses, paused = 0, 0.0
                started = time.monotonic()
                while time.monotonic() - started < deadline:
                    clock.set(MONDAY + timedelta(seconds=time.monotonic() - started))
                    sent = await sender.drain(limit=BATCH)
                    wait = sender.pause_left()
                    if wait:  # Telegram said to slow down: wait as the scheduler does
                        pauses += 1
                        paused += wait
                        await asyncio.sleep(wait)
                    elif not sent:
                        if not await services.delivery.pending():
                            break
                        await asyncio.sleep(0.05)  # a put-back message is not due yet
                elapsed = time.monotonic() - started
                left = await services.delivery.pending()
        finally:
            server.stop()
    report(api, count, ceiling, elapsed, left, pauses, paused)


def report(api: TimedTelegram, count: int, ceiling: float, elapsed: float, left: int,
           pauses: int, paused: float) -> None:
    received = Counter({FIRST_USER_ID + p: 0 for p in range(1, count + 1)})
    for chat_id in received:
        received[chat_id] = len(api.bot_messages(chat_id))
    delivered = sum(received.values())
    lost = sum(1 for n in received.values() if n == 0)
    duplicated = sum(1 for n in received.values() if n > 1)
    accepted = [t for t, status in api.sends if status == 200]
    rate = delivered / elapsed if elapsed else 0.0
    print()
    print(f"messages delivered    {delivered} of {count}")
    print(f"elapsed               {elapsed:.1f} s")
    print(f"achieved rate         {rate:.2f} msg/s = {rate / ceiling:.3f} of the "
          f"{ceiling:g}/s ceiling (goal >= 0.95)")
    print(f"429s received         {api.throttled} "
          f"(of {len(api.sends)} sendMessage calls)")
    print(f"lost                  {lost} (goal 0)")
    print(f"duplicated            {duplicated} (goal 0)")
    print(f"still pending         {left}")
    print(f"pauses after a 429    {pauses}, {paused:.1f} s in all")
    print(f"busiest 1 s window    {busiest_second(accepted)} accepted sends")
    print("RESULT " + json.dumps({"delivered": delivered, "count": count, "elapsed_s": elapsed,
                                  "ratio": rate / ceiling, "throttled": api.throttled,
                                  "lost": lost, "duplicated": duplicated, "pending": left}),
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="recipients (default 10000)")
    parser.add_argument("--ceiling", type=float, default=30,
                        help="the fake's sendMessage limit per second (default 30)")
    parser.add_argument("--window", type=int, default=None,
                        help="experiment: the limiter's overall sends per window")
    parser.add_argument("--window-period", type=float, default=None,
                        help="experiment: the limiter's overall window, in seconds")
    parser.add_argument("--aio-rate", type=float, default=None,
                        help="experiment: PTB's AIORateLimiter instead, overall_max_rate")
    parser.add_argument("--aio-period", type=float, default=None,
                        help="experiment: PTB's AIORateLimiter instead, overall_time_period")
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # with max_retries=0 PTB logs every 429 as an error with a traceback; counted instead
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)  # --aio-*
    limiter = limiter_override(args.window, args.window_period, args.aio_rate,
                               args.aio_period)
    asyncio.run(bench(args.count, args.ceiling, limiter))


if __name__ == "__main__":
    main()
