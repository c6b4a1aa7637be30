"""Bench (k): the commands a person waits on, beside what sending their answer costs.

    .venv/bin/python bench/handlers.py                       # 50 and 5 items, a 1 000-item unit
    .venv/bin/python bench/handlers.py --rounds 3 --per-round 20    # a quick look

Three Applications built by `build_application` on one in-process fake Telegram
(bot/fake_telegram: the bot's own transport, no socket at all), each on its own temporary
database with the real migrations, each update fed as `dutybot run` handles it: stored in
the durable inbox, then `bot.inbound.handling.handle` (its unit of work, the "done" mark,
the answers sent):

- the bot, with an organisation set up through the real commands and services: a 支部书记
  owning `--items` items (half of them under a 责任 under a 问题, so the 传导链 shows),
  another owning `--few`, a 纪委书记, and `--unit-items` items in all;
- the echo floor: the same kind of Application with PTB's plain echo handler and nothing
  else (a tap: the query answered);
- the replay floor: the same kind of Application whose one handler gives, prebuilt, exactly
  the answers the bot gave to that command (same HTML text, same inline keyboard, same
  toast, an edit as an edit), through the same answer path.

Commands: /我的清单 (the person with `--items`, and with `--few`), /待办, /汇报, a tap on
已完成 on the first row of the /我的清单 page (the page redrawn; the item is put back
between taps, untimed) and /周报 (the 纪委书记: the text, then the chart, drawn in a child
process; its replay sends the same text and the same picture); then, for reference (no
goal; `--goals-only` leaves them out), every other chat command of the menu, each sent by
someone it is meant for (OTHER_COMMANDS), and one item's card (/我的清单 C0003). They run
interleaved with their floors, one update each in turn, `--rounds` times `--per-round`, so
that a busy machine weighs on all alike.

Prints per command the median ms per update, wall clock and CPU time of the process (all
its threads; on a machine shared with other work the CPU time is the steadier figure); the
ratio to its replay floor (goal ≤ 1.3× for /我的清单, /待办 and the tap, both ways); the
ratio to the echo (for reference); and the database round trips per update — hops to an
aiosqlite connection's worker thread, counted by storage/roundtrips.py in a pass of their
own — beside the echo floor's (goal: at most 5 more, and as many for `--few` items as for
`--items`). A read done on the event loop's own thread (storage/inline.py) counts as one.

To look into one command: `--trips-where` prints where each of its round trips came from;
`--profile /待办` adds a cProfile of it on the bot and on its replay floor (the event loop's
thread only), and the functions where the bot spends more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, NoReturn
from zoneinfo import ZoneInfo

# this file is named like the bot's `handlers` package: its folder must not hide it
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from telegram import InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters  # noqa: E402

import bot.inbound.handling as handling  # noqa: E402
from bot.app import build_application, running  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.domain.model import Actor, Duty, ItemStatus, ListKind  # noqa: E402
from bot.fake_telegram import FakeTelegram, User, invite_code  # noqa: E402
from bot.fake_telegram.driver import BotDriver  # noqa: E402
from bot.fake_telegram.request import FakeRequest  # noqa: E402
from bot.services.items import ItemDraft  # noqa: E402
from handlers import answers  # noqa: E402
from messages import commands  # noqa: E402
from storage.roundtrips import counting  # noqa: E402

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ADMIN_ID = 1
OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)
GOAL_RATIO = 1.3
GOAL_TRIPS = 5
LIMITS = {"items": (1, 2_000), "few": (1, 2_000), "unit_items": (1, 20_000),
          "rounds": (1, 100), "per_round": (1, 1_000)}


# -- the floors ----------------------------------------------------------------------------

class Recorder(answers.Answers):
    """Answers that keep the last update's calls (to build the replay from)."""

    last: ClassVar[list[dict[str, Any]]] = []

    def __init__(self) -> None:
        super().__init__()
        Recorder.last = self.calls


