"""Bench (f): one user's /我的清单 while another's 20 000-row workbook is imported.

    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/latency_under_import.py
    .venv/bin/python bench/latency_under_import.py --items 5000 --calls 100    # a quick look
    .venv/bin/python bench/latency_under_import.py --in-thread    # parse in a thread instead

Through the in-process fake Telegram driver (bot/fake_telegram/driver.py) on a temporary
database with the real migrations: a small 局党委 set up with the real commands, and a
支部书记 who owns a dozen items. Times his /我的清单 (update in, reply out) `--calls` times
with nothing else running (idle), then again and again while the admin's upload of a
workbook with `--items` rows in its 清单 (bench (c)'s workbook) is imported by its own
asyncio task (as two chats' updates handled side by side would be), until the import
has replied, then idle again. Prints p50/p95/max of each phase, the ratio of the p95
during the import to the p95 idle before it (goal ≤ 2×), how long the import took and the
first line of its reply, and the worst stall seen by a loop-lag probe (a task that wakes
every 5 ms) in each phase.

`--in-thread` parses the workbook with `asyncio.to_thread` in this process, as the bot did
before bot/offload.py, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the bot's folder first: bench/handlers.py must not hide the bot's `handlers` package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from import_workbook import make_workbook

from bot.clock import ManualClock
from bot.config import load_settings
from bot.domain.model import Actor, Duty, ListKind
from bot.fake_telegram import FakeTelegram, invite_code
from bot.fake_telegram.driver import BotDriver, driven_bot
from bot.services.items import ItemDraft

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ADMIN_ID = 1
OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)


class InThread:
    """The old way, for comparison: the job in a worker thread of this process."""

    async def run(self, fn: Any, *args: Any, **limits: Any) -> Any:
        return await asyncio.to_thread(fn, *args)


async def organisation(bot: BotDriver, api: FakeTelegram, items: int) -> Any:
    admin = api.user(ADMIN_ID, "办公室郑晓")
    for line in ("/newunit 某局党委", "/newunit 财务科 某局党委",
                 "/newunit 财务科党支部 财务科 党支部"):
        await bot.send(admin, line)
    await bot.send(admin, "/登记 周支书 支部书记 财务科党支部")
    zhou = api.user(14, "周支书")
    await bot.send(zhou, f"/start {invite_code(api.last(admin.id).plain)}")
    services = bot.app.bot_data.services
    for n in range(items):
        await services.items.create(OFFICE, ItemDraft(
            ListKind.MEASURE, f"逐笔核查第{n + 1}批公务接待报销凭证", Duty.DUAL, "周支书",
            "财务科党支部", date(2026, 11, 24) + timedelta(days=n % 20)))
    return admin, zhou


REPLIED: dict[int, float] = {}  # chat id → when "Telegram" last accepted a message to it


def watch_replies(api: FakeTelegram) -> None:
    """Note when each message reaches the fake Telegram: the moment its user sees it."""
    handle = api.handle

    def noted(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answer = handle(method, params)
        if method.lower() == "sendmessage":
            REPLIED[int(params["chat_id"])] = time.perf_counter()
        return answer

    api.handle = noted  # type: ignore[method-assign]


async def my_list(bot: BotDriver, api: FakeTelegram, user: Any) -> float:
    """From the update's arrival to the reply in the user's chat (what the user waits
    for; the bot may still be recording that the update was handled)."""
    before = len(api.bot_messages(user.id))
    started = time.perf_counter()
    await bot.send(user, "/我的清单")
    assert len(api.bot_messages(user.id)) > before, "no reply to /我的清单"
    return REPLIED[user.id] - started


class LagProbe:
    """The longest the event loop kept a 5 ms sleeper waiting past its time."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            due = time.perf_counter() + 0.005
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - due)

    def __enter__(self) -> LagProbe:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def figures(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def line(name: str, samples: list[float], lag: float) -> str:
    p50, p95, worst = figures(samples)
    return (f"{name:<14} n={len(samples):<5} p50 {p50:7.2f} ms   p95 {p95:8.2f} ms   "
            f"max {worst:8.2f} ms   loop stalled up to {lag * 1000:7.1f} ms")


async def bench(items: int, people: int, calls: int, in_thread: bool) -> None:
    started = time.perf_counter()
    data, _ = make_workbook(people, items)
    print(f"workbook: {len(data) / 2**20:.2f} MB, {items} items, {people} people, 101 units; "
          f"made in {time.perf_counter() - started:.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as tmp:
        settings = load_settings(DUTYBOT_DB_PATH=Path(tmp) / "bench.db",
                                 DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                                 TELEGRAM_API_BASE_URL="https://api.telegram.org")
        api = FakeTelegram()
        watch_replies(api)
        async with driven_bot(settings, api, ManualClock(NOW)) as bot:
            admin, zhou = await organisation(bot, api, 12)
            services = bot.app.bot_data.services
            if in_thread:
                services.imports.offload = InThread()
            else:  # the child started and warm, as in a bot that has run a while
                await services.offload.run(len, b"")
            for _ in range(20):  # warm up
                await my_list(bot, api, zhou)

            with LagProbe() as probe:
                idle = [await my_list(bot, api, zhou) for _ in range(calls)]
            idle_lag = probe.worst

            busy: list[float] = []
            answered = len(api.bot_messages(admin.id))
            with LagProbe() as probe:
                started = time.perf_counter()
                upload = asyncio.create_task(bot.upload(admin, data, "台账.xlsx"))
                while not upload.done():
                    busy.append(await my_list(bot, api, zhou))
                await upload
                took = time.perf_counter() - started
            busy_lag = probe.worst
            reply = api.bot_messages(admin.id)[answered].plain.splitlines()[0]
            with LagProbe() as probe:
                after = [await my_list(bot, api, zhou) for _ in range(calls)]

    print(f"parsing in {'a thread (asyncio.to_thread)' if in_thread else 'a child process'}; "
          f"the import took {took:.2f} s: {reply}")
    print(line("idle", idle, idle_lag))
    print(line("during import", busy, busy_lag))
    print(line("idle after", after, probe.worst))
    ratio = figures(busy)[1] / figures(idle)[1]
    verdict = "ok" if ratio <= 2 else "OVER the goal"
    print(f"p95 during the import / p95 idle = {ratio:.2f}x (goal <= 2x: {verdict})")
    print("RESULT " + json.dumps({"items": items, "p95_idle_ms": figures(idle)[1],
                                  "p95_busy_ms": figures(busy)[1], "p95_ratio": ratio,
                                  "import_s": took, "busy_calls": len(busy),
                                  "worst_lag_ms": busy_lag * 1000}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=19_999)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--calls", type=int, default=300, help="idle /我的清单 calls")
    parser.add_argument("--in-thread", action="store_true",
                        help="parse in a thread of this process, as before bot/offload.py")
    args = parser.parse_args()
    asyncio.run(bench(args.items, args.people, args.calls, args.in_thread))


if __name__ == "__main__":
    main()
