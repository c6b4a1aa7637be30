"""The robot kill sweep: `dutybot run` killed with SIGKILL while it pushes to office group
robots (fake 企业微信, 钉钉 and 飞书 servers on 127.0.0.1, on the real clock), restarted each
time until everything went out, then counted from what the fakes took and the database.

Each robot starts with a full rate window: it took 20 messages in the last minute (in the
fake's windows and in the bot's `robot_sends`, as after a busy minute), so every part goes
out at the very edge of a window, where one send the bot forgot would be one too many. A
kill point is the n-th robot request after the process (re)started: either before it
reaches the robot (dropped unanswered) or 0, 2, 10 or 30 ms after the robot answered.

Counted: parts lost (never taken by the robot: goal 0); parts taken twice (a part may go
again only for a kill that fell after the robot took it and before the bot recorded that:
each copy beyond the first must have a kill between it and the copy before, one kill per
copy per robot, the kill at most 0.1 s before the copy before it, which was then on its
way); requests the robots refused, rate-limited above all (goal 0).
Used by tests/test_robot_kill.py (a few kills) and bench/robot_kill_sweep.py (many).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.robots import robot_kind
from bot.channels.robots.render import render
from bot.domain.target import Target
from bot.fake_robots import FakeRobots, FakeRobotServer
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer
from messages.outgoing import robot_message
from storage.db import Database
from tests.botprocess import DUTYBOT, NO_OBLIGATIONS, BotProcess, clean_env

TZ = ZoneInfo("Asia/Shanghai")  # the bot's default DUTYBOT_TIMEZONE
DING_SECRET = "SECkill0sweep1secret2"
FEISHU_SECRET = "feishu-kill-sweep-secret"
# the robots are pushed to at any hour: no quiet hours
RULES = NO_OBLIGATIONS + '[reminders]\nquiet_hours = ""\n'
# a request already on its way when the kill fell reaches the robot a moment after it
IN_FLIGHT = 0.1
SIGNATURE_FIELDS = ("timestamp", "sign")  # Feishu signs in the body: not part of what is said


@dataclass(frozen=True)
class Robot:
    ident: str
    kind: str  # wecom, dingtalk, feishu
    word: str  # as `dutybot channel add` takes it
    name: str
    secret: str | None = None
    keyword: str | None = None
    digest_entries: int = 45  # an overdue notice this long goes in several parts


WECOM_A = Robot("wa", "wecom", "企业微信", "纪委工作群")
WECOM_B = Robot("wb", "wecom", "企业微信", "纪检监察室群")
DINGTALK = Robot("dd", "dingtalk", "钉钉", "财务科支部群", DING_SECRET, "督办", 150)
FEISHU = Robot("fs", "feishu", "飞书", "党委班子群", FEISHU_SECRET, None, 150)
# Feishu's robot waits out the first minutes after :00 and :30 (up to 3): the suite's
# reduced sweep leaves it out, the bench has it
QUICK = (WECOM_A, WECOM_B, DINGTALK)
FULL = (WECOM_A, WECOM_B, DINGTALK, FEISHU)


@dataclass
class Tally:
    kills: int = 0
    kills_after: int = 0  # those that fell after a robot answered
    parts: int = 0
    accepted: int = 0
    elapsed: float = 0.0
    points: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    over_allowed: list[str] = field(default_factory=list)  # again, with no kill to excuse it
    rejected: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # outbox rows not sent in the end
    crashes: list[str] = field(default_factory=list)  # exits not by the sweep's kill
    timeline: list[str] = field(default_factory=list)  # a refused robot's requests and kills

    @property
    def clean(self) -> bool:
        return not (self.lost or self.over_allowed or self.rejected or self.unfinished
                    or self.crashes)

    def line(self) -> str:
        return (f"kills {self.kills} ({self.kills_after} after an answer), parts "
                f"{self.parts}, accepted {self.accepted}, {self.elapsed:.1f} s: lost "
                f"{len(self.lost)}, duplicated {len(self.duplicated)} (each for a kill), "
                f"more often than the kills allow {len(self.over_allowed)}, rejected "
                f"{len(self.rejected)}, unfinished {len(self.unfinished)}, crashes "
                f"{len(self.crashes)}")


class Killer:
    """Kills the bot at the n-th robot request after each start, n and the manner drawn
    from a seeded random source."""

    def __init__(self, rng: random.Random, kills: int, max_calls: int) -> None:
        self.rng = rng
        self.left = kills
        self.max_calls = max_calls
        self.pid: int | None = None
        self.calls = 0
        self.at = 0
        self.after: float | None = None  # kill this long after the armed call is answered
        self.lock = threading.Lock()
        self.points: list[str] = []
        self.times: list[float] = []  # when each kill fell (time.time())
        self.after_times: list[float] = []

    def arm(self, pid: int) -> None:
        with self.lock:
            self.pid, self.calls, self.after = pid, 0, None
            self.at = self.rng.randint(1, self.max_calls) if self.left else 0

    def before(self, path: str) -> bool:
        with self.lock:
            if self.pid is None or not self.at:
                return True
            self.calls += 1
            if self.calls < self.at or self.after is not None:
                return True
            self.left -= 1
            robot = _robot_of(path)
            if self.rng.random() < 0.5:
                pid, self.pid = self.pid, None
                self.points.append(f"{robot} #{self.calls} before it reached the robot")
            else:
                self.after = self.rng.choice((0.0, 0.002, 0.01, 0.03))
                self.points.append(f"{robot} #{self.calls} {self.after * 1000:.0f} ms after")
                return True
        self._kill(pid, after=False)
        return False

    def answered(self, path: str) -> None:
        with self.lock:
            if self.pid is None or self.after is None:
                return
            pid, self.pid, delay = self.pid, None, self.after
        threading.Timer(delay, self._kill, (pid, True)).start()

    def _kill(self, pid: int, after: bool) -> None:
        os.kill(pid, signal.SIGKILL)
        now = time.time()
        self.times.append(now)
        if after:
            self.after_times.append(now)


def _robot_of(path: str) -> str:
    for marker in ("key=", "access_token=", "/hook/"):
        if marker in path:
            return path.split(marker, 1)[1].split("&", 1)[0]
    return path


def overdue_notice(robot: Robot, entries: int) -> dict[str, Any]:
    return {"entries": [
        {"code": f"JW-{robot.ident}-{i:03d}", "kind": "measure", "status": "open",
         "title": f"逐笔核查第{i}批公务接待报销凭证并形成整改台账", "due": "2026-11-20",
         "owner": f"人员{i}", "unit": "财务科党支部"} for i in range(entries)], "more": 0}


def messages_for(robot: Robot, count: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` messages: one overdue notice in several parts, the rest one part each."""
    out: list[tuple[str, dict[str, Any]]] = [("group_digest",
                                              overdue_notice(robot, robot.digest_entries))]
    out += [("robot_broken_notice", {"name": f"{robot.ident}群{n}", "reason": "keyword"})
            for n in range(count - 1)]
    return out