class Replay:
    """The replay floor's one handler: the answers given to a command, prebuilt."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def load(self, calls: list[dict[str, Any]], bot: Any) -> None:
        self.calls = []
        for call in calls:
            params = {k: v for k, v in call.items() if k not in ("method", "chat_id")}
            if "reply_markup" in params:
                params["reply_markup"] = InlineKeyboardMarkup.de_json(params["reply_markup"], bot)
            self.calls.append((call["method"], params))

    async def __call__(self, update: Update, context: Any) -> None:
        collected = answers.current()
        query = update.callback_query
        chat_id = update.effective_chat.id
        for method, params in self.calls:
            params = dict(params)
            if method == answers.ANSWER_QUERY:
                params["callback_query_id"] = query.id
            elif method in (answers.EDIT_TEXT, answers.EDIT_MARKUP):
                params["message_id"] = query.message.message_id
            collected.add(method, chat_id, **params)


async def echo(update: Update, context: Any) -> None:
    """PTB's echo bot."""
    await update.message.reply_text(update.message.text)


async def echo_tap(update: Update, context: Any) -> None:
    await update.callback_query.answer()


def floor_app(settings: Any, api: FakeTelegram, handler: Any, tap: Any) -> Application:
    """The bot's own kind of Application, transport and update path; one handler."""
    app = build_application(settings, api.token, clock=ManualClock(NOW),
                            request=FakeRequest(api), rate_limited=False)
    for group, handlers in list(app.handlers.items()):
        for h in list(handlers):
            app.remove_handler(h, group)
    app.add_handler(MessageHandler(filters.ALL, handler))
    app.add_handler(CallbackQueryHandler(tap))
    return app


#: The chat commands beside those with a goal, for reference, each sent by someone it is
#: meant for (bench/README.md (k)); /绑定群 in a private chat gets its hint. /导出's wall
#: time is mostly its child process writing the workbook (not in this process's CPU time).
OTHER_COMMANDS = (
    ("/帮助", "zhou"), ("/start", "zhou"), ("/取消", "zhou"), ("/责任书", "zhou"),
    ("/整改", "liu"), ("/问责", "liu"), ("/传导", "liu"), ("/监督检查", "liu"), ("/对账", "liu"),
    ("/看板", "liu"), ("/约谈", "li"), ("/分解", "li"), ("/逾期", "chen"), ("/延期审批", "chen"),
    ("/考核", "chen"), ("/民主生活会", "chen"), ("/单位", "admin"), ("/提醒设置", "admin"),
    ("/渠道", "admin"), ("/邀请", "admin"), ("/登记", "admin"), ("/绑定群", "admin"),
    ("/新建", "admin"), ("/新建单位", "admin"), ("/交接", "admin"), ("/导出", "liu"),
)


# -- the organisation ----------------------------------------------------------------------

async def organisation(bot: BotDriver, api: FakeTelegram, items: int, few: int,
                       unit_items: int) -> dict[str, User]:
    admin = api.user(ADMIN_ID, "办公室郑晓")
    for line in ("/newunit 某局党委", "/newunit 财务科 某局党委", "/newunit 项目科 某局党委",
                 "/newunit 财务科党支部 财务科 党支部", "/newunit 项目科党支部 项目科 党支部",
                 "/newunit 局纪委 某局党委 二级党组织"):
        await bot.send(admin, line)
    people: dict[str, User] = {"admin": admin}
    for uid, key, line in ((10, "chen", "/登记 陈书记 党委书记 某局党委"),
                           (11, "li", "/登记 李明 班子成员 某局党委 分管:财务科"),
                           (13, "liu", "/登记 刘纪委 纪委书记 局纪委"),
                           (14, "zhou", "/登记 周支书 支部书记 财务科党支部"),
                           (15, "wu", "/登记 吴支书 支部书记 项目科党支部")):
        await bot.send(admin, line)
        user = api.user(uid, key)
        await bot.send(user, f"/start {invite_code(api.last(admin.id).plain)}")
        people[key] = user
    items_service = bot.app.bot_data.services.items
    problem = await items_service.create(OFFICE, ItemDraft(
        ListKind.PROBLEM, "公务接待报销审核不严", Duty.PRINCIPAL, "陈书记", "某局党委",
        date(2026, 12, 31)))
    duty = await items_service.create(OFFICE, ItemDraft(
        ListKind.RESPONSIBILITY, "督促财务科整改报销审核", Duty.DUAL, "李明", "财务科",
        date(2026, 12, 20), parent_code=problem.item.code))
    made = 2

    async def add(kind: ListKind, title: str, owner: str, unit: str, n: int,
                  parent: str | None) -> None:
        nonlocal made
        await items_service.create(OFFICE, ItemDraft(
            kind, title, Duty.DUAL, owner, unit, NOW.date() + timedelta(days=n % 30 - 10),
            parent_code=parent))
        made += 1

    for n in range(items):
        await add(ListKind.MEASURE, f"逐笔核查第{n + 1}批公务接待报销凭证", "周支书",
                  "财务科党支部", n, duty.item.code if n % 2 == 0 else None)
    for n in range(few):
        await add(ListKind.MEASURE, f"排查第{n + 1}个在建工程廉政风险点", "吴支书",
                  "项目科党支部", n, duty.item.code if n % 2 == 0 else None)
    n = 0
    while made < unit_items:
        await add(ListKind.RESPONSIBILITY, f"落实第{n + 1}项一岗双责", "李明", "财务科", n,
                  problem.item.code)
        n += 1
    return people


# -- the measuring -------------------------------------------------------------------------

Make = Callable[[], dict[str, Any]]


class Case:
    """One command: how to make its update, and what to put back after it (untimed)."""

    def __init__(self, name: str, make: Make, after: Callable[[], Awaitable[None]] | None = None,
                 goal: bool = False) -> None:
        self.name, self.make, self.after, self.goal = name, make, after, goal
        self.times: dict[str, list[tuple[float, float]]] = {"bot": [], "replay": [],
                                                             "echo": []}
        self.trips: dict[str, int] = {}
        self.replay_calls: list[dict[str, Any]] = []


async def timed(driver: BotDriver, make: Make) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of this process (every thread: the database's
    too), for one update."""
    update = make()
    started, cpu = time.perf_counter(), time.process_time()
    await driver.feed(update)
    return time.perf_counter() - started, time.process_time() - cpu


async def trips(driver: BotDriver, make: Make, where: str | None = None) -> int:
    """The update's round trips; `where`: print where each came from, under that name."""
    update = make()
    with counting(where=where is not None) as counter:
        await driver.feed(update)
    if where is not None:
        print(f"{where}: {counter.count} round trips", *counter.where, sep="\n  ")
    return counter.count


async def profile(case: Case, driver: BotDriver, replay_driver: BotDriver,
                  updates: int = 500) -> None:
    """A cProfile of one command on the bot and on its replay floor (the event loop's
    thread only: the database's threads are not seen), and where the bot spends more."""
    import cProfile
    import pstats

    async def run(on: BotDriver, put_back: bool) -> pstats.Stats:
        profiler = cProfile.Profile()
        for _ in range(updates):
            update = case.make()
            profiler.enable()
            await on.feed(update)
            profiler.disable()
            if put_back and case.after:
                await case.after()
        return pstats.Stats(profiler)

    mine, floor = await run(driver, True), await run(replay_driver, False)
    ms = 1000 / updates  # seconds in all → ms per update
    print(f"cProfile of {case.name}, {updates} updates, the bot:")
    mine.sort_stats("cumulative").print_stats(r"/(bot|storage|messages|handlers)/", 30)
    own = {k: v[2] for k, v in mine.stats.items()}  # type: ignore[attr-defined]
    theirs = {k: v[2] for k, v in floor.stats.items()}  # type: ignore[attr-defined]
    more = sorted(((own.get(k, 0) - theirs.get(k, 0), k) for k in own.keys() | theirs.keys()),
                  reverse=True)
    print(f"own time, bot minus replay (ms per update; in all "
          f"{(mine.total_tt - floor.total_tt) * ms:.3f} of "  # type: ignore[attr-defined]
          f"{mine.total_tt * ms:.3f}):")  # type: ignore[attr-defined]
    for delta, (path, line, name) in more[:30]:
        print(f"  {delta * ms:7.3f}  {Path(path).name}:{line} {name}")