def part_key(payload: dict[str, Any]) -> str:
    """What a part says, whatever its signature."""
    return json.dumps({k: v for k, v in payload.items() if k not in SIGNATURE_FIELDS},
                      ensure_ascii=False, sort_keys=True)


def expected_parts(robot: Robot, messages: list[tuple[str, dict[str, Any]]],
                   today: date) -> list[str]:
    kind = robot_kind(robot.kind)
    keys = []
    for message_kind, payload in messages:
        outgoing = robot_message(message_kind, payload, today, False)
        assert outgoing is not None
        keys += [part_key(p) for p in render(kind, outgoing, robot.keyword)]
    return keys


def add_robot(fakes: FakeRobots, root: str, robot: Robot) -> str:
    if robot.kind == "wecom":
        return root + fakes.wecom.add_robot(robot.ident)
    keywords = (robot.keyword,) if robot.keyword else ()
    family = fakes.dingtalk if robot.kind == "dingtalk" else fakes.feishu
    return root + family.add_robot(robot.ident, robot.secret, keywords)


def family_of(fakes: FakeRobots, robot: Robot):
    return {"wecom": fakes.wecom, "dingtalk": fakes.dingtalk, "feishu": fakes.feishu}[
        robot.kind]


def register(db: Path, workdir: Path, robot: Robot, webhook: str) -> None:
    """The operator adds the robot with the CLI, as in production."""
    argv = [str(DUTYBOT), "channel", "add", robot.word, robot.name, "--webhook", webhook]
    if robot.secret:
        argv += ["--secret", robot.secret]
    if robot.keyword:
        argv += ["--keyword", robot.keyword]
    subprocess.run(argv, env=clean_env(DUTYBOT_DB_PATH=str(db)), cwd=workdir,
                   capture_output=True, text=True, timeout=60, check=True)


async def queue(db: Path, robots: tuple[Robot, ...], per_robot: int,
                history: dict[str, list[float]]) -> dict[str, list[tuple[str, dict]]]:
    """Each robot's messages in the outbox, and its last minute's sends in its windows."""
    database = await Database.open(db)
    queued = {}
    try:
        now = datetime.now(TZ)
        async with database.transaction() as tx:
            channels = {c.name: c for c in await tx.channels.all()}
            for robot in robots:
                channel = channels[robot.name]
                for at in history[robot.ident]:
                    await tx.channels.sent(channel.id, datetime.fromtimestamp(at, TZ))
                queued[robot.ident] = messages_for(robot, per_robot)
                for n, (kind, payload) in enumerate(queued[robot.ident]):
                    await tx.outbox.add(
                        dedup_key=f"sweep:{robot.ident}:{n}", target=Target.robot(channel.id),
                        person_id=None, kind=kind, day=now.date(), payload=payload, now=now)
    finally:
        await database.close()
    return queued


def robot_rows_pending(db: Path) -> int:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        (n,) = conn.execute("SELECT COUNT(*) FROM outbox WHERE channel = 'robot' "
                            "AND status = 'pending'").fetchone()
    return n


def robot_rows_not_sent(db: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return [f"{key} {status} {error}" for key, status, error in conn.execute(
            "SELECT dedup_key, status, last_error FROM outbox WHERE channel = 'robot' "
            "AND status != 'sent'")]


def full_window(now: float, count: int = 20, span: float = 20.0) -> list[float]:
    """`count` sends within the last minute, the oldest leaving it in a second, the rest
    one after another over `span` seconds."""
    step = span / max(count - 1, 1)
    return [now - 59.0 + i * step for i in range(count)]


def sweep(workdir: Path, *, kills: int, per_robot: int = 12,
          robots: tuple[Robot, ...] = QUICK, seed: int = 1, max_calls: int = 6,
          deadline: float = 120.0, progress: Callable[[str], None] | None = None) -> Tally:
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    fakes = FakeRobots(time.time)
    robot_server = FakeRobotServer(fakes).start()
    api = FakeTelegram()
    telegram = FakeTelegramServer(api).start()
    db = workdir / "dutybot.db"
    bot = BotProcess(api, telegram, db, workdir, rules=RULES)
    tally = Tally()
    try:
        for robot in robots:
            register(db, workdir, robot, add_robot(fakes, robot_server.root, robot))
        started = time.time()
        history = {r.ident: full_window(started) for r in robots}
        for robot in robots:
            family_of(fakes, robot).seed_sends(robot.ident, history[robot.ident])
        queued = asyncio.run(queue(db, robots, per_robot, history))
        today = datetime.now(TZ).date()
        expected = {r.ident: expected_parts(r, queued[r.ident], today) for r in robots}
        tally.parts = sum(len(v) for v in expected.values())

        killer = Killer(rng, kills, max_calls)
        robot_server.before_call = killer.before
        robot_server.after_call = killer.answered
        bot.start()
        killer.arm(bot.proc.pid)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if bot.proc.poll() is not None:
                _died(bot, tally)
                if progress:
                    progress(f"kill {tally.kills}: {killer.points[-1]}; restarting")
                bot.start()
                killer.arm(bot.proc.pid)
            elif robot_rows_pending(db) == 0:
                break
            time.sleep(0.02)
        robot_server.before_call = robot_server.after_call = None
        time.sleep(0.1)  # a kill timed a few milliseconds after its answer lands first
        if bot.proc.poll() is not None:  # killed at the very end: it has nothing left to do
            _died(bot, tally)
        else:
            bot.stop()
        tally.elapsed = time.time() - started
        tally.points = killer.points
        tally.kills_after = len(killer.after_times)
        tally.unfinished = robot_rows_not_sent(db)
        _count(tally, fakes, robots, expected, killer.times)
    finally:
        bot.kill_if_running()
        telegram.stop()
        robot_server.stop()
    return tally


def _died(bot: BotProcess, tally: Tally) -> None:
    """Killed, as the sweep meant; anything else is a crash, counted against the bot."""
    if bot.proc.wait() == -signal.SIGKILL:
        tally.kills += 1
    else:
        tally.crashes.append(f"exit {bot.proc.returncode}: {bot.output()[-2000:]}")


def _count(tally: Tally, fakes: FakeRobots, robots: tuple[Robot, ...],
           expected: dict[str, list[str]], kills: list[float]) -> None:
    for robot in robots:
        exchanges = family_of(fakes, robot).exchanges(robot.ident)
        refused = [f"{robot.ident}: {e.code} {e.message}" for e in exchanges
                   if not e.accepted]
        tally.rejected += refused
        if refused:  # what happened, to see why
            start = exchanges[0].at
            events = [(e.at, f"{robot.ident} {'took' if e.accepted else e.code} "
                             f"{part_key(e.payload or {})[40:90]}") for e in exchanges]
            events += [(k, "KILL") for k in kills]
            tally.timeline += [f"{at - start:8.3f} {what}" for at, what in sorted(events)]
        copies: dict[str, list[float]] = defaultdict(list)
        for e in exchanges:
            if e.accepted and e.payload is not None:
                copies[part_key(e.payload)].append(e.at)
        tally.accepted += sum(len(v) for v in copies.values())
        wanted = Counter(expected[robot.ident])
        assert all(n == 1 for n in wanted.values()), "two parts say the same"
        tally.lost += [f"{robot.ident}: {k[:60]}" for k in wanted if k not in copies]
        tally.lost += [f"{robot.ident} (never queued): {k[:60]}" for k in copies
                       if k not in wanted]
        used: set[float] = set()  # a kill excuses one copy per robot
        for key, times in copies.items():
            for before, again in pairwise(times):
                tally.duplicated.append(f"{robot.ident}: {key[:60]}")
                excuse = next((k for k in kills if before - IN_FLIGHT <= k <= again
                               and k not in used), None)
                if excuse is None:
                    tally.over_allowed.append(f"{robot.ident}: {key[:60]} at {times}, "
                                              f"kills at {kills}")
                else:
                    used.add(excuse)