async def bench(tmp: Path, args: argparse.Namespace) -> None:
    def settings(name: str) -> Any:
        return load_settings(DUTYBOT_DB_PATH=tmp / f"{name}.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                             TELEGRAM_API_BASE_URL="https://api.telegram.org")

    api = FakeTelegram()
    replay = Replay()
    main_app = build_application(settings("bot"), api.token, clock=ManualClock(NOW),
                                 request=FakeRequest(api), rate_limited=False)
    echo_app = floor_app(settings("echo"), api, echo, echo_tap)
    replay_app = floor_app(settings("replay"), api, replay, replay)
    async with running(main_app), running(echo_app), running(replay_app):
        bot, echo_bot, replay_bot = (BotDriver(a, api) for a in (main_app, echo_app, replay_app))
        started = time.perf_counter()
        people = await organisation(bot, api, args.items, args.few, args.unit_items)
        print(f"organisation: {args.unit_items} items, {args.items} and {args.few} owned by the "
              f"two 支部书记; set up in {time.perf_counter() - started:.1f} s", flush=True)
        zhou, wu, liu = people["zhou"], people["wu"], people["liu"]
        db = main_app.bot_data.services.db

        def text(user: User, line: str) -> Make:
            return lambda: api.send_text(user, line)

        await bot.send(zhou, "/我的清单")
        page = api.last(zhou.id)
        done_data = next(data for label, data in page.buttons if "已完成" in label)
        item_id = int(done_data.split(":")[2])

        async def put_back() -> None:
            async with db.transaction() as tx:
                await tx.items.set_status(item_id, ItemStatus.OPEN, NOW)

        cases = [
            Case(f"/我的清单 ({args.items} items)", text(zhou, "/我的清单"), goal=True),
            Case(f"/我的清单 ({args.few} items)", text(wu, "/我的清单"), goal=True),
            Case("/待办", text(zhou, "/待办"), goal=True),
            Case("/汇报", text(zhou, "/汇报")),
            Case("tap 已完成", lambda: api.press(zhou, page, done_data), put_back, goal=True),
            Case(f"/周报 ({args.unit_items} items)", text(liu, "/周报")),
        ]
        driven = {case.name.split()[0] for case in cases} | {
            line.split()[0] for line, _ in OTHER_COMMANDS}
        missing = [c.ascii for c in commands.ALL if f"/{c.chinese or c.ascii}" not in driven]
        if missing:  # a command added to the menu since: OTHER_COMMANDS should name it
            print(f"not driven here: {', '.join(missing)}", flush=True)
        if not args.goals_only:  # every other chat command, each by someone it is meant for
            code = re.search(r"C\d{4}", page.plain).group(0)
            cases += [Case(line, text(people[who], line)) for line, who in (
                *OTHER_COMMANDS, (f"/我的清单 {code}", "zhou"))]
        # the answers to replay, as the bot gave them (/周报's chart too, as drawn)
        await main_app.bot_data.services.offload.run(len, b"")  # the child started
        for case in cases:
            handling.Answers = Recorder  # type: ignore[misc]
            try:
                await bot.feed(case.make())
            finally:
                handling.Answers = answers.Answers  # type: ignore[misc]
            case.replay_calls = list(Recorder.last)
            if case.after:
                await case.after()

        async def run(case: Case, side: str, driver: BotDriver, count: int) -> None:
            for _ in range(count):
                case.times[side].append(await timed(driver, case.make))
                if side == "bot" and case.after:
                    await case.after()

        for case in cases:  # warm up
            replay.load(case.replay_calls, replay_app.bot)
            await run(case, "bot", bot, 3)
            await run(case, "replay", replay_bot, 3)
            await run(case, "echo", echo_bot, 3)
            for side in case.times.values():
                side.clear()
        for _ in range(args.rounds):
            for case in cases:
                replay.load(case.replay_calls, replay_app.bot)
                for _ in range(args.per_round):  # side by side: a busy moment hits all three
                    await run(case, "bot", bot, 1)
                    await run(case, "replay", replay_bot, 1)
                    await run(case, "echo", echo_bot, 1)
        for case in cases:
            if args.profile and case.name.startswith(args.profile):
                replay.load(case.replay_calls, replay_app.bot)
                await profile(case, bot, replay_bot)
        for case in cases:
            replay.load(case.replay_calls, replay_app.bot)
            case.trips["bot"] = await trips(bot, case.make,
                                            case.name if args.trips_where else None)
            if case.after:
                await case.after()
            case.trips["replay"] = await trips(replay_bot, case.make)
            case.trips["echo"] = await trips(echo_bot, case.make)

    print(f"{'':24} {'wall ms per update (median)':^38} {'CPU ms per update (median)':^38}")
    print(f"{pad('command', 24)} {'bot':>7} {'replay':>7} {'×':>6} {'echo':>6} {'×':>6}   "
          f"{'bot':>7} {'replay':>7} {'×':>6} {'echo':>6} {'×':>6}  {'trips':>5} {'echo':>4} "
          f"{'+':>3}  goal")
    result: dict[str, Any] = {"rounds": args.rounds, "per_round": args.per_round, "cases": []}
    for case in cases:
        figures = []
        for which in (0, 1):  # wall, CPU
            bot_ms, replay_ms, echo_ms = (statistics.median(t[which] for t in case.times[s])
                                          * 1000 for s in ("bot", "replay", "echo"))
            figures.append((bot_ms, replay_ms, bot_ms / replay_ms, echo_ms, bot_ms / echo_ms))
        extra = case.trips["bot"] - case.trips["echo"]
        verdict = ""
        if case.goal:
            ok = max(figures[0][2], figures[1][2]) <= GOAL_RATIO and extra <= GOAL_TRIPS
            verdict = "ok" if ok else "MISSED"
        columns = "   ".join(f"{b:7.2f} {r:7.2f} {x:5.2f}× {e:6.2f} {y:5.1f}×"
                              for b, r, x, e, y in figures)
        print(f"{pad(case.name, 24)} {columns}  {case.trips['bot']:5} {case.trips['echo']:4} "
              f"{extra:+3}  {verdict}")
        result["cases"].append({
            "name": case.name, "goal": case.goal, "wall_ms": figures[0][0],
            "replay_ratio": figures[0][2], "cpu_replay_ratio": figures[1][2],
            "echo_ratio": figures[0][4], "trips": case.trips["bot"],
            "echo_trips": case.trips["echo"]})
    sizes = {case.name: case.trips["bot"] for case in cases
             if case.goal and case.name.startswith("/我的清单")}
    same = len(set(sizes.values())) == 1
    print(f"/我的清单 round trips the same for {args.few} and {args.items} items: "
          f"{'yes' if same else 'NO'} ({', '.join(str(v) for v in sizes.values())}); "
          f"{args.rounds} × {args.per_round} updates each")
    result["list_trips_same"] = same
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


def pad(text: str, width: int) -> str:
    """Left-aligned in a terminal's columns (a Chinese character takes two)."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return text + " " * max(0, width - len(text) - wide)


class OneLine(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.exit(f"handlers.py: {message}")


def scales() -> argparse.Namespace:
    parser = OneLine(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50, help="items of the first 支部书记")
    parser.add_argument("--few", type=int, default=5, help="items of the second")
    parser.add_argument("--unit-items", type=int, default=1_000, help="items in all (/周报)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=40, help="updates per command a round")
    parser.add_argument("--goals-only", action="store_true",
                        help="only the commands with a goal, not every other chat command")
    parser.add_argument("--trips-where", action="store_true",
                        help="print where each round trip of each command came from")
    parser.add_argument("--profile", metavar="COMMAND",
                        help="also print a cProfile of the command whose name starts with "
                             "this (e.g. /待办), the bot beside its replay floor, 500 updates")
    args = parser.parse_args()
    for name, (low, high) in LIMITS.items():
        value = getattr(args, name)
        if not low <= value <= high:
            sys.exit(f"handlers.py: --{name.replace('_', '-')} must be from {low} to {high}, "
                     f"not {value}")
    if args.unit_items < args.items + args.few + 2:
        sys.exit(f"handlers.py: --unit-items must be at least --items + --few + 2 "
                 f"({args.items + args.few + 2}), not {args.unit_items}")
    return args


def main() -> None:
    args = scales()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # cleaned up as after Ctrl-C
    # made outside the event loop: removed however the run ends (Ctrl-C included)
    try:
        with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as tmp:
            asyncio.run(bench(Path(tmp), args))
    except KeyboardInterrupt:
        sys.exit("handlers.py: interrupted; its temporary databases are removed")


if __name__ == "__main__":
    main()
